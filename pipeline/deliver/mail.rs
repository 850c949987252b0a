//! The mails of a period: one per contract manager, with the packs of their
//! providers attached, and one to the council with the monitor. Bodies are
//! short Dutch texts with the headline figures as published (plain text and
//! HTML alternatives); in the HTML each figure has its trend beside it, as an
//! inline PNG that publish drew (mail clients drop SVG).

use crate::error::{Error, Result};
use crate::html::escape;
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
    /// The same for the same report version to the same recipients, so a
    /// mail sent again after an interrupted run is known as the same mail.
    pub message_id: String,
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

/// A mail body: plain text, and HTML with the images it shows inline.
pub(crate) struct Body {
    pub plain: String,
    pub html: String,
    pub images: Vec<SinglePart>,
}

/// The MIME tree mail clients expect: mixed [alternative [plain, related
/// [html, images]], attachments].
pub(crate) fn build(
    afzender: &str,
    ontvangers: &[String],
    onderwerp: &str,
    message_id: &str,
    body: Body,
    parts: Vec<SinglePart>,
) -> Result<Message> {
    let mut builder =
        Message::builder().message_id(Some(message_id.to_string())).from(mailbox(afzender)?).subject(onderwerp);
    for ontvanger in ontvangers {
        builder = builder.to(mailbox(ontvanger)?);
    }
    let alternative = MultiPart::alternative().singlepart(SinglePart::plain(body.plain));
    let alternative = if body.images.is_empty() {
        alternative.singlepart(SinglePart::html(body.html))
    } else {
        let related = body
            .images
            .into_iter()
            .fold(MultiPart::related().singlepart(SinglePart::html(body.html)), |r, image| r.singlepart(image));
        alternative.multipart(related)
    };
    let mut body = MultiPart::mixed().multipart(alternative);
    for part in parts {
        body = body.singlepart(part);
    }
    builder.multipart(body).map_err(|e| Error::Invalid(format!("cannot build the mail {onderwerp:?}: {e}")))
}

/// A report's headline figures: as text, and as an HTML table with each
/// figure's sparkline as an inline image.
fn figures(folder: &Path, rapport: &RapportSamenvatting, images: &mut Vec<SinglePart>) -> Result<(String, String)> {
    let plain: String = rapport.kerncijfers.iter().map(|k| format!("  {}: {}\n", k.label, k.waarde)).collect();
    let mut rows = String::new();
    for k in &rapport.kerncijfers {
        let chart = if k.grafiek.is_empty() {
            String::new()
        } else {
            let path = folder.join(&k.grafiek);
            let png = std::fs::read(&path).map_err(Error::io("cannot read the chart", &path))?;
            // An addr-spec, as RFC 2392 has Content-IDs.
            let content_id = format!(
                "{}@wmo-monitor",
                Path::new(&k.grafiek).file_stem().map(|n| n.to_string_lossy()).unwrap_or_default()
            );
            let content_type = ContentType::parse("image/png")
                .map_err(|e| Error::Invalid(format!("image/png: {e} (this is a bug in wmo-monitor)")))?;
            images.push(Attachment::new_inline(content_id.clone()).body(png, content_type));
            let (width, height) = crate::publish::png::SHOWN_SIZE;
            format!(
                "<img src=\"cid:{}\" width=\"{width}\" height=\"{height}\" alt=\"verloop: {}\">",
                escape(&content_id),
                escape(&k.label)
            )
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td align=\"right\">{}</td><td>{chart}</td></tr>",
            escape(&k.label),
            escape(&k.waarde)
        ));
    }
    Ok((plain, format!("<table cellpadding=\"3\">{rows}</table>")))
}

/// Under a table of figures with sparklines.
const VERLOOP: &str =
    "Het lijntje naast een cijfer toont het verloop over de afgelopen kwartalen; de stip is dit kwartaal.";

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
    let mut images = Vec::new();
    for pack in packs {
        let (p, h) = figures(folder, pack, &mut images)?;
        plain.push_str(&format!("{} (AGB {})\n", pack.aanbieder_naam, pack.aanbieder_agb));
        html.push_str(&format!("<h3>{} (AGB {})</h3>", escape(&pack.aanbieder_naam), escape(&pack.aanbieder_agb)));
        // What the pack says first, then its figures and its points for the dialogue.
        for zin in &pack.waarschuwingen {
            plain.push_str(&format!("Let op: {zin}\n"));
            html.push_str(&format!("<p><strong>Let op:</strong> {}</p>", escape(zin)));
        }
        plain.push_str(&format!("{p}\n"));
        html.push_str(&h);
        if !pack.punten.is_empty() {
            plain.push_str("Om te bespreken:\n");
            html.push_str("<p>Om te bespreken:</p><ul>");
            for punt in &pack.punten {
                plain.push_str(&format!("- {punt}\n"));
                html.push_str(&format!("<li>{}</li>", escape(punt)));
            }
            plain.push('\n');
            html.push_str("</ul>");
        }
    }
    if !images.is_empty() {
        html.push_str(&format!("<p><small>{}</small></p>", escape(VERLOOP)));
    }
    let slot = format!(
        "Een pakket is bedoeld voor het gesprek met die ene aanbieder: stuur het niet door aan andere aanbieders.\n\nMet vriendelijke groet,\nwmo-monitor, gemeente {}\n",
        samenvatting.gemeente
    );
    plain.push_str(&slot);
    html.push_str(&format!("<p>{}</p>", escape(&slot).replace('\n', "<br>")));
    let (parts, versie) = attachments(folder, packs)?;
    let ontvangers = vec![ontvanger.to_string()];
    let message_id = message_id(afzender, "prestatiedialoog", &samenvatting.periode, &versie, &ontvangers);
    let message = build(afzender, &ontvangers, &onderwerp, &message_id, Body { plain, html, images }, parts)?;
    Ok(Mail { rapport: "prestatiedialoog", ontvangers, onderwerp, versie, message_id, message })
}

/// The mail to the council, with the monitor.
pub fn council(folder: &Path, samenvatting: &Samenvatting, afzender: &str, ontvangers: &[String]) -> Result<Mail> {
    let onderwerp = format!("Monitor Sociaal Domein Wmo {}, {}", samenvatting.gemeente, samenvatting.periode_naam);
    let mut images = Vec::new();
    let (p, h) = figures(folder, &samenvatting.monitor, &mut images)?;
    let verloop = if images.is_empty() { String::new() } else { format!("<p><small>{}</small></p>", escape(VERLOOP)) };
    let intro = format!(
        "Bijgevoegd de Monitor Sociaal Domein over het {} (gegevens zoals bekend op {}): als webpagina (HTML, af te drukken op A4) en als Excel-werkmap. Aantallen zijn afgerond op 5; een aantal onder de 8 staat als een punt.",
        samenvatting.periode_naam, samenvatting.peildatum
    );
    let plain = format!(
        "Geachte leden van de raad,\n\n{intro}\n\nDe kerncijfers:\n{p}\nMet vriendelijke groet,\nwmo-monitor, gemeente {}\n",
        samenvatting.gemeente
    );
    let html = format!(
        "<p>Geachte leden van de raad,</p><p>{}</p><p>De kerncijfers:</p>{h}{verloop}<p>Met vriendelijke groet,<br>wmo-monitor, gemeente {}</p>",
        escape(&intro),
        escape(&samenvatting.gemeente)
    );
    let (parts, versie) = attachments(folder, &[&samenvatting.monitor])?;
    let message_id = message_id(afzender, "monitor", &samenvatting.periode, &versie, ontvangers);
    let message = build(afzender, ontvangers, &onderwerp, &message_id, Body { plain, html, images }, parts)?;
    Ok(Mail { rapport: "monitor", ontvangers: ontvangers.to_vec(), onderwerp, versie, message_id, message })
}

/// `<rapport.periode.versie.recipients@sender's domain>`: derived, not random.
pub(crate) fn message_id(afzender: &str, rapport: &str, periode: &str, versie: &str, ontvangers: &[String]) -> String {
    let domain = afzender
        .parse::<Mailbox>()
        .map_or_else(|_| "wmo-monitor.invalid".to_string(), |m| m.email.domain().to_string());
    let wie = hex::encode(&Sha256::digest(ontvangers.join("\n").as_bytes())[..6]);
    format!("<{rapport}.{periode}.{versie}.{wie}@{domain}>")
}
