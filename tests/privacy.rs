//! No BSN, name, street address or full birth date is written anywhere under
//! the data folder: not in the lake, not in quarantine, not in file names.

use crate::support::{Deployment, fixture_text, read_table};
use std::path::Path;
use wmo_monitor::lake::Table;

/// Everything personal the fixtures below contain.
const PERSONAL: &[&str] = &[
    "999911144",
    "999925994",
    "999988116",
    "999911145",
    "999925995",
    "Testachternaam",
    "Teststraat",
    "Testpostbusweg",
    "1982-07-05",
    "Testvoornëam",
    "8031LW",
];

fn files_under(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() { files_under(&path, found) } else { found.push(path) }
    }
}

#[test]
fn no_input_bsn_name_address_or_birth_date_reaches_the_data_folder() {
    let deployment = Deployment::new().with_all_fixtures();
    // Bad input too: its raw text goes to quarantine, masked.
    deployment.inbox("wmo301-999911144.xml", fixture_text("inbox/wmo301.xml").replace("999911144", "999911145"));
    deployment.inbox(
        "broken.xml",
        fixture_text("inbox/wmo301.xml").replace("</Naam>", "</Nam>").replace("TW00000117", "TW2"),
    );
    deployment.inbox(
        "bad-date.xml",
        fixture_text("inbox/wmo301.xml").replace("1982-07-05", "1982-07-35").replace("TW00000117", "TW3"),
    );
    deployment.inbox(
        "survey-bad.csv",
        fixture_text("inbox/evaluaties.csv").replace("999925994,2019-03-01", "999925995,2019-03-01"),
    );
    deployment
        .inbox("d.xml", fixture_text("inbox/wmo323.xml").replace("999925994", "999925995").replace("DN201904A", "DN2"));
    let summary = deployment.ingest();
    assert!(summary.quarantined.values().sum::<u64>() >= 5, "the bad files were quarantined: {summary}");

    let mut files = Vec::new();
    files_under(&deployment.config.paths.data, &mut files);
    assert!(files.len() > 10);
    for file in &files {
        let name = file.to_string_lossy();
        let bytes = std::fs::read(file).expect("readable");
        let text = String::from_utf8_lossy(&bytes);
        for secret in PERSONAL {
            assert!(!name.contains(secret), "{secret} in the name {name}");
            assert!(!text.contains(secret), "{secret} in the bytes of {name}");
        }
    }
    // Parquet pages are compressed, so also look at every decoded cell.
    for table in Table::ALL {
        for row in read_table(&deployment.config.paths.lake().join(table.name())) {
            for cell in row.values().flatten() {
                for secret in PERSONAL {
                    assert!(!cell.contains(secret), "{secret} in {} cell {cell:?}", table.name());
                }
            }
        }
    }
    // What quarantine keeps is still useful: the record, masked.
    let quarantine = deployment.table(Table::Quarantaine);
    assert!(
        quarantine
            .iter()
            .any(|r| r["ruwe_tekst"].as_deref().is_some_and(|t| t.contains("<Bsn>***</Bsn>") && t.contains("3169899")))
    );
}

#[test]
fn without_a_key_ingest_refuses_with_a_clear_message() {
    let deployment = Deployment::new();
    let mut config = deployment.config.clone();
    config.pseudonym_key_file = None;
    if std::env::var_os(wmo_monitor::config::KEY_ENV).is_some() {
        return; // a key in the environment is a key
    }
    let error = wmo_monitor::ingest::ingest(&config, &Default::default()).expect_err("refused");
    assert!(error.to_string().contains("WMO_MONITOR_PSEUDONYM_KEY"), "{error}");
}

#[test]
fn elfproef_accepts_valid_bsns_only() {
    use wmo_monitor::privacy::bsn_is_valid;
    for bsn in ["999911144", "999900006", "999925994"] {
        assert!(bsn_is_valid(bsn), "{bsn}");
    }
    for bsn in ["999911145", "000000000", "99991114", "99991114a", "9999111440"] {
        assert!(!bsn_is_valid(bsn), "{bsn}");
    }
}

#[test]
fn pseudonyms_are_keyed_and_stable() {
    use wmo_monitor::privacy::Pseudonymiser;
    let ours = Pseudonymiser::new(b"0123456789abcdef0123");
    let theirs = Pseudonymiser::new(b"another key of some length");
    assert_eq!(ours.pseudonym("999911144"), ours.pseudonym("999911144"));
    assert_ne!(ours.pseudonym("999911144"), theirs.pseudonym("999911144"));
    assert_ne!(ours.pseudonym("999911144"), ours.pseudonym("999925994"));
    assert_eq!(ours.pseudonym("999911144").len(), 32);
}

#[test]
fn scrubbing_keeps_only_structural_elements_and_masks_contact_details() {
    use wmo_monitor::privacy::{mask_bsn_like, scrub, scrub_message};
    let raw = "<Client><Bsn>999911144</Bsn><Geboortedatum><iwmo:Datum>1982-07-05</iwmo:Datum></Geboortedatum>\
               <iwmo:Achternaam>Testachternaam</iwmo:Achternaam><ToewijzingNummer>3169899</ToewijzingNummer>\
               <Opmerking naam=\"Testvoornaam\">Bel Testvoornaam op 06-12345678 of test@voorbeeld.example</Opmerking>";
    let safe = scrub(raw);
    for secret in ["999911144", "1982-07-05", "Testachternaam", "Testvoornaam", "12345678", "voorbeeld.example"] {
        assert!(!safe.contains(secret), "{secret} in {safe}");
    }
    assert!(safe.contains("<ToewijzingNummer>3169899</ToewijzingNummer>"), "{safe}");
    let line = scrub("2019-0001;75284015;test@voorbeeld.example;+31 6 1234 5678;8031 LW;2019-02-02;7,5");
    assert_eq!(line, "2019-0001;75284015;***;***;***;2019-02-02;7,5");
    assert_eq!(mask_bsn_like("a;999911144;1234567890;12345678"), "a;*********;1234567890;12345678");
    assert!(scrub(&"x".repeat(10_000)).len() < 4100, "raw text is cut to a readable size");
    assert!(scrub_message(&format!("Bedrag {} is not a number", "9".repeat(200_000 * 1000 / 1000))).len() < 400);
}

#[test]
fn a_bsn_written_in_an_identifier_field_is_masked_and_still_joins() {
    let deployment = Deployment::new();
    // The debit's reference number and the credit's VorigReferentieNummer: the same BSN.
    let text = fixture_text("inbox/wmo323.xml")
        .replacen("<iwmo:ReferentieNummer>R0002<", "<iwmo:ReferentieNummer>999911144<", 1)
        .replacen("<iwmo:VorigReferentieNummer>R0001<", "<iwmo:VorigReferentieNummer>R999911144X<", 1);
    deployment.inbox("d.xml", text);
    deployment.inbox("e.csv", fixture_text("inbox/clientervaring.csv").replacen("2019-0001;", "999925994;", 1));
    deployment.ingest();
    let lines = deployment.table(Table::Declaratieregels);
    let reference = crate::support::value(&lines[0], "referentienummer");
    assert!(reference.starts_with("bsn-") && reference.len() == 16, "{reference}");
    let previous = crate::support::value(&lines[1], "vorig_referentienummer");
    assert_eq!(
        previous,
        format!("R{reference}X"),
        "the same BSN gives the same mask, so the credit still names its debit"
    );
    let respondents: Vec<String> =
        deployment.table(Table::Ervaringen).iter().map(|r| crate::support::value(r, "respondent_id")).collect();
    assert!(respondents[0].starts_with("bsn-"), "{respondents:?}");
    for table in Table::ALL {
        for row in deployment.table(table) {
            for cell in row.values().flatten() {
                assert!(!cell.contains("999911144") && !cell.contains("999925994"), "{} holds {cell}", table.name());
            }
        }
    }
}

#[test]
fn quarantine_keeps_no_name_phone_or_mail_from_unknown_cells_and_caps_its_message() {
    let deployment = Deployment::new();
    let csv = "toewijzingnummer;aanbieder_agb;bsn;evaluatiedatum;soort;doelrealisatie;vervolg;opmerking\n\
               3169899;75284015;999911144;2019-13-45;eind;volledig;maatwerk;Testvoornaam Testachternaam belt terug\n";
    deployment.inbox("eval.csv", csv);
    let huge = fixture_text("inbox/wmo305.xml").replacen(
        "<iwmo:Dagtekening>2019-02-06<",
        &format!("<iwmo:Dagtekening>{}<", "x".repeat(2_000_000)),
        1,
    );
    deployment.inbox("groot.xml", huge);
    deployment.ingest();
    let quarantine = deployment.table(Table::Quarantaine);
    assert_eq!(quarantine.len(), 2);
    for row in &quarantine {
        let raw = crate::support::value(row, "ruwe_tekst");
        assert!(!raw.contains("Testvoornaam") && !raw.contains("999911144"), "{raw}");
        assert!(crate::support::value(row, "melding").len() <= 310, "the message is capped");
    }
    assert!(crate::support::value(&quarantine[0], "ruwe_tekst").contains("3169899;75284015"));
}
