//! The deployment's configuration: a TOML file, or the embedded defaults that
//! work in the current folder. Relative paths resolve against the folder of
//! the configuration file (the current folder for the defaults).

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration a fresh checkout runs with. Shown in the README.
pub const DEFAULT_TOML: &str = r#"# wmo-monitor configuration (the embedded default)
gemeente = "0193"          # CBS code of the municipality whose messages are ours
# gemeente_naam = "Zwolle"  # its name in titles and mails; default: from the CBS code list (else the code)

[paths]
inbox = "inbox"            # where providers' and teams' files arrive
reference = "reference"    # reference CSVs, loaded as snapshots when they change
data = "data"              # the Parquet lake (data/lake) and its key
# lake = "s3://bucket/zwolle"  # the lake on object storage instead (s3:// or az://); see [object_store]
out = "out"                # reports and the mail outbox
archive = "archive"        # inbox files after ingest (geladen/, dubbel/, geweigerd/)
schedules = "schedules"    # the jobs `serve` runs (*.toml)
# queries = "queries"      # read the SQL from this folder instead of the built-in copies
# reports = "reports"      # read the report templates from this folder instead of the built-in copies

# The pseudonymisation secret comes from WMO_MONITOR_PSEUDONYM_KEY, or from a
# key file named here; `wmo-monitor demo` creates data/pseudonym.key.
# pseudonym_key_file = "/etc/wmo-monitor/pseudonym.key"

# Settings of the object storage a `lake = "s3://..."` lives on, as the object_store
# crate names them; credentials come from the environment (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_ACCOUNT_KEY...), never from this file.
# [object_store]
# aws_region = "eu-central-1"
# aws_endpoint = "https://s3.example.nl"

[ingest]
batch_megabytes = 64       # input committed to the lake at once

[deliver]
afzender = "wmo-monitor@zwolle.example"   # the From address of every mail
raad = ["raad@zwolle.example"]            # who receives the Monitor Sociaal Domein
wmo_team = ["wmo@zwolle.example"]         # who receives the overview of the signals (`wmo-monitor signals`)
toegestane_domeinen = ["zwolle.example"]  # mail goes only to addresses in these domains
# Without [deliver.smtp], mails are written as .eml files to out/outbox/.
# [deliver.smtp]
# host = "smtp.zwolle.example"
# port = 587                # default: 587 for starttls, 465 for tls, 25 for none
# security = "starttls"     # starttls | tls (implicit, port 465) | none (only to loopback)
# username = "wmo-monitor"  # the password comes from WMO_MONITOR_SMTP_PASSWORD or password_file
# password_file = "/etc/wmo-monitor/smtp-password"
# ca_file = "/etc/wmo-monitor/smtp-ca.pem"  # a root certificate to trust besides the public ones
# attempts = 4              # a temporary error (4xx) is tried again this many times in all
# retry_seconds = 30        # the wait before the second attempt; it doubles each time

[query]
memory_megabytes = 3072    # memory compute and sql may hold; beyond it they spill to disk
timeout_seconds = 300      # an analyst's statement is stopped after this long

# The Postgres endpoint for analysts' tools (`wmo-monitor sql-server`); off without this table.
# [sql_server]
# listen = "127.0.0.1"     # the address to listen on; another machine needs TLS
# port = 5433
# users = "sql-users"      # `wmo-monitor users add NAME` writes its SCRAM verifiers
# tls_cert = "/etc/wmo-monitor/sql.crt"   # PEM; with tls_key, clients may use sslmode=require
# tls_key = "/etc/wmo-monitor/sql.key"
# max_connections = 20
# heavy_statements = 1     # statements reading over heavy_megabytes of the lake at once (default: a quarter of the cores)
# heavy_megabytes = 64
# session_memory_megabytes = 3072  # one connection's memory (default: [query] memory_megabytes / heavy_statements)
"#;

/// Environment variable holding the pseudonymisation secret.
pub const KEY_ENV: &str = "WMO_MONITOR_PSEUDONYM_KEY";
/// Name of the key file `demo` writes into the data folder.
pub const DEMO_KEY_FILE: &str = "pseudonym.key";

#[derive(Debug, Clone)]
pub struct Config {
    pub gemeente: String,
    /// The municipality's name in titles and mails: `gemeente_naam`, else
    /// the name the CBS code list gives, else the code itself.
    pub gemeente_naam: String,
    pub paths: Paths,
    pub pseudonym_key_file: Option<PathBuf>,
    pub batch_bytes: u64,
    pub query_memory_bytes: usize,
    pub query_timeout: std::time::Duration,
    pub deliver: Deliver,
    /// The Postgres endpoint, when configured.
    pub sql_server: Option<SqlServer>,
    /// Settings of the object storage the lake is on (`[object_store]`).
    pub object_store: std::collections::BTreeMap<String, String>,
    /// Where the configuration came from, for messages.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct Paths {
    pub inbox: PathBuf,
    pub reference: PathBuf,
    pub data: PathBuf,
    pub out: PathBuf,
    pub archive: PathBuf,
    /// The schedules `serve` runs.
    pub schedules: PathBuf,
    /// The SQL of `queries/`, when not the built-in copies.
    pub queries: Option<PathBuf>,
    /// The templates of `reports/`, when not the built-in copies.
    pub reports: Option<PathBuf>,
    /// The lake on object storage (`s3://bucket/prefix`), when not `data/lake`.
    pub lake_url: Option<url::Url>,
}

impl Paths {
    /// The lake's folder on this machine; with `lake_url`, only a run's scratch files go here.
    pub fn lake(&self) -> PathBuf {
        self.data.join("lake")
    }

    /// Where the lake is, for messages.
    pub fn lake_location(&self) -> String {
        match &self.lake_url {
            Some(url) => url.to_string(),
            None => self.lake().display().to_string(),
        }
    }

    /// The folders the deployment itself writes or reads as its input, with
    /// what each is; nothing else (an analyst's output file) may go there.
    pub fn deployment_folders(&self) -> [(&Path, &'static str); 6] {
        [
            (&self.data, "the data folder (lake and key)"),
            (&self.inbox, "the inbox"),
            (&self.reference, "the reference folder"),
            (&self.archive, "the archive"),
            (&self.out, "the reports folder"),
            (&self.schedules, "the schedules folder"),
        ]
    }
}

/// The Postgres endpoint for analysts' tools.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlServer {
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_sql_port")]
    pub port: u16,
    /// The users file: who may log in, as SCRAM-SHA-256 verifiers.
    #[serde(default = "default_users_file")]
    pub users: PathBuf,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Statements that read more than `heavy_megabytes` of the lake run this
    /// many at a time; the others wait their turn (within their time limit).
    #[serde(default = "default_heavy_statements")]
    pub heavy_statements: usize,
    #[serde(default = "default_heavy_megabytes")]
    pub heavy_megabytes: u64,
    /// What one connection's statements may hold; all together are bounded by
    /// `[query] memory_megabytes`. Default: that, shared by the heavy statements.
    pub session_memory_megabytes: Option<u64>,
}

impl SqlServer {
    /// One connection's memory, within the endpoint's `total`.
    pub fn session_memory_bytes(&self, total: usize) -> usize {
        match self.session_memory_megabytes {
            Some(megabytes) => usize::try_from(megabytes.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX).min(total),
            None => total / self.heavy_statements.max(1),
        }
    }
}

fn default_heavy_megabytes() -> u64 {
    64
}

/// One heavy statement per four cores, at least one: a heavy statement runs on
/// every core already, so one at a time finishes each sooner and gives it all
/// the memory; the light ones (kpi tables, the catalogue) run beside it. With
/// two at once on two cores, `stg_trajecten` at 1,000,000 clients ran out of
/// its half of the memory (BENCHMARKS.md).
fn default_heavy_statements() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 4).max(1))
}

/// Settings that hold a credential, which a configuration file (often in a
/// repository) must not.
fn is_secret_setting(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "password", "token", "access_key", "account_key", "sas", "client_secret"].iter().any(|s| key.contains(s))
}

fn default_listen() -> String {
    "127.0.0.1".into()
}

fn default_sql_port() -> u16 {
    5433
}

fn default_users_file() -> PathBuf {
    PathBuf::from("sql-users")
}

fn default_max_connections() -> usize {
    20
}

/// Who receives the reports, and from whom.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliver {
    pub afzender: String,
    #[serde(default)]
    pub raad: Vec<String>,
    /// Who receives the overview of new and resolved signals.
    #[serde(default)]
    pub wmo_team: Vec<String>,
    #[serde(default)]
    pub toegestane_domeinen: Vec<String>,
    /// Where mail goes out; without it, to `.eml` files in the outbox.
    pub smtp: Option<Smtp>,
}

/// The SMTP server of `deliver`. The password never sits in the
/// configuration: it comes from the environment or a file named here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    #[serde(default = "default_retry_seconds")]
    pub retry_seconds: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: refused unless the host is this machine.
    None,
}

/// Environment variable holding the SMTP password.
pub const SMTP_PASSWORD_ENV: &str = "WMO_MONITOR_SMTP_PASSWORD";

fn default_attempts() -> u32 {
    4
}

fn default_retry_seconds() -> f64 {
    30.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    gemeente: Option<String>,
    gemeente_naam: Option<String>,
    paths: Option<PathsFile>,
    pseudonym_key_file: Option<PathBuf>,
    ingest: Option<IngestFile>,
    query: Option<QueryFile>,
    deliver: Option<Deliver>,
    sql_server: Option<SqlServer>,
    object_store: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PathsFile {
    lake: Option<String>,
    inbox: Option<PathBuf>,
    reference: Option<PathBuf>,
    data: Option<PathBuf>,
    out: Option<PathBuf>,
    archive: Option<PathBuf>,
    schedules: Option<PathBuf>,
    queries: Option<PathBuf>,
    reports: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct IngestFile {
    batch_megabytes: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    memory_megabytes: Option<u64>,
    timeout_seconds: Option<u64>,
}

impl Config {
    /// Reads `path`, or the embedded defaults (relative to the current folder)
    /// when there is none.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| Error::ConfigRead { path: path.to_path_buf(), source })?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
                Self::parse(&text, &base, &path.display().to_string())
            }
            None => Self::parse(DEFAULT_TOML, Path::new("."), "the embedded defaults"),
        }
    }

    /// Parses configuration text; relative paths resolve against `base`.
    pub fn parse(text: &str, base: &Path, origin: &str) -> Result<Config> {
        let invalid = |message: String| Error::ConfigInvalid { path: origin.to_string(), message };
        let file: ConfigFile = toml::from_str(text).map_err(|e| invalid(toml_error(text, &e)))?;
        let defaults: ConfigFile =
            toml::from_str(DEFAULT_TOML).map_err(|e| invalid(format!("embedded defaults: {e}")))?;
        let default_paths = defaults.paths.unwrap_or_default();
        let paths = file.paths.unwrap_or_default();
        let pick = |own: Option<PathBuf>, fallback: Option<PathBuf>, name: &str| -> Result<PathBuf> {
            let chosen = own.or(fallback).ok_or_else(|| invalid(format!("paths.{name} is missing")))?;
            Ok(if chosen.is_absolute() { chosen } else { base.join(chosen) })
        };
        let gemeente = file.gemeente.or(defaults.gemeente).unwrap_or_default();
        if gemeente.len() != 4 || !gemeente.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("gemeente must be a 4-digit CBS code, not {gemeente:?}")));
        }
        let gemeente_naam = file
            .gemeente_naam
            .map(|naam| naam.trim().to_string())
            .filter(|naam| !naam.is_empty())
            .or_else(|| crate::gemeenten::naam(&gemeente).map(str::to_string))
            .unwrap_or_else(|| gemeente.clone());
        if gemeente_naam.chars().count() > 60 || gemeente_naam.chars().any(char::is_control) {
            return Err(invalid(format!(
                "gemeente_naam {gemeente_naam:?} is no name (at most 60 characters, one line)"
            )));
        }
        let batch_megabytes = file
            .ingest
            .and_then(|i| i.batch_megabytes)
            .or(defaults.ingest.and_then(|i| i.batch_megabytes))
            .unwrap_or(64)
            .max(1);
        let query = file.query.unwrap_or_default();
        let default_query = defaults.query.unwrap_or_default();
        let memory_megabytes = query.memory_megabytes.or(default_query.memory_megabytes).unwrap_or(3072).max(64);
        let timeout_seconds = query.timeout_seconds.or(default_query.timeout_seconds).unwrap_or(300).max(1);
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let lake_url = match paths.lake {
            Some(location) if crate::lake::remote::is_url(&location) => {
                Some(crate::lake::remote::parse_url(&location).map_err(|e| invalid(format!("paths.lake: {e}")))?)
            }
            Some(location) => {
                return Err(invalid(format!(
                    "paths.lake = {location:?}: a lake on this machine is always data/lake (set paths.data); paths.lake is for object storage ({})",
                    crate::lake::remote::SCHEMES
                )));
            }
            None => None,
        };
        let object_store = file.object_store.unwrap_or_default();
        if let Some(secret) = object_store.keys().find(|k| is_secret_setting(k)) {
            return Err(invalid(format!(
                "object_store.{secret} is a credential: it belongs in the environment (e.g. AWS_SECRET_ACCESS_KEY), not in the configuration file"
            )));
        }
        Ok(Config {
            gemeente,
            gemeente_naam,
            paths: Paths {
                inbox: pick(paths.inbox, default_paths.inbox, "inbox")?,
                reference: pick(paths.reference, default_paths.reference, "reference")?,
                data: pick(paths.data, default_paths.data, "data")?,
                out: pick(paths.out, default_paths.out, "out")?,
                archive: pick(paths.archive, default_paths.archive, "archive")?,
                schedules: pick(paths.schedules, default_paths.schedules, "schedules")?,
                queries: paths.queries.map(resolve),
                reports: paths.reports.map(resolve),
                lake_url,
            },
            pseudonym_key_file: file.pseudonym_key_file.map(resolve),
            batch_bytes: batch_megabytes * 1024 * 1024,
            query_memory_bytes: usize::try_from(memory_megabytes * 1024 * 1024).unwrap_or(usize::MAX),
            query_timeout: std::time::Duration::from_secs(timeout_seconds),
            deliver: {
                let mut deliver = file.deliver.or(defaults.deliver).unwrap_or_default();
                if let Some(smtp) = &mut deliver.smtp {
                    smtp.password_file = smtp.password_file.take().map(resolve);
                    smtp.ca_file = smtp.ca_file.take().map(resolve);
                    if !(smtp.retry_seconds.is_finite() && smtp.retry_seconds >= 0.0) {
                        return Err(invalid(format!(
                            "deliver.smtp.retry_seconds must be 0 or more, not {}",
                            smtp.retry_seconds
                        )));
                    }
                    smtp.attempts = smtp.attempts.max(1);
                }
                deliver
            },
            sql_server: match file.sql_server {
                Some(mut server) => {
                    server.users = resolve(server.users);
                    server.tls_cert = server.tls_cert.map(resolve);
                    server.tls_key = server.tls_key.map(resolve);
                    if server.tls_cert.is_some() != server.tls_key.is_some() {
                        return Err(invalid("sql_server: tls_cert and tls_key go together".into()));
                    }
                    server.max_connections = server.max_connections.max(1);
                    server.session_memory_megabytes = server.session_memory_megabytes.map(|m| m.max(1));
                    server.heavy_statements = server.heavy_statements.max(1);
                    Some(server)
                }
                None => None,
            },
            object_store,
            origin: origin.to_string(),
        })
    }

    /// The pseudonymisation secret: the environment first, then the key file
    /// named in the configuration, then the one `demo` wrote into the data
    /// folder.
    pub fn pseudonym_key(&self) -> Result<Vec<u8>> {
        if let Ok(value) = std::env::var(KEY_ENV) {
            let value = value.trim();
            if !value.is_empty() {
                return checked_key(value.as_bytes().to_vec(), format!("in {KEY_ENV}"));
            }
        }
        let demo_key = self.paths.data.join(DEMO_KEY_FILE);
        let file = match &self.pseudonym_key_file {
            Some(file) => file.clone(),
            None if demo_key.exists() => demo_key,
            None => return Err(Error::NoPseudonymKey),
        };
        let text = std::fs::read_to_string(&file).map_err(Error::io("cannot read the key file", &file))?;
        checked_key(text.trim().as_bytes().to_vec(), format!("in {}", file.display()))
    }
}

/// A TOML error as one sentence with the line and column it is at.
pub fn toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", error.message().trim_end().replace('\n', "; "))
        }
        None => error.message().trim_end().replace('\n', "; "),
    }
}

impl std::fmt::Display for Config {
    /// Every setting in effect, as TOML a reader can copy; no secret (the
    /// key and the SMTP password are named by where they come from).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quoted = |p: &Path| format!("{:?}", p.display().to_string());
        let list = |items: &[String]| items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ");
        writeln!(f, "# configuration: {}", self.origin)?;
        writeln!(f, "gemeente = {:?}", self.gemeente)?;
        writeln!(f, "gemeente_naam = {:?}", self.gemeente_naam)?;
        let key = if std::env::var(KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
            format!("# the pseudonymisation key comes from {KEY_ENV}")
        } else {
            match &self.pseudonym_key_file {
                Some(file) => format!("pseudonym_key_file = {}", quoted(file)),
                None => {
                    format!("# the pseudonymisation key comes from {}", self.paths.data.join(DEMO_KEY_FILE).display())
                }
            }
        };
        writeln!(f, "{key}\n\n[paths]")?;
        let p = &self.paths;
        for (name, path) in [
            ("inbox", &p.inbox),
            ("reference", &p.reference),
            ("data", &p.data),
            ("out", &p.out),
            ("archive", &p.archive),
            ("schedules", &p.schedules),
        ] {
            writeln!(f, "{name} = {}", quoted(path))?;
        }
        for (name, path) in [("queries", &p.queries), ("reports", &p.reports)] {
            match path {
                Some(path) => writeln!(f, "{name} = {}", quoted(path))?,
                None => writeln!(f, "# {name}: the built-in copies")?,
            }
        }
        writeln!(f, "\n[ingest]\nbatch_megabytes = {}", self.batch_bytes / (1024 * 1024))?;
        let d = &self.deliver;
        writeln!(f, "\n[deliver]\nafzender = {:?}", d.afzender)?;
        writeln!(
            f,
            "raad = [{}]\nwmo_team = [{}]\ntoegestane_domeinen = [{}]",
            list(&d.raad),
            list(&d.wmo_team),
            list(&d.toegestane_domeinen)
        )?;
        match &d.smtp {
            None => writeln!(f, "# no [deliver.smtp]: mails go to {}", p.out.join("outbox").display())?,
            Some(s) => {
                writeln!(f, "\n[deliver.smtp]\nhost = {:?}", s.host)?;
                if let Some(port) = s.port {
                    writeln!(f, "port = {port}")?;
                }
                writeln!(f, "security = {:?}", format!("{:?}", s.security).to_lowercase())?;
                if let Some(username) = &s.username {
                    writeln!(f, "username = {username:?}")?;
                }
                if let Some(file) = &s.password_file {
                    writeln!(f, "password_file = {}", quoted(file))?;
                }
                if let Some(file) = &s.ca_file {
                    writeln!(f, "ca_file = {}", quoted(file))?;
                }
                writeln!(f, "attempts = {}\nretry_seconds = {}", s.attempts, s.retry_seconds)?;
            }
        }
        writeln!(f, "\n[query]\nmemory_megabytes = {}", self.query_memory_bytes / (1024 * 1024))?;
        write!(f, "timeout_seconds = {}", self.query_timeout.as_secs())?;
        match &self.sql_server {
            None => write!(f, "\n# no [sql_server]: the Postgres endpoint is off"),
            Some(s) => {
                write!(f, "\n\n[sql_server]\nlisten = {:?}\nport = {}\nusers = {:?}", s.listen, s.port, s.users)?;
                if let (Some(cert), Some(key)) = (&s.tls_cert, &s.tls_key) {
                    write!(f, "\ntls_cert = {cert:?}\ntls_key = {key:?}")?;
                }
                write!(f, "\nmax_connections = {}", s.max_connections)?;
                write!(f, "\nheavy_statements = {}\nheavy_megabytes = {}", s.heavy_statements, s.heavy_megabytes)?;
                match s.session_memory_megabytes {
                    Some(megabytes) => write!(f, "\nsession_memory_megabytes = {megabytes}"),
                    None => write!(
                        f,
                        "\n# session_memory_megabytes: [query] memory_megabytes / heavy_statements = {}",
                        self.query_memory_bytes / s.heavy_statements.max(1) / (1024 * 1024)
                    ),
                }
            }
        }
    }
}

fn checked_key(key: Vec<u8>, origin: String) -> Result<Vec<u8>> {
    if key.len() < 16 {
        return Err(Error::PseudonymKeyTooShort { origin });
    }
    Ok(key)
}
