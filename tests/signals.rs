//! The watch between the quarters (README, "Signals"): the monthly job finds
//! the signals, records them in the lake and mails each one once when it
//! appears and once when it is resolved, to the right contract manager and to
//! the Wmo team; a month with nothing new sends nothing.

use crate::support::Deployment;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use wmo_monitor::deliver::signaal_mail::{self, Item, Kop, Teksten};
use wmo_monitor::deliver::signalen::Melding;
use wmo_monitor::publish::ReportSource;
use wmo_monitor::schedule::definition::Job;
use wmo_monitor::signals::history::{Signaal, Status};
use wmo_monitor::signals::{self, SignalsOptions};
use wmo_monitor::{compute, demo, ingest, schedule};

const TEAM: &str = "wmo@zwolle.example";

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// Each provider's contract manager, from the demo's aanbieders.csv.
fn managers(deployment: &Deployment) -> BTreeMap<String, String> {
    let text = std::fs::read(deployment.config.paths.reference.join("aanbieders.csv")).expect("aanbieders.csv");
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&text);
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(';').collect();
            Some((cells.first()?.to_string(), cells.get(5)?.to_lowercase()))
        })
        .collect()
}

fn key(m: &Melding) -> (String, String, String) {
    (m.soort.clone(), m.aanbieder_agb.clone(), m.onderwerp.clone())
}

/// The Done-when of issue 17 on the demo deployment: one provider's December
/// declaration refused, one provider silent since November, trajectories past
/// EUR 25,000 and providers past 80% of their ceiling.
#[test]
fn the_monthly_job_mails_each_signal_once_when_it_appears_and_once_when_resolved() {
    let deployment = Deployment::new();
    let config = &deployment.config;
    demo::write(config, &demo::DemoOptions { seed: 2019, clients: 5500, show_progress: false }).expect("demo");
    ingest::ingest(config, &ingest::IngestOptions::default()).expect("ingest");
    compute::compute(config, &compute::ComputeOptions::default()).expect("compute");

    let first = signals::signals(config, &SignalsOptions::default()).expect("signals");
    assert_eq!(first.peildatum, day("2020-02-15"));
    let firing: Vec<&Signaal> = first.signalen.iter().filter(|s| s.status == Status::Nieuw).collect();
    assert_eq!(firing.len(), first.signalen.len(), "a first run finds only new signals");
    let fires = |soort: &str, test: &dyn Fn(&Signaal) -> bool| firing.iter().any(|s| s.soort == soort && test(s));
    assert!(fires("geweigerde_aanlevering", &|s| s.onderwerp == "2019-12" && s.waarde == 100.into()), "{firing:?}");
    assert!(fires("stille_aanbieder", &|s| s.onderwerp == "2019-11"), "{firing:?}");
    assert!(fires("dure_trajecten", &|s| s.waarde > 25_000.into()), "{firing:?}");
    assert!(fires("fictief_budgetplafond", &|s| s.onderwerp == "2019" && s.waarde > 80.into()), "{firing:?}");

    // Each signal went to its provider's contract manager once, and once to the team.
    let managers = managers(&deployment);
    let mut to_team = BTreeSet::new();
    let mut to_managers = BTreeSet::new();
    for melding in &first.delivered.meldingen {
        assert!(!melding.opgelost, "{melding:?}");
        let fresh = if melding.ontvanger == TEAM {
            to_team.insert(key(melding))
        } else {
            assert_eq!(Some(&melding.ontvanger), managers.get(&melding.aanbieder_agb), "{melding:?}");
            to_managers.insert(key(melding))
        };
        assert!(fresh, "mailed twice: {melding:?}");
    }
    let all: BTreeSet<_> =
        firing.iter().map(|s| (s.soort.clone(), s.aanbieder_agb.clone(), s.onderwerp.clone())).collect();
    assert_eq!(to_team, all, "the team's overview holds every signal");
    assert_eq!(to_managers, all, "every provider of the demo has a contract manager");

    // A month later with nothing new: the job sends nothing and every signal runs on.
    let summary = schedule::jobs::run(config, Job::Monthly, day("2020-03-16")).expect("the monthly job");
    assert!(summary.contains("No signal mail: nothing new or resolved"), "{summary}");
    let lake = wmo_monitor::lake::Lake::open(&config.paths.lake()).expect("lake");
    let state = signals::history::latest(&lake).expect("history");
    assert!(state.iter().all(|s| s.status == Status::Lopend && s.eerst_gezien == day("2020-02-15")), "{state:?}");
    assert_eq!(state.len(), firing.len());

    // The ceilings are raised: the budget signals are resolved, mailed once to
    // their contract managers and the team, and nothing else is mailed.
    let ceilings = std::fs::read_to_string(config.paths.reference.join("budgetplafonds.csv")).expect("ceilings");
    let raised: String = ceilings
        .lines()
        .map(|line| match line.strip_suffix(",00") {
            Some(front) if !line.starts_with("aanbieder") => format!("{front}0,00\r\n"),
            _ => format!("{line}\r\n"),
        })
        .collect();
    deployment.reference("budgetplafonds.csv", raised);
    ingest::ingest(config, &ingest::IngestOptions::default()).expect("ingest");
    let resolved = signals::signals(config, &SignalsOptions::default()).expect("signals");
    let budget: BTreeSet<_> = firing
        .iter()
        .filter(|s| s.soort == "fictief_budgetplafond")
        .map(|s| (s.soort.clone(), s.aanbieder_agb.clone(), s.onderwerp.clone()))
        .collect();
    assert_eq!(resolved.count(Status::Opgelost), budget.len(), "{}", resolved);
    let mailed: Vec<&Melding> = resolved.delivered.meldingen.iter().collect();
    assert_eq!(mailed.len(), 2 * budget.len(), "to the contract managers and the team: {mailed:?}");
    assert!(mailed.iter().all(|m| m.opgelost && budget.contains(&key(m))), "{mailed:?}");

    // And then never again.
    let after = signals::signals(config, &SignalsOptions::default()).expect("signals");
    assert!(after.delivered.meldingen.is_empty(), "{:?}", after.delivered.meldingen);
    assert_eq!(after.count(Status::Opgelost), 0, "resolved once, not every month");
}

/// A dry run shows the mails and records nothing: the real run after it
/// still finds every signal new and mails it.
#[test]
fn a_dry_run_records_nothing() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let config = &deployment.config;
    let options = SignalsOptions { as_of: Some(day("2019-12-31")), dry_run: true, show_progress: false };
    let dry = signals::signals(config, &options).expect("dry run");
    assert!(dry.to_string().starts_with("Dry run of the signals as of 2019-12-31"), "{dry}");
    let lake = wmo_monitor::lake::Lake::open(&config.paths.lake()).expect("lake");
    assert!(signals::history::latest(&lake).expect("history").is_empty());
    let real = signals::signals(config, &SignalsOptions { dry_run: false, ..options }).expect("run");
    assert_eq!(real.count(Status::Nieuw), dry.count(Status::Nieuw));
    assert_eq!(real.delivered.meldingen.len(), dry.delivered.meldingen.len());
}

/// The words of a contract manager's signal mail (golden file): a new signal
/// of each kind with what to do, then a resolved one.
#[test]
fn the_signal_mail_reads_as_a_contract_manager_expects() {
    let teksten = Teksten::load(&ReportSource::Embedded).expect("reports/signalen.toml");
    let signaal = |soort: &str, onderwerp: &str, waarde: i64, drempel: i64, status: Status| Signaal {
        soort: soort.into(),
        aanbieder_agb: "75284015".into(),
        onderwerp: onderwerp.into(),
        waarde: rust_decimal::Decimal::new(waarde, 2),
        drempel: rust_decimal::Decimal::new(drempel, 2),
        status,
        eerst_gezien: day(if status == Status::Opgelost { "2019-11-15" } else { "2019-12-16" }),
        laatst_gezien: day(if status == Status::Opgelost { "2019-11-15" } else { "2019-12-16" }),
    };
    let signalen = [
        signaal("stille_aanbieder", "2019-09", 200, 200, Status::Nieuw),
        signaal("geweigerde_aanlevering", "2019-10", 10000, 500, Status::Nieuw),
        signaal("late_start", "3169899", 3000, 1000, Status::Nieuw),
        signaal("dure_trajecten", "3169899", 2510000, 2500000, Status::Nieuw),
        signaal("fictief_budgetplafond", "2019 prognose", 10800, 10000, Status::Nieuw),
        signaal("afwijking_van_verwacht", "2019-09", -1212, 1000, Status::Nieuw),
        signaal("fictief_budgetplafond", "2019", 8100, 8000, Status::Opgelost),
    ];
    let items: Vec<Item> = signalen
        .iter()
        .map(|s| Item {
            signaal: s,
            aanbieder_naam: "Coöperatie Wijkkracht".into(),
            opgelost: s.status == Status::Opgelost,
        })
        .collect();
    let kop = Kop {
        afzender: "wmo-monitor@zwolle.example",
        ontvanger: "cm.015@zwolle.example",
        gemeente: "Zwolle",
        peildatum: day("2019-12-16"),
        overzicht: false,
    };
    let inhoud = signaal_mail::inhoud(&teksten, &kop, &items, &[]).expect("the mail's words");
    assert_eq!(inhoud.onderwerp, "Signalen Wmo Zwolle over uw aanbieders, 16 december 2019: 6 nieuw, 1 opgelost");
    insta::assert_snapshot!(
        "signal_mail_contract_manager",
        inhoud.html.replace("<li>", "\n<li>").replace("<h", "\n<h")
    );
    assert!(inhoud.plain.contains("Wat te doen: Vraag de aanbieder of de declaraties vastzitten"), "{}", inhoud.plain);
    assert!(inhoud.plain.contains("€ 25.100 gedeclareerd (signaal boven € 25.000)"), "{}", inhoud.plain);
    assert!(inhoud.plain.contains("wijkt -12,1% af"), "{}", inhoud.plain);
}
