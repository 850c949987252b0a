//! The text of a signal mail (Dutch, plain and HTML): per provider the new
//! signals, each with what it means and what to do next, then the resolved
//! ones. The words per kind come from `reports/signalen.toml`, so they change
//! without a rebuild.

use super::mail::{Body, Mail, build, message_id};
use crate::dutch;
use crate::error::{Error, Result};
use crate::html::escape;
use crate::publish::source::ReportSource;
use crate::signals::history::Signaal;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const FILE: &str = "signalen.toml";

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Eenheid {
    Euro,
    Procent,
    Maanden,
    Dagen,
}

impl Eenheid {
    fn format(self, value: Decimal) -> String {
        match self {
            Eenheid::Euro => dutch::euro(value),
            Eenheid::Procent => dutch::percent(value),
            Eenheid::Maanden | Eenheid::Dagen => dutch::whole(value),
        }
    }
}

/// The words of one kind of signal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tekst {
    pub titel: String,
    pub eenheid: Eenheid,
    pub wat: String,
    pub actie: String,
}

pub struct Teksten(BTreeMap<String, Tekst>);

impl Teksten {
    pub fn load(source: &ReportSource) -> Result<Teksten> {
        let text = source.require(FILE)?;
        let teksten: BTreeMap<String, Tekst> = toml::from_str(&text).map_err(|e| {
            Error::Invalid(format!(
                "reports/{FILE} ({}) is not valid: {}",
                source.origin(),
                crate::config::toml_error(&text, &e)
            ))
        })?;
        Ok(Teksten(teksten))
    }

    pub fn of(&self, soort: &str) -> Result<&Tekst> {
        self.0.get(soort).ok_or_else(|| {
            Error::Invalid(format!("reports/{FILE} has no texts for the signal {soort}: add a table [{soort}]"))
        })
    }

    /// The sentence of one signal: `wat` with its subject and values filled in.
    pub fn zin(&self, signaal: &Signaal) -> Result<String> {
        let tekst = self.of(&signaal.soort)?;
        Ok(tekst
            .wat
            .replace("{onderwerp}", &onderwerp(&signaal.onderwerp))
            .replace("{waarde}", &tekst.eenheid.format(signaal.waarde))
            .replace("{drempel}", &tekst.eenheid.format(signaal.drempel)))
    }
}

/// A month (`2019-12`) as "december 2019"; anything else as it is.
fn onderwerp(text: &str) -> String {
    let is_month =
        text.len() == 7 && text.as_bytes()[4] == b'-' && text.chars().filter(char::is_ascii_digit).count() == 6;
    if is_month { dutch::month_name(text) } else { text.to_string() }
}

/// "31 december 2019".
pub fn datum(date: NaiveDate) -> String {
    format!("{} {}", date.day(), dutch::month_name(&date.format("%Y-%m").to_string()))
}

/// One signal in a mail.
pub struct Item<'a> {
    pub signaal: &'a Signaal,
    pub aanbieder_naam: String,
    pub opgelost: bool,
}

/// Who the mail is from and to, and about what.
pub struct Kop<'a> {
    pub afzender: &'a str,
    pub ontvanger: &'a str,
    pub gemeente: &'a str,
    pub peildatum: NaiveDate,
    /// The Wmo team's overview (all providers), else a contract manager's mail.
    pub overzicht: bool,
}

const UITLEG: &str = "U krijgt elk signaal één keer als het verschijnt en één keer als het is opgelost. Een signaal is opgelost zodra de maandelijkse controle het niet meer vindt: de oorzaak is weg, of het valt buiten de periode die de controle bekijkt (bij de meeste soorten de laatste drie maanden).";

/// A signal mail's words: its subject, plain text and HTML.
#[derive(Debug, Clone)]
pub struct Inhoud {
    pub onderwerp: String,
    pub plain: String,
    pub html: String,
}

/// The mail of some signal events; `lopend` (the overview only) are all signals firing now.
pub fn compose(teksten: &Teksten, kop: &Kop, items: &[Item], lopend: &[&Signaal]) -> Result<Mail> {
    let Inhoud { onderwerp, plain, html } = inhoud(teksten, kop, items, lopend)?;
    let rapport = if kop.overzicht { super::signalen::OVERZICHT } else { super::signalen::RAPPORT };
    let mut hash = Sha256::new();
    for item in items {
        hash.update(format!("{:?}\n{}\n", item.signaal, item.opgelost).as_bytes());
    }
    let versie = hex::encode(&hash.finalize()[..8]);
    let ontvangers = vec![kop.ontvanger.to_string()];
    let message_id = message_id(kop.afzender, rapport, &kop.peildatum.to_string(), &versie, &ontvangers);
    let message = build(
        kop.afzender,
        &ontvangers,
        &onderwerp,
        &message_id,
        Body { plain, html, images: Vec::new() },
        Vec::new(),
    )?;
    Ok(Mail { rapport, ontvangers, onderwerp, versie, message_id, message })
}

/// The words of the mail, without its envelope (what the golden test holds).
pub fn inhoud(teksten: &Teksten, kop: &Kop, items: &[Item], lopend: &[&Signaal]) -> Result<Inhoud> {
    let nieuw = items.iter().filter(|i| !i.opgelost).count();
    let opgelost = items.len() - nieuw;
    let telling = match (nieuw, opgelost) {
        (n, 0) => format!("{n} nieuw"),
        (0, o) => format!("{o} opgelost"),
        (n, o) => format!("{n} nieuw, {o} opgelost"),
    };
    let onderwerp = if kop.overzicht {
        format!("Signalen Wmo {}, overzicht {}: {telling}", kop.gemeente, datum(kop.peildatum))
    } else {
        format!("Signalen Wmo {} over uw aanbieders, {}: {telling}", kop.gemeente, datum(kop.peildatum))
    };
    let aanhef = if kop.overzicht { "Beste collega's van het Wmo-team," } else { "Beste contractmanager," };
    let voor_wie = if kop.overzicht { "alle aanbieders" } else { "uw aanbieders" };
    let signalen = |n: usize, woord: &str| {
        if n == 1 { format!("1 {woord} signaal") } else { format!("{n} {woord}e signalen") }
    };
    let gevonden = match (nieuw, opgelost) {
        (n, 0) => signalen(n, "nieuw"),
        (0, o) => signalen(o, "opgelost"),
        (n, o) => format!("{} en {}", signalen(n, "nieuw"), signalen(o, "opgelost")),
    };
    let intro = format!(
        "De controle van wmo-monitor op de gegevens zoals bekend op {} vond voor {voor_wie}: {gevonden}.",
        datum(kop.peildatum)
    );
    let mut plain = format!("{aanhef}\n\n{intro}\n");
    let mut html = format!("<p>{}</p><p>{}</p>", escape(aanhef), escape(&intro));

    for (kopje, opgelost) in [("Nieuw", false), ("Opgelost", true)] {
        let deze: Vec<&Item> = items.iter().filter(|i| i.opgelost == opgelost).collect();
        if deze.is_empty() {
            continue;
        }
        plain.push_str(&format!("\n{kopje}\n"));
        html.push_str(&format!("<h2>{kopje}</h2>"));
        // Per provider, in name order; within one, by kind and subject.
        let mut per_aanbieder: BTreeMap<(&str, &str), Vec<&Item>> = BTreeMap::new();
        for item in deze {
            per_aanbieder.entry((&item.aanbieder_naam, &item.signaal.aanbieder_agb)).or_default().push(item);
        }
        for ((naam, agb), lijst) in per_aanbieder {
            plain.push_str(&format!("\n{naam} (AGB {agb})\n"));
            html.push_str(&format!("<h3>{} (AGB {})</h3><ul>", escape(naam), escape(agb)));
            for item in lijst {
                let tekst = teksten.of(&item.signaal.soort)?;
                let zin = teksten.zin(item.signaal)?;
                if opgelost {
                    let sinds = format!(
                        "Niet meer gevonden op {} (gezien van {} tot {}).",
                        datum(kop.peildatum),
                        datum(item.signaal.eerst_gezien),
                        datum(item.signaal.laatst_gezien)
                    );
                    plain.push_str(&format!("- {}. {zin}\n  {sinds}\n", tekst.titel));
                    html.push_str(&format!(
                        "<li><strong>{}.</strong> {}<br>{}</li>",
                        escape(&tekst.titel),
                        escape(&zin),
                        escape(&sinds)
                    ));
                } else if kop.overzicht {
                    // The team's overview is a list; the contract managers get what to do.
                    plain.push_str(&format!("- {}. {zin}\n", tekst.titel));
                    html.push_str(&format!("<li><strong>{}.</strong> {}</li>", escape(&tekst.titel), escape(&zin)));
                } else {
                    plain.push_str(&format!("- {}. {zin}\n  Wat te doen: {}\n", tekst.titel, tekst.actie));
                    html.push_str(&format!(
                        "<li><strong>{}.</strong> {}<br><em>Wat te doen:</em> {}</li>",
                        escape(&tekst.titel),
                        escape(&zin),
                        escape(&tekst.actie)
                    ));
                }
            }
            html.push_str("</ul>");
        }
    }
    if kop.overzicht && !lopend.is_empty() {
        let mut per_soort: BTreeMap<&str, usize> = BTreeMap::new();
        for signaal in lopend {
            *per_soort.entry(&teksten.of(&signaal.soort)?.titel).or_default() += 1;
        }
        let regels: Vec<String> = per_soort.iter().map(|(titel, n)| format!("{titel}: {n}")).collect();
        let zin = format!("Nu lopen in totaal {} signalen: {}.", lopend.len(), regels.join("; "));
        plain.push_str(&format!("\n{zin}\n"));
        html.push_str(&format!("<p>{}</p>", escape(&zin)));
    }
    let groet = format!("Met vriendelijke groet,\nwmo-monitor, gemeente {}", kop.gemeente);
    plain.push_str(&format!("\n{UITLEG}\n\n{groet}\n"));
    html.push_str(&format!("<p><small>{}</small></p><p>{}</p>", escape(UITLEG), escape(&groet).replace('\n', "<br>")));

    let html = format!("<!DOCTYPE html><html lang=\"nl\"><body>{html}</body></html>");
    Ok(Inhoud { onderwerp, plain, html })
}
