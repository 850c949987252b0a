//! The signal mails: each contract manager the new and resolved signals of
//! their providers, the Wmo team (`deliver.wmo_team`) one overview. Each
//! signal is mailed to each recipient once when it appears and once when it
//! is resolved: the ledger (`verzendingen`) holds one row per signal event
//! and recipient, its `versie` naming the event. A run with nothing new for a
//! recipient sends them nothing; a mail that did not go out is sent by the
//! next run, as long as its signal still fires (or, resolved, was announced).

use super::ledger::{self, Ledger, Verzending};
use super::signaal_mail::{self, Item, Teksten};
use super::{aanbieders, allowed_domain, is_address, printable, smtp, write_eml};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::signals::history::{Signaal, Status};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The ledger's `rapport` of a contract manager's signal mail.
pub const RAPPORT: &str = "signalen";
/// The ledger's `rapport` of the Wmo team's overview.
pub const OVERZICHT: &str = "signalen-overzicht";

#[derive(Debug, Default)]
pub struct Mailed {
    pub dry_run: bool,
    pub folder: PathBuf,
    /// The SMTP server the mails went through; `None`: written to `folder`.
    pub smtp_host: Option<String>,
    /// Mails written now, or (through SMTP) recipients who got one now.
    pub mails: usize,
    /// Every signal event in those mails, per recipient (one signal to two recipients is two).
    pub meldingen: Vec<Melding>,
    pub geweigerd: Vec<String>,
    pub ongeldig: Vec<String>,
    /// Providers with a signal to mail but no contract manager's address.
    pub zonder_contractmanager: Vec<String>,
    pub mislukt: Vec<String>,
}

impl Mailed {
    pub fn outcome(&self) -> Result<()> {
        match self.mislukt.len() + self.ongeldig.len() {
            0 => Ok(()),
            n => Err(Error::Invalid(format!(
                "{n} recipient(s) did not get their signal mail (listed above); the next run sends what is still due"
            ))),
        }
    }
}

impl fmt::Display for Mailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.mails, &self.smtp_host) {
            (0, _) => writeln!(f, "  No signal mail: nothing new or resolved for anyone.")?,
            (n, Some(host)) => {
                writeln!(f, "  {n} signal mail(s) sent through {host} ({} signal events).", self.meldingen.len())?
            }
            (n, None) => writeln!(
                f,
                "  {n} signal mail(s) written to {} ({} signal events).",
                self.folder.display(),
                self.meldingen.len()
            )?,
        }
        if !self.geweigerd.is_empty() {
            writeln!(f, "  refused, outside the allowed domains: {}", self.geweigerd.join(", "))?;
        }
        for address in &self.ongeldig {
            writeln!(f, "  NOT SENT: {address} is no mail address; correct it in aanbieders.csv or the configuration")?;
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

/// One signal announced to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Melding {
    pub ontvanger: String,
    pub soort: String,
    pub aanbieder_agb: String,
    pub onderwerp: String,
    pub opgelost: bool,
}

/// A signal's appearance or resolution: what a mail announces, once per recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gebeurtenis {
    Verschenen,
    Opgelost,
}

/// The ledger's name for one event of one signal (16 hex digits): the same
/// signal appearing again after it was resolved is a new event.
fn event_key(signaal: &Signaal, gebeurtenis: Gebeurtenis) -> String {
    let text = format!(
        "{}\n{}\n{}\n{}\n{}",
        signaal.soort,
        signaal.aanbieder_agb,
        signaal.onderwerp,
        signaal.eerst_gezien,
        match gebeurtenis {
            Gebeurtenis::Verschenen => "verschenen",
            Gebeurtenis::Opgelost => "opgelost",
        }
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// Mails what is due. `run` is this run's rows (already recorded unless a dry
/// run); the caller holds the lake lock and has checked the sender and that
/// `teksten` has words for every kind in `run`.
pub fn mail(
    config: &Config,
    lake: &Lake,
    teksten: &Teksten,
    peildatum: NaiveDate,
    run: &[Signaal],
    dry_run: bool,
) -> Result<Mailed> {
    let settings = &config.deliver;
    let aanbieders = aanbieders(config)?;
    let mut ledger = Ledger::open(lake)?;

    // Every resolution ever recorded (a mail that failed is sent by a later run).
    let mut history = crate::signals::history::all(lake)?;
    if dry_run {
        history.extend_from_slice(run);
    }
    let opgelost: Vec<&Signaal> = history.iter().filter(|s| s.status == Status::Opgelost).collect();
    let actief: Vec<&Signaal> = run.iter().filter(|s| s.status != Status::Opgelost).collect();

    let outbox = if dry_run { config.paths.out.join("outbox").join("proef") } else { config.paths.out.join("outbox") }
        .join(format!("signalen-{peildatum}"));
    let sender = match (&settings.smtp, dry_run) {
        (Some(smtp), false) => Some(smtp::Sender::new(smtp)?),
        _ => None,
    };
    let mut mailed = Mailed {
        dry_run,
        folder: outbox.clone(),
        smtp_host: sender.as_ref().map(|s| s.host().to_string()),
        ..Default::default()
    };

    // Who gets which providers' signals: each contract manager theirs, the team all.
    let mut ontvangers: BTreeMap<String, (&'static str, Option<Vec<String>>)> = BTreeMap::new();
    for (agb, aanbieder) in &aanbieders {
        if let Some(address) = &aanbieder.contractmanager {
            let entry = ontvangers.entry(address.clone()).or_insert((RAPPORT, Some(Vec::new())));
            if let Some(list) = &mut entry.1 {
                list.push(agb.clone());
            }
        }
    }
    for address in &settings.wmo_team {
        ontvangers.insert(address.trim().to_lowercase(), (OVERZICHT, None));
    }
    let zonder: std::collections::BTreeSet<&str> = actief
        .iter()
        .filter(|s| aanbieders.get(&s.aanbieder_agb).is_none_or(|a| a.contractmanager.is_none()))
        .map(|s| s.aanbieder_agb.as_str())
        .collect();
    mailed.zonder_contractmanager = zonder
        .into_iter()
        .map(|agb| match aanbieders.get(agb) {
            Some(a) => format!("{} (AGB {agb})", a.naam),
            None => format!("AGB {agb} (not in aanbieders.csv)"),
        })
        .collect();

    let naam = |agb: &str| aanbieders.get(agb).map_or_else(|| format!("AGB {agb}"), |a| a.naam.clone());
    let mut server_down = false;
    for (ontvanger, (rapport, scope)) in &ontvangers {
        let in_scope = |s: &Signaal| scope.as_ref().is_none_or(|agbs| agbs.contains(&s.aanbieder_agb));
        let sent = ledger.delivered(rapport, ontvanger);
        let mut items: Vec<Item> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for signaal in actief.iter().copied().filter(|s| in_scope(s)) {
            let key = event_key(signaal, Gebeurtenis::Verschenen);
            if !sent.contains(key.as_str()) {
                items.push(Item { signaal, aanbieder_naam: naam(&signaal.aanbieder_agb), opgelost: false });
                keys.push(key);
            }
        }
        for signaal in opgelost.iter().copied().filter(|s| in_scope(s)) {
            let key = event_key(signaal, Gebeurtenis::Opgelost);
            if sent.contains(event_key(signaal, Gebeurtenis::Verschenen).as_str()) && !sent.contains(key.as_str()) {
                items.push(Item { signaal, aanbieder_naam: naam(&signaal.aanbieder_agb), opgelost: true });
                keys.push(key);
            }
        }
        if items.is_empty() {
            continue;
        }
        // Checked only when something is due, so a wrong address is reported with what it missed.
        if !is_address(ontvanger) {
            mailed.ongeldig.push(format!("{} ({} signal events)", printable(ontvanger), items.len()));
            continue;
        }
        if !allowed_domain(ontvanger, &settings.toegestane_domeinen) {
            mailed.geweigerd.push(printable(ontvanger));
            continue;
        }
        let lopend: Vec<&Signaal> = if scope.is_none() { actief.clone() } else { Vec::new() };
        let mail = signaal_mail::compose(
            teksten,
            &signaal_mail::Kop {
                afzender: &settings.afzender,
                ontvanger,
                gemeente: &config.gemeente_naam,
                peildatum,
                overzicht: scope.is_none(),
            },
            &items,
            &lopend,
        )?;
        let rows = |kanaal: &str, bericht: &str| -> Vec<Verzending> {
            keys.iter()
                .map(|key| Verzending {
                    periode: peildatum.to_string(),
                    rapport: rapport.to_string(),
                    ontvanger: ontvanger.clone(),
                    versie: key.clone(),
                    kanaal: kanaal.to_string(),
                    bericht: bericht.to_string(),
                })
                .collect()
        };
        let Some(sender) = &sender else {
            std::fs::create_dir_all(&outbox).map_err(Error::io("cannot create", &outbox))?;
            let file = write_eml(&outbox, &mail, std::slice::from_ref(ontvanger))?;
            mailed.mails += 1;
            mailed.meldingen.extend(meldingen(ontvanger, &items));
            if !dry_run {
                let bericht = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                ledger.record(&rows("outbox", &bericht))?;
            }
            continue;
        };
        if server_down {
            mailed.mislukt.push(format!("{ontvanger} ({}): not tried, the server did not take mail", mail.onderwerp));
            continue;
        }
        ledger.record(&rows(ledger::BEZIG, &mail.message_id))?;
        match sender.send(&settings.afzender, ontvanger, &mail.message.formatted()) {
            Ok(answer) => {
                ledger.record(&rows("smtp", &format!("{answer} {}", mail.message_id)))?;
                mailed.mails += 1;
                mailed.meldingen.extend(meldingen(ontvanger, &items));
            }
            Err(failure) => {
                ledger.record(&rows(ledger::MISLUKT, &failure.to_string()))?;
                server_down = matches!(failure, smtp::Failure::GaveUp(_));
                tracing::error!("mail {:?} to {ontvanger} not sent: {failure}", mail.onderwerp);
                mailed.mislukt.push(format!("{ontvanger} ({}): {failure}", mail.onderwerp));
            }
        }
    }
    Ok(mailed)
}

fn meldingen<'a>(ontvanger: &'a str, items: &'a [Item]) -> impl Iterator<Item = Melding> + 'a {
    items.iter().map(move |item| Melding {
        ontvanger: ontvanger.to_string(),
        soort: item.signaal.soort.clone(),
        aanbieder_agb: item.signaal.aanbieder_agb.clone(),
        onderwerp: item.signaal.onderwerp.clone(),
        opgelost: item.opgelost,
    })
}
