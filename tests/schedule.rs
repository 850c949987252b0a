//! `serve`'s schedules: what is due when, on the Amsterdam wall clock, walked
//! minute by minute with an injected clock; and the real binary running one.

use crate::support::Deployment;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use wmo_monitor::lake::Lake;
use wmo_monitor::periode::Periode;
use wmo_monitor::schedule::definition::{self, Schedule};
use wmo_monitor::schedule::runlog::{self, Run};
use wmo_monitor::schedule::{Job, Scheduler};

fn schedule(naam: &str, text: &str) -> Schedule {
    Schedule::parse(naam, text, Path::new("test.toml")).expect("a valid schedule")
}

fn amsterdam(cron: &str) -> String {
    format!("cron = \"{cron}\"\ntimezone = \"Europe/Amsterdam\"\njob = \"ingest\"\n")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").with_timezone(&Utc)
}

fn run_of(schedule: &str, gepland: DateTime<Utc>) -> Run {
    Run {
        schema: schedule.to_string(),
        taak: "ingest".to_string(),
        gepland,
        gestart: gepland,
        klaar: gepland,
        gelukt: true,
        melding: String::new(),
    }
}

/// Walks the clock minute by minute from `from` to `to` as `serve` does,
/// every job taking no time, and records each run in a real run log. Every
/// local midnight `serve` is restarted from that log. Returns the scheduled
/// times that ran, in order, with the minute each started.
fn walk(
    lake: &Lake,
    schedules: &[Schedule],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let restart = || {
        let last = runlog::last_slots(&runlog::read(lake).expect("run log reads"));
        Scheduler::new(schedules.to_vec(), &last, from)
    };
    let mut scheduler = restart();
    let mut started = Vec::new();
    let mut now = from;
    while now <= to {
        if now.with_timezone(&chrono_tz::Europe::Amsterdam).format("%H:%M").to_string() == "00:00" {
            scheduler = restart();
        }
        while let Some(due) = scheduler.next(now) {
            scheduler.start(due);
            started.push((due.gepland, now));
            runlog::record(lake, &run_of(&scheduler.schedules[due.index].naam, due.gepland)).expect("recorded");
            scheduler.finish(due);
        }
        now += Duration::minutes(1);
    }
    started
}

fn empty_lake() -> (tempfile::TempDir, Lake) {
    let dir = tempfile::tempdir().expect("dir");
    let lake = Lake::open(&dir.path().join("lake")).expect("lake");
    (dir, lake)
}

#[test]
fn a_six_oclock_job_runs_at_six_local_on_the_days_around_both_daylight_saving_switches() {
    let six = [schedule("ochtend", &amsterdam("0 6 * * *"))];
    // Summer time starts on Sunday 29 March 2026 (02:00 CET becomes 03:00 CEST).
    let (_dir, lake) = empty_lake();
    let march = walk(&lake, &six, utc("2026-03-27T00:00:00Z"), utc("2026-03-31T23:59:00Z"));
    let expected: Vec<_> = [
        "2026-03-27T05:00:00Z",
        "2026-03-28T05:00:00Z",
        "2026-03-29T04:00:00Z",
        "2026-03-30T04:00:00Z",
        "2026-03-31T04:00:00Z",
    ]
    .into_iter()
    .map(|t| (utc(t), utc(t)))
    .collect();
    assert_eq!(march, expected);

    // Summer time ends on Sunday 25 October 2026 (03:00 CEST becomes 02:00 CET).
    let (_dir, lake) = empty_lake();
    let october = walk(&lake, &six, utc("2026-10-23T00:00:00Z"), utc("2026-10-27T23:59:00Z"));
    let expected: Vec<_> = [
        "2026-10-23T04:00:00Z",
        "2026-10-24T04:00:00Z",
        "2026-10-25T05:00:00Z",
        "2026-10-26T05:00:00Z",
        "2026-10-27T05:00:00Z",
    ]
    .into_iter()
    .map(|t| (utc(t), utc(t)))
    .collect();
    assert_eq!(october, expected);
    assert_eq!(runlog::read(&lake).expect("run log").len(), 5, "every run recorded once");
}

#[test]
fn a_job_in_the_repeated_hour_runs_once_and_one_in_the_skipped_hour_runs_when_the_clocks_jump() {
    let half_past_two = [schedule("nacht", &amsterdam("30 2 * * *"))];
    // 02:30 comes twice on 25 October: 00:30 UTC (summer time) and 01:30 UTC.
    let (_dir, lake) = empty_lake();
    let october = walk(&lake, &half_past_two, utc("2026-10-24T12:00:00Z"), utc("2026-10-26T12:00:00Z"));
    let october: Vec<_> = october.into_iter().map(|(gepland, _)| gepland).collect();
    assert_eq!(october, [utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]);

    // 02:30 never comes on 29 March: the run is at 03:00 summer time, 01:00 UTC.
    let (_dir, lake) = empty_lake();
    let march = walk(&lake, &half_past_two, utc("2026-03-28T12:00:00Z"), utc("2026-03-30T12:00:00Z"));
    let march: Vec<_> = march.into_iter().map(|(gepland, _)| gepland).collect();
    assert_eq!(march, [utc("2026-03-29T01:00:00Z"), utc("2026-03-30T00:30:00Z")]);

    // Every quarter of an hour in the night of 25 October: the four of the first 02:xx.
    let (_dir, lake) = empty_lake();
    let quarters = [schedule("kwartier", &amsterdam("*/15 1-3 * * *"))];
    let runs = walk(&lake, &quarters, utc("2026-10-24T22:00:00Z"), utc("2026-10-25T03:00:00Z"));
    let local: Vec<String> = runs
        .iter()
        .map(|(gepland, _)| gepland.with_timezone(&chrono_tz::Europe::Amsterdam).format("%H:%M %Z").to_string())
        .collect();
    assert_eq!(
        local,
        [
            "01:00 CEST",
            "01:15 CEST",
            "01:30 CEST",
            "01:45 CEST",
            "02:00 CEST",
            "02:15 CEST",
            "02:30 CEST",
            "02:45 CEST",
            "03:00 CET",
            "03:15 CET",
            "03:30 CET",
            "03:45 CET",
        ]
    );
}

#[test]
fn a_run_missed_while_the_machine_was_down_runs_once_at_start_up() {
    let six = vec![schedule("ochtend", &amsterdam("0 6 * * *"))];
    // Last ran on Monday 2 November at 06:00; the machine was off until Wednesday 09:00.
    let last = BTreeMap::from([("ochtend".to_string(), utc("2026-11-02T05:00:00Z"))]);
    let mut scheduler = Scheduler::new(six.clone(), &last, utc("2026-11-04T08:00:00Z"));
    let due = scheduler.next(utc("2026-11-04T08:00:00Z")).expect("the missed run is due at once");
    assert_eq!(due.gepland, utc("2026-11-04T05:00:00Z"), "one catch-up, for the latest missed time");
    scheduler.start(due);
    scheduler.finish(due);
    assert_eq!(scheduler.next(utc("2026-11-04T08:01:00Z")), None, "Tuesday's run is not made up as well");
    assert_eq!(scheduler.next(utc("2026-11-05T04:59:00Z")), None);
    assert_eq!(scheduler.next(utc("2026-11-05T05:00:00Z")).map(|d| d.gepland), Some(utc("2026-11-05T05:00:00Z")));

    // A schedule that never ran has missed nothing: it waits for its first time.
    let scheduler = Scheduler::new(six, &BTreeMap::new(), utc("2026-11-04T08:00:00Z"));
    assert_eq!(scheduler.next(utc("2026-11-04T08:00:00Z")), None);
    assert_eq!(scheduler.next_time(0), Some(utc("2026-11-05T05:00:00Z")));
}

#[test]
fn a_job_never_overlaps_itself_and_a_long_run_is_followed_by_one_run_not_several() {
    let every_ten = vec![schedule("vaak", &amsterdam("*/10 * * * *"))];
    let mut scheduler = Scheduler::new(every_ten, &BTreeMap::new(), utc("2026-11-04T09:55:00Z"));
    let first = scheduler.next(utc("2026-11-04T10:00:00Z")).expect("due at 10:00 UTC");
    scheduler.start(first);
    // The run takes 35 minutes: the slots of 10:10, 10:20 and 10:30 pass meanwhile.
    for minute in 1..35 {
        assert_eq!(scheduler.next(utc("2026-11-04T10:00:00Z") + Duration::minutes(minute)), None);
    }
    assert_eq!(scheduler.running(), Some(first));
    scheduler.finish(first);
    let after = scheduler.next(utc("2026-11-04T10:35:00Z")).expect("one run for what passed");
    assert_eq!(after.gepland, utc("2026-11-04T10:30:00Z"));
    scheduler.start(after);
    scheduler.finish(after);
    assert_eq!(scheduler.next(utc("2026-11-04T10:36:00Z")), None);
    assert_eq!(scheduler.next(utc("2026-11-04T10:40:00Z")).map(|d| d.gepland), Some(utc("2026-11-04T10:40:00Z")));

    // Two schedules due at once run one after the other, the earlier time first.
    let two = vec![schedule("later", &amsterdam("5 7 * * *")), schedule("eerder", &amsterdam("0 7 * * *"))];
    let mut scheduler = Scheduler::new(two, &BTreeMap::new(), utc("2026-11-04T05:00:00Z"));
    let first = scheduler.next(utc("2026-11-04T06:30:00Z")).expect("both due");
    assert_eq!(scheduler.schedules[first.index].naam, "eerder");
    scheduler.start(first);
    assert_eq!(scheduler.next(utc("2026-11-04T06:31:00Z")), None, "one run at a time");
    scheduler.finish(first);
    let second = scheduler.next(utc("2026-11-04T06:31:00Z")).expect("then the other");
    assert_eq!(scheduler.schedules[second.index].naam, "later");
}

#[test]
fn the_quarterly_job_reports_the_latest_quarter_that_ended_the_declaration_lag_ago() {
    let quarter_due = |today, lag| Periode::laatste_afgesloten_kwartaal(today, lag).to_string();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    // 16 February 2020 minus 45 days is 2 January: Q4 2019 has ended, Q1 2020 not.
    assert_eq!(quarter_due(day(2020, 2, 16), 45), "2019-Q4");
    // 10 February minus 45 days is 27 December: Q4 is still open.
    assert_eq!(quarter_due(day(2020, 2, 10), 45), "2019-Q3");
    // On the boundary: 14 February minus 45 is 31 December, the last day of Q4.
    assert_eq!(quarter_due(day(2020, 2, 14), 45), "2019-Q4");
    assert_eq!(quarter_due(day(2020, 2, 13), 45), "2019-Q3");
    assert_eq!(quarter_due(day(2020, 7, 1), 0), "2020-Q2");
    assert_eq!(quarter_due(day(2020, 11, 16), 45), "2020-Q3");
}

#[test]
fn the_shipped_schedules_run_ingest_nightly_and_the_quarter_after_its_declarations_are_in() {
    let shipped = definition::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schedules")).expect("they load");
    let by_name: BTreeMap<&str, &Schedule> = shipped.iter().map(|s| (s.naam.as_str(), s)).collect();
    let ingest = by_name["nachtelijke-ingest"];
    assert_eq!(ingest.job, Job::Ingest);
    let quarter = by_name["kwartaalrapportage"];
    assert_eq!(quarter.job, Job::Quarterly { declaration_lag_days: 45 });

    let scheduler = Scheduler::new(shipped.clone(), &BTreeMap::new(), utc("2026-11-29T12:00:00Z"));
    let index = |naam: &str| shipped.iter().position(|s| s.naam == naam).expect("shipped");
    assert_eq!(scheduler.next_time(index("nachtelijke-ingest")), Some(utc("2026-11-30T01:00:00Z")));
    let next_quarter = scheduler.next_time(index("kwartaalrapportage")).expect("it runs");
    assert_eq!(next_quarter, utc("2027-02-16T05:00:00Z"));
    assert_eq!(Periode::laatste_afgesloten_kwartaal(next_quarter.date_naive(), 45).to_string(), "2026-Q4");
}

#[test]
fn a_schedule_that_cannot_run_is_refused_with_its_file_and_the_reason() {
    let refused =
        |text: &str| Schedule::parse("x", text, Path::new("schedules/x.toml")).expect_err("refused").to_string();
    let bad_cron = refused("cron = \"0 6 * *\"\ntimezone = \"Europe/Amsterdam\"\njob = \"ingest\"\n");
    assert!(bad_cron.contains("schedules/x.toml") && bad_cron.contains("five-field cron"), "{bad_cron}");
    let bad_zone = refused("cron = \"0 6 * * *\"\ntimezone = \"Europe/Zwolle\"\njob = \"ingest\"\n");
    assert!(bad_zone.contains("Europe/Zwolle") && bad_zone.contains("IANA"), "{bad_zone}");
    let no_lag = refused("cron = \"0 6 16 2 *\"\ntimezone = \"Europe/Amsterdam\"\njob = \"quarterly\"\n");
    assert!(no_lag.contains("declaration_lag_days"), "{no_lag}");
    let unknown = refused("cron = \"0 6 * * *\"\ntimezone = \"Europe/Amsterdam\"\njob = \"backup\"\n");
    assert!(unknown.contains("\"backup\"") && unknown.contains("quarterly"), "{unknown}");
    let typo = refused("cron = \"0 6 * * *\"\ntimezone = \"Europe/Amsterdam\"\njob = \"ingest\"\ntijdzone = \"x\"\n");
    assert!(typo.contains("tijdzone"), "{typo}");

    let empty = tempfile::tempdir().expect("dir");
    let nothing = definition::load(empty.path()).expect_err("no schedules").to_string();
    assert!(nothing.contains("no schedule"), "{nothing}");
    let broken = refused("cron = \"0 6 * * *\"\ntimezone = \"Europe/Amsterdam\"\njob = ingest\n");
    assert!(broken.contains("line 3"), "a malformed file names its line: {broken}");
}

#[test]
fn without_a_schedules_folder_serve_runs_the_built_in_schedules() {
    let deployment = tempfile::tempdir().expect("dir");
    let built_in = definition::load(&deployment.path().join("schedules")).expect("the built-in schedules");
    let shipped = definition::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schedules")).expect("they load");
    let names = |s: &[Schedule]| s.iter().map(|s| s.naam.clone()).collect::<Vec<_>>();
    assert_eq!(names(&built_in), names(&shipped));
    assert_eq!(names(&built_in), ["kwartaalrapportage", "maandelijkse-signalen", "nachtelijke-ingest"]);
}

/// The binary: `serve` catches up the run it missed, records it, stops on
/// SIGTERM, and `runs` shows it.
#[test]
fn serve_runs_a_missed_ingest_at_start_up_records_it_and_stops_cleanly_on_sigterm() {
    let deployment = Deployment::new().with_all_fixtures();
    let config = &deployment.config;
    let folder = config.paths.schedules.clone();
    std::fs::create_dir_all(&folder).expect("schedules folder");
    std::fs::write(folder.join("elke-ochtend.toml"), amsterdam("0 6 * * *")).expect("schedule");
    // It last ran three days ago, so one run is due now.
    let lake = Lake::open(&config.paths.lake()).expect("lake");
    let three_days_ago = Utc::now() - Duration::days(3);
    let six = chrono_tz::Europe::Amsterdam
        .from_local_datetime(
            &three_days_ago
                .with_timezone(&chrono_tz::Europe::Amsterdam)
                .date_naive()
                .and_hms_opt(6, 0, 0)
                .expect("06:00"),
        )
        .earliest()
        .expect("06:00 exists")
        .with_timezone(&Utc);
    runlog::record(&lake, &run_of("elke-ochtend", six)).expect("seeded");

    let config_file = config.paths.data.parent().expect("deployment folder").join("wmo-monitor.toml");
    let binary = env!("CARGO_BIN_EXE_wmo-monitor");
    let serve = Command::new(binary)
        .args(["--config", &config_file.to_string_lossy(), "serve"])
        .env_remove(wmo_monitor::config::KEY_ENV)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let runs = loop {
        let runs = runlog::read(&lake).expect("run log reads");
        if runs.len() >= 2 || std::time::Instant::now() > deadline {
            break runs;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    // A second scheduler for the same deployment would run every job twice.
    let second = Command::new(binary)
        .args(["--config", &config_file.to_string_lossy(), "serve"])
        .env_remove(wmo_monitor::config::KEY_ENV)
        .output()
        .expect("runs");
    let status = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let output = serve.wait_with_output().expect("serve ends");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));

    assert_eq!(runs.len(), 2, "one catch-up run, recorded\n{stdout}\n{stderr}");
    let run = &runs[1];
    assert!(run.gelukt, "{}", run.melding);
    assert_eq!((run.schema.as_str(), run.taak.as_str()), ("elke-ochtend", "ingest"));
    assert!(run.gepland > six && run.gepland <= run.gestart && run.gestart <= run.klaar);
    assert_eq!(run.gepland.with_timezone(&chrono_tz::Europe::Amsterdam).format("%H:%M").to_string(), "06:00");
    assert!(!deployment.table(wmo_monitor::lake::Table::Toewijzingen).is_empty(), "the ingest loaded the inbox");

    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("another `wmo-monitor serve` is running"));
    assert!(output.status.success(), "SIGTERM ends serve cleanly\n{stdout}\n{stderr}");
    assert!(stdout.contains("elke-ochtend: ingest started") && stdout.contains("serve stopped"), "{stdout}");

    let listed = Command::new(binary)
        .args(["--config", &config_file.to_string_lossy(), "runs"])
        .env_remove(wmo_monitor::config::KEY_ENV)
        .output()
        .expect("runs");
    let listed = String::from_utf8_lossy(&listed.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(
        lines[0].starts_with("schema") && lines[1].contains("elke-ochtend") && lines[1].contains("gelukt"),
        "{listed}"
    );
}

/// The scheduled quarterly job on 16 February 2020: Q4 2019 ended 47 days
/// before, so it is computed, published and mailed; the next run mails nothing twice.
#[test]
fn the_quarterly_job_publishes_and_mails_the_quarter_whose_declarations_are_in_once() {
    let deployment = Deployment::new();
    let config = &deployment.config;
    let demo = wmo_monitor::demo::DemoOptions { seed: 7, clients: 120, show_progress: false };
    wmo_monitor::demo::write(config, &demo).expect("demo");
    deployment.ingest();
    let february_16 = NaiveDate::from_ymd_opt(2020, 2, 16).expect("a date");
    let quarterly = Job::Quarterly { declaration_lag_days: 45 };
    let summary = wmo_monitor::schedule::jobs::run(config, quarterly, february_16).expect("the job runs");

    let emls = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(config.paths.out.join("outbox/2019-Q4"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.retain(|n| n.ends_with(".eml"));
        names.sort();
        names
    };
    assert!(config.paths.out.join("2019-Q4/monitor-sociaal-domein-2019-Q4.html").exists(), "{summary}");
    let sent = emls();
    assert!(sent.iter().any(|n| n.starts_with("monitor-")), "the council's mail: {sent:?}\n{summary}");
    assert!(sent.iter().filter(|n| n.starts_with("prestatiedialoog-")).count() > 1, "{sent:?}");
    assert!(!config.paths.out.join("2019-Q3").exists(), "only the quarter due is published");

    let again = wmo_monitor::schedule::jobs::run(config, quarterly, february_16).expect("the job runs again");
    assert_eq!(emls(), sent, "nothing is mailed twice\n{again}");
}

/// On 16 November 2019 Q3 is due, but the fixtures' declarations end in May.
#[test]
fn the_quarterly_job_fails_clearly_when_the_quarter_is_not_in_the_lake() {
    let deployment = Deployment::new().with_all_fixtures();
    deployment.ingest();
    let november_16 = NaiveDate::from_ymd_opt(2019, 11, 16).expect("a date");
    let quarterly = Job::Quarterly { declaration_lag_days: 45 };
    let error = wmo_monitor::schedule::jobs::run(&deployment.config, quarterly, november_16)
        .expect_err("nothing to report")
        .to_string();
    assert!(error.starts_with("the quarterly job cannot report 2019-Q3: "), "{error}");
    assert!(error.contains("2019-05-06") && error.contains("quarterly --periode 2019-Q3"), "{error}");
    assert!(!deployment.config.paths.out.join("outbox").exists(), "nothing mailed");
}
