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
}

/// Elements whose content identifies a person; their text never survives.
const PERSONAL_ELEMENTS: &[&str] = &[
    "Bsn",
    "Datum",
    "Achternaam",
    "Voorvoegsel",
    "Voornamen",
    "Voorletters",
    "Partnernaam",
    "Straatnaam",
    "Huisnummer",
    "Huisletter",
    "HuisnummerToevoeging",
    "Postcode",
    "Plaatsnaam",
    "Locatieomschrijving",
    "Telefoonnummer",
    "Landnummer",
    "Emailadres",
];

/// How much raw text quarantine keeps of one record.
pub const RAW_TEXT_LIMIT: usize = 4000;

/// Makes raw input text safe to keep: the content of personal XML elements
/// is replaced by `***`, and every run of exactly nine digits (a BSN, wherever
/// it stands) by `*********`. Works on malformed XML and CSV lines too.
pub fn scrub(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(RAW_TEXT_LIMIT + 16));
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag_end = match rest[open..].find('>') {
            Some(end) => open + end + 1,
            None => {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            }
        };
        let tag = &rest[open..tag_end];
        out.push_str(tag);
        rest = &rest[tag_end..];
        if is_personal_open_tag(tag) {
            let content_end = rest.find('<').unwrap_or(rest.len());
            if !rest[..content_end].trim().is_empty() {
                out.push_str("***");
            }
            rest = &rest[content_end..];
        }
    }
    out.push_str(rest);
    let masked = mask_bsn_like(&out);
    truncate(masked, RAW_TEXT_LIMIT)
}

fn is_personal_open_tag(tag: &str) -> bool {
    if tag.starts_with("</") || tag.starts_with("<?") || tag.starts_with("<!") || tag.ends_with("/>") {
        return false;
    }
    let name = tag[1..].split(|c: char| c.is_whitespace() || c == '>' || c == '/').next().unwrap_or("");
    let local = name.rsplit(':').next().unwrap_or(name);
    PERSONAL_ELEMENTS.contains(&local)
}

/// Replaces every run of exactly nine ASCII digits by asterisks.
pub fn mask_bsn_like(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 9 {
                out.push_str("*********");
            } else {
                out.push_str(&text[start..i]);
            }
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push_str(&text[start..i]);
        }
    }
    out
}

fn truncate(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" [...]");
    }
    text
}
