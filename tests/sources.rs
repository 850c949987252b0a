//! Each source kind: a valid file loads to exactly the expected rows.

use crate::support::{Deployment, TEST_KEY, fixture, value};
use wmo_monitor::lake::Table;
use wmo_monitor::privacy::Pseudonymiser;

fn pseudonym(bsn: &str) -> String {
    Pseudonymiser::new(TEST_KEY.as_bytes()).pseudonym(bsn)
}

#[test]
fn wmo301_gives_one_row_per_allocated_product() {
    let deployment = Deployment::new();
    deployment.inbox("wmo301.xml", fixture("inbox/wmo301.xml"));
    deployment.ingest();
    let rows = deployment.table(Table::Toewijzingen);
    assert_eq!(rows.len(), 2);
    let (first, second) = (&rows[0], &rows[1]);
    assert_eq!(value(first, "bericht_identificatie"), "TW00000117");
    assert_eq!(value(first, "dagtekening"), "2019-01-21");
    assert_eq!(value(first, "gemeente"), "0193");
    assert_eq!(value(first, "aanbieder_agb"), "75284015");
    assert_eq!(value(first, "client_pseudoniem"), pseudonym("999911144"));
    assert_eq!(value(first, "geboortejaar"), "1982");
    assert_eq!(value(first, "geslacht"), "2");
    // The residential address (Soort 01), not the postal one.
    assert_eq!(value(first, "postcode4"), "8031");
    assert_eq!(value(first, "toewijzingnummer"), "3169899");
    assert_eq!(value(first, "productcategorie"), "10");
    assert_eq!(value(first, "productcode"), "T1AG");
    assert_eq!(value(first, "toewijzingsdatum"), "2019-01-21");
    assert_eq!(value(first, "ingangsdatum"), "2019-02-01");
    assert_eq!(value(first, "einddatum"), "2019-04-30");
    assert_eq!(value(first, "reden_wijziging"), "14");
    assert_eq!(value(first, "volume"), "1");
    assert_eq!(value(first, "eenheid"), "82");
    assert_eq!(value(first, "frequentie"), "4");
    assert_eq!(first["budget"], None);
    assert_eq!(value(second, "productcode"), "T2OP");
    assert_eq!(second["einddatum"], None, "an open-ended allocation has no einddatum");
    assert_eq!(value(second, "budget"), "632.40", "cents become euro");
    assert_eq!(second["volume"], None);
}

#[test]
fn wmo305_and_wmo307_give_start_and_stop_rows() {
    let deployment = Deployment::new();
    deployment.inbox("a.xml", fixture("inbox/wmo305.xml"));
    deployment.inbox("b.xml", fixture("inbox/wmo307.xml"));
    deployment.ingest();
    let rows = deployment.table(Table::Zorgmeldingen);
    assert_eq!(rows.len(), 2);
    let start = rows.iter().find(|r| value(r, "berichtsoort") == "wmo305").expect("start row");
    let stop = rows.iter().find(|r| value(r, "berichtsoort") == "wmo307").expect("stop row");
    assert_eq!(value(start, "begindatum"), "2019-02-04");
    assert_eq!(start["einddatum"], None);
    assert_eq!(start["reden_beeindiging"], None);
    assert_eq!(value(start, "status_aanlevering"), "1");
    assert_eq!(value(start, "toewijzing_ingangsdatum"), "2019-02-01");
    assert_eq!(value(stop, "einddatum"), "2019-04-26");
    assert_eq!(value(stop, "reden_beeindiging"), "19");
    assert_eq!(value(stop, "dagtekening"), "2019-05-03");
    assert_eq!(value(stop, "client_pseudoniem"), pseudonym("999911144"));
}

#[test]
fn wmo323_gives_one_signed_row_per_prestatie() {
    let deployment = Deployment::new();
    deployment.inbox("d.xml", fixture("inbox/wmo323.xml"));
    deployment.ingest();
    let rows = deployment.table(Table::Declaratieregels);
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                value(r, "referentienummer"),
                value(r, "bedrag"),
                value(r, "debet_credit"),
                value(r, "vorig_referentienummer"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("R0002".into(), "260.00".into(), "D".into(), "".into()),
            ("R0003".into(), "-260.00".into(), "C".into(), "R0001".into()),
            ("R0004".into(), "183.12".into(), "D".into(), "".into()),
        ]
    );
    let line = &rows[2];
    assert_eq!(value(line, "declaratienummer"), "DN201904A");
    assert_eq!(value(line, "declaratie_begin"), "2019-04-01");
    assert_eq!(value(line, "declaratie_eind"), "2019-04-30");
    assert_eq!(value(line, "declaratie_totaal"), "183.12");
    assert_eq!(value(line, "product_begin"), "2019-04-10");
    assert_eq!(value(line, "geleverd_volume"), "21");
    assert_eq!(value(line, "eenheid"), "14");
    assert_eq!(value(line, "product_tarief"), "8.72");
    assert_eq!(value(line, "client_pseudoniem"), pseudonym("999925994"));
    assert_eq!(line["waarschuwing"], None);
}

#[test]
fn survey_rows_turn_nine_and_empty_into_missing() {
    let deployment = Deployment::new();
    deployment.inbox("s.csv", fixture("inbox/clientervaring.csv"));
    deployment.ingest();
    let rows = deployment.table(Table::Ervaringen);
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(value(first, "respondent_id"), "2019-0001");
    assert_eq!(value(first, "datum_ingevuld"), "2019-02-02");
    assert_eq!(value(first, "v01"), "4");
    assert_eq!(first["v02"], None, "9 is weet niet");
    assert_eq!(first["v03"], None, "an empty cell is missing");
    assert_eq!(value(first, "v08"), "4");
    assert_eq!(value(first, "rapportcijfer"), "7.5");
    assert_eq!(value(first, "client_pseudoniem"), pseudonym("999911144"));
    assert_eq!(rows[1]["client_pseudoniem"], None, "anonymous respondent");
    assert_eq!(rows[2]["rapportcijfer"], None);
}

#[test]
fn evaluations_load_with_optional_vervolg() {
    let deployment = Deployment::new();
    deployment.inbox("e.csv", fixture("inbox/evaluaties.csv"));
    deployment.ingest();
    let rows = deployment.table(Table::Evaluaties);
    assert_eq!(rows.len(), 2);
    assert_eq!(value(&rows[0], "soort"), "eind");
    assert_eq!(value(&rows[0], "doelrealisatie"), "volledig");
    assert_eq!(value(&rows[0], "vervolg"), "voorliggend");
    assert_eq!(value(&rows[0], "evaluatiedatum"), "2019-05-05");
    assert_eq!(rows[1]["vervolg"], None);
}

#[test]
fn reference_files_load_as_snapshots_in_their_dialects() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let providers = deployment.table(Table::Aanbieders);
    assert_eq!(providers.len(), 2);
    assert_eq!(value(&providers[0], "naam"), "Coöperatie Wijkkracht", "Windows-1252 is decoded");
    assert_eq!(value(&providers[1], "naam"), "Oriënt Thuiszorg");
    assert_eq!(value(&providers[1], "contract_vanaf"), "2018-04-01", "DD-MM-YYYY");
    assert_eq!(providers[0]["contract_tot"], None);
    let products = deployment.table(Table::Producten);
    assert_eq!(products.len(), 3);
    assert_eq!(value(&products[2], "tarief_per_maand"), "632.40", "decimal comma");
    assert_eq!(products[0]["resultaatgebieden"], None);
    assert_eq!(value(&deployment.table(Table::Begroting)[0], "besparing_optimaal"), "4000000.00");
    assert_eq!(deployment.table(Table::Wijken).len(), 2);
    assert_eq!(deployment.table(Table::Inwoners).len(), 2);

    // An unchanged reference file is not loaded again; a changed one is a new snapshot.
    deployment.ingest();
    assert_eq!(deployment.table(Table::Wijken).len(), 2);
    deployment.reference(
        "wijken.csv",
        "postcode4,wijk,stadsdeel\n8011,Binnenstad,Stad\n8031,Stadshagen,West\n8041,Ittersum,Zuid\n",
    );
    deployment.ingest();
    let districts = deployment.table(Table::Wijken);
    assert_eq!(districts.len(), 5);
    assert_ne!(value(&districts[0], "laad_id"), value(&districts[4], "laad_id"));
}

#[test]
fn budget_ceilings_load_per_provider_and_year() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let ceilings = deployment.table(Table::Budgetplafonds);
    let rows: Vec<(String, String, String)> =
        ceilings.iter().map(|r| (value(r, "aanbieder_agb"), value(r, "jaar"), value(r, "plafond"))).collect();
    assert_eq!(
        rows,
        [
            ("75284015".to_string(), "2019".to_string(), "250000.00".to_string()),
            ("98553860".into(), "2019".into(), "1200000.50".into())
        ]
    );
    // A ceiling for a provider code that is no AGB code is refused, the rest loads.
    deployment
        .reference("budgetplafonds.csv", "aanbieder_agb;jaar;plafond\n7528401;2020;100,00\n75284015;2020;300000\n");
    deployment.ingest();
    let refused = deployment.table(Table::Quarantaine);
    assert!(
        refused.iter().any(|r| value(r, "regel") == "AGB-01" && value(r, "bestand") == "reference/budgetplafonds.csv")
    );
    assert_eq!(deployment.table(Table::Budgetplafonds).len(), 3);
}

#[test]
fn laadlog_records_every_file() {
    let deployment = Deployment::new().with_all_fixtures();
    let summary = deployment.ingest();
    let log = deployment.table(Table::Laadlog);
    assert_eq!(log.len(), 12);
    assert_eq!(summary.files_loaded, 12);
    let declaration = log.iter().find(|r| value(r, "bestand") == "inbox/wmo323.xml").expect("logged");
    assert_eq!(value(declaration, "soort"), "wmo323");
    assert_eq!(value(declaration, "records_geladen"), "3");
    assert_eq!(value(declaration, "records_geweigerd"), "0");
    assert_eq!(value(declaration, "uitkomst"), "geladen");
    assert_eq!(value(declaration, "bestand_hash").len(), 64);
    assert!(deployment.config.paths.archive.join("geladen/wmo323.xml").exists(), "loaded files move to the archive");
    assert!(!deployment.config.paths.inbox.join("wmo323.xml").exists());
}

#[test]
fn an_xml_declaration_naming_another_encoding_is_honoured() {
    let deployment = Deployment::new();
    let text = crate::support::fixture_text("inbox/wmo301.xml")
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
        .replace("Testvoorn&#235;am", "Testvoornëam");
    // ë as one Latin-1 byte, which is not valid UTF-8.
    let latin1: Vec<u8> = text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect();
    assert!(std::str::from_utf8(&latin1).is_err());
    deployment.inbox("latin1.xml", latin1);
    let summary = deployment.ingest();
    assert_eq!(summary.files_loaded, 1, "{summary}");
    assert_eq!(deployment.table(Table::Toewijzingen).len(), 2);
}
