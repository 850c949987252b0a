//! `publish`: the council's monitor and the providers' packs, with disclosure
//! control, as HTML and XLSX.

use crate::support::{Deployment, read_table, value};
use calamine::{Data, Reader, Xlsx, open_workbook};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wmo_monitor::compute::{self, ComputeOptions};
use wmo_monitor::demo::population::Population;
use wmo_monitor::demo::{self, DemoOptions, Tariffs};
use wmo_monitor::publish::disclosure::{Soort, pakket, raad};
use wmo_monitor::publish::{self, PublishOptions};

const SEPTEMBER_30: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(2019, 9, 30).expect("a date");
const DEMO_SEED: u64 = 7;
const DEMO_CLIENTS: u64 = 150;

fn fixed(periode: &str) -> PublishOptions {
    PublishOptions {
        periode: Some(periode.parse().expect("a period")),
        gemaakt_op: Some("(vast)".into()),
        ..Default::default()
    }
}

/// The hand-checked fixtures, computed up to 2019-09-30 and 2019-Q3 published.
pub fn fixture_published() -> Deployment {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    compute::compute(&deployment.config, &ComputeOptions { as_of: Some(SEPTEMBER_30), ..Default::default() })
        .expect("compute --all");
    publish::publish(&deployment.config, &fixed("2019-Q3")).expect("publish");
    deployment
}

/// A small demo (150 clients, 2017-2019) with its latest quarter published:
/// enough clients for counts on both sides of the council's threshold.
fn demo_published() -> &'static Deployment {
    static DEMO: OnceLock<Deployment> = OnceLock::new();
    DEMO.get_or_init(|| {
        let deployment = Deployment::new();
        demo::write(&deployment.config, &DemoOptions { seed: DEMO_SEED, clients: DEMO_CLIENTS, show_progress: false })
            .expect("demo");
        deployment.ingest();
        compute::compute(&deployment.config, &ComputeOptions::default()).expect("compute --all");
        let published = publish::publish(&deployment.config, &fixed("2019-Q4")).expect("publish");
        assert!(published.packs > 10, "{published}");
        deployment
    })
}

pub fn out(deployment: &Deployment, periode: &str) -> PathBuf {
    deployment.config.paths.out.join(periode)
}

fn packs(folder: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder.join("aanbieders"))
        .expect("packs folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

/// The texts of the cells of an HTML report: table cells and tile values, with their class.
fn html_cells(html: &str) -> Vec<(String, String)> {
    let mut cells = Vec::new();
    for (open, close) in [("<td class=\"", "</td>"), ("<div class=\"waarde", "</div>")] {
        let mut rest = html;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len()..];
            let class_end = after.find('"').expect("class ends");
            let class = after[..class_end].trim().to_string();
            let text_start = after.find('>').expect("tag ends") + 1;
            let text_end = after.find(close).expect("cell ends");
            cells.push((class, after[text_start..text_end].trim().to_string()));
            rest = &after[text_end..];
        }
    }
    cells
}

/// A Dutch whole number as shown (`1.234`), if the text is one.
fn whole_number(text: &str) -> Option<i64> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit() || c == '.') || text == "." {
        return None;
    }
    text.replace('.', "").parse().ok()
}

fn workbook(path: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every cell of every sheet: (sheet, header of its column, cell).
fn workbook_cells(path: &Path) -> Vec<(String, String, Data)> {
    let mut book = workbook(path);
    let mut cells = Vec::new();
    for sheet in book.sheet_names() {
        let range = book.worksheet_range(&sheet).expect("sheet");
        let rows: Vec<_> = range.rows().collect();
        let Some(header) = rows.first() else { continue };
        for row in &rows[1..] {
            for (i, cell) in row.iter().enumerate() {
                cells.push((sheet.clone(), header.get(i).map(|h| h.to_string()).unwrap_or_default(), cell.clone()));
            }
        }
    }
    cells
}

#[test]
fn council_counts_are_rounded_to_5_and_0_to_7_is_a_secret() {
    assert_eq!(raad::afgerond(0), None);
    assert_eq!(raad::afgerond(7), None);
    assert_eq!(raad::afgerond(8), Some(10));
    assert_eq!(raad::afgerond(12), Some(10));
    assert_eq!(raad::afgerond(13), Some(15));
    assert_eq!(raad::aantal(Some(3)).tekst, ".");
    assert!(raad::aantal(Some(3)).verborgen);
    assert_eq!(raad::aantal(Some(1234)).tekst, "1.235");
    // Shares from the rounded counts: 13 of 42 is 15 of 40; 123 per 28,557 is 125 per 28,555.
    assert_eq!(raad::aandeel(Some(13), Some(42), Soort::Procent).tekst, "37,5%");
    // A secret numerator hides the share (7 of 12 as 5 of 10 would show 50% and tell
    // 3-7 from 0-2), and so does a secret denominator; a rate per 1,000 the same.
    assert_eq!(raad::aandeel(Some(7), Some(12), Soort::Procent).tekst, ".");
    assert_eq!(raad::aandeel(Some(4), Some(42), Soort::Procent).tekst, ".");
    assert_eq!(raad::aandeel(Some(0), Some(42), Soort::Procent).tekst, ".");
    assert_eq!(raad::aandeel(Some(8), Some(42), Soort::Procent).tekst, "25,0%");
    assert_eq!(raad::aandeel(Some(5), Some(7), Soort::Procent).tekst, ".");
    assert_eq!(raad::aandeel(Some(3), Some(28557), Soort::PerDuizend).tekst, ".");
    assert_eq!(raad::aandeel(Some(123), Some(28557), Soort::PerDuizend).tekst, "4,4");
    assert_eq!(raad::gemiddelde(Some(Decimal::new(78, 1)), Some(6), Soort::Cijfer).tekst, ".");
    assert_eq!(raad::gemiddelde(Some(Decimal::new(78, 1)), Some(60), Soort::Cijfer).tekst, "7,8");
    // Money is not a count: exact.
    assert_eq!(raad::bedrag(Some(Decimal::new(4_50, 2)), Soort::Euro).tekst, "€ 5");
}

#[test]
fn packs_hide_shares_over_fewer_than_5_and_compare_only_over_5_providers() {
    assert_eq!(pakket::over(Some(Decimal::from(80)), Some(4), Soort::Procent).tekst, "te weinig waarnemingen");
    assert_eq!(pakket::over(Some(Decimal::from(80)), Some(5), Soort::Procent).tekst, "80,0%");
    assert_eq!(pakket::exact(Some(Decimal::from(3)), Soort::Aantal).tekst, "3");
    // The peers' quartiles are SQL (kpi_aanbieder_vergelijking); the pack shows them only over 5 providers.
    assert_eq!(pakket::vergelijking(4, [Some(Decimal::ONE); 3], Soort::Aantal), None);
    let shown = pakket::vergelijking(5, [1, 2, 3].map(|n| Some(Decimal::from(n))), Soort::Aantal).expect("5");
    assert_eq!((shown.p25.tekst.as_str(), shown.mediaan.tekst.as_str(), shown.aanbieders), ("1", "2", 5));
}

/// One provider's row of a hand-made kpi_aanbieder: (periode, clienten,
/// mediane_duur_dagen, tevredenheid_pct, respondenten).
type ProviderRow<'a> = (&'a str, Option<i64>, Option<&'a str>, Option<&'a str>, i64);

/// kpi_aanbieder_vergelijking over a hand-made kpi_aanbieder.
fn peers(rows: &[ProviderRow]) -> Vec<(String, String, String)> {
    use wmo_monitor::engine::{QuerySource, session};
    let files = QuerySource::Embedded.load().expect("queries");
    let view = files.iter().find(|f| f.name == "kpi_aanbieder_vergelijking").expect("the view");
    let columns: std::collections::BTreeSet<String> = view
        .sql
        .split("cast(")
        .skip(1)
        .filter_map(|part| part.split_once(" as decimal(38, 18))").map(|(c, _)| c.trim().to_string()))
        .collect();
    let values: Vec<String> = rows
        .iter()
        .map(|(periode, clienten, duur, tevreden, respondenten)| {
            let number = |v: Option<String>| v.unwrap_or_else(|| "null".into());
            let mut cells = vec![format!("'{periode}' as periode"), format!("{respondenten} as respondenten")];
            for column in &columns {
                let value = match column.as_str() {
                    "clienten" => number(clienten.map(|c| c.to_string())),
                    "mediane_duur_dagen" => number(duur.map(|d| format!("cast('{d}' as decimal(12, 1))"))),
                    "tevredenheid_pct" => number(tevreden.map(|t| format!("cast('{t}' as decimal(38, 14))"))),
                    "respondenten" => continue,
                    _ => "cast(null as decimal(38, 14))".into(),
                };
                cells.push(format!("{value} as {column}"));
            }
            format!("select {}", cells.join(", "))
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let ctx = session::context(&Default::default()).expect("session");
        ctx.sql(&format!("create view kpi_aanbieder as {}", values.join(" union all "))).await.expect("fixture");
        ctx.sql(&format!("create view kpi_aanbieder_vergelijking as {}", view.sql)).await.expect("the view plans");
        let rows = wmo_monitor::engine::rows::query(
            &ctx,
            "select kolom, aanbieders, p25, mediaan, p75 from kpi_aanbieder_vergelijking \
             where kolom in ('clienten', 'mediane_duur_dagen', 'tevredenheid_pct') order by kolom",
            "peers",
        )
        .await
        .expect("peers");
        rows.iter()
            .map(|r| {
                let n = |c: &str| r.get(c).number().map(|d| d.normalize().to_string()).unwrap_or_default();
                (r.text("kolom"), r.text("aanbieders"), format!("{} {} {}", n("p25"), n("mediaan"), n("p75")))
            })
            .collect()
    })
}

#[test]
fn the_peers_median_and_quartiles_interpolate_between_ranks_and_skip_shares_over_fewer_than_5() {
    let q = "2019-Q3";
    let five = peers(&[
        (q, Some(10), Some("1"), Some("50"), 10),
        (q, Some(40), Some("2"), Some("60"), 10),
        (q, Some(20), Some("3"), Some("70"), 10),
        (q, Some(50), Some("4"), Some("80"), 4),
        (q, Some(30), None, Some("90"), 10),
    ]);
    // Hand-worked: clienten 10 20 30 40 50 -> 20, 30, 40. Duur 1 2 3 4 (one without):
    // positions 0.75, 1.5, 2.25 -> 1.75, 2.5, 3.25. Tevredenheid: the provider with 4
    // respondents does not count: 50 60 70 90 -> 57.5, 65, 75.
    assert_eq!(
        five,
        [
            ("clienten".to_string(), "5".to_string(), "20 30 40".to_string()),
            ("mediane_duur_dagen".into(), "4".into(), "1.75 2.5 3.25".into()),
            ("tevredenheid_pct".into(), "4".into(), "57.5 65 75".into()),
        ]
    );
}

#[test]
fn no_council_cell_reveals_a_count_from_1_to_7() {
    let deployment = demo_published();
    let folder = out(deployment, "2019-Q4");
    let html = std::fs::read_to_string(folder.join("monitor-sociaal-domein-2019-Q4.html")).expect("monitor");
    let cells = html_cells(&html);
    assert!(cells.len() > 200, "{} cells", cells.len());
    let (mut secret, mut rounded) = (0, 0);
    for (class, text) in &cells {
        if let Some(n) = whole_number(text) {
            assert!(!(1..=7).contains(&n), "a council cell shows {text} ({class})");
        }
        if class.starts_with("aantal") {
            match whole_number(text) {
                Some(n) => {
                    assert_eq!(n % 5, 0, "a count not rounded to 5: {text}");
                    rounded += 1;
                }
                None if text == "." => secret += 1,
                None => assert!(text == "-", "a count cell shows {text:?}"),
            }
        }
    }
    assert!(secret > 5 && rounded > 50, "the demo has counts on both sides: {secret} secret, {rounded} shown");

    let cells = workbook_cells(&folder.join("monitor-sociaal-domein-2019-Q4.xlsx"));
    for (sheet, header, cell) in &cells {
        if let Data::Float(v) = cell {
            let whole = v.fract() == 0.0;
            assert!(!(whole && (1.0..=7.0).contains(v)), "{sheet}/{header}: {v}");
        }
        if let Data::String(s) = cell
            && let Some(n) = whole_number(s)
        {
            assert!(!(1..=7).contains(&n), "{sheet}/{header}: {s}");
        }
    }
    assert!(cells.iter().any(|(_, _, c)| *c == Data::String(".".into())), "secrets are shown as '.' in XLSX too");

    // No rate rests on a secret numerator: each district and group with 0-7 clients
    // shows its rate per 1,000 as '.'.
    let exact = read_table(&deployment.config.paths.lake().join("kpi_stadsdeel").join("periode=2019-Q4"));
    let mut book = workbook(&folder.join("monitor-sociaal-domein-2019-Q4.xlsx"));
    let range = book.worksheet_range("Stadsdelen").expect("the districts sheet");
    let rows: Vec<_> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|h| h.to_string()).collect();
    let mut checked = 0;
    for row in &rows[1..] {
        let stadsdeel = row[0].to_string();
        for r in exact.iter().filter(|r| value(r, "stadsdeel") == stadsdeel) {
            let clienten: i64 = value(r, "clienten").parse().expect("a count");
            if clienten > 7 {
                continue;
            }
            let groep = value(r, "cbs_groep");
            let column =
                if groep == "totaal" { "Per 1.000 inwoners".to_string() } else { format!("{groep} per 1.000") };
            let Some(i) = header.iter().position(|h| *h == column) else { continue };
            assert_eq!(row[i], Data::String(".".into()), "{stadsdeel}, {groep}: {clienten} clients, rate {:?}", row[i]);
            checked += 1;
        }
    }
    assert!(checked > 5, "the demo has districts and groups with 0-7 clients: {checked}");

    // Nor does a headline share: each figure whose numerator is 0-7 shows '.'.
    let catalogue =
        wmo_monitor::publish::catalogue::Catalogue::load(&wmo_monitor::publish::ReportSource::of(&deployment.config))
            .expect("catalogue");
    let wmo = &read_table(&deployment.config.paths.lake().join("kpi_wmo").join("periode=2019-Q4"))[0];
    let range = book.worksheet_range("Kerncijfers").expect("the headline sheet");
    let mut secret_numerators = 0;
    for figure in catalogue.monitor.iter().filter(|f| f.teller.is_some()) {
        let teller: i64 = value(wmo, figure.teller.as_deref().unwrap_or_default()).parse().unwrap_or(0);
        let row =
            range.rows().find(|r| r.get(1).is_some_and(|c| c.to_string() == figure.label)).expect("a headline row");
        if teller <= 7 {
            assert_eq!(row[2], Data::String(".".into()), "{}: numerator {teller}, shown {:?}", figure.label, row[2]);
            secret_numerators += 1;
        } else if value(wmo, figure.noemer.as_deref().unwrap_or_default()).parse().unwrap_or(0) > 7 {
            assert_ne!(row[2], Data::String(".".into()), "{}: numerator {teller} is no secret", figure.label);
        }
    }
    assert!(secret_numerators >= 1, "the demo has a headline share with a numerator of 0-7");
}

#[test]
fn a_pack_names_no_other_provider_and_no_file_holds_a_bsn() {
    let deployment = demo_published();
    let folder = out(deployment, "2019-Q4");
    let providers: Vec<(String, String)> = read_table(&deployment.config.paths.lake().join("aanbieders"))
        .iter()
        .map(|r| (value(r, "agb"), value(r, "naam")))
        .collect();
    assert!(providers.len() > 50);
    let html_packs = packs(&folder, "html");
    assert!(html_packs.len() > 10);
    for html_path in &html_packs {
        let agb = html_path.file_name().expect("name").to_string_lossy()["prestatiedialoog-".len()..][..8].to_string();
        let own_name = &providers.iter().find(|(a, _)| *a == agb).expect("a known provider").1;
        let html = std::fs::read_to_string(html_path).expect("pack");
        let xlsx_text: String = workbook_cells(&html_path.with_extension("xlsx"))
            .into_iter()
            .map(|(sheet, header, cell)| format!("{sheet} {header} {cell}\n"))
            .collect();
        assert!(
            html.contains(own_name.as_str()) && html.contains(&agb),
            "{} names its own provider",
            html_path.display()
        );
        for (other, name) in providers.iter().filter(|(a, _)| *a != agb) {
            for text in [&html, &xlsx_text] {
                assert!(!text.contains(other.as_str()), "{} names AGB {other}", html_path.display());
                if !own_name.contains(name.as_str()) {
                    assert!(!text.contains(name.as_str()), "{} names {name}", html_path.display());
                }
            }
        }
    }

    // Packs say what to raise in the dialogue: figures outside the middle half of the peers.
    // With [punten] at its defaults the small demo raises few points (most of its providers
    // have fewer than 10 clients); with every difference counted, both kinds appear.
    let sensitive = tempfile::tempdir().expect("a folder");
    let reports = sensitive.path().join("reports");
    std::fs::create_dir_all(&reports).expect("reports");
    for (name, text) in wmo_monitor::publish::source::EMBEDDED {
        let text = text
            .replace("min_clienten = 10", "min_clienten = 1")
            .replace("min_verschil_pct = 10", "min_verschil_pct = 0");
        std::fs::write(reports.join(name), text).expect("copy");
    }
    let mut config = deployment.config.clone();
    config.paths.reports = Some(reports);
    config.paths.out = sensitive.path().join("out");
    publish::publish(&config, &fixed("2019-Q4")).expect("publish");
    let texts: Vec<String> = packs(&config.paths.out.join("2019-Q4"), "html")
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("pack"))
        .collect();
    assert!(texts.iter().any(|t| t.contains("<strong>Vraag naar</strong>: ")));
    assert!(texts.iter().any(|t| t.contains("<strong>Sterk punt</strong>: ")));

    let population = Population::new(DEMO_SEED, DEMO_CLIENTS, Tariffs::embedded().expect("tariffs"));
    let bsns: Vec<String> = (0..DEMO_CLIENTS).map(|i| population.bsn(i)).collect();
    let mut files = vec![folder.join("index.html"), folder.join("monitor-sociaal-domein-2019-Q4.html")];
    files.extend(html_packs.iter().cloned());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("html");
        assert!(bsns.iter().all(|bsn| !text.contains(bsn.as_str())), "a BSN in {}", path.display());
    }
    let mut workbooks = packs(&folder, "xlsx");
    workbooks.push(folder.join("monitor-sociaal-domein-2019-Q4.xlsx"));
    for path in &workbooks {
        for (_, _, cell) in workbook_cells(path) {
            let text = cell.to_string();
            assert!(bsns.iter().all(|bsn| !text.contains(bsn.as_str())), "a BSN in {}", path.display());
        }
    }
}

#[test]
fn the_workbooks_read_back_with_their_sheets_formats_and_values() {
    let deployment = fixture_published();
    let folder = out(&deployment, "2019-Q3");
    let mut monitor = workbook(&folder.join("monitor-sociaal-domein-2019-Q3.xlsx"));
    // July's declarations are missing in the fixtures: the monitor's figures are provisional.
    let let_op = monitor.worksheet_range("Let op").expect("the provisional note");
    assert!(
        let_op.get((1, 0)).is_some_and(|c| c.to_string().starts_with("Van de declaraties die aanbieders")),
        "{let_op:?}"
    );
    let html = std::fs::read_to_string(folder.join("monitor-sociaal-domein-2019-Q3.html")).expect("monitor");
    assert!(html.contains(r#"<section id="voorlopig" class="waarschuwing">"#), "the provisional mark");
    // The money chapter's sentence, from kpi_begroting: 183 spent in 1 month of 2019, 2,197 a year against 13.2 million.
    assert!(
        html.contains("In 2019 is tot de peildatum € 183 uitgegeven van een begroting van € 13.200.000; doorgetrokken naar het hele jaar is dat € 2.197, € 13.197.803 (100,0%) onder de begroting."),
        "the budget sentence"
    );
    assert_eq!(
        monitor.sheet_names(),
        [
            "Let op",
            "Kerncijfers",
            "Trend",
            "Stadsdelen",
            "Arrangementen",
            "Producten",
            "Begroting",
            "Uitstroomredenen",
            "Ervaring",
            "Toelichting"
        ]
    );
    let kern = monitor.worksheet_range("Kerncijfers").expect("sheet");
    let row = |label: &str| {
        kern.rows().find(|r| r.get(1).is_some_and(|c| *c == label)).unwrap_or_else(|| panic!("{label}")).to_vec()
    };
    // The fixtures have a handful of clients: a secret for the council.
    assert_eq!(row("Cliënten met ondersteuning")[2], Data::String(".".into()));
    let gedeclareerd = read_table(&deployment.config.paths.lake().join("kpi_wmo/periode=2019-Q3"));
    let euro: Decimal = value(&gedeclareerd[0], "gedeclareerd").parse().expect("an amount");
    // Excel keeps a double; to the cent it is the lake's exact amount.
    let Data::Float(shown) = row("Gedeclareerd")[2] else { panic!("money as a number") };
    let shown = Decimal::try_from(shown).expect("a finite number").round_dp(2);
    assert_eq!(shown, euro, "money is exact to the cent");

    let pack = packs(&folder, "xlsx").into_iter().find(|p| p.to_string_lossy().contains("75284015")).expect("pack");
    let mut pack = workbook(&pack);
    assert!(pack.sheet_names().contains(&"Opvolging declaraties".to_string()), "{:?}", pack.sheet_names());
    let kern = pack.worksheet_range("Kerncijfers").expect("sheet");
    let kpi = read_table(&deployment.config.paths.lake().join("kpi_aanbieder/periode=2019-Q3"));
    let own = kpi.iter().find(|r| value(r, "aanbieder_agb") == "75284015").expect("kpi row");
    let clienten: f64 = value(own, "clienten").parse().expect("a count");
    let cell = kern.rows().find(|r| r[1] == "Cliënten").expect("Cliënten")[2].clone();
    assert_eq!(cell, Data::Float(clienten), "packs show exact counts");
    let tevreden = kern.rows().find(|r| r[1] == "Tevredenheid").expect("Tevredenheid")[2].clone();
    assert_eq!(tevreden, Data::String("te weinig waarnemingen".into()), "the fixtures have fewer than 5 respondents");
}

#[test]
fn the_rendered_reports_match_their_golden_files() {
    let deployment = fixture_published();
    let folder = out(&deployment, "2019-Q3");
    let monitor = std::fs::read_to_string(folder.join("monitor-sociaal-domein-2019-Q3.html")).expect("monitor");
    insta::assert_snapshot!("monitor_2019_q3", monitor);
    let pack = std::fs::read_to_string(folder.join("aanbieders/prestatiedialoog-75284015-2019-Q3.html")).expect("pack");
    insta::assert_snapshot!("pack_75284015_2019_q3", pack);
    let index = std::fs::read_to_string(folder.join("index.html")).expect("index");
    insta::assert_snapshot!("index_2019_q3", index);
}

#[test]
fn templates_from_a_folder_change_a_report_without_a_rebuild() {
    let deployment = fixture_published();
    let reports = deployment.config.paths.out.parent().expect("root").join("reports");
    std::fs::create_dir_all(&reports).expect("reports");
    for (name, text) in wmo_monitor::publish::source::EMBEDDED {
        std::fs::write(reports.join(name), text).expect("copy");
    }
    let pakket = std::fs::read_to_string(reports.join("pakket.html")).expect("pakket");
    std::fs::write(reports.join("pakket.html"), pakket.replace("In één oogopslag", "Samenvatting voor het gesprek"))
        .expect("edit");
    let mut config = deployment.config.clone();
    config.paths.reports = Some(reports.clone());
    publish::publish(&config, &fixed("2019-Q3")).expect("publish");
    let pack =
        std::fs::read_to_string(out(&deployment, "2019-Q3").join("aanbieders/prestatiedialoog-75284015-2019-Q3.html"))
            .expect("pack");
    assert!(pack.contains("Samenvatting voor het gesprek") && !pack.contains("In één oogopslag"));

    // A template that does not parse is named, with its line.
    std::fs::write(
        reports.join("monitor.html"),
        "{% extends \"basis.html\" %}\n{% block inhoud %}{{ rapport.titel }\n",
    )
    .expect("break");
    let error = publish::publish(&config, &fixed("2019-Q3")).expect_err("a broken template").to_string();
    assert!(error.contains("monitor.html") && error.contains("line 2"), "{error}");
    // The published period is still the previous, whole one.
    assert!(out(&deployment, "2019-Q3").join("monitor-sociaal-domein-2019-Q3.html").exists());
}

#[test]
fn a_report_table_is_reworded_and_its_columns_changed_from_the_reports_folder_and_checked_first() {
    let deployment = fixture_published();
    let reports = deployment.config.paths.out.parent().expect("root").join("rapporten");
    std::fs::create_dir_all(&reports).expect("reports");
    for (name, text) in wmo_monitor::publish::source::EMBEDDED {
        std::fs::write(reports.join(name), text).expect("copy");
    }
    let tabellen = std::fs::read_to_string(reports.join("tabellen.toml")).expect("tabellen.toml");
    let reworded = tabellen
        .replace(r#"titel = "Stadsdelen""#, r#"titel = "Wijken van de stad""#)
        .replace("    { naam = \"Inwoners\", kolom = \"inwoners\", soort = \"aantal\" },\n", "");
    assert_ne!(reworded, tabellen);
    std::fs::write(reports.join("tabellen.toml"), &reworded).expect("edit");
    let mut config = deployment.config.clone();
    config.paths.reports = Some(reports.clone());
    publish::publish(&config, &fixed("2019-Q3")).expect("publish");
    let monitor = std::fs::read_to_string(out(&deployment, "2019-Q3").join("monitor-sociaal-domein-2019-Q3.html"))
        .expect("monitor");
    let section = &monitor[monitor.find(r#"<section id="stadsdelen">"#).expect("the table")..];
    let section = &section[..section.find("</section>").expect("its end")];
    assert!(section.contains("<h2>Wijken van de stad</h2>"), "{section}");
    assert!(!section.contains(">Inwoners</th>") && section.contains(">Cliënten</th>"), "{section}");

    // A column the kpi table does not have stops publish before anything is written, with the file and the name.
    std::fs::write(reports.join("tabellen.toml"), reworded.replace(r#"kolom = "bedrag""#, r#"kolom = "bedragg""#))
        .expect("misspell");
    let error = publish::publish(&config, &fixed("2019-Q3")).expect_err("a misspelt column").to_string();
    assert!(
        error.contains("tabellen.toml in")
            && error.contains("table opvolging of [[pakket]]: bron kpi_opvolging has no column bedragg"),
        "{error}"
    );
    assert!(out(&deployment, "2019-Q3").join("monitor-sociaal-domein-2019-Q3.html").exists(), "the period stays whole");

    // So does a source that is no kpi table, and a figure of indicatoren.toml that names no column.
    std::fs::write(
        reports.join("tabellen.toml"),
        reworded.replacen(r#"bron = "kpi_matrix""#, r#"bron = "kpi_matrixx""#, 1),
    )
    .expect("misspell the source");
    let error = publish::publish(&config, &fixed("2019-Q3")).expect_err("a misspelt source").to_string();
    assert!(error.contains("table matrix of [[monitor]]: bron kpi_matrixx is no kpi table or view"), "{error}");
    std::fs::write(reports.join("tabellen.toml"), &reworded).expect("restore");
    let indicatoren = std::fs::read_to_string(reports.join("indicatoren.toml")).expect("indicatoren.toml");
    std::fs::write(
        reports.join("indicatoren.toml"),
        indicatoren.replacen(r#"kolom = "instroom""#, r#"kolom = "instrom""#, 1),
    )
    .expect("misspell a figure");
    let error = publish::publish(&config, &fixed("2019-Q3")).expect_err("a misspelt figure").to_string();
    assert!(
        error.contains("indicatoren.toml") && error.contains("instrom") && error.contains("kpi_aanbieder"),
        "{error}"
    );
}

#[test]
fn a_pack_whose_declarations_are_incomplete_says_so_first_and_raises_no_point_on_money() {
    let deployment = demo_published();
    let folder = out(deployment, "2019-Q4");
    let catalogue = wmo_monitor::publish::catalogue::Catalogue::load(&wmo_monitor::publish::ReportSource::Embedded)
        .expect("indicatoren.toml");
    let money: Vec<&str> = catalogue.pakket.iter().filter(|f| f.declaraties).map(|f| f.label.as_str()).collect();
    assert!(money.len() >= 4, "{money:?}");
    let mut incomplete = 0;
    for pack in packs(&folder, "html") {
        let html = std::fs::read_to_string(&pack).expect("pack");
        let Some(note) = html.find(r#"<section id="volledigheid""#) else { continue };
        incomplete += 1;
        assert!(note < html.find(r#"<section id="kerncijfers">"#).expect("tiles"), "the note comes first");
        let note_text = &html[note..note + html[note..].find("</section>").expect("its end")];
        assert!(
            note_text.contains("zijn niet compleet: voor") || note_text.contains("Nog niet alle declaraties"),
            "{note_text}"
        );
        let points = &html[html.find(r#"<section id="bespreken">"#).expect("points")..];
        let points = &points[..points.find("</section>").expect("its end")];
        for label in &money {
            assert!(!points.contains(&format!("{label}:")), "{}: a point on {label}: {points}", pack.display());
        }
        // The workbook opens with the same note.
        let mut workbook: Xlsx<_> = open_workbook(pack.with_extension("xlsx")).expect("workbook");
        assert_eq!(workbook.sheet_names().first().map(String::as_str), Some("Let op"), "{}", pack.display());
        let sheet = workbook.worksheet_range("Let op").expect("the sheet");
        let first = sheet.get((1, 0)).map(|c| c.to_string()).unwrap_or_default();
        assert!(note_text.contains(&first), "{first}");
    }
    assert!(incomplete >= 1, "the demo has a provider whose declarations are not all in");
}

#[test]
fn a_pack_names_the_month_missing_and_the_file_refused_whole_with_its_reason() {
    let deployment = Deployment::new().with_all_fixtures();
    // July's declaration of provider 75284015, with both BSNs mistyped: every client refused, so the file.
    let july = crate::support::fixture_text("inbox/wmo323.xml")
        .replace("2019-04-30", "2019-07-31")
        .replace("2019-04", "2019-07")
        .replace("2019-05-06", "2019-08-06")
        .replace("999911144", "999911145")
        .replace("999925994", "999925995")
        .replace("D2019050001", "D2019080001");
    deployment.inbox("juli.xml", july);
    deployment.ingest();
    compute::compute(&deployment.config, &ComputeOptions { as_of: Some(SEPTEMBER_30), ..Default::default() })
        .expect("compute");
    publish::publish(&deployment.config, &fixed("2019-Q3")).expect("publish");
    let pack = out(&deployment, "2019-Q3").join("aanbieders/prestatiedialoog-75284015-2019-Q3.html");
    let html = std::fs::read_to_string(&pack).expect("pack");
    assert!(html.contains("voor juli 2019 is geen declaratie verwerkt"), "{html}");
    assert!(
        html.contains("1 declaratiebestand is in zijn geheel geweigerd: een BSN klopt niet (elfproef) (BSN-01)."),
        "{html}"
    );
    let mut workbook: Xlsx<_> = open_workbook(pack.with_extension("xlsx")).expect("workbook");
    let sheet = workbook.worksheet_range("Let op").expect("the note's sheet");
    let texts: Vec<String> = (1..4).filter_map(|row| sheet.get((row, 0)).map(|c| c.to_string())).collect();
    assert!(texts.iter().any(|t| t.contains("(BSN-01)")), "{texts:?}");
}

#[test]
fn points_for_the_dialogue_only_where_a_difference_matters_and_none_for_a_very_small_provider() {
    let deployment = demo_published();
    let folder = out(deployment, "2019-Q4");
    // Dutch figures as shown: "1.234", "12,5%", "€ 131", "3,5".
    let number = |text: &str| -> Option<Decimal> {
        let plain: String = text.chars().filter(|c| c.is_ascii_digit() || *c == ',' || *c == '-').collect();
        plain.replace(',', ".").parse().ok()
    };
    let (mut small, mut compared) = (0, 0);
    for pack in packs(&folder, "html") {
        let html = std::fs::read_to_string(&pack).expect("pack");
        let tile = &html[html.find(r#"id="tegel-clienten""#).expect("the clients tile")..];
        let value = &tile[tile.find(r#"<div class="waarde">"#).expect("its value") + 20..];
        let clienten = number(&value[..value.find('<').expect("end")]).expect("a count");
        let points = &html[html.find(r#"<section id="bespreken">"#).expect("points")..];
        let points = &points[..points.find("</section>").expect("end")];
        if clienten < Decimal::from(10) {
            small += 1;
            assert!(!points.contains("driekwart"), "{}: a small provider compared: {points}", pack.display());
            assert!(
                html.contains("Minder dan 5 aanbieders hebben hier een waarde"),
                "{}: no comparison table",
                pack.display()
            );
            continue;
        }
        for point in points.split("<li").filter(|p| p.contains("driekwart")) {
            compared += 1;
            let own =
                number(point[point.find(": ").expect("value") + 2..].split(", ").next().expect("own")).expect("own");
            let median = number(&point[point.find("(mediaan ").expect("median") + 9..]).expect("median");
            assert!((own - median).abs() * Decimal::from(10) >= median.abs(), "{}: noise: {point}", pack.display());
        }
    }
    assert!(small > 0 && compared > 0, "the demo has small providers ({small}) and compared points ({compared})");
}

#[test]
fn a_sparkline_keeps_a_swing_between_0_and_1_small_and_a_real_change_large() {
    use wmo_monitor::publish::charts::{SPARKLINE, sparkline_shape};
    use wmo_monitor::publish::disclosure::{Soort, Waarde};
    let spread = |values: &[i64]| {
        let waarden: Vec<Waarde> = values.iter().map(|n| Waarde::getoond(Decimal::from(*n), Soort::Aantal)).collect();
        let shape = sparkline_shape(&waarden).expect("a line");
        let ys: Vec<f64> = shape.segments.iter().flatten().map(|(_, y)| *y).collect();
        let (low, high) = ys.iter().fold((f64::MAX, f64::MIN), |(l, h), y| (l.min(*y), h.max(*y)));
        (high - low) / SPARKLINE.1
    };
    assert!(spread(&[0, 1, 0, 1]) < 0.15, "{}", spread(&[0, 1, 0, 1]));
    assert!(spread(&[0, 40, 80]) > 0.6, "{}", spread(&[0, 40, 80]));
}

#[test]
fn workbook_rates_and_shares_are_rounded_as_the_page_shows_them() {
    let deployment = demo_published();
    let folder = out(deployment, "2019-Q4");
    let mut workbooks = packs(&folder, "xlsx");
    workbooks.push(folder.join("monitor-sociaal-domein-2019-Q4.xlsx"));
    let (mut rates, mut pack_shares) = (0, 0);
    for path in &workbooks {
        for (sheet, header, cell) in workbook_cells(path) {
            let per_1000 = sheet == "Stadsdelen" && header.contains("1.000");
            let eens = sheet == "Ervaring" && header == "Eens";
            let Data::Float(value) = cell else { continue };
            if per_1000 || eens {
                rates += 1;
                pack_shares += usize::from(eens && path.to_string_lossy().contains("prestatiedialoog"));
                // One decimal as shown: 12,3 per 1.000, or 66,7% (0.667 in the sheet).
                let tenths = if eens { value * 1000.0 } else { value * 10.0 };
                assert!((tenths - tenths.round()).abs() < 1e-6, "{}: {sheet} {header}: {value}", path.display());
            }
        }
    }
    // And a pack's own percentages, exact in the lake (uitstroom_pct has 14 decimals there).
    let catalogue = wmo_monitor::publish::catalogue::Catalogue::load(&wmo_monitor::publish::ReportSource::Embedded)
        .expect("indicatoren.toml");
    let percentages: Vec<&str> = catalogue
        .pakket
        .iter()
        .filter(|f| f.soort == wmo_monitor::publish::disclosure::Soort::Procent)
        .map(|f| f.label.as_str())
        .collect();
    for path in packs(&folder, "xlsx") {
        let mut book = workbook(&path);
        let range = book.worksheet_range("Kerncijfers").expect("Kerncijfers");
        for row in range.rows().skip(1) {
            let (Some(label), Some(Data::Float(value))) = (row.get(1), row.get(2)) else { continue };
            if percentages.contains(&label.to_string().as_str()) {
                pack_shares += 1;
                let tenths = value * 1000.0;
                assert!((tenths - tenths.round()).abs() < 1e-6, "{}: {label}: {value}", path.display());
            }
        }
    }
    assert!(rates > 5 && pack_shares > 5, "the demo has rates and shares ({rates}, {pack_shares} in packs)");
}

#[test]
fn the_trend_chart_has_a_visible_title_an_axis_that_shows_the_change_and_whole_labels() {
    use wmo_monitor::publish::charts::lijn;
    use wmo_monitor::publish::disclosure::{Soort, Waarde};
    let waarden: Vec<Waarde> =
        [5180, 5200, 5240].iter().map(|n| Waarde::getoond(Decimal::from(*n), Soort::Aantal)).collect();
    let perioden: Vec<String> = ["2019-Q2", "2019-Q3", "2019-Q4"].map(String::from).to_vec();
    let svg = lijn(&waarden, &perioden, "Cliënten per kwartaal");
    assert!(
        svg.contains(r##"font-weight="600" fill="#1f3a5f">Cliënten per kwartaal</text>"##),
        "a visible title: {svg}"
    );
    // The axis starts at the lowest value, labelled with its published text; no 0 to flatten the line.
    assert!(svg.contains(">5.180</text>") && svg.contains(">5.240</text>") && !svg.contains(">0</text>"), "{svg}");
    // The last period's label stands whole inside the picture (centred on its x, 520 wide).
    let last = svg.rfind(">2019-Q4</text>").expect("the last label");
    let x: f64 =
        svg[..last].rsplit("x=\"").next().and_then(|t| t.split('"').next()).and_then(|t| t.parse().ok()).expect("x");
    assert!(x + 22.0 <= 520.0, "x = {x}");
    // A figure that does swing widely keeps its axis from 0.
    let wide: Vec<Waarde> = [10, 400].iter().map(|n| Waarde::getoond(Decimal::from(*n), Soort::Aantal)).collect();
    assert!(lijn(&wide, &perioden[..2], "t").contains(">0</text>"));
}

#[test]
fn every_file_of_reports_is_built_in() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
        .expect("reports/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = wmo_monitor::publish::source::EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

#[test]
fn publishing_a_period_that_was_not_computed_says_what_to_run() {
    let deployment = fixture_published();
    let error = publish::publish(&deployment.config, &fixed("2019-Q4")).expect_err("not computed").to_string();
    assert_eq!(error, "the lake has no figures for 2019-Q4: run `wmo-monitor compute --periode 2019-Q4` first");

    // A lake that was never computed, or never even ingested into.
    let empty = crate::support::Deployment::new();
    std::fs::create_dir_all(&empty.config.paths.inbox).expect("inbox");
    for step in ["empty", "ingested"] {
        let error = publish::publish(&empty.config, &Default::default()).expect_err(step).to_string();
        assert!(error.contains("no computed figures yet") && error.contains("compute --all"), "{step}: {error}");
        assert!(!error.contains("datafusion"), "{step}: {error}");
        empty.ingest();
    }
}

pub mod deliver {
    //! `deliver`: the mails of a published period, into the outbox, exactly once.

    use super::{fixed, fixture_published, out};
    use crate::support::read_table;
    use mailparse::MailHeaderMap;
    use std::path::{Path, PathBuf};
    use wmo_monitor::deliver::{self, DeliverOptions};
    use wmo_monitor::publish;

    fn emls(folder: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
            .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
    }

    /// (To, Subject, [(attachment name, bytes)]) of a mail file, parsed as a mail client would.
    pub fn parse(path: &Path) -> (String, String, Vec<(String, Vec<u8>)>) {
        let bytes = std::fs::read(path).expect("eml");
        let mail = mailparse::parse_mail(&bytes).expect("valid MIME");
        let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_else(|| panic!("{name}"));
        let mut attachments = Vec::new();
        for part in mail.parts() {
            let disposition = part.get_content_disposition();
            if let Some(name) = disposition.params.get("filename") {
                attachments.push((name.clone(), part.get_body_raw().expect("attachment body")));
            }
        }
        let alternatives = mail.subparts.first().map(|p| p.ctype.mimetype.clone());
        assert_eq!(alternatives.as_deref(), Some("multipart/alternative"), "plain text and HTML first");
        (header("To"), header("Subject"), attachments)
    }

    #[test]
    fn each_contract_manager_and_the_council_get_one_mail_with_the_reports_as_published() {
        let deployment = fixture_published();
        let done = deliver::deliver(&deployment.config, &DeliverOptions::default()).expect("deliver");
        assert_eq!(done.mails, 2, "{done}");
        let reports = out(&deployment, "2019-Q3");
        let outbox = deployment.config.paths.out.join("outbox/2019-Q3");
        let mails: Vec<_> = emls(&outbox).iter().map(|p| parse(p)).collect();
        assert_eq!(mails.len(), 2);
        let (to, subject, attachments) =
            mails.iter().find(|m| m.0 == "cm.015@zwolle.example").expect("the contract manager of 75284015");
        assert_eq!(subject, "Prestatiedialoog 3e kwartaal 2019: Coöperatie Wijkkracht", "{to}");
        let names: Vec<&str> = attachments.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["prestatiedialoog-75284015-2019-Q3.html", "prestatiedialoog-75284015-2019-Q3.xlsx"]);
        for (name, bytes) in attachments {
            assert_eq!(bytes, &std::fs::read(reports.join("aanbieders").join(name)).expect("report"), "{name}");
        }
        let (_, subject, attachments) = mails.iter().find(|m| m.0 == "raad@zwolle.example").expect("the council");
        assert_eq!(subject, "Monitor Sociaal Domein Wmo Zwolle, 3e kwartaal 2019");
        for (name, bytes) in attachments {
            assert_eq!(bytes, &std::fs::read(reports.join(name)).expect("report"), "{name}");
        }

        // The ledger makes it once: a second run sends nothing.
        let again = deliver::deliver(&deployment.config, &DeliverOptions::default()).expect("deliver");
        assert_eq!((again.mails, again.al_verzonden), (0, 2), "{again}");
        assert_eq!(emls(&outbox).len(), 2);
        assert_eq!(read_table(&deployment.config.paths.lake().join("verzendingen")).len(), 2);

        // A re-published report (another version) goes out again only with --resend.
        let reports_folder = deployment.config.paths.out.parent().expect("root").join("reports");
        std::fs::create_dir_all(&reports_folder).expect("reports");
        for (name, text) in wmo_monitor::publish::source::EMBEDDED {
            std::fs::write(reports_folder.join(name), text.replace("In één oogopslag", "Kort")).expect("copy");
        }
        let mut config = deployment.config.clone();
        config.paths.reports = Some(reports_folder);
        publish::publish(&config, &fixed("2019-Q3")).expect("publish again");
        let waiting = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
        assert_eq!(waiting.mails, 0, "{waiting}");
        assert_eq!(waiting.nieuwere_versie, ["cm.015@zwolle.example"], "only the pack changed");
        let resent =
            deliver::deliver(&config, &DeliverOptions { resend: true, ..Default::default() }).expect("deliver");
        assert_eq!(resent.mails, 1, "{resent}");
        assert_eq!(emls(&outbox).len(), 3);
    }

    #[test]
    fn a_sparkline_png_draws_the_shown_values_and_leaves_a_gap_for_a_hidden_one() {
        use wmo_monitor::publish::disclosure::{Soort, Waarde};
        let count = |n: i64| Waarde::getoond(n.into(), Soort::Aantal);
        let trend = [count(10), count(20), Waarde::leeg(Soort::Aantal), count(40)];
        let png = publish::png::sparkline(&trend).expect("drawn").expect("values to show");
        let image = tiny_skia::Pixmap::decode_png(&png).expect("a valid PNG");
        assert_eq!((image.width(), image.height()), (320, 80), "160 x 40 at twice the density");
        let ink = |x: u32, y: u32| {
            let p = image.pixel(x, y).expect("inside");
            // The ink is #1f3a5f; an edge pixel is blended with the white.
            p.alpha() == 255 && p.red() < 0x80 && p.blue() < 0xb0
        };
        // The scale runs from 0 (y 36) to 40 (y 4) over x 4..156, in SVG units: the
        // last value, 40, is a dot at (156, 4); 10 and 20 are joined by a line.
        assert!(ink(312, 8), "the dot of the latest value");
        assert!(ink(2 * 4, 2 * 28) && ink(2 * 54, 2 * 20), "the line from 10 to 20");
        assert!(!ink(2 * 105, 2 * 12), "no line into or out of the hidden value");
        assert!(!ink(2, 2), "white elsewhere");
        let hidden = [Waarde::leeg(Soort::Aantal), Waarde::leeg(Soort::Aantal)];
        assert!(publish::png::sparkline(&hidden).expect("nothing to draw").is_none());
    }

    /// The HTML body of a mail, and its inline images as (Content-ID, bytes).
    fn html_and_inline_images(path: &Path) -> (String, Vec<(String, Vec<u8>)>) {
        let bytes = std::fs::read(path).expect("eml");
        let mail = mailparse::parse_mail(&bytes).expect("valid MIME");
        let (mut html, mut images) = (String::new(), Vec::new());
        for part in mail.parts() {
            match part.ctype.mimetype.as_str() {
                "text/html" if !part.get_content_disposition().params.contains_key("filename") => {
                    html = part.get_body().expect("html body");
                }
                "image/png" => {
                    let id = part.headers.get_first_value("Content-ID").expect("an inline image has a Content-ID");
                    assert_eq!(part.get_content_disposition().disposition, mailparse::DispositionType::Inline);
                    images.push((id.trim_matches(['<', '>']).to_string(), part.get_body_raw().expect("png")));
                }
                _ => {}
            }
        }
        (html, images)
    }

    #[test]
    fn the_mail_body_shows_each_headline_figure_with_its_trend_as_an_inline_png() {
        let deployment = fixture_published();
        deliver::deliver(&deployment.config, &DeliverOptions::default()).expect("deliver");
        let reports = out(&deployment, "2019-Q3");
        let outbox = deployment.config.paths.out.join("outbox/2019-Q3");
        let manager = emls(&outbox)
            .into_iter()
            .find(|p| parse(p).0 == "cm.015@zwolle.example")
            .expect("the contract manager's mail");
        let (html, images) = html_and_inline_images(&manager);
        let summary = publish::summary::Samenvatting::read(&reports).expect("summary");
        let pack = &summary.pakketten[0];
        let charted: Vec<&str> =
            pack.kerncijfers.iter().filter(|k| !k.grafiek.is_empty()).map(|k| k.grafiek.as_str()).collect();
        assert!(!charted.is_empty(), "the headline figures have trends");
        assert_eq!(images.len(), charted.len(), "one image per charted figure");
        for ((id, png), grafiek) in images.iter().zip(&charted) {
            assert_eq!(png, &std::fs::read(reports.join(grafiek)).expect("published chart"), "{grafiek}");
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{grafiek} is a PNG");
            assert!(html.contains(&format!("src=\"cid:{id}\"")), "the HTML shows {id}");
        }
        assert!(!html.contains("<svg"), "no SVG in a mail body");
        let (_, _, attachments) = parse(&manager);
        assert_eq!(attachments.len(), 2, "the charts are inline, not attachments");
        // The pack's note comes along: July's declaration is missing in the fixtures.
        assert!(
            html.contains("<strong>Let op:</strong> De declaraties over het 3e kwartaal 2019 zijn niet compleet"),
            "{html}"
        );
        // And its points for the dialogue, as the pack words them.
        let mut with_points = pack.clone();
        with_points.punten =
            vec!["Vraag naar: Uitval: 30,0%, hoger dan bij driekwart van de aanbieders (mediaan 10,0%).".into()];
        let mail = deliver::mail::contract_manager(
            &reports,
            &summary,
            "wmo@zwolle.example",
            "cm@zwolle.example",
            &[&with_points],
        )
        .expect("a mail");
        let written = tempfile::tempdir().expect("a folder").keep().join("met-punten.eml");
        std::fs::write(&written, mail.message.formatted()).expect("write the mail");
        let (html, _) = html_and_inline_images(&written);
        assert!(
            html.contains("<p>Om te bespreken:</p><ul><li>Vraag naar: Uitval: 30,0%, hoger dan bij driekwart"),
            "{html}"
        );
    }

    #[test]
    fn addresses_outside_the_allowed_domains_are_refused_and_a_dry_run_records_nothing() {
        let deployment = fixture_published();
        let mut config = deployment.config.clone();
        config.deliver.raad = vec!["raad@zwolle.example".into(), "pers@krant.example".into()];
        let dry = deliver::deliver(&config, &DeliverOptions { dry_run: true, ..Default::default() }).expect("dry run");
        assert_eq!(dry.geweigerd, ["pers@krant.example"], "{dry}");
        assert_eq!(dry.mails, 2);
        let proef = emls(&deployment.config.paths.out.join("outbox/proef/2019-Q3"));
        assert_eq!(proef.len(), 2);
        for path in &proef {
            let (to, _, attachments) = parse(path);
            assert!(!to.contains("krant.example"), "{to}");
            assert_eq!(attachments.len(), 2);
        }
        assert!(!deployment.config.paths.lake().join("verzendingen").exists(), "a dry run records nothing");
        assert!(emls(&deployment.config.paths.out.join("outbox/2019-Q3")).is_empty());

        config.deliver.toegestane_domeinen = vec!["elders.example".into()];
        let none = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
        assert_eq!(none.mails, 0);
        assert_eq!(none.geweigerd.len(), 3, "{none}");
    }
}

#[test]
fn the_demo_has_movers_unlisted_stop_codes_and_a_line_declared_in_advance() {
    let deployment = demo_published();
    let lake = deployment.config.paths.lake();
    let mut postcodes: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for row in read_table(&lake.join("toewijzingen")) {
        postcodes.entry(value(&row, "client_pseudoniem")).or_default().insert(value(&row, "postcode4"));
    }
    assert!(postcodes.values().filter(|p| p.len() > 1).count() >= 3, "clients who move");
    let unlisted = read_table(&lake.join("zorgmeldingen"))
        .iter()
        .filter(|r| value(r, "reden_beeindiging") == wmo_monitor::demo::population::UNLISTED_STOP_REASON)
        .count();
    assert!(unlisted >= 1, "stops with a RedenBeeindiging outside the list");
    let advance: Vec<String> = read_table(&lake.join("declaratieregels"))
        .iter()
        .filter(|r| value(r, "dagtekening") < value(r, "product_begin"))
        .map(|r| value(r, "product_begin"))
        .collect();
    assert!(!advance.is_empty(), "a line declared before its product period");
    let years: Vec<String> = std::fs::read_dir(lake.join("kpi_begroting"))
        .expect("kpi_begroting")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(years.contains(&"jaar=2019".to_string()), "{years:?}");
    assert!(!years.contains(&"jaar=2020".to_string()), "the advance line does not count yet: {years:?}");
}
