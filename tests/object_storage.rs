//! The lake on object storage (`[paths] lake = "s3://..."`), against a local
//! S3 server (moto, installed by tests/run.sh). The same hand fixtures give
//! the same figures and reports as a lake on disk; the commit, the lock and
//! the rollback of debris hold there too. The binary runs as a user runs it:
//! settings in the configuration file, credentials in the environment.

use crate::support::Deployment;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BUCKET: &str = "wmo-lake";

/// A moto S3 server on a free loopback port, stopped when dropped.
struct S3Server {
    child: Child,
    port: u16,
}

impl S3Server {
    fn start() -> S3Server {
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs moto.server (tests/run.sh installs moto[server])");
        let server = S3Server { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "moto did not start listening on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(server.request("create_bucket", "", b""), 200, "the bucket is created");
        server
    }

    /// A request another tool with access to the bucket makes (boto3, which
    /// moto depends on): `put` (with `body`), `get` or `delete` of a key.
    /// Returns the HTTP status.
    fn request(&self, method: &str, key: &str, body: &[u8]) -> u16 {
        let script = r#"
import sys, boto3, botocore
method, bucket, key, endpoint = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-central-1",
                  aws_access_key_id="other-tool", aws_secret_access_key="other-tool-secret")
try:
    if method == "create_bucket":
        answer = s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    elif method == "put":
        answer = s3.put_object(Bucket=bucket, Key=key, Body=sys.stdin.buffer.read())
    elif method == "get":
        answer = s3.get_object(Bucket=bucket, Key=key)
    else:
        answer = s3.delete_object(Bucket=bucket, Key=key)
    print(answer["ResponseMetadata"]["HTTPStatusCode"])
except botocore.exceptions.ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
"#;
        let mut child = Command::new("python3")
            .args(["-c", script, method, BUCKET, key, &format!("http://127.0.0.1:{}", self.port)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs boto3");
        child.stdin.take().expect("stdin").write_all(body).expect("body");
        let output = child.wait_with_output().expect("boto3 answers");
        let answer = String::from_utf8_lossy(&output.stdout);
        answer.trim().parse().unwrap_or_else(|_| panic!("boto3 {method} {key}: {answer}"))
    }

    /// The deployment's configuration with its lake in the bucket.
    fn configure(&self, deployment: &Deployment, prefix: &str) {
        let file = deployment.config_file();
        let toml = std::fs::read_to_string(&file).expect("config");
        let toml = toml.replace("[paths]\n", &format!("[paths]\nlake = \"s3://{BUCKET}/{prefix}\"\n"));
        let toml = format!(
            "{toml}\n[object_store]\naws_endpoint = \"http://127.0.0.1:{}\"\naws_allow_http = \"true\"\naws_region = \"eu-central-1\"\n",
            self.port
        );
        std::fs::write(file, toml).expect("config");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(deployment: &Deployment, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wmo-monitor"))
        .arg("--config")
        .arg(deployment.config_file())
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "wmo-monitor-test")
        .env("AWS_SECRET_ACCESS_KEY", "wmo-monitor-test-secret")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT")
        .output()
        .expect("wmo-monitor runs")
}

fn succeeds(deployment: &Deployment, args: &[&str]) -> String {
    let output = run(deployment, args);
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "wmo-monitor {args:?} failed:\n{printed}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A query's CSV lines, sorted (the engines give rows in no fixed order).
fn sql(deployment: &Deployment, query: &str) -> Vec<String> {
    let mut lines: Vec<String> =
        succeeds(deployment, &["--quiet", "sql", "--format", "csv", "-e", query]).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            names.extend(file_names(&entry.path()).into_iter().map(|n| format!("{name}/{n}")));
        } else {
            names.push(name);
        }
    }
    names.sort();
    names
}

#[test]
fn a_lake_on_s3_gives_the_same_figures_and_reports_and_commits_once() {
    let server = S3Server::start();
    let on_disk = Deployment::new().with_all_fixtures();
    let on_s3 = Deployment::new().with_all_fixtures();
    server.configure(&on_s3, "gemeente-0193");
    let steps: [&[&str]; 3] = [
        &["--quiet", "ingest"],
        &["--quiet", "compute", "--all", "--as-of", "2019-09-30"],
        &["--quiet", "publish", "--periode", "2019-Q3"],
    ];
    for step in steps {
        succeeds(&on_disk, step);
        succeeds(&on_s3, step);
    }
    assert!(!on_s3.config.paths.lake().join("laadlog").exists(), "nothing of the lake is written on this machine");
    assert_eq!(server.request("get", "gemeente-0193/laadlog/part-00000001.parquet", b""), 200);

    let queries = [
        "select * from kpi_wmo",
        "select * from kpi_aanbieder",
        "select * from kpi_stadsdeel",
        "select soort, bestand, uitkomst, records_geladen, records_geweigerd from laadlog",
        "select count(*), sum(bedrag) from declaratieregels",
        "select tabel, rijen from berekeningen",
    ];
    for query in queries {
        let (disk, s3) = (sql(&on_disk, query), sql(&on_s3, query));
        assert!(disk.len() > 1, "{query} has rows: {disk:?}");
        assert_eq!(s3, disk, "{query}");
    }
    let reports = file_names(&on_disk.config.paths.out);
    assert!(reports.len() > 3, "{reports:?}");
    assert_eq!(file_names(&on_s3.config.paths.out), reports, "publish writes the same reports");

    // The same files again under other names: doubles, nothing counted twice.
    let lines = sql(&on_s3, "select count(*), sum(bedrag) from declaratieregels");
    let again = Deployment::new().with_all_fixtures();
    let resent = on_s3.config.paths.inbox.join("opnieuw");
    std::fs::create_dir_all(&resent).expect("inbox");
    for name in file_names(&again.config.paths.inbox) {
        std::fs::copy(again.config.paths.inbox.join(&name), resent.join(&name)).expect("copy");
    }
    succeeds(&on_s3, &["--quiet", "ingest"]);
    assert_eq!(sql(&on_s3, "select count(*), sum(bedrag) from declaratieregels"), lines);
    let latest =
        sql(&on_s3, "select distinct uitkomst from laadlog where laad_id = (select max(laad_id) from laadlog)");
    assert_eq!(latest, ["dubbel", "uitkomst"], "the second batch records every file as a double");

    // A part without its laadlog part (a run killed before its commit) is not
    // read, and the next ingest removes it.
    let debris = "gemeente-0193/declaratieregels/part-00000099.parquet";
    assert_eq!(server.request("put", debris, b"not parquet: an interrupted upload"), 200);
    assert_eq!(sql(&on_s3, "select count(*), sum(bedrag) from declaratieregels"), lines);
    let ingested = succeeds(&on_s3, &["ingest"]);
    assert!(ingested.contains("rolled back"), "{ingested}");
    assert_eq!(server.request("get", debris, b""), 404, "the debris is removed");

    // Another run holds the lock: this one stops and names the lock object.
    let lock = "gemeente-0193/.lock";
    assert_eq!(server.request("put", lock, b"wmo-monitor on another machine"), 200);
    let refused = run(&on_s3, &["--quiet", "ingest"]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(message.contains("s3://wmo-lake/gemeente-0193/.lock"), "{message}");
    assert_eq!(server.request("get", lock, b""), 200, "another run's lock is left alone");
    assert_eq!(server.request("delete", lock, b""), 204);
    succeeds(&on_s3, &["--quiet", "compute", "--all", "--as-of", "2019-09-30"]);
    assert_eq!(server.request("get", lock, b""), 404, "a run releases its lock");
}

#[test]
fn credentials_of_object_storage_never_come_from_the_configuration() {
    let text = "gemeente = \"0193\"\n[paths]\nlake = \"s3://bucket/lake\"\n[object_store]\naws_secret_access_key = \"hunter2\"\n";
    let refused = wmo_monitor::Config::parse(text, Path::new("."), "test.toml").expect_err("refused");
    assert!(refused.to_string().contains("environment"), "{refused}");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");

    let local = "gemeente = \"0193\"\n[paths]\nlake = \"/srv/lake\"\n";
    let refused = wmo_monitor::Config::parse(local, Path::new("."), "test.toml").expect_err("refused");
    assert!(refused.to_string().contains("paths.data"), "{refused}");

    let ok =
        "gemeente = \"0193\"\n[paths]\nlake = \"s3://bucket/lake\"\n[object_store]\naws_region = \"eu-central-1\"\n";
    let config = wmo_monitor::Config::parse(ok, Path::new("."), "test.toml").expect("parses");
    assert_eq!(config.paths.lake_location(), "s3://bucket/lake/");
}
