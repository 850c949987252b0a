//! The period type: what users may type, its one text form, its dates and
//! which quarter a scheduled run reports on.

use chrono::NaiveDate;
use wmo_monitor::periode::Periode;

fn p(text: &str) -> Periode {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

#[test]
fn a_period_is_typed_freely_and_written_one_way() {
    assert_eq!(p(" 2019-q3 ").to_string(), "2019-Q3");
    assert_eq!(p("2019-H2").to_string(), "2019-H2");
    for wrong in
        ["2019-Q5", "2019-Q0", "2019-H3", "2019Q3", "19-Q3", "2019-Y1", "2019-Q3'", "２019-Q3", "2019-Q3 or 1=1"]
    {
        let error = wrong.parse::<Periode>().expect_err(wrong).to_string();
        assert!(error.contains("is not a period: write a quarter as 2019-Q3"), "{wrong}: {error}");
    }
}

#[test]
fn a_period_knows_its_dates_name_and_neighbours() {
    assert_eq!((p("2019-Q4").begin(), p("2019-Q4").eind()), (day(2019, 10, 1), day(2019, 12, 31)));
    assert_eq!((p("2020-H1").begin(), p("2020-H1").eind()), (day(2020, 1, 1), day(2020, 6, 30)));
    assert_eq!(p("2019-H2").naam(), "2e halfjaar 2019");
    assert_eq!(p("2019-Q1").naam(), "1e kwartaal 2019");
    assert_eq!(p("2020-Q1").vorige(), p("2019-Q4"));
    assert_eq!(p("2019-H2").volgende(), p("2020-H1"));
    let reeks: Vec<String> = p("2020-Q2").reeks_tot(3).iter().map(Periode::to_string).collect();
    assert_eq!(reeks, ["2019-Q4", "2020-Q1", "2020-Q2"]);
}

#[test]
fn periods_sort_by_start_then_length_not_by_text() {
    let mut perioden = [p("2019-Q2"), p("2019-H1"), p("2020-Q1"), p("2019-Q1"), p("2019-H2")];
    perioden.sort();
    let texts: Vec<String> = perioden.iter().map(Periode::to_string).collect();
    assert_eq!(texts, ["2019-Q1", "2019-H1", "2019-Q2", "2019-H2", "2020-Q1"]);
}
