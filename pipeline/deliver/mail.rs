//! The mails of a period: one per contract manager, with the packs of their
//! providers attached, and one to the council with the monitor. Bodies are
//! short Dutch texts with the headline figures as published (plain text and
//! HTML alternatives).

use crate::error::{Error, Result};
use crate::publish::charts::escape;
use crate::publish::summary::{RapportSamenvatting, Samenvatting};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};
use std::path::Path;

/// One mail, ready to go out.
pub struct Mail {
    /// `prestatiedialoog` or `monitor`: the report in the ledger.
    pub rapport: &'static str,
    pub ontvangers: Vec<String>,
    pub onderwerp: String,
    /// SHA-256 (16 hex digits) of the attachments, in order.
    pub versie: String,
    pub message: Message,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn mailbox(address: &str) -> Result<Mailbox> {
    address.parse().map_err(|e| Error::Invalid(format!("{address:?} is not a mail address: {e}")))
}

/// The attachments of some reports, and the version they make together.
fn attachments(folder: &Path, rapporten: &[&RapportSamenvatting]) -> Result<(Vec<SinglePart>, String)> {
    let mut parts = Vec::new();
    let mut hash = Sha256::new();
    for rapport in rapporten {
        for bestand in &rapport.bestanden {
            let path = folder.join(bestand);
            let bytes = std::fs::read(&path).map_err(Error::io("cannot read the report", &path))?;
            hash.update(bestand.as_bytes());
            hash.update(&bytes);
            let name = Path::new(bestand).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let content_type = if bestand.ends_with(".xlsx") { XLSX } else { "text/html; charset=utf-8" };
            let content_type = ContentType::parse(content_type)
                .map_err(|e| Error::Invalid(format!("{content_type}: {e} (this is a bug in wmo-monitor)")))?;
            parts.push(Attachment::new(name).body(bytes, content_type));
        }
    }
    Ok((parts, hex::encode(&hash.finalize()[..8])))
}

fn build(
    afzender: &str,
    ontvangers: &[String],
    onderwerp: &str,
    plain: String,
    html: String,
    parts: Vec<SinglePart>,
) -> Result<Message> {
    let mut builder = Message::builder().message_id(None).from(mailbox(afzender)?).subject(onderwerp);
    for ontvanger in ontvangers {
        builder = builder.to(mailbox(ontvanger)?);
    }
    let mut body = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(plain, html));
    for part in parts {
        body = body.singlepart(part);
    }
    builder.multipart(body).map_err(|e| Error::Invalid(format!("cannot build the mail {onderwerp:?}: {e}")))
}

fn figures(rapport: &RapportSamenvatting) -> (String, String) {
    let plain: String = rapport.kerncijfers.iter().map(|k| format!("  {}: {}\n", k.label, k.waarde)).collect();
    let rows: String = rapport
        .kerncijfers
        .iter()
        .map(|k| format!("<tr><td>{}</td><td align=\"right\">{}</td></tr>", escape(&k.label), escape(&k.waarde)))
        .collect();
    (plain, format!("<table cellpadding=\"3\">{rows}</table>"))
}

/// The mail to one contract manager, with the packs of their providers.
pub fn contract_manager(
    folder: &Path,
    samenvatting: &Samenvatting,
    afzender: &str,
    ontvanger: &str,
    packs: &[&RapportSamenvatting],
) -> Result<Mail> {
    let onderwerp = match packs {
        [one] => format!("Prestatiedialoog {}: {}", samenvatting.periode_naam, one.aanbieder_naam),
        _ => format!("Prestatiedialoog {}: {} aanbieders", samenvatting.periode_naam, packs.len()),
    };
    let (mut plain, mut html) = (
        format!(
            "Beste contractmanager,\n\nBijgevoegd de prestatiedialoog over het {} (gegevens zoals bekend op {}) voor de aanbieders hieronder, elk als webpagina (HTML, af te drukken op A4) en als Excel-werkmap met dezelfde cijfers.\n\n",
            samenvatting.periode_naam, samenvatting.peildatum
        ),
        format!(
            "<p>Beste contractmanager,</p><p>Bijgevoegd de prestatiedialoog over het {} (gegevens zoals bekend op {}) voor de aanbieders hieronder, elk als webpagina (HTML, af te drukken op A4) en als Excel-werkmap met dezelfde cijfers.</p>",
            escape(&samenvatting.periode_naam),
            escape(&samenvatting.peildatum)
        ),
    );
    for pack in packs {
        let (p, h) = figures(pack);
        plain.push_str(&format!("{} (AGB {})\n{p}\n", pack.aanbieder_naam, pack.aanbieder_agb));
        html.push_str(&format!("<h3>{} (AGB {})</h3>{h}", escape(&pack.aanbieder_naam), escape(&pack.aanbieder_agb)));
    }
    let slot = format!(
        "Een pakket is bedoeld voor het gesprek met die ene aanbieder: stuur het niet door aan andere aanbieders.\n\nMet vriendelijke groet,\nwmo-monitor, gemeente {}\n",
        samenvatting.gemeente
    );
    plain.push_str(&slot);
    html.push_str(&format!("<p>{}</p>", escape(&slot).replace('\n', "<br>")));
    let (parts, versie) = attachments(folder, packs)?;
    let ontvangers = vec![ontvanger.to_string()];
    let message = build(afzender, &ontvangers, &onderwerp, plain, html, parts)?;
    Ok(Mail { rapport: "prestatiedialoog", ontvangers, onderwerp, versie, message })
}

/// The mail to the council, with the monitor.
pub fn council(folder: &Path, samenvatting: &Samenvatting, afzender: &str, ontvangers: &[String]) -> Result<Mail> {
    let onderwerp = format!("Monitor Sociaal Domein Wmo, {}", samenvatting.periode_naam);
    let (p, h) = figures(&samenvatting.monitor);
    let intro = format!(
        "Bijgevoegd de Monitor Sociaal Domein over het {} (gegevens zoals bekend op {}): als webpagina (HTML, af te drukken op A4) en als Excel-werkmap. Aantallen zijn afgerond op 5; een aantal onder de 8 staat als een punt.",
        samenvatting.periode_naam, samenvatting.peildatum
    );
    let plain = format!(
        "Geachte leden van de raad,\n\n{intro}\n\nDe kerncijfers:\n{p}\nMet vriendelijke groet,\nwmo-monitor, gemeente {}\n",
        samenvatting.gemeente
    );
    let html = format!(
        "<p>Geachte leden van de raad,</p><p>{}</p><p>De kerncijfers:</p>{h}<p>Met vriendelijke groet,<br>wmo-monitor, gemeente {}</p>",
        escape(&intro),
        escape(&samenvatting.gemeente)
    );
    let (parts, versie) = attachments(folder, &[&samenvatting.monitor])?;
    let message = build(afzender, ontvangers, &onderwerp, plain, html, parts)?;
    Ok(Mail { rapport: "monitor", ontvangers: ontvangers.to_vec(), onderwerp, versie, message })
}
