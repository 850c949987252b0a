//! The spreadsheet dialects of formats.md all load to the same rows.

use crate::support::{Deployment, Row};
use wmo_monitor::lake::Table;

fn content_of(rows: Vec<Row>) -> Vec<Row> {
    rows.into_iter()
        .map(|mut r| {
            r.remove("laad_id");
            r.remove("bestand_hash");
            r
        })
        .collect()
}

fn load(table: Table, name: &str, content: Vec<u8>) -> Vec<Row> {
    let deployment = Deployment::new();
    deployment.inbox(name, content);
    let summary = deployment.ingest();
    assert_eq!(summary.files_loaded, 1, "{name}: {summary}");
    content_of(deployment.table(table))
}

#[test]
fn survey_dialects_load_identically() {
    let spreadsheet = b"\xef\xbb\xbf Respondent_ID;AANBIEDER_AGB ;Bsn;Datum_Ingevuld;V01;V02;V03;V04;V05;V06;V07;V08;Rapportcijfer \r\n\
2019-0001;75284015;999911144;02-02-2019;4;9;;5;3;5;3;4;7,5\r\n2019-0002;75284015;;30-07-2019;4;5;5;4;4;3;5;5;9\r\n"
        .to_vec();
    let tidy = b"respondent_id,aanbieder_agb,bsn,datum_ingevuld,v01,v02,v03,v04,v05,v06,v07,v08,rapportcijfer\n\
2019-0001,75284015,999911144,2019-02-02,4,,,5,3,5,3,4,7.5\n2019-0002,75284015,,2019-07-30,4,5,5,4,4,3,5,5,9\n"
        .to_vec();
    let tabs = "Respondent_id\tAanbieder_AGB\tBSN\tDatum_ingevuld\tv01\tv02\tv03\tv04\tv05\tv06\tv07\tv08\tRapportcijfer\r\n\
2019-0001\t75284015\t999911144\t2-2-2019\t4\t9\t9\t5\t3\t5\t3\t4\t7,50\r\n2019-0002\t75284015\t\t30-7-2019\t4\t5\t5\t4\t4\t3\t5\t5\t9,0\r\n"
        .as_bytes()
        .to_vec();
    let a = load(Table::Ervaringen, "a.csv", spreadsheet);
    assert_eq!(a.len(), 2);
    assert_eq!(a, load(Table::Ervaringen, "b.csv", tidy));
    assert_eq!(a, load(Table::Ervaringen, "c.csv", tabs));
}

#[test]
fn reference_dialects_load_identically() {
    let windows_1252 = b"agb;naam;contract;contract_vanaf;contract_tot;contractmanager_email\r\n75284015;Co\xf6peratie Wijkkracht;DIAH+TO;01-01-2015;;cm@zwolle.example\r\n".to_vec();
    let utf8_bom = "\u{feff}AGB,Naam,Contract,Contract_Vanaf,Contract_Tot,ContractManager_Email\n75284015,Coöperatie Wijkkracht,diah+to,2015-01-01,,cm@zwolle.example\n"
        .as_bytes()
        .to_vec();
    let a = load(Table::Aanbieders, "a.csv", windows_1252);
    assert_eq!(a[0]["naam"].as_deref(), Some("Coöperatie Wijkkracht"));
    assert_eq!(a[0]["contract"].as_deref(), Some("DIAH+TO"));
    assert_eq!(a, load(Table::Aanbieders, "b.csv", utf8_bom));
}

#[test]
fn decimal_comma_and_thousands_separators_are_read_exactly() {
    use wmo_monitor::ingest::csv_dialect::parse_decimal;
    for (text, expected) in [
        ("14950000,00", "14950000.00"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("7,5", "7.5"),
        ("260", "260"),
    ] {
        assert_eq!(parse_decimal(text).map(|d| d.to_string()), Some(expected.to_string()), "{text}");
    }
    assert_eq!(parse_decimal("1,2,3"), None);
}
