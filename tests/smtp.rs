//! `deliver` through a real SMTP server on loopback (aiosmtpd, installed by
//! tests/run.sh; see tests/smtp_server.py for how it answers).

use crate::publish::deliver::parse;
use crate::publish::{fixture_published, out};
use crate::support::{read_table, value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use wmo_monitor::config::{Smtp, SmtpSecurity};
use wmo_monitor::deliver::{self, DeliverOptions};

/// The test server, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    folder: PathBuf,
}

impl Server {
    fn start(folder: &Path, tls: bool) -> Server {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let mut command = Command::new("python3");
        std::fs::create_dir_all(folder).expect("server folder");
        // The server's own log (a refused TLS handshake prints a traceback) stays beside its mail.
        let log = std::fs::File::create(folder.join("server.log")).expect("server log");
        command.arg(script).arg(folder).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log);
        if tls {
            command.arg("--tls");
        }
        let mut child = command.spawn().expect("python3 runs tests/smtp_server.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the server's port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("no port from the SMTP server: {line:?}"));
        Server { child, port, folder: folder.to_path_buf() }
    }

    fn settings(&self, host: &str, security: SmtpSecurity) -> Smtp {
        Smtp {
            host: host.into(),
            port: Some(self.port),
            security,
            username: None,
            password_file: None,
            ca_file: None,
            attempts: 3,
            retry_seconds: 0.05,
        }
    }

    /// The messages the server accepted: (envelope recipients, the mail file).
    fn received(&self) -> Vec<(String, PathBuf)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .expect("server folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|eml| (std::fs::read_to_string(eml.with_extension("rcpt")).expect("rcpt").trim().to_string(), eml))
            .collect()
    }

    fn refusals(&self) -> String {
        std::fs::read_to_string(self.folder.join("refusals.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn each_recipient_gets_the_reports_once_a_temporary_error_is_retried_and_a_refusal_stops_no_one_else() {
    let deployment = fixture_published();
    let server = Server::start(&deployment.config.paths.data.join("smtp"), false);
    let mut config = deployment.config.clone();
    config.deliver.raad =
        vec!["raad@zwolle.example".into(), "griffie.later@zwolle.example".into(), "weigeren@zwolle.example".into()];
    config.deliver.smtp = Some(server.settings("127.0.0.1", SmtpSecurity::None));

    let done = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
    assert_eq!(done.mails, 3, "{done}");
    assert_eq!(done.mislukt.len(), 1, "{done}");
    assert!(done.mislukt[0].starts_with("weigeren@zwolle.example") && done.mislukt[0].contains("550"), "{done}");
    assert!(done.outcome().is_err(), "a refused recipient fails the run");
    assert!(done.to_string().contains("NOT SENT: weigeren@zwolle.example"), "{done}");
    assert_eq!(
        server.refusals(),
        "griffie.later@zwolle.example 451 4.3.0 try again later\nweigeren@zwolle.example 550 5.1.1 mailbox unavailable\n",
        "451 once, then accepted; 550 not tried again"
    );

    // One SMTP transaction per recipient; the headers name them all.
    let received = server.received();
    let envelopes: Vec<&str> = received.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(envelopes, ["cm.015@zwolle.example", "raad@zwolle.example", "griffie.later@zwolle.example"]);
    let reports = out(&deployment, "2019-Q3");
    let (to, subject, attachments) = parse(&received[0].1);
    assert_eq!(
        (to.as_str(), subject.as_str()),
        ("cm.015@zwolle.example", "Prestatiedialoog 3e kwartaal 2019: Coöperatie Wijkkracht")
    );
    assert_eq!(attachments.len(), 2);
    for (name, bytes) in &attachments {
        assert_eq!(bytes, &std::fs::read(reports.join("aanbieders").join(name)).expect("report"), "{name}");
    }
    for (_, eml) in &received[1..] {
        let (to, subject, attachments) = parse(eml);
        assert_eq!(subject, "Monitor Sociaal Domein Wmo Zwolle, 3e kwartaal 2019");
        assert!(to.contains("raad@zwolle.example") && to.contains("weigeren@zwolle.example"), "{to}");
        let names: Vec<&str> = attachments.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["monitor-sociaal-domein-2019-Q3.html", "monitor-sociaal-domein-2019-Q3.xlsx"]);
        for (name, bytes) in &attachments {
            assert_eq!(bytes, &std::fs::read(reports.join(name)).expect("report"), "{name}");
        }
    }
    assert!(!config.paths.out.join("outbox/2019-Q3").exists(), "through SMTP, nothing goes to the outbox");

    // The ledger holds what the server took; a second run sends nothing new
    // and tries only the refused address again.
    let ledger = read_table(&config.paths.lake().join("verzendingen"));
    let sent: Vec<_> = ledger.iter().filter(|row| value(row, "kanaal") == "smtp").collect();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|row| value(row, "bericht").contains("queued as")));
    let intents = ledger.iter().filter(|row| value(row, "kanaal") == "smtp-bezig").count();
    assert_eq!(intents, 4, "an intent before each of the four transactions");
    let again = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
    assert_eq!((again.mails, again.al_verzonden, again.mislukt.len()), (0, 3, 1), "{again}");
    assert_eq!(server.received().len(), 3);
}

#[test]
fn starttls_with_authentication_and_the_configured_root_certificate() {
    let deployment = fixture_published();
    let server = Server::start(&deployment.config.paths.data.join("smtp"), true);
    let mut config = deployment.config.clone();
    let password_file = deployment.config.paths.data.join("smtp-password");
    std::fs::write(&password_file, "geheim\n").expect("password file");
    config.deliver.smtp = Some(Smtp {
        username: Some("wmo-monitor".into()),
        password_file: Some(password_file),
        ca_file: Some(server.folder.join("ca.pem")),
        ..server.settings("localhost", SmtpSecurity::Starttls)
    });
    let done = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
    assert!(done.mislukt.is_empty(), "{done}");
    assert_eq!(done.mails, 2, "{done}");
    assert_eq!(server.received().len(), 2);

    // Without the root certificate the server is not trusted: nothing goes.
    let mut untrusting = deployment.config.clone();
    untrusting.deliver.raad = vec!["griffie@zwolle.example".into()];
    untrusting.deliver.smtp = Some(Smtp { ca_file: None, ..config.deliver.smtp.clone().expect("smtp") });
    let refused = deliver::deliver(&untrusting, &DeliverOptions::default()).expect("deliver");
    assert_eq!(refused.mails, 0, "{refused}");
    assert_eq!(refused.mislukt.len(), 1, "{refused}");
    assert_eq!(server.received().len(), 2);
}

#[test]
fn unencrypted_smtp_is_refused_beyond_this_machine_and_the_password_never_comes_from_the_configuration() {
    let deployment = fixture_published();
    let mut config = deployment.config.clone();
    config.deliver.smtp = Some(Smtp {
        host: "smtp.zwolle.example".into(),
        port: None,
        security: SmtpSecurity::None,
        username: None,
        password_file: None,
        ca_file: None,
        attempts: 1,
        retry_seconds: 0.0,
    });
    let error = deliver::deliver(&config, &DeliverOptions::default()).expect_err("refused").to_string();
    assert!(error.contains("only to this machine") && error.contains("smtp.zwolle.example"), "{error}");

    let with_password = "[deliver]\nafzender = \"a@zwolle.example\"\n[deliver.smtp]\nhost = \"smtp.zwolle.example\"\npassword = \"geheim\"\n";
    let error = wmo_monitor::Config::parse(with_password, Path::new("."), "test.toml").expect_err("no password key");
    assert!(error.to_string().contains("password"), "{error}");
}

#[test]
fn a_mail_whose_answer_an_interrupted_run_never_recorded_goes_again_under_the_same_message_id() {
    use wmo_monitor::deliver::ledger::{BEZIG, Ledger, Verzending};
    let deployment = fixture_published();
    let server = Server::start(&deployment.config.paths.data.join("smtp"), false);
    let mut config = deployment.config.clone();
    config.deliver.raad = vec!["raad@zwolle.example".into()];
    config.deliver.afzender = "Gemeente Zwolle <wmo-monitor@zwolle.example>".into();
    config.deliver.smtp = Some(server.settings("127.0.0.1", SmtpSecurity::None));
    // What a run killed while the server's answer was pending leaves behind.
    let reports = out(&deployment, "2019-Q3");
    let samenvatting = wmo_monitor::publish::summary::Samenvatting::read(&reports).expect("summary");
    let mail = deliver::mail::council(&reports, &samenvatting, &config.deliver.afzender, &config.deliver.raad)
        .expect("the council's mail");
    let lake = wmo_monitor::lake::Lake::open(&config.paths.lake()).expect("lake");
    Ledger::open(&lake)
        .expect("ledger")
        .record(&[Verzending {
            periode: "2019-Q3".into(),
            rapport: "monitor".into(),
            ontvanger: "raad@zwolle.example".into(),
            versie: mail.versie.clone(),
            kanaal: BEZIG.into(),
            bericht: mail.message_id.clone(),
        }])
        .expect("intent");

    let done = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
    assert_eq!(done.mails, 2, "{done}");
    assert_eq!(done.na_onderbreking, ["raad@zwolle.example"], "{done}");
    assert!(done.to_string().contains("sent again after an interrupted run"), "{done}");
    let received = server.received();
    let council = std::fs::read_to_string(&received[1].1).expect("mail");
    assert!(council.contains(&format!("Message-ID: {}", mail.message_id)), "the same Message-ID: {council}");
    assert!(mail.message_id.ends_with("@zwolle.example>"), "{}", mail.message_id);
    let from = council.lines().find(|l| l.starts_with("From:")).unwrap_or_default();
    assert!(from.contains("Gemeente Zwolle") && from.contains("<wmo-monitor@zwolle.example>"), "{from}");

    let again = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver");
    assert_eq!((again.mails, again.na_onderbreking.len()), (0, 0), "{again}");
    assert_eq!(server.received().len(), 2, "once recorded, never again");
}

#[test]
fn a_bad_address_is_listed_escaped_and_every_other_recipient_still_gets_their_mail() {
    let deployment = fixture_published();
    let aanbieders = std::fs::read(Path::new(crate::support::FIXTURES).join("reference/aanbieders.csv"))
        .expect("fixture")
        .split(|&b| b == b'\n')
        .map(|line| String::from_utf8_lossy(line).replace("cm.015@zwolle.example", "cm.015 bij zwolle.example"))
        .collect::<Vec<_>>()
        .join("\n");
    deployment.reference("aanbieders.csv", aanbieders);
    deployment.ingest();
    let mut config = deployment.config.clone();
    config.deliver.raad =
        vec!["raad@zwolle.example".into(), "griffie@zwolle.example\r\nBcc: lek@elders.example".into()];

    let done = deliver::deliver(&config, &DeliverOptions::default()).expect("deliver runs to the end");
    assert_eq!(done.mails, 1, "the council still gets the monitor: {done}");
    assert_eq!(done.ongeldig.len(), 2, "{done}");
    let summary = done.to_string();
    assert!(!summary.contains('\r') && summary.contains(r"\r\nBcc: lek@elders.example"), "escaped: {summary}");
    assert!(summary.contains("NOT SENT: cm.015 bij zwolle.example is no mail address"), "{summary}");
    assert!(done.outcome().is_err(), "a recipient without their mail fails the run");
    let outbox: Vec<_> = std::fs::read_dir(config.paths.out.join("outbox/2019-Q3")).expect("outbox").collect();
    assert_eq!(outbox.len(), 1);
}
