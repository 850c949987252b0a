//! The README documents what the code does.

pub const README: &str = include_str!("../README.md");
const TABLES: &str = include_str!("../docs/tables.md");

#[test]
fn docs_tables_shows_the_catalogue_as_the_tables_command_prints_it() {
    let begin = TABLES.find("<!-- tables:begin -->\n").expect("begin marker") + "<!-- tables:begin -->\n".len();
    let end = TABLES.find("<!-- tables:end -->").expect("end marker");
    let config = wmo_monitor::Config::load(None).expect("defaults");
    assert_eq!(
        &TABLES[begin..end],
        wmo_monitor::engine::describe::markdown(&config).expect("catalogue"),
        "run `wmo-monitor tables` and paste it into docs/tables.md"
    );
}

/// Every file of the repository is named in its folder's row of the README's Layout table.
#[test]
fn readme_layout_names_every_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let layout = &README[README.find("## Layout").expect("a Layout section")..];
    let layout = &layout[..layout.find("\n### ").expect("the end of the table")];
    let row = |folder: &str| -> &str {
        let start = layout.find(&format!("| `{folder}` |")).unwrap_or_else(|| panic!("no row for {folder}"));
        layout[start..].lines().next().unwrap_or_default()
    };
    let mut missing = Vec::new();
    for folder in [
        "pipeline/",
        "pipeline/ingest/",
        "pipeline/lake/",
        "pipeline/engine/",
        "pipeline/analyst/",
        "pipeline/compute/",
        "pipeline/publish/",
        "pipeline/deliver/",
        "pipeline/schedule/",
        "pipeline/demo/",
        "pipeline/sql_server/",
        "queries/staging/",
        "queries/marts/",
        "queries/signals/",
        "reports/",
        "schedules/",
        "docs/",
        "tests/",
        "tests/clients/",
        "benches/",
        "scripts/",
    ] {
        let line = row(folder);
        for entry in std::fs::read_dir(root.join(folder)).expect("the folder") {
            let entry = entry.expect("an entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || entry.path().is_dir() {
                continue;
            }
            if !line.contains(&format!("`{name}`")) {
                missing.push(format!("{folder}{name}"));
            }
        }
    }
    assert!(missing.is_empty(), "the README's Layout table does not name: {missing:?}");
}

#[test]
fn every_view_and_kpi_column_is_described_and_indicators_md_names_are_kept() {
    let config = wmo_monitor::Config::load(None).expect("defaults");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let entries = runtime.block_on(wmo_monitor::engine::describe::catalogue(&config)).expect("catalogue");
    for entry in &entries {
        assert!(!entry.description.is_empty(), "{} has no description", entry.name);
        for (column, _, doc) in &entry.columns {
            assert!(!doc.is_empty(), "{}.{column} has no description in its SQL header", entry.name);
        }
    }
    // Every column indicators.md names is there, under its name.
    let named = [
        ("kpi_aanbieder", INDICATORS_KPI_AANBIEDER),
        ("kpi_wmo", INDICATORS_KPI_WMO),
        ("kpi_stadsdeel", &["periode", "stadsdeel", "cbs_groep", "clienten", "clienten_per_1000"]),
        (
            "kpi_arrangement",
            &[
                "periode",
                "productcode",
                "clienten",
                "gedeclareerd",
                "model",
                "resultaatgebieden",
                "type",
                "intensiteit",
            ],
        ),
        ("kpi_uitstroomreden", &["periode", "aanbieder_agb", "eindcategorie", "trajecten"]),
        ("kpi_ervaring", &["periode", "aanbieder_agb", "vraag", "antwoorden", "eens_pct"]),
        (
            "kpi_begroting",
            &[
                "jaar",
                "begroting",
                "gerealiseerd",
                "maanden_met_data",
                "prognose",
                "besparing_prognose",
                "besparing_behoudend",
                "besparing_gemiddeld",
                "besparing_optimaal",
            ],
        ),
    ];
    for (table, columns) in named {
        let entry = entries.iter().find(|e| e.name == table).unwrap_or_else(|| panic!("{table} is missing"));
        for column in columns {
            assert!(entry.columns.iter().any(|(c, _, _)| c == column), "{table} lacks {column}");
        }
    }
}

const INDICATORS_KPI_AANBIEDER: &[&str] = &[
    "periode",
    "periode_begin",
    "periode_eind",
    "aanbieder_agb",
    "clienten",
    "clienten_begin",
    "instroom",
    "uitstroom",
    "uitstroom_pct",
    "doorstroom_lichter",
    "doorstroom_zwaarder",
    "doorstroom_gelijk",
    "omklap",
    "afschaling_pct",
    "uitstroom_volgens_plan_pct",
    "uitval_pct",
    "herhaald_beroep_pct",
    "mediane_duur_dagen",
    "mediane_wachttijd_dagen",
    "gedeclareerd",
    "verwacht",
    "gedeclareerd_vs_verwacht_pct",
    "kosten_per_client_per_maand",
    "onrechtmatig_bedrag",
    "onrechtmatig_regels",
    "dubbel_bedrag",
    "dubbel_regels",
    "respondenten",
    "tevredenheid_pct",
    "rapportcijfer_gem",
    "evaluaties_eind",
    "doelrealisatie_volledig_pct",
    "doelrealisatie_gedeeltelijk_pct",
    "doelrealisatie_niet_pct",
];

const INDICATORS_KPI_WMO: &[&str] = &[
    "periode",
    "clienten",
    "instroom",
    "uitstroom",
    "doorstroom_lichter",
    "doorstroom_zwaarder",
    "doorstroom_gelijk",
    "omklap",
    "gedeclareerd",
    "verwacht",
    "onrechtmatig_bedrag",
    "clienten_per_1000",
    "overstappen",
    "respondenten",
    "tevredenheid_pct",
    "rapportcijfer_gem",
    "doelrealisatie_volledig_pct",
    "doelrealisatie_gedeeltelijk_pct",
    "doelrealisatie_niet_pct",
    "aanbieders_actief",
    "aanbieders_zonder_clienten",
    "aanbieders_1_10",
    "aanbieders_meer_dan_10",
    "aanbieders_97pct",
    "b1_aandeel_1_2_gebieden_pct",
    "b2_intensiteit_omlaag",
    "b3_naar_voorliggend",
    "b4_aandeel_maatwerk_pct",
    "b4_maatwerk_kosten_pct",
    "b5_activerend_naar_ondersteunend",
];

#[test]
fn readme_lists_every_validation_rule() {
    for rule in wmo_monitor::ingest::rules::ALL {
        assert!(README.contains(&format!("| `{}` |", rule.id)), "the README does not list {}", rule.id);
    }
}

#[test]
fn readme_shows_the_embedded_default_configuration() {
    for line in wmo_monitor::config::DEFAULT_TOML.lines().filter(|l| l.contains('=') && !l.starts_with('#')) {
        assert!(README.contains(line), "the README lacks the default line {line:?}");
    }
}
