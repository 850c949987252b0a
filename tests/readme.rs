//! The README documents what the code does.

const README: &str = include_str!("../README.md");

#[test]
fn readme_shows_the_lake_schema_as_the_tables_command_prints_it() {
    let begin = README.find("<!-- tables:begin -->\n").expect("begin marker") + "<!-- tables:begin -->\n".len();
    let end = README.find("<!-- tables:end -->").expect("end marker");
    assert_eq!(
        &README[begin..end],
        wmo_monitor::lake::schema::markdown(),
        "run `wmo-monitor tables` and paste it into the README"
    );
}

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
