//! What the iWmo 3.2 messages share: namespaces, the header, code lists and
//! the field readers that turn text into checked values.

use super::rules;
use super::source::{Context, Fault, Loaded, Reject};
use super::values;
use super::xml::{self, Element};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub const NAMESPACE_PREFIX: &str = "http://www.istandaarden.nl/iwmo/";
pub const NAMESPACE_VERSION: &str = "3_2";

/// The namespace of message `wmoNNN` in iWmo 3.2.
pub fn namespace(message: &str) -> String {
    format!("{NAMESPACE_PREFIX}{NAMESPACE_VERSION}/{message}/schema")
}

/// Which way a message travels decides where our gemeente and the AGB stand.
#[derive(Clone, Copy)]
pub enum Direction {
    FromGemeente,
    ToGemeente,
}

pub struct MessageKind {
    pub name: &'static str,
    pub code: &'static str,
    pub direction: Direction,
}

pub struct Header {
    pub identificatie: String,
    pub dagtekening: NaiveDate,
    pub gemeente: String,
    pub agb: String,
}

impl Header {
    /// The columns every iWmo row starts with (see `message_columns!`).
    pub fn row(&self, pseudonym: &str) -> Vec<crate::lake::Value> {
        vec![
            self.identificatie.clone().into(),
            self.dagtekening.into(),
            self.gemeente.clone().into(),
            self.agb.clone().into(),
            pseudonym.into(),
        ]
    }
}

/// Checks the header against the message kind and our gemeente.
pub fn read_header(root: &Element, kind: &MessageKind, context: &Context) -> Result<Header, Fault> {
    let header = root.child("Header").ok_or_else(|| Fault::new(&rules::REQUIRED, "the message has no Header"))?;
    let code = required(header, "BerichtCode")?;
    let version = required(header, "BerichtVersie")?;
    let subversion = required(header, "BerichtSubversie")?;
    if code != kind.code || version != "3" || subversion != "2" {
        return Err(Fault::new(
            &rules::HEADER_MESSAGE,
            format!(
                "a {} message must have BerichtCode {}, BerichtVersie 3 and BerichtSubversie 2, not {code}, {version} and {subversion}",
                kind.name, kind.code
            ),
        ));
    }
    let afzender = required(header, "Afzender")?;
    let ontvanger = required(header, "Ontvanger")?;
    let (gemeente, agb, gemeente_role) = match kind.direction {
        Direction::FromGemeente => (afzender, ontvanger, "Afzender"),
        Direction::ToGemeente => (ontvanger, afzender, "Ontvanger"),
    };
    if gemeente != context.gemeente {
        return Err(Fault::new(
            &rules::HEADER_GEMEENTE,
            format!("the {gemeente_role} is gemeente {gemeente}, not ours ({})", context.gemeente),
        ));
    }
    check_agb(agb)?;
    Ok(Header {
        identificatie: required(header, "BerichtIdentificatie/Identificatie")?.to_string(),
        dagtekening: date(header, "BerichtIdentificatie/Dagtekening")?,
        gemeente: gemeente.to_string(),
        agb: agb.to_string(),
    })
}

pub fn check_agb(agb: &str) -> Result<(), Fault> {
    if agb.len() == 8 && agb.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Fault::new(&rules::AGB_FORMAT, format!("the AGB code {agb:?} is not 8 digits")))
    }
}

pub fn required<'a>(el: &'a Element, path: &str) -> Result<&'a str, Fault> {
    el.text_at(path).ok_or_else(|| Fault::new(&rules::REQUIRED, format!("{path} is missing in {}", el.name)))
}

pub fn date(el: &Element, path: &str) -> Result<NaiveDate, Fault> {
    parse_date(required(el, path)?, path)
}

pub fn optional_date(el: &Element, path: &str) -> Result<Option<NaiveDate>, Fault> {
    el.text_at(path).map(|t| parse_date(t, path)).transpose()
}

/// An end date that may be absent, or 9999-12-31 for open-ended.
pub fn optional_end_date(el: &Element, path: &str) -> Result<Option<NaiveDate>, Fault> {
    match el.text_at(path) {
        None => Ok(None),
        Some(text) => values::end_date(parse_any_date(text, path)?, path),
    }
}

/// A birth date that may be absent; a fault never repeats it.
pub fn optional_birth_date(el: &Element, path: &str) -> Result<Option<NaiveDate>, Fault> {
    let Some(text) = el.text_at(path) else { return Ok(None) };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Fault::new(&rules::DATE_INVALID, format!("{path} is not a date (YYYY-MM-DD)")))?;
    values::birth_date(date, path).map(Some)
}

fn parse_date(text: &str, path: &str) -> Result<NaiveDate, Fault> {
    values::message_date(parse_any_date(text, path)?, path)
}

fn parse_any_date(text: &str, path: &str) -> Result<NaiveDate, Fault> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Fault::new(&rules::DATE_INVALID, format!("{path} {text:?} is not a date (YYYY-MM-DD)")))
}

pub fn ordered(start: NaiveDate, end: Option<NaiveDate>, what: &str) -> Result<(), Fault> {
    match end {
        Some(end) if end < start => {
            Err(Fault::new(&rules::DATE_ORDER, format!("{what}: the end {end} lies before the start {start}")))
        }
        _ => Ok(()),
    }
}

pub fn code<'a>(el: &'a Element, path: &str, list: &[&str], list_name: &str) -> Result<&'a str, Fault> {
    let value = required(el, path)?;
    check_code(value, path, list, list_name)
}

pub fn optional_code<'a>(
    el: &'a Element,
    path: &str,
    list: &[&str],
    list_name: &str,
) -> Result<Option<&'a str>, Fault> {
    el.text_at(path).map(|v| check_code(v, path, list, list_name)).transpose()
}

fn check_code<'a>(value: &'a str, path: &str, list: &[&str], list_name: &str) -> Result<&'a str, Fault> {
    if list.contains(&value) {
        Ok(value)
    } else {
        Err(Fault::new(&rules::CODE_LIST, format!("{path} {value:?} is not in code list {list_name}")))
    }
}

pub fn integer(el: &Element, path: &str) -> Result<i64, Fault> {
    let text = required(el, path)?;
    text.parse().map_err(|_| Fault::new(&rules::NUMBER_INVALID, format!("{path} {text:?} is not a whole number")))
}

pub fn optional_integer(el: &Element, path: &str) -> Result<Option<i64>, Fault> {
    el.text_at(path)
        .map(|t| {
            t.parse().map_err(|_| Fault::new(&rules::NUMBER_INVALID, format!("{path} {t:?} is not a whole number")))
        })
        .transpose()
}

/// iWmo amounts are whole euro cents; the lake keeps euro.
pub fn euro_from_cents(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// An amount in cents, not negative and within [`values::MAX_CENTS`], as euro.
pub fn amount(el: &Element, path: &str) -> Result<Decimal, Fault> {
    values::bounded(integer(el, path)?, values::MAX_CENTS, path).map(euro_from_cents)
}

pub fn optional_amount(el: &Element, path: &str) -> Result<Option<Decimal>, Fault> {
    optional_integer(el, path)?
        .map(|cents| values::bounded(cents, values::MAX_CENTS, path).map(euro_from_cents))
        .transpose()
}

/// A volume, not negative and within [`values::MAX_VOLUME`].
pub fn volume(el: &Element, path: &str) -> Result<i64, Fault> {
    values::bounded(integer(el, path)?, values::MAX_VOLUME, path)
}

pub fn optional_volume(el: &Element, path: &str) -> Result<Option<i64>, Fault> {
    optional_integer(el, path)?.map(|v| values::bounded(v, values::MAX_VOLUME, path)).transpose()
}

/// Checks the BSN and returns the pseudonym; the BSN itself goes no further.
pub fn pseudonym(el: &Element, context: &Context) -> Result<String, Fault> {
    let bsn = required(el, "Bsn")?;
    if !crate::privacy::bsn_is_valid(bsn) {
        return Err(Fault::new(&rules::BSN_ELFPROEF, "the BSN is not 9 digits passing the elfproef"));
    }
    Ok(context.pseudonymiser.pseudonym(bsn))
}

pub const PRODUCTCATEGORIE: &[&str] =
    &["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18"];
pub const EENHEID: &[&str] = &["01", "04", "14", "16", "82", "83", "84"];
pub const FREQUENTIE: &[&str] = &["1", "2", "4", "6"];
pub const GESLACHT: &[&str] = &["0", "1", "2"];
pub const STATUS_AANLEVERING: &[&str] = &["1", "2", "3"];
pub const DEBET_CREDIT: &[&str] = &["D", "C"];
pub const REDEN_BEEINDIGING: &[&str] = &["02", "19", "20", "21", "22", "23", "31", "36", "37", "38", "39"];
/// iWmo 3.2 RedenWijziging; 13 (verwijderd) and 14 (actualisatie) matter here.
pub const REDEN_WIJZIGING: &[&str] =
    &["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15"];

/// XPath of a record and its line, for quarantine.
pub fn location(text: &str, xpath: &str, el: &Element) -> String {
    format!("{xpath} (line {})", xml::line_of(text, el.start))
}

/// Reads one client record of a message into rows (or fails with the first
/// rule it breaks): the header, the open ancestors, the client, its XPath.
pub type ClientReader<'a> = &'a mut dyn FnMut(&Header, &[Element], &Element, &str, &mut Loaded) -> Result<(), Fault>;

/// Reads one message: the header is checked once the first record arrives
/// (it always comes first), then each `Client` record is read by
/// `read_client`. A file that is not well-formed, or whose header fails, is
/// rejected whole.
pub fn load_message(
    text: &str,
    kind: &MessageKind,
    client_xpath: &str,
    context: &Context,
    read_client: ClientReader,
) -> (Loaded, Option<Header>) {
    let mut loaded = Loaded::default();
    let mut header: Option<Result<Header, Fault>> = None;
    let streamed = xml::stream(text, "Client", &mut |ancestors, client, number| {
        let header = header.get_or_insert_with(|| match ancestors.first() {
            Some(root) => read_header(root, kind, context),
            None => Err(Fault::new(&rules::REQUIRED, "Client must stand inside Bericht")),
        });
        let Ok(header) = header else { return };
        let xpath = format!("{client_xpath}[{number}]");
        let rows_before = loaded.rows.len();
        let warnings_before = loaded.warnings.len();
        let raw_rejects_before = loaded.rejects.len();
        if let Err(fault) = read_client(header, ancestors, &client, &xpath, &mut loaded) {
            // A client is one record: none of its rows survive its fault.
            loaded.rows.truncate(rows_before);
            loaded.warnings.truncate(warnings_before);
            loaded.rejects.truncate(raw_rejects_before);
            loaded.rejects.push(Reject {
                rule: fault.rule,
                location: location(text, &xpath, &client),
                message: fault.message,
                raw: text[client.start..client.end].to_string(),
            });
        }
    });
    let root = match streamed {
        Ok(root) => root,
        Err(e) => {
            let location = format!("line {}", xml::line_of(text, e.offset));
            return (
                Loaded::rejected_file(
                    &rules::XML_MALFORMED,
                    location,
                    format!("not well-formed XML: {}", e.message),
                    text,
                ),
                None,
            );
        }
    };
    let header = match header.unwrap_or_else(|| read_header(&root, kind, context)) {
        Ok(header) => header,
        Err(fault) => return (reject_whole(text, fault, "/Bericht/Header"), None),
    };
    loaded.herkomst.aanbieder_agb = Some(header.agb.clone());
    loaded.herkomst.dagtekening = Some(header.dagtekening);
    (loaded, Some(header))
}

pub fn reject_whole(text: &str, fault: Fault, xpath: &str) -> Loaded {
    Loaded::rejected_file(fault.rule, xpath.to_string(), fault.message, text)
}
