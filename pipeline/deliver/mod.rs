//! `wmo-monitor deliver`: mails a published period. One mail per contract
//! manager (from `aanbieders.csv`) with the packs of their providers, one to the
//! council with the monitor. Without SMTP configured, which is the embedded
//! default, each mail is written as an `.eml` file to `out/outbox/<periode>/`;
//! with `[deliver.smtp]`, it goes to each recipient through that server.
//! The ledger (`verzendingen`) makes it exactly once per period, recipient and
//! report version: a re-run sends nothing new, and a re-published report goes
//! out again only with `--resend`. Addresses outside the allowed domains are
//! refused; the others are still sent.

pub mod ledger;
pub mod mail;
pub mod signaal_mail;
pub mod signalen;
pub mod smtp;

use crate::config::Config;
use crate::engine::session;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::periode::Periode;
use crate::publish::summary::{self, RapportSamenvatting, Samenvatting};
use ledger::{Ledger, Verzending};
use mail::Mail;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct DeliverOptions {
    /// The published period; default: the latest in `out/`.
    pub periode: Option<Periode>,
    /// Write the mails to `out/outbox/proef/` and record nothing.
    pub dry_run: bool,
    /// Send a re-published report again to those who had an earlier version.
    pub resend: bool,
}

#[derive(Debug)]
pub struct Delivered {
    pub periode: Periode,
    pub folder: PathBuf,
    pub dry_run: bool,
    /// The SMTP server the mails went through; `None`: written to `folder`.
    pub smtp_host: Option<String>,
    /// Mails written now, or (through SMTP) recipients who got one now.
    pub mails: usize,
    /// Recipient and report already sent in this version.
    pub al_verzonden: usize,
    /// Recipients who had an earlier version (sent again only with --resend).
    pub nieuwere_versie: Vec<String>,
    /// Addresses outside the allowed domains, with the report.
    pub geweigerd: Vec<String>,
    /// Addresses that are no mail address at all, escaped for the terminal.
    pub ongeldig: Vec<String>,
    /// Recipients an interrupted run had begun to send to, sent again now
    /// under the same Message-ID.
    pub na_onderbreking: Vec<String>,
    /// Providers with a pack but no contract manager's address.
    pub zonder_contractmanager: Vec<String>,
    /// Recipients the server did not take the mail for, and why.
    pub mislukt: Vec<String>,
}

impl Delivered {
    /// Ends the run with an error when a mail did not go out, so that a
    /// scheduler or script sees it; the summary has said which and why.
    pub fn outcome(&self) -> Result<()> {
        match self.mislukt.len() + self.ongeldig.len() {
            0 => Ok(()),
            n => Err(Error::Invalid(format!(
                "{n} recipient(s) of {} did not get their mail (listed above); a new run sends only what is missing",
                self.periode
            ))),
        }
    }
}

impl fmt::Display for Delivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wat = if self.dry_run { "Dry run of" } else { "Delivered" };
        match &self.smtp_host {
            Some(host) => {
                writeln!(f, "{wat} {}: {} recipients sent their mail through {host}.", self.periode, self.mails)?
            }
            None => writeln!(f, "{wat} {}: {} mails written to {}.", self.periode, self.mails, self.folder.display())?,
        }
        if self.al_verzonden > 0 {
            writeln!(f, "  {} already sent in this version: not sent again.", self.al_verzonden)?;
        }
        if !self.nieuwere_versie.is_empty() {
            writeln!(
                f,
                "  {} had an earlier version of their report; send the new one with --resend: {}",
                self.nieuwere_versie.len(),
                self.nieuwere_versie.join(", ")
            )?;
        }
        if !self.geweigerd.is_empty() {
            writeln!(f, "  refused, outside the allowed domains: {}", self.geweigerd.join(", "))?;
        }
        for address in &self.ongeldig {
            writeln!(f, "  NOT SENT: {address} is no mail address; correct it in aanbieders.csv or the configuration")?;
        }
        if !self.na_onderbreking.is_empty() {
            writeln!(
                f,
                "  sent again after an interrupted run (same Message-ID; the recipient may see it twice): {}",
                self.na_onderbreking.join(", ")
            )?;
        }
        if !self.zonder_contractmanager.is_empty() {
            writeln!(f, "  no contract manager in aanbieders.csv for: {}", self.zonder_contractmanager.join(", "))?;
        }
        for failure in &self.mislukt {
            writeln!(f, "  NOT SENT: {failure}")?;
        }
        Ok(())
    }
}

pub fn deliver(config: &Config, options: &DeliverOptions) -> Result<Delivered> {
    let settings = &config.deliver;
    check_sender(settings)?;
    let out = &config.paths.out;
    let periode = match options.periode {
        Some(p) => p,
        None => latest_published(out)?,
    };
    let reports = out.join(periode.to_string());
    let samenvatting = Samenvatting::read(&reports)?;
    let managers = contract_managers(config)?;
    let lake = Lake::of(config)?;
    let _lock = lake.lock()?;
    let mut ledger = Ledger::open(&lake)?;

    let outbox =
        if options.dry_run { out.join("outbox").join("proef") } else { out.join("outbox") }.join(periode.to_string());
    // A dry run never sends, whatever is configured.
    let sender = match (&settings.smtp, options.dry_run) {
        (Some(smtp), false) => Some(smtp::Sender::new(smtp)?),
        _ => None,
    };
    if sender.is_none() {
        std::fs::create_dir_all(&outbox).map_err(Error::io("cannot create", &outbox))?;
    }
    let mut delivered = Delivered {
        periode,
        folder: outbox.clone(),
        dry_run: options.dry_run,
        smtp_host: sender.as_ref().map(|s| s.host().to_string()),
        mails: 0,
        al_verzonden: 0,
        nieuwere_versie: Vec::new(),
        geweigerd: Vec::new(),
        ongeldig: Vec::new(),
        na_onderbreking: Vec::new(),
        zonder_contractmanager: Vec::new(),
        mislukt: Vec::new(),
    };

    // The packs per contract manager, in address order.
    let mut per_manager: BTreeMap<String, Vec<&RapportSamenvatting>> = BTreeMap::new();
    for pack in &samenvatting.pakketten {
        match managers.get(&pack.aanbieder_agb) {
            Some(address) => per_manager.entry(address.clone()).or_default().push(pack),
            None => {
                delivered.zonder_contractmanager.push(format!("{} (AGB {})", pack.aanbieder_naam, pack.aanbieder_agb))
            }
        }
    }
    // Every mail to make: its recipients and what it carries.
    let mut jobs: Vec<(Vec<String>, Inhoud)> =
        per_manager.into_iter().map(|(address, packs)| (vec![address], Inhoud::Pakketten(packs))).collect();
    if !settings.raad.is_empty() {
        jobs.push((settings.raad.clone(), Inhoud::Monitor));
    }
    let make = |inhoud: &Inhoud, to: &[String]| match inhoud {
        Inhoud::Pakketten(packs) => mail::contract_manager(&reports, &samenvatting, &settings.afzender, &to[0], packs),
        Inhoud::Monitor => mail::council(&reports, &samenvatting, &settings.afzender, to),
    };

    // After the server gave up on one recipient, the others are not tried:
    // a new run sends them, without waiting out every retry now.
    let mut server_down = false;
    // Every address is checked before the first mail goes: a bad one is
    // listed, and the others still get theirs.
    for (recipients, _) in &mut jobs {
        let (valid, invalid): (Vec<String>, Vec<String>) = recipients.drain(..).partition(|r| is_address(r));
        delivered.ongeldig.extend(invalid.iter().map(|a| printable(a)));
        *recipients = valid;
    }
    for (recipients, inhoud) in &jobs {
        let (allowed, refused): (Vec<String>, Vec<String>) =
            recipients.iter().cloned().partition(|r| allowed_domain(r, &settings.toegestane_domeinen));
        delivered.geweigerd.extend(refused.iter().map(|a| printable(a)));
        if allowed.is_empty() {
            continue;
        }
        let first = make(inhoud, &allowed)?;
        let mut due = Vec::new();
        for recipient in &allowed {
            let versions = ledger.versions(periode, first.rapport, recipient);
            if versions.contains(&first.versie.as_str()) {
                delivered.al_verzonden += 1;
            } else if !versions.is_empty() && !options.resend {
                delivered.nieuwere_versie.push(recipient.clone());
            } else {
                due.push(recipient.clone());
            }
        }
        if due.is_empty() {
            continue;
        }
        let mail = if due == allowed { first } else { make(inhoud, &due)? };
        let verzending = |ontvanger: &String, kanaal: &str, bericht: String| Verzending {
            periode: periode.to_string(),
            rapport: mail.rapport.to_string(),
            ontvanger: ontvanger.clone(),
            versie: mail.versie.clone(),
            kanaal: kanaal.into(),
            bericht,
        };
        let Some(sender) = &sender else {
            let file = write_eml(&outbox, &mail, &due)?;
            delivered.mails += 1;
            if !options.dry_run {
                let bericht = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let rows: Vec<Verzending> = due.iter().map(|o| verzending(o, "outbox", bericht.clone())).collect();
                ledger.record(&rows)?;
            }
            continue;
        };
        // Through SMTP: one transaction per recipient, each recorded the
        // moment the server took it, so a crash half-way sends nobody twice
        // except the one mail whose answer was pending (README, "Exactly once").
        let bytes = mail.message.formatted();
        for ontvanger in &due {
            if server_down {
                delivered
                    .mislukt
                    .push(format!("{ontvanger} ({}): not tried, the server did not take mail", mail.onderwerp));
                continue;
            }
            if ledger.interrupted(periode, mail.rapport, ontvanger, &mail.versie) {
                delivered.na_onderbreking.push(ontvanger.clone());
            } else {
                ledger.record(&[verzending(ontvanger, ledger::BEZIG, mail.message_id.clone())])?;
            }
            match sender.send(&settings.afzender, ontvanger, &bytes) {
                Ok(answer) => {
                    ledger.record(&[verzending(ontvanger, "smtp", format!("{answer} {}", mail.message_id))])?;
                    delivered.mails += 1;
                }
                Err(failure) => {
                    // Known not taken: the next run sends it as a new mail.
                    ledger.record(&[verzending(ontvanger, ledger::MISLUKT, failure.to_string())])?;
                    server_down = matches!(failure, smtp::Failure::GaveUp(_));
                    tracing::error!("mail {:?} to {ontvanger} not sent: {failure}", mail.onderwerp);
                    delivered.mislukt.push(format!("{ontvanger} ({}): {failure}", mail.onderwerp));
                }
            }
        }
    }
    Ok(delivered)
}

/// The settings every mail needs: domains to send to, and a sender address.
pub(crate) fn check_sender(settings: &crate::config::Deliver) -> Result<()> {
    if settings.toegestane_domeinen.is_empty() {
        return Err(Error::Invalid(
            "deliver.toegestane_domeinen is empty in the configuration: name the domains mail may go to".into(),
        ));
    }
    // The sender may carry a display name ("Gemeente Zwolle <wmo@zwolle.example>").
    if settings.afzender.chars().any(char::is_control) || settings.afzender.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(Error::Invalid(format!(
            "deliver.afzender {} in the configuration is no mail address",
            printable(&settings.afzender)
        )));
    }
    Ok(())
}

/// What a mail carries.
enum Inhoud<'a> {
    /// The packs of one contract manager's providers.
    Pakketten(Vec<&'a RapportSamenvatting>),
    /// The council's monitor.
    Monitor,
}

/// A single plain mail address (`name@domain`), as SMTP takes it.
pub(crate) fn is_address(address: &str) -> bool {
    !address.chars().any(char::is_control) && address.parse::<lettre::Address>().is_ok()
}

/// An address as it may be printed: control characters (a CR or LF that
/// would forge a line of the summary) escaped.
pub(crate) fn printable(address: &str) -> String {
    if address.chars().any(|c| c.is_control() || c == '"') { format!("{address:?}") } else { address.to_string() }
}

pub(crate) fn allowed_domain(address: &str, domains: &[String]) -> bool {
    address.rsplit_once('@').is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
}

/// Writes the mail aside and renames it into the outbox: no half mail there.
pub(crate) fn write_eml(outbox: &Path, mail: &Mail, to: &[String]) -> Result<PathBuf> {
    let who = if to.len() == 1 { to[0].clone() } else { format!("{}-ontvangers", to.len()) };
    let name: String = format!("{}-{}-{}.eml", mail.rapport, who, mail.versie)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "@.-_".contains(c) { c } else { '_' })
        .collect();
    let path = outbox.join(&name);
    let aside = outbox.join(format!(".{name}"));
    std::fs::write(&aside, mail.message.formatted()).map_err(Error::io("cannot write the mail", &aside))?;
    std::fs::rename(&aside, &path).map_err(Error::io("cannot put the mail in", &path))?;
    Ok(path)
}

/// The latest period folder of `out/` with published reports.
fn latest_published(out: &Path) -> Result<Periode> {
    std::fs::read_dir(out)
        .map_err(Error::io("cannot list the reports in", out))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(summary::FILE).exists())
        .filter_map(|e| e.file_name().to_str().and_then(|name| name.parse::<Periode>().ok()))
        .filter(Periode::is_kwartaal)
        .max()
        .ok_or_else(|| {
            Error::Invalid(format!("{} holds no published quarter: run `wmo-monitor publish` first", out.display()))
        })
}

/// A provider of the current aanbieders.csv: its name and contract manager.
pub(crate) struct Aanbieder {
    pub naam: String,
    pub contractmanager: Option<String>,
}

/// Every provider of the current aanbieders.csv, by AGB code. Only that one
/// view is planned, not the whole engine.
pub(crate) fn aanbieders(config: &Config) -> Result<BTreeMap<String, Aanbieder>> {
    let runtime = session::runtime()?;
    let rows = runtime.block_on(async {
        let ctx = session::context(&crate::engine::Limits::of(config))?;
        let lake = Lake::of(config)?;
        crate::engine::catalog::register_lake(&ctx, &lake).await?;
        let files: Vec<_> = crate::engine::QuerySource::of(config)
            .load()?
            .into_iter()
            .filter(|f| f.layer == crate::engine::Layer::Staging && f.name == "stg_aanbieders")
            .collect();
        crate::engine::queries::register(&ctx, &files).await?;
        crate::engine::rows::query(
            &ctx,
            "select aanbieder_agb, naam, lower(trim(contractmanager_email)) as adres from stg_aanbieders",
            "the providers (aanbieders.csv)",
        )
        .await
    })?;
    Ok(rows
        .iter()
        .map(|r| {
            let adres = r.text("adres");
            (
                r.text("aanbieder_agb"),
                Aanbieder { naam: r.text("naam"), contractmanager: (!adres.is_empty()).then_some(adres) },
            )
        })
        .collect())
}

/// Each provider's contract manager, from the current aanbieders.csv.
fn contract_managers(config: &Config) -> Result<BTreeMap<String, String>> {
    Ok(aanbieders(config)?.into_iter().filter_map(|(agb, a)| a.contractmanager.map(|address| (agb, address))).collect())
}
