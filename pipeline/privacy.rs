//! Privacy at the parser's edge: BSN check and keyed pseudonym, and scrubbing
//! of any raw text that is kept for quarantine.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The *elfproef* of a BSN: nine digits, weighted 9..2 and -1, sum divisible
/// by 11. All zeros passes the sum but is no BSN.
pub fn bsn_is_valid(bsn: &str) -> bool {
    let digits = bsn.as_bytes();
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) || digits.iter().all(|&d| d == b'0') {
        return false;
    }
    let sum: i64 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let value = i64::from(d - b'0');
            if i == 8 { -value } else { (9 - i as i64) * value }
        })
        .sum();
    sum % 11 == 0
}

/// Keyed HMAC-SHA-256 pseudonym of a BSN. Without the key a pseudonym cannot
/// be traced back, and the same BSN always gives the same pseudonym.
#[derive(Clone)]
pub struct Pseudonymiser {
    keyed: Hmac<Sha256>,
}

impl Pseudonymiser {
    pub fn new(key: &[u8]) -> Pseudonymiser {
        // HMAC takes keys of any length, so this cannot fail.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
        Pseudonymiser { keyed }
    }

    /// The first 128 bits of the HMAC, as 32 hex digits: collision-free far
    /// beyond the country's 1.2 million Wmo clients, and half the storage.
    pub fn pseudonym(&self, bsn: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(bsn.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(&digest[..16])
    }

    /// A value as sent in a field that is no BSN field (a message id, an
    /// allocation or reference number, a respondent id), with every run of
    /// exactly nine digits that passes the elfproef (a BSN written where it
    /// does not belong) replaced by `bsn-` and twelve hex digits of its keyed
    /// pseudonym: the same BSN gives the same value in every message, so the
    /// identifier still joins, and the BSN is gone. Returns `None` when
    /// nothing needed masking.
    pub fn guard_identifier(&self, value: &str) -> Option<String> {
        replace_digit_runs(value, |run| {
            (run.len() == 9 && bsn_is_valid(run)).then(|| format!("bsn-{}", &self.pseudonym(run)[..12]))
        })
    }
}

/// `text` with every run of ASCII digits for which `replace` gives a
/// replacement replaced by it; `None` when no run was.
fn replace_digit_runs(text: &str, mut replace: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if let Some(replacement) = replace(&text[start..i]) {
            out.push_str(&text[copied..start]);
            out.push_str(&replacement);
            copied = i;
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Elements whose content quarantine keeps: the structure of an iWmo
/// message (codes, dates, amounts, numbers). Everything else keeps its tags
/// but loses its content: names, addresses, birth dates, contact details,
/// and whatever an unknown element holds.
const STRUCTURAL_ELEMENTS: &[&str] = &[
    "BerichtCode",
    "BerichtVersie",
    "BerichtSubversie",
    "Afzender",
    "Ontvanger",
    "Identificatie",
    "Dagtekening",
    "BasisschemaXsdVersie",
    "BerichtXsdVersie",
    "Geslacht",
    "ToewijzingNummer",
    "Categorie",
    "Code",
    "Toewijzingsdatum",
    "Ingangsdatum",
    "Einddatum",
    "Begindatum",
    "RedenWijziging",
    "Volume",
    "Eenheid",
    "Frequentie",
    "Budget",
    "ToewijzingIngangsdatum",
    "StatusAanlevering",
    "RedenBeeindiging",
    "DeclaratieNummer",
    "DeclaratieDagtekening",
    "TotaalBedrag",
    "DebetCredit",
    "ReferentieNummer",
    "VorigReferentieNummer",
    "ProductCategorie",
    "ProductCode",
    "GeleverdVolume",
    "ProductTarief",
    "Bedrag",
    "Soort",
];

/// How much raw text quarantine keeps of one record.
pub const RAW_TEXT_LIMIT: usize = 4000;
/// How long a quarantine message may be: it may quote a value as sent.
pub const MESSAGE_LIMIT: usize = 300;

/// Makes raw input text safe to keep. In XML only the content of structural
/// elements survives (the rest becomes `***`) and attribute values are
/// masked but for namespace declarations; text outside tags (a CSV line,
/// junk) loses e-mail addresses, phone numbers and postcodes; every run of
/// exactly nine digits (a BSN, wherever it stands) becomes `*********`. Works
/// on malformed XML too, and keeps at most [`RAW_TEXT_LIMIT`] bytes.
pub fn scrub(raw: &str) -> String {
    // Only the first part is kept: no need to scrub megabytes.
    let raw = &raw[..floor_char_boundary(raw, RAW_TEXT_LIMIT * 4)];
    let mut out = String::with_capacity(raw.len().min(RAW_TEXT_LIMIT + 16));
    let mut rest = raw;
    let mut keep_content = false;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if keep_content || text.trim().is_empty() {
            out.push_str(&mask_contact_details(text));
        } else {
            out.push_str("***");
        }
        let tag_end = match rest[open..].find('>') {
            Some(end) => open + end + 1,
            None => {
                out.push_str(&mask_contact_details(&rest[open..]));
                rest = "";
                break;
            }
        };
        let tag = &rest[open..tag_end];
        out.push_str(&mask_attributes(tag));
        keep_content = is_structural_open_tag(tag);
        rest = &rest[tag_end..];
    }
    if keep_content || out.is_empty() || rest.trim().is_empty() {
        out.push_str(&mask_contact_details(rest));
    } else {
        out.push_str("***");
    }
    truncate(mask_bsn_like(&out), RAW_TEXT_LIMIT)
}

/// A quarantine message: it may quote a value as sent, so it is masked like
/// raw text outside tags, and capped at [`MESSAGE_LIMIT`].
pub fn scrub_message(message: &str) -> String {
    let message = &message[..floor_char_boundary(message, MESSAGE_LIMIT * 4)];
    truncate(mask_bsn_like(&mask_contact_details(message)), MESSAGE_LIMIT)
}

fn is_structural_open_tag(tag: &str) -> bool {
    if tag.starts_with("</") || tag.starts_with("<?") || tag.starts_with("<!") || tag.ends_with("/>") {
        return false;
    }
    let name = tag[1..].split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
    let local = name.rsplit(':').next().unwrap_or(name);
    STRUCTURAL_ELEMENTS.contains(&local)
}

/// A tag with its attribute values masked, but for namespace declarations.
fn mask_attributes(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut rest = tag;
    while let Some(equals) = rest.find('=') {
        let before = &rest[..equals];
        let name = before.rsplit(|c: char| c.is_whitespace()).next().unwrap_or("");
        let after = rest[equals + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            out.push_str(&rest[..=equals]);
            rest = &rest[equals + 1..];
            continue;
        };
        let Some(close) = after[1..].find(quote) else { break };
        out.push_str(before);
        out.push('=');
        out.push(quote);
        if name.starts_with("xmlns") {
            out.push_str(&after[1..=close]);
        } else {
            out.push_str("***");
            out.push(quote);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Masks e-mail addresses, phone numbers (ten or more digits, with the usual
/// separators) and postcodes with their letters (1234 AB) in free text.
pub fn mask_contact_details(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Words: e-mail addresses go whole.
    let separator = |c: char| matches!(c, ' ' | ';' | ',' | '\t' | '|');
    let mut masked_words = String::with_capacity(text.len());
    for piece in text.split_inclusive(separator) {
        let word = piece.strip_suffix(separator).unwrap_or(piece);
        masked_words.push_str(if word.contains('@') { "***" } else { word });
        masked_words.push_str(&piece[word.len()..]);
    }
    // Phone numbers: runs of digits and + - ( ) . and single spaces.
    let chars: Vec<char> = masked_words.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let is_phone_char = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ' | '.');
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let start = i;
            let mut end = i;
            let mut digits = 0;
            while end < chars.len() && is_phone_char(chars[end]) {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                }
                end += 1;
            }
            // Trailing separators belong to the text after it.
            while end > start && !chars[end - 1].is_ascii_digit() {
                end -= 1;
            }
            if digits >= 10 {
                out.push_str("***");
                i = end;
                continue;
            }
            // A postcode: four digits, an optional space, two capitals, then no letter.
            if end - start == 4 && digits == 4 {
                let mut j = end;
                if chars.get(j) == Some(&' ') {
                    j += 1;
                }
                let letters = chars.get(j..j + 2).is_some_and(|l| l.iter().all(|c| c.is_ascii_uppercase()));
                let after = chars.get(j + 2).is_none_or(|c| !c.is_alphanumeric());
                if letters && after {
                    out.push_str("***");
                    i = j + 2;
                    continue;
                }
            }
            out.extend(&chars[start..end.max(start + 1)]);
            i = end.max(start + 1);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn floor_char_boundary(text: &str, limit: usize) -> usize {
    let mut cut = limit.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Replaces every run of exactly nine ASCII digits by asterisks.
pub fn mask_bsn_like(text: &str) -> String {
    replace_digit_runs(text, |run| (run.len() == 9).then(|| "*********".to_string()))
        .unwrap_or_else(|| text.to_string())
}

fn truncate(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        text.truncate(floor_char_boundary(&text, limit));
        text.push_str(" [...]");
    }
    text
}
