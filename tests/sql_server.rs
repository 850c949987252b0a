//! The Postgres endpoint with real clients, which tests/run.sh installs when
//! missing: psql, psycopg 3, pgjdbc (tests/clients/JdbcClient.java, also
//! replaying what DBeaver and Metabase send) and psqlODBC through pyodbc;
//! against one server for most tests, and one of their own for tests that
//! need other settings, each on a free port.

use crate::support::Deployment;
use std::process::Command;
use std::sync::OnceLock;
use wmo_monitor::compute::{self, ComputeOptions};
use wmo_monitor::config::SqlServer;
use wmo_monitor::sql_server::{Server, users::Users};

const USER: &str = "analist";
const PASSWORD: &str = "een lang wachtwoord";

struct Running {
    deployment: Deployment,
    port: u16,
}

/// One server over the computed fixture lake, for every test here.
fn server() -> &'static Running {
    static RUNNING: OnceLock<Running> = OnceLock::new();
    RUNNING.get_or_init(|| {
        let mut deployment = Deployment::new().with_all_fixtures();
        deployment.ingest();
        let september = chrono::NaiveDate::from_ymd_opt(2019, 9, 30).expect("a date");
        compute::compute(&deployment.config, &ComputeOptions { as_of: Some(september), ..Default::default() })
            .expect("compute");
        let users = deployment.config.paths.data.join("sql-users");
        Users::add(&users, USER, PASSWORD).expect("a user");
        // Every address, so a test can also come from one that is not loopback.
        let settings = SqlServer { listen: "0.0.0.0".into(), ..settings(users) };
        deployment.config.sql_server = Some(settings.clone());
        let port = start(deployment.config.clone(), settings);
        Running { deployment, port }
    })
}

/// The endpoint on a free loopback port, without TLS.
fn settings(users: std::path::PathBuf) -> SqlServer {
    SqlServer {
        listen: "127.0.0.1".into(),
        port: 0,
        users,
        tls_cert: None,
        tls_key: None,
        max_connections: 8,
        heavy_statements: 2,
        heavy_megabytes: 64,
        session_memory_megabytes: None,
    }
}

/// psql's answer to one command: (succeeded, stdout, stderr).
fn psql(password: &str, command: &str) -> (bool, String, String) {
    psql_as("127.0.0.1", server().port, USER, password, &[command])
}

/// psql's answer to some commands in one session, from the host to the port.
fn psql_as(host: &str, port: u16, user: &str, password: &str, commands: &[&str]) -> (bool, String, String) {
    let mut psql = Command::new("psql");
    psql.arg(format!("host={host} port={port} user={user} dbname=wmo sslmode=disable")).args([
        "--no-psqlrc",
        "-X",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
    ]);
    for command in commands {
        psql.args(["-c", command]);
    }
    let output = psql
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("psql runs (Debian's postgresql-client; tests/run.sh installs it)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

#[test]
fn psql_logs_in_with_scram_and_gets_what_the_sql_command_gets() {
    let query = "select periode, clienten, gedeclareerd from kpi_wmo order by periode";
    let (ok, out, err) = psql(PASSWORD, query);
    assert!(ok, "{err}");
    let got: Vec<String> =
        out.lines().map(|line| line.split('|').map(normalised).collect::<Vec<_>>().join("|")).collect();
    let expected = engine_answer(query);
    assert!(!expected.is_empty());
    assert_eq!(got, expected, "{out}");
}

#[test]
fn a_wrong_password_is_refused_and_the_server_still_serves() {
    let (ok, _, err) = psql("niet het wachtwoord", "select 1");
    assert!(!ok);
    assert!(err.contains("password authentication failed for user \"analist\""), "{err}");
    let (ok, out, err) = psql(PASSWORD, "select 1");
    assert!(ok && out == "1", "{out} {err}");
}

#[test]
fn writes_copies_and_engine_settings_are_refused_on_both_protocols_and_the_server_still_serves() {
    let statements = [
        "create table x (a int)",
        "create external table y stored as parquet location '/etc'",
        "insert into kpi_wmo (periode) values ('x')",
        "drop table kpi_wmo",
        "copy kpi_wmo to '/tmp/wmo-copy.csv'",
        "copy kpi_wmo from stdin",
        "copy kpi_wmo to program 'touch /tmp/wmo-copy.csv'",
        "copy (select 1) to stdout",
        "set datafusion.execution.batch_size = 1",
        "select * into kopie from kpi_wmo",
    ];
    for statement in statements {
        // COPY ... TO STDOUT reads: psql sends it over the simple protocol, where it passes.
        if statement.ends_with("to stdout") {
            continue;
        }
        let (ok, _, err) = psql(PASSWORD, statement);
        assert!(!ok, "{statement} was allowed");
        assert!(err.contains("refused"), "{statement}: {err}");
    }
    // The extended protocol (Parse, Bind, Execute), as drivers send every statement.
    let code = format!(
        "for statement in {statements:?}:\n        \
         try:\n            cur.execute(statement, prepare=True); print('allowed', statement)\n        \
         except psycopg.Error as e:\n            print('refused' if 'refused' in str(e) else e); conn.rollback()"
    );
    let (ok, out, err) = psycopg(server().port, &code);
    assert!(ok, "{out}\n{err}");
    assert_eq!(out.lines().filter(|l| *l == "refused").count(), statements.len(), "{out}");
    assert!(!std::path::Path::new("/tmp/wmo-copy.csv").exists());
    let (ok, out, err) = psql(PASSWORD, "select count(*) > 0 from kpi_aanbieder");
    assert!(ok && out == "t", "{out} {err}");
}

#[test]
fn client_settings_pass_and_the_time_limit_can_only_be_lowered() {
    let (ok, _, err) = psql(PASSWORD, "set application_name = 'dbeaver'");
    assert!(ok, "{err}");
    let (ok, _, err) = psql(PASSWORD, "set statement_timeout = 0");
    assert!(!ok && err.contains("may only be lowered"), "{err}");
    let (ok, _, err) = psql(PASSWORD, "set statement_timeout = '5s'");
    assert!(ok, "{err}");
}

#[test]
fn an_unknown_user_gets_the_same_answer_as_a_wrong_password() {
    let (ok, _, err) = psql_as("127.0.0.1", server().port, "niemand", PASSWORD, &["select 1"]);
    assert!(!ok);
    assert!(err.contains("password authentication failed for user \"niemand\""), "{err}");
}

#[test]
fn after_a_refused_statement_the_connection_goes_on() {
    let running = server();
    let mut psql = Command::new("psql");
    let output = psql
        .arg(format!("host=127.0.0.1 port={} user={USER} dbname=wmo sslmode=disable", running.port))
        .args(["--no-psqlrc", "-X", "-At", "-c", "drop table kpi_wmo", "-c", "select 41 + 1"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("psql runs");
    let (out, err) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(err.contains("refused: the SQL endpoint is read-only"), "{err}");
    assert_eq!(out.trim(), "42", "{err}");
}

#[test]
fn a_file_or_url_is_no_table() {
    for statement in ["select * from '/etc/passwd'", "select * from 'https://example.org/x.parquet'"] {
        let (ok, _, err) = psql(PASSWORD, statement);
        assert!(!ok, "{statement} was read");
        assert!(err.contains("ERROR"), "{statement}: {err}");
    }
}

/// The address of this machine on its default route, when it has one.
fn non_loopback_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks the route.
    socket.connect("10.255.255.255:9").ok()?;
    socket.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[test]
fn a_plain_connection_from_another_address_than_loopback_is_refused() {
    let address = non_loopback_address().expect("this machine has an address besides loopback");
    let (ok, _, err) = psql_as(&address.to_string(), server().port, USER, PASSWORD, &["select 1"]);
    assert!(!ok, "a plain connection from {address} was let in");
    assert!(err.contains("connections from another machine must use TLS"), "{err}");
}

#[test]
fn connections_past_the_limit_are_refused_until_one_ends() {
    let port = own_server(|_, settings| settings.max_connections = 2);
    // Two clients that connect and say nothing hold both connections.
    let idle: Vec<std::net::TcpStream> =
        (0..2).map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects")).collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (ok, _, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 1"]);
    assert!(!ok, "a third connection was let in");
    assert!(err.contains("too many connections: the endpoint allows 2 at a time"), "{err}");
    drop(idle);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (ok, out, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 1"]);
    assert!(ok && out == "1", "{out} {err}");
}

#[test]
fn psql_lists_the_tables_and_describes_one() {
    let (ok, out, err) = psql(PASSWORD, "\\dt");
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with("opslag|kpi_wmo|table")), "{out}");
    let (ok, out, err) = psql(PASSWORD, "\\dv");
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with("public|kpi_wmo|view")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("public|stg_declaratieregels|view")), "{out}");
    let (ok, out, err) = psql(PASSWORD, "\\d kpi_begroting");
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l.starts_with("gerealiseerd|numeric")), "{out}");
}

/// psycopg 3 (PyPI; tests/run.sh installs it) runs `code` with a cursor `cur`
/// on a connection to the port: (succeeded, stdout, stderr).
fn psycopg(port: u16, code: &str) -> (bool, String, String) {
    psycopg_with(&format!("host='127.0.0.1', port={port}, sslmode='disable'"), code)
}

/// psycopg with these connection arguments besides user, password and dbname.
fn psycopg_with(arguments: &str, code: &str) -> (bool, String, String) {
    let script = format!(
        "import psycopg\nwith psycopg.connect({arguments}, user='{USER}', password='{PASSWORD}', dbname='wmo') as conn:\n    cur = conn.cursor()\n    {code}\n"
    );
    let output = Command::new("python3").args(["-c", &script]).output().expect("python3 runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

/// pgjdbc, the driver of DBeaver and Metabase (Debian's libpostgresql-jdbc-java;
/// tests/run.sh installs it), running tests/clients/JdbcClient.java against the URL.
fn pgjdbc(url: &str, arguments: &[&str]) -> (bool, String, String) {
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/JdbcClient.java");
    let output = Command::new("java")
        .args(["-cp", "/usr/share/java/postgresql.jar", client, url, USER, PASSWORD])
        .args(arguments)
        .output()
        .expect("java runs (Debian's default-jdk-headless; tests/run.sh installs it)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

/// The engine's own answer to a query over the test lake, as `wmo-monitor sql`
/// gives it: a row per line, cells joined by `|`, numbers normalised.
fn engine_answer(sql: &str) -> Vec<String> {
    let config = &server().deployment.config;
    let rows = wmo_monitor::engine::session::runtime().expect("runtime").block_on(async {
        let ctx = wmo_monitor::engine::open(config, None, &wmo_monitor::engine::Limits::of(config)).await?;
        wmo_monitor::engine::rows::query(&ctx, sql, "the test query").await
    });
    rows.expect("the engine answers")
        .iter()
        .map(|row| row.cells().iter().map(|cell| normalised(&cell.text())).collect::<Vec<_>>().join("|"))
        .collect()
}

/// A cell compared as a number where it is one: psql and pgjdbc print a
/// decimal with its scale (0.00), the engine's rows normalised (0).
fn normalised(cell: &str) -> String {
    cell.parse::<rust_decimal::Decimal>().map_or_else(|_| cell.to_string(), |d| d.normalize().to_string())
}

/// A server of its own over the same lake, with other settings.
fn own_server(change: impl FnOnce(&mut wmo_monitor::Config, &mut SqlServer)) -> u16 {
    let running = server();
    let mut config = running.deployment.config.clone();
    let mut settings = config.sql_server.clone().expect("configured");
    settings.listen = "127.0.0.1".into();
    change(&mut config, &mut settings);
    start(config, settings)
}

/// Starts a server on a thread of its own; returns its port.
fn start(mut config: wmo_monitor::Config, settings: SqlServer) -> u16 {
    config.sql_server = Some(settings.clone());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let server = Server::bind(&config, &settings).await.expect("the server binds");
            sender.send(server.address.port()).expect("the port");
            server.serve().await.expect("it serves");
        });
    });
    receiver.recv().expect("started")
}

#[test]
fn a_statement_past_the_time_limit_is_stopped_on_both_protocols_and_the_server_still_serves() {
    let port = own_server(|config, _| config.query_timeout = std::time::Duration::from_secs(1));
    let slow = "select count(*) from generate_series(1, 20000000000) a";
    let started = std::time::Instant::now();
    let (ok, _, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &[slow]);
    assert!(!ok && err.contains("the statement was stopped after 1 s"), "{err}");
    // The extended protocol (Parse, Bind, Execute): psycopg binds a parameter on the server.
    let (ok, out, err) = psycopg(
        port,
        &format!(
            "try: cur.execute(\"{slow} where a.value > %s\", (0,)); print(cur.fetchall())\n    \
             except psycopg.errors.QueryCanceled as e: print(e.sqlstate, e)"
        ),
    );
    assert!(ok && out.starts_with("57014 the statement was stopped after 1 s"), "{out} {err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "stopped on time: {:?}", started.elapsed());
    let (ok, out, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 1"]);
    assert!(ok && out == "1", "{out} {err}");
}

#[test]
fn with_tls_another_machine_gets_in_encrypted_and_still_not_in_plain_text() {
    let folder = tempfile::tempdir().expect("a folder for the certificates");
    // A test CA and a server certificate from trustme (PyPI; tests/run.sh installs it).
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, trustme\nca = trustme.CA()\ncert = ca.issue_cert('127.0.0.1', 'localhost')\n\
             ca.cert_pem.write_to_path(sys.argv[1] + '/ca.pem')\n\
             cert.private_key_pem.write_to_path(sys.argv[1] + '/server.key')\n\
             open(sys.argv[1] + '/server.pem', 'wb').write(b''.join(p.bytes() for p in cert.cert_chain_pems))\n",
        )
        .arg(folder.path())
        .output()
        .expect("python3 runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let port = own_server(|_, settings| {
        settings.listen = "0.0.0.0".into();
        settings.tls_cert = Some(folder.path().join("server.pem"));
        settings.tls_key = Some(folder.path().join("server.key"));
    });
    let address = non_loopback_address().expect("this machine has an address besides loopback");
    let ca = folder.path().join("ca.pem");
    let conninfo = |host: &str, ssl: &str| {
        format!("host={host} port={port} user={USER} dbname=wmo {ssl} sslrootcert={}", ca.display())
    };
    let run = |conninfo: String| {
        let output = Command::new("psql")
            .args([conninfo.as_str(), "--no-psqlrc", "-X", "-At", "-c", "\\dt+ kpi_wmo"])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).to_string() + &String::from_utf8_lossy(&output.stdout),
        )
    };
    // Encrypted (verify-ca fails without TLS), the server's certificate checked against the test CA;
    // the table with its comment.
    let (ok, err) = run(conninfo(&address.to_string(), "sslmode=verify-ca"));
    assert!(ok, "a TLS connection from {address} was refused: {err}");
    assert!(err.contains("One row per period, Wmo-wide"), "{err}");
    let (ok, err) = run(conninfo(&address.to_string(), "sslmode=disable"));
    assert!(!ok && err.contains("must use TLS"), "{err}");
    let (ok, err) = run(conninfo("127.0.0.1", "sslmode=disable"));
    assert!(ok, "plain from this machine: {err}");
    // psycopg and pgjdbc too, encrypted and with the certificate checked.
    let (ok, out, err) = psycopg_with(
        &format!("host='{address}', port={port}, sslmode='verify-ca', sslrootcert='{}'", ca.display()),
        "cur.execute(\"select left(obj_description('kpi_wmo'::regclass), 28)\"); print(cur.fetchone()[0], conn.pgconn.ssl_in_use)",
    );
    assert!(ok && out == "One row per period, Wmo-wide True", "{out} {err}");
    let url = format!("jdbc:postgresql://{address}:{port}/wmo?sslmode=verify-ca&sslrootcert={}", ca.display());
    let (ok, out, err) = pgjdbc(&url, &["browse"]);
    assert!(ok && out.ends_with("after|42"), "{out}\n{err}");
}

#[test]
fn serve_also_listens_when_the_endpoint_is_configured() {
    let running = server();
    let deployment_folder = running.deployment.config.paths.data.parent().expect("the deployment folder").to_path_buf();
    // A free port, then a configuration of the same deployment that names it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
    let config_file = deployment_folder.join("met-endpoint.toml");
    let own = std::fs::read_to_string(deployment_folder.join("wmo-monitor.toml")).expect("config");
    std::fs::write(&config_file, format!("{own}\n[sql_server]\nport = {port}\nusers = \"data/sql-users\"\n"))
        .expect("config");
    // A schedules folder whose one job is far away, so serve only listens.
    let schedules = tempfile::tempdir().expect("schedules");
    std::fs::write(
        schedules.path().join("ooit.toml"),
        "cron = \"0 6 1 1 *\"\ntimezone = \"Europe/Amsterdam\"\njob = \"ingest\"\n",
    )
    .expect("schedule");
    let text = std::fs::read_to_string(&config_file).expect("config");
    std::fs::write(
        &config_file,
        text.replacen("[paths]\n", &format!("[paths]\nschedules = {:?}\n", schedules.path().display().to_string()), 1),
    )
    .expect("config");
    let serve = Command::new(env!("CARGO_BIN_EXE_wmo-monitor"))
        .args(["--config", &config_file.to_string_lossy(), "serve"])
        .env_remove(wmo_monitor::config::KEY_ENV)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let answer = loop {
        let answer = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 40 + 2 where '999911144' <> ''"]);
        if answer.0 || std::time::Instant::now() > deadline {
            break answer;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let status = Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
    let output = serve.wait_with_output().expect("serve ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(answer.0 && answer.1 == "42", "{answer:?}\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&format!("SQL endpoint on 127.0.0.1:{port}")), "{stdout}");
    // The service's log on stderr: the login and the statement, with the user.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sql-server: analist logged in from 127.0.0.1"), "{stderr}");
    // Each statement with its rows and duration.
    let logged = stderr.lines().find(|l| l.contains("sql-server: analist ran SELECT 40 + 2")).unwrap_or_default();
    let (_, tally) = logged.rsplit_once(": ").unwrap_or_default();
    let milliseconds = tally.strip_prefix("1 row in ").and_then(|t| t.strip_suffix(" ms"));
    assert!(milliseconds.is_some_and(|ms| ms.parse::<u64>().is_ok()), "{stderr}");
    // A number that could be a BSN, typed into a statement, never reaches the log.
    assert!(!stderr.contains("999911144"), "{stderr}");
    assert!(output.status.success(), "SIGTERM ends serve cleanly ({}):\n{stdout}\n{stderr}", output.status);
}

#[test]
fn a_new_ingest_batch_is_seen_by_the_next_connection_without_a_restart() {
    let deployment = Deployment::new();
    deployment.inbox("wmo301.xml", crate::support::fixture("inbox/wmo301.xml"));
    deployment.ingest();
    let users = deployment.config.paths.data.join("sql-users");
    Users::add(&users, USER, PASSWORD).expect("a user");
    let settings = settings(users);
    let port = start(deployment.config.clone(), settings);
    let count = || psql_as("127.0.0.1", port, USER, PASSWORD, &["select count(*) from laadlog"]);
    let before = count();
    assert!(before.0 && before.1 == "1", "{before:?}");
    // A connection open across the change, which reads a view (planned on its
    // first read) only after the session it came from was replaced.
    let marker = deployment.config.paths.data.join("lake-changed");
    let script = format!(
        "import psycopg, os, time\nwith psycopg.connect(host='127.0.0.1', port={port}, sslmode='disable', user='{USER}', \
         password='{PASSWORD}', dbname='wmo') as conn:\n    cur = conn.cursor()\n    cur.execute('select count(*) from laadlog')\n    \
         print(cur.fetchone()[0], flush=True)\n    while not os.path.exists({marker:?}): time.sleep(0.1)\n    \
         cur.execute('select count(*) from stg_toewijzingen')\n    print(cur.fetchone()[0])\n"
    );
    let mut open = Command::new("python3")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(open.stdout.as_mut().expect("its output")), &mut first)
        .expect("a line");
    assert_eq!(first.trim(), "1", "the open connection sees the first batch");

    deployment.inbox("wmo305.xml", crate::support::fixture("inbox/wmo305.xml"));
    deployment.ingest();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let after = loop {
        let after = count();
        if after.1 != "1" || std::time::Instant::now() > deadline {
            break after;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert!(after.0 && after.1 == "2", "the second file's batch was not seen: {after:?}");
    std::fs::write(&marker, b"").expect("marker");
    let output = open.wait_with_output().expect("the open connection ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim().parse::<u64>().is_ok_and(|n| n > 0),
        "the connection opened before the change reads a view after it: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_statement_past_its_connections_memory_is_stopped_and_the_server_still_serves() {
    let port = own_server(|_, settings| settings.session_memory_megabytes = Some(1));
    // A join holds one side in memory, and cannot spill it.
    let join =
        "select count(*) from generate_series(1, 2000000) a join generate_series(1, 2000000) b on a.value = b.value";
    let (ok, _, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &[join]);
    assert!(!ok && err.contains("needs more than this connection's 1 MB"), "{err}");
    let (ok, out, err) =
        psycopg(port, &format!("try: cur.execute('{join}')\n    except psycopg.Error as e: print(e.sqlstate)"));
    assert!(ok && out == "53200", "PostgreSQL's code for out of memory: {out} {err}");
    let (ok, out, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select count(*) from generate_series(1, 1000)"]);
    assert!(ok && out == "1000", "{out} {err}");
}

#[test]
fn connections_together_stay_within_the_endpoints_memory() {
    use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryConsumer, MemoryPool};
    use std::sync::Arc;
    use wmo_monitor::sql_server::memory::SessionPool;
    const MB: usize = 1024 * 1024;
    let total: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(10 * MB));
    let first: Arc<dyn MemoryPool> = Arc::new(SessionPool::new(total.clone(), 8 * MB));
    let second: Arc<dyn MemoryPool> = Arc::new(SessionPool::new(total.clone(), 8 * MB));
    let sort = MemoryConsumer::new("sort").register(&first);
    sort.try_grow(6 * MB).expect("within both limits");
    // One connection stays within its own share...
    let join = MemoryConsumer::new("join").register(&first);
    let err = join.try_grow(3 * MB).expect_err("past the connection's 8 MB").to_string();
    assert!(err.contains("this connection's 8 MB ([sql_server] session_memory_megabytes)"), "{err}");
    // ...and all of them within the endpoint's.
    let other = MemoryConsumer::new("other").register(&second);
    let err = other.try_grow(6 * MB).expect_err("past the endpoint's 10 MB").to_string();
    assert!(err.contains("all of the endpoint's 10 MB ([query] memory_megabytes)"), "{err}");
    assert_eq!(second.reserved(), 0, "a refused reservation holds nothing");
    drop(sort);
    other.try_grow(6 * MB).expect("free again once the first has finished");
    assert_eq!(total.reserved(), 6 * MB);
}

#[test]
fn a_cancel_request_stops_the_statement_on_both_protocols_and_the_connection_goes_on() {
    // A time limit far away: only the cancel can stop it.
    let port = own_server(|config, _| config.query_timeout = std::time::Duration::from_secs(600));
    let slow = "select count(*) from generate_series(1, 20000000000) a";
    // psql sends a cancel request on Ctrl-C (SIGINT), over the simple protocol.
    let mut psql = Command::new("psql")
        .arg(format!("host=127.0.0.1 port={port} user={USER} dbname=wmo sslmode=disable"))
        .args(["--no-psqlrc", "-X", "-At", "-c", slow])
        .env("PGPASSWORD", PASSWORD)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql runs");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    let sent = Command::new("kill").args(["-INT", &psql.id().to_string()]).status().expect("kill runs");
    assert!(sent.success());
    let waited = loop {
        if let Some(status) = psql.try_wait().expect("psql") {
            break Some(status);
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = psql.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let output = psql.wait_with_output().expect("psql ends");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(waited.is_some(), "the statement went on after the cancel: {err}");
    assert!(err.contains("canceling statement due to user request"), "{err}");
    // psycopg, over the extended protocol, cancels from another thread; the connection goes on.
    let (ok, out, err) = psycopg(
        port,
        &format!(
            "import threading, time\n    threading.Timer(2, conn.cancel).start()\n    begun = time.time()\n    \
             try: cur.execute('{slow} where a.value > %s', (0,))\n    \
             except psycopg.errors.QueryCanceled as e: print(e.sqlstate, round(time.time() - begun) < 30)\n    \
             conn.rollback(); cur.execute('select 41 + 1'); print(cur.fetchone()[0])"
        ),
    );
    assert!(ok && out == "57014 True\n42", "{out} {err}");
}

#[test]
fn psql_copies_a_query_to_a_file_and_shows_the_catalogues_comments() {
    let folder = tempfile::tempdir().expect("a folder");
    let file = folder.path().join("wmo.csv");
    let query = "select periode, clienten, gedeclareerd from kpi_wmo order by periode";
    let copy = format!("\\copy ({query}) to '{}' csv header", file.display());
    let (ok, _, err) = psql(PASSWORD, &copy);
    assert!(ok, "{err}");
    let written = std::fs::read_to_string(&file).expect("psql wrote the file");
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("periode,clienten,gedeclareerd"));
    let rows: Vec<String> = lines.map(|line| line.split(',').map(normalised).collect::<Vec<_>>().join("|")).collect();
    assert_eq!(rows, engine_answer(query));
    // The text format, with PostgreSQL's \N for an empty cell.
    let (ok, out, err) = psql(PASSWORD, "copy (select 'a' as x, cast(null as int) as y) to stdout");
    assert!(ok && out == "a\t\\N", "{out} {err}");
    // Tables and columns carry the catalogue's one-liners.
    let (ok, out, err) = psql(PASSWORD, "\\dt+ kpi_wmo");
    assert!(ok && out.contains("One row per period, Wmo-wide"), "{out} {err}");
    let (ok, out, err) = psql(
        PASSWORD,
        "select col_description('kpi_begroting'::regclass, 2), left(pg_get_viewdef('kpi_begroting'::regclass), 80)",
    );
    assert!(
        ok && out.starts_with("the year's budget, euro|") && out.contains("queries/marts/kpi_begroting.sql"),
        "{out} {err}"
    );
}

#[test]
fn a_database_other_than_wmo_does_not_exist() {
    let output = Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user={USER} dbname=postgres sslmode=disable", server().port))
        .args(["--no-psqlrc", "-X", "-At", "-c", "select 1"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .expect("psql runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && err.contains("database \"postgres\" does not exist"), "{err}");
}

#[test]
fn pgjdbc_browses_the_tables_with_their_comments_and_answers_as_the_sql_command_does() {
    let url = format!("jdbc:postgresql://127.0.0.1:{}/wmo?sslmode=disable", server().port);
    let (ok, out, err) = pgjdbc(&url, &["browse"]);
    assert!(ok, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"product|PostgreSQL|16"), "{out}");
    // DatabaseMetaData.getTables: the kpi tables kept (opslag) and the views over them (public), each with its comment.
    let kpi_wmo = lines.iter().find(|l| l.starts_with("table|public|kpi_wmo|VIEW|")).expect("kpi_wmo is listed");
    assert!(kpi_wmo.ends_with("|One row per period, Wmo-wide: clients, flows, money, reach, experience, provider concentration and the five movements of the transformation (indicators.md, kpi_wmo)."), "{kpi_wmo}");
    assert!(lines.iter().any(|l| l.starts_with("table|opslag|kpi_wmo|TABLE|One row per period")), "{out}");
    assert!(
        lines.iter().filter(|l| l.starts_with("table|")).all(|l| !l.ends_with("|null")),
        "a table without its comment:\n{out}"
    );
    // getColumns: types and comments (numeric is java.sql.Types.NUMERIC, 2; date is DATE, 91).
    assert!(lines.contains(&"column|begroting|numeric|2|the year's budget, euro"), "{out}");
    assert!(lines.contains(&"column|peildatum|date|91|the as-of date the figures were computed with"), "{out}");
    // A prepared statement with a bound parameter, typed results: as the engine answers.
    let expected = engine_answer("select jaar, gerealiseerd from kpi_begroting where jaar = 2019");
    let prepared: Vec<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("prepared|"))
        .map(|l| l.split('|').map(normalised).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(prepared, expected);
    assert_eq!(
        lines.iter().find_map(|l| l.strip_prefix("date|")).map(str::to_string),
        engine_answer("select min(periode_begin) from stg_perioden").first().cloned()
    );
    // Writes refused with PostgreSQL's code for a read-only transaction; the connection goes on.
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("refused|25006|ERROR: refused: the SQL endpoint is read-only")).count(),
        2,
        "{out}"
    );
    assert!(!out.contains("allowed|"), "{out}");
    assert_eq!(lines.last(), Some(&"after|42"));
}

/// Replays a tool's connect statements over pgjdbc; each line `ok|rows|described|statement`.
fn replay(file: &str) -> Vec<String> {
    let url = format!("jdbc:postgresql://127.0.0.1:{}/wmo?sslmode=disable", server().port);
    let path = format!("{}/tests/clients/{file}", env!("CARGO_MANIFEST_DIR"));
    let (ok, out, err) = pgjdbc(&url, &["replay", &path]);
    assert!(ok, "{out}\n{err}");
    let lines: Vec<String> = out.lines().map(str::to_string).collect();
    let failed: Vec<&String> = lines.iter().filter(|l| !l.starts_with("ok|")).collect();
    assert!(failed.is_empty(), "{file}: {failed:#?}");
    lines
}

fn described(lines: &[String], statement_start: &str) -> (usize, usize) {
    let line = lines.iter().find(|l| l.split('|').nth(3).is_some_and(|s| s.starts_with(statement_start)));
    let fields: Vec<usize> =
        line.expect(statement_start).split('|').skip(1).take(2).map(|n| n.parse().unwrap_or(0)).collect();
    (fields[0], fields[1])
}

#[test]
fn what_dbeaver_sends_on_connect_and_to_browse_a_table_succeeds_with_the_comments() {
    let lines = replay("dbeaver-connect.sql");
    assert_eq!(lines.len(), 19, "{lines:#?}");
    // The table list of `public`: every kpi table, view, staging view and helper table, each with its comment.
    let (tables, with_comment) = described(&lines, "SELECT c.oid,c.*,d.description");
    assert!(tables > 40 && with_comment == tables, "{tables} tables, {with_comment} with a comment");
    // The columns of kpi_wmo, every one with its comment; and the view's SQL.
    let (columns, with_comment) = described(&lines, "SELECT c.relname,a.*");
    assert!(columns > 10 && with_comment == columns, "{columns} columns, {with_comment} with a comment");
    assert_eq!(described(&lines, "SELECT pg_catalog.pg_get_viewdef"), (1, 1));
}

#[test]
fn what_metabase_sends_on_connect_and_to_sync_succeeds_with_the_comments() {
    let lines = replay("metabase-connect.sql");
    assert_eq!(lines.len(), 10, "{lines:#?}");
    let (tables, with_comment) = described(&lines, "SELECT \"n\".\"nspname\" AS \"schema\"");
    assert!(tables > 40 && with_comment == tables, "{tables} tables, {with_comment} with a comment");
}

/// psqlODBC, the ODBC driver Excel and Power BI reach PostgreSQL through
/// (Debian's odbc-postgresql, with pyodbc from PyPI; tests/run.sh installs them),
/// runs `code` with a cursor `cur` on a connection to the port.
fn odbc(port: u16, code: &str) -> (bool, String, String) {
    let script = format!(
        "import pyodbc\nconn = pyodbc.connect('DRIVER={{PostgreSQL Unicode}};SERVER=127.0.0.1;PORT={port};DATABASE=wmo;UID={USER};PWD={PASSWORD};SSLmode=disable', timeout=10)\ncur = conn.cursor()\n{code}\n"
    );
    let output = Command::new("python3").args(["-c", &script]).output().expect("python3 runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

#[test]
fn the_odbc_driver_of_excel_and_power_bi_lists_the_tables_and_runs_a_bound_query() {
    let (ok, out, err) = odbc(
        server().port,
        "print(sorted(t.table_schem + '.' + t.table_name for t in cur.tables(tableType='TABLE,VIEW') if t.table_name == 'kpi_wmo'))\n\
         cur.execute('select jaar, gerealiseerd from kpi_begroting where jaar = ?', 2019)\n\
         print('|'.join(str(v) for v in cur.fetchone()))\n\
         try:\n    cur.execute('drop table kpi_wmo')\nexcept pyodbc.Error as e:\n    print('refused' if 'read-only' in str(e) else e)\n\
         conn.rollback()\n\
         cur.execute('select 41 + 1'); print(cur.fetchone()[0])",
    );
    assert!(ok, "{out}\n{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"['opslag.kpi_wmo', 'public.kpi_wmo']"), "{out}");
    let bound = lines.get(1).map(|l| l.split('|').map(normalised).collect::<Vec<_>>().join("|"));
    assert_eq!(bound, engine_answer("select jaar, gerealiseerd from kpi_begroting where jaar = 2019").first().cloned());
    assert_eq!(&lines[2..], ["refused", "42"], "{out}");
}

#[test]
fn a_user_added_or_removed_while_the_server_runs_counts_at_the_next_login() {
    let folder = tempfile::tempdir().expect("a folder");
    let users = folder.path().join("sql-users");
    Users::add(&users, USER, PASSWORD).expect("a user");
    let port = own_server(|_, settings| settings.users = users.clone());
    let (ok, _, err) = psql_as("127.0.0.1", port, "nieuwe", "nog een lang wachtwoord", &["select 1"]);
    assert!(!ok && err.contains("password authentication failed"), "{err}");
    Users::add(&users, "nieuwe", "nog een lang wachtwoord").expect("a second user");
    let (ok, out, err) = psql_as("127.0.0.1", port, "nieuwe", "nog een lang wachtwoord", &["select 1"]);
    assert!(ok && out == "1", "{out} {err}");
    // Taken away by removing the line.
    let kept: String = std::fs::read_to_string(&users)
        .expect("the users file")
        .lines()
        .filter(|line| !line.starts_with("nieuwe "))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&users, kept).expect("the users file");
    let (ok, _, err) = psql_as("127.0.0.1", port, "nieuwe", "nog een lang wachtwoord", &["select 1"]);
    assert!(!ok && err.contains("password authentication failed"), "{err}");
    let (ok, out, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 1"]);
    assert!(ok && out == "1", "{out} {err}");
}

#[test]
fn psycopg_binds_on_the_server_and_gets_decimal_date_and_timestamp_with_zone() {
    let periode = engine_answer("select min(periode) from kpi_wmo").remove(0);
    let (ok, out, err) = psycopg(
        server().port,
        &format!(
            "for prepare in (False, True, True):\n        \
             cur.execute('select gedeclareerd, periode_begin from kpi_wmo where periode = %s', ('{periode}',), prepare=prepare)\n        \
             amount, begin = cur.fetchone()\n        \
             print(type(amount).__name__, type(begin).__name__, amount, begin)\n    \
             cur.execute('select gestart from berekeningen limit 1'); print(cur.fetchone()[0].utcoffset())"
        ),
    );
    assert!(ok, "{out}\n{err}");
    let expected =
        engine_answer(&format!("select gedeclareerd, periode_begin from kpi_wmo where periode = '{periode}'"));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for line in &lines[..3] {
        let cells: Vec<&str> = line.split(' ').collect();
        assert_eq!(cells[..2], ["Decimal", "date"], "{out}");
        assert_eq!(format!("{}|{}", normalised(cells[2]), cells[3]), expected[0], "{out}");
    }
    assert_eq!(lines[3], "0:00:00", "a timestamp with its zone (UTC): {out}");
}

#[test]
fn statements_that_read_much_of_the_lake_take_turns_and_the_others_do_not_wait() {
    // Every statement that reads a lake file counts as heavy here; one at a time.
    let port = own_server(|config, settings| {
        config.query_timeout = std::time::Duration::from_secs(3);
        settings.heavy_megabytes = 0;
        settings.heavy_statements = 1;
    });
    let long = "select count(*) from kpi_wmo, generate_series(1, 20000000000)";
    let first = std::thread::spawn(move || psql_as("127.0.0.1", port, USER, PASSWORD, &[long]));
    std::thread::sleep(std::time::Duration::from_millis(700));
    let began = std::time::Instant::now();
    let (ok, out, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select sum(clienten) > 0 from kpi_wmo"]);
    let waited = began.elapsed();
    assert!(ok && out == "t", "{out} {err}");
    assert!(waited > std::time::Duration::from_millis(1200), "it did not wait for the first: {waited:?}");
    // What reads no lake file (the catalogue, a constant) does not wait.
    let second = std::thread::spawn(move || psql_as("127.0.0.1", port, USER, PASSWORD, &[long]));
    std::thread::sleep(std::time::Duration::from_millis(700));
    let began = std::time::Instant::now();
    let (ok, _, err) = psql_as("127.0.0.1", port, USER, PASSWORD, &["select 1", "\\dt"]);
    assert!(ok && began.elapsed() < std::time::Duration::from_millis(1500), "{:?} {err}", began.elapsed());
    let (ok, _, err) = first.join().expect("the first");
    assert!(!ok && err.contains("stopped after 3 s"), "{err}");
    let _ = second.join();
}
