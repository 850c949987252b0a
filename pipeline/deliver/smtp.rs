//! Sending through an SMTP server (lettre). Each recipient gets their own SMTP
//! transaction with the same message, so a server that refuses one address
//! does not stop the mail to the others, and the ledger can record each
//! recipient the moment the server took the mail for them.

use crate::config::{SMTP_PASSWORD_ENV, Smtp, SmtpSecurity};
use crate::error::{Error, Result};
use lettre::Transport;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{self, SmtpTransport};
use std::net::IpAddr;
use std::time::Duration;

/// A connected-on-demand SMTP relay with its retry policy.
pub struct Sender {
    transport: SmtpTransport,
    host: String,
    attempts: u32,
    first_wait: Duration,
}

/// Why a recipient did not get the mail.
#[derive(Debug)]
pub enum Failure {
    /// The server refused this recipient or message for good (5xx).
    Permanent(String),
    /// Temporary errors or no connection, through every attempt: try later.
    GaveUp(String),
}

impl Sender {
    pub fn new(settings: &Smtp) -> Result<Sender> {
        let host = settings.host.trim().to_string();
        let invalid = |message: String| Error::Invalid(format!("deliver.smtp: {message}"));
        if host.is_empty() {
            return Err(invalid("host is empty".into()));
        }
        let tls = || -> Result<TlsParameters> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(file) = &settings.ca_file {
                let pem = std::fs::read(file).map_err(Error::io("cannot read the SMTP root certificate", file))?;
                let certificate = Certificate::from_pem(&pem).map_err(|e| {
                    invalid(format!("the root certificate {} is not a PEM certificate: {e}", file.display()))
                })?;
                builder = builder.add_root_certificate(certificate);
            }
            builder.build_rustls().map_err(|e| invalid(format!("cannot set up TLS for {host}: {e}")))
        };
        let (tls, default_port) = match settings.security {
            SmtpSecurity::Starttls => (Tls::Required(tls()?), 587),
            SmtpSecurity::Tls => (Tls::Wrapper(tls()?), 465),
            SmtpSecurity::None if is_loopback(&host) => (Tls::None, 25),
            SmtpSecurity::None => {
                return Err(invalid(format!(
                    "security = \"none\" sends mail and password in the clear, which is allowed only to this machine (localhost), not to {host}: use starttls or tls"
                )));
            }
        };
        let mut builder = SmtpTransport::builder_dangerous(host.clone())
            .port(settings.port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)));
        if let Some(username) = &settings.username {
            builder = builder.credentials(Credentials::new(username.clone(), password(settings)?));
        }
        Ok(Sender {
            transport: builder.build(),
            host,
            attempts: settings.attempts.max(1),
            first_wait: Duration::from_secs_f64(settings.retry_seconds),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Sends `message` to one recipient; returns the server's answer.
    pub fn send(&self, from: &str, to: &str, message: &[u8]) -> Result<String, Failure> {
        let address = |a: &str| a.parse::<Address>().map_err(|e| Failure::Permanent(format!("{a:?}: {e}")));
        // The sender may carry a display name; the envelope takes its address.
        let sender = from
            .parse::<lettre::message::Mailbox>()
            .map(|m| m.email)
            .map_err(|e| Failure::Permanent(format!("{from:?}: {e}")))?;
        let envelope = Envelope::new(Some(sender), vec![address(to)?])
            .map_err(|e| Failure::Permanent(format!("no envelope for {to}: {e}")))?;
        with_retry(self.attempts, self.first_wait, std::thread::sleep, || self.transport.send_raw(&envelope, message))
            .map(|response| response.message().collect::<Vec<_>>().join(" "))
            .map_err(|(error, tried)| describe(&self.host, error, tried))
    }
}

/// Runs `send` until it succeeds, fails for good, or has been tried `attempts`
/// times; the wait starts at `first_wait` and doubles. Temporary SMTP answers
/// (4xx) and lost or refused connections are tried again.
pub fn with_retry<T>(
    attempts: u32,
    first_wait: Duration,
    mut sleep: impl FnMut(Duration),
    mut send: impl FnMut() -> Result<T, smtp::Error>,
) -> Result<T, (smtp::Error, u32)> {
    let mut wait = first_wait;
    let mut tried = 0;
    loop {
        tried += 1;
        match send() {
            Ok(value) => return Ok(value),
            Err(error) if tried < attempts && is_temporary(&error) => {
                tracing::warn!("SMTP attempt {tried} of {attempts} failed, trying again in {wait:?}: {error}");
                sleep(wait);
                wait = wait.saturating_mul(2);
            }
            Err(error) => return Err((error, tried)),
        }
    }
}

fn is_temporary(error: &smtp::Error) -> bool {
    error.is_transient() || error.is_timeout() || (!error.is_permanent() && !error.is_tls() && !error.is_client())
}

fn describe(host: &str, error: smtp::Error, tried: u32) -> Failure {
    if error.is_permanent() {
        Failure::Permanent(format!("{host} refused it: {error}"))
    } else {
        let times = if tried == 1 { "once".to_string() } else { format!("{tried} times") };
        Failure::GaveUp(format!("{host} did not take it (tried {times}): {error}"))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Permanent(text) | Failure::GaveUp(text) => f.write_str(text),
        }
    }
}

/// The SMTP password: the environment first, then the file the configuration names.
fn password(settings: &Smtp) -> Result<String> {
    if let Ok(value) = std::env::var(SMTP_PASSWORD_ENV)
        && !value.is_empty()
    {
        return Ok(value);
    }
    match &settings.password_file {
        Some(file) => std::fs::read_to_string(file)
            .map(|text| text.trim_end_matches(['\r', '\n']).to_string())
            .map_err(Error::io("cannot read the SMTP password file", file)),
        None => Err(Error::Invalid(format!(
            "deliver.smtp.username is set but there is no password: set {SMTP_PASSWORD_ENV} or name a file with deliver.smtp.password_file"
        ))),
    }
}

/// Whether `host` is this machine, where a plain connection does not leave it.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
