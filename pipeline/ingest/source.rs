//! The one contract every source kind meets: recognise a file by its content,
//! then parse and validate it into rows and rejects. Adding a source is one
//! new file and one line in `SOURCES`.

use super::rules::Rule;
use crate::lake::{Table, Value};
use crate::privacy::Pseudonymiser;

/// What a file looks like from its first element or header row.
pub enum Sniff<'a> {
    Xml { namespace: &'a str, root: &'a str },
    Csv { header: &'a [String] },
}

pub struct Input<'a> {
    /// The decoded text of the file.
    pub text: &'a str,
}

pub struct Context<'a> {
    pub gemeente: &'a str,
    pub pseudonymiser: &'a Pseudonymiser,
}

/// A record or file that broke a rule.
#[derive(Debug)]
pub struct Reject {
    pub rule: &'static Rule,
    /// XPath and line, or CSV line.
    pub location: String,
    pub message: String,
    /// The record as sent; scrubbed before it is stored.
    pub raw: String,
}

/// What a source made of one file.
#[derive(Default)]
pub struct Loaded {
    pub rows: Vec<(Table, Vec<Value>)>,
    pub rejects: Vec<Reject>,
    /// Rule ids of warnings on loaded rows.
    pub warnings: Vec<&'static Rule>,
    /// The file as a whole was refused; `rows` is empty.
    pub file_rejected: bool,
    /// Whom and what the file is about, as far as it could be read (also
    /// for a file refused whole): what the completeness figures count.
    pub herkomst: Herkomst,
}

/// The provider an iWmo message is from or to, its date and the month a
/// declaration declares; empty for other files and where the message could
/// not tell.
#[derive(Debug, Clone, Default)]
pub struct Herkomst {
    pub aanbieder_agb: Option<String>,
    pub declaratie_maand: Option<chrono::NaiveDate>,
    /// The message's Dagtekening: what an as-of date compares with.
    pub dagtekening: Option<chrono::NaiveDate>,
}

impl Loaded {
    pub fn rejected_file(rule: &'static Rule, location: String, message: String, raw: &str) -> Loaded {
        Loaded {
            rows: Vec::new(),
            rejects: vec![Reject { rule, location, message, raw: raw.to_string() }],
            warnings: Vec::new(),
            file_rejected: true,
            herkomst: Herkomst::default(),
        }
    }
}

pub trait Source: Sync {
    /// Short name, as in `laadlog.soort`.
    fn kind(&self) -> &'static str;
    fn recognise(&self, sniff: &Sniff) -> bool;
    fn load(&self, input: &Input, context: &Context) -> Loaded;
}

/// A rule broken while reading one record.
#[derive(Debug)]
pub struct Fault {
    pub rule: &'static Rule,
    pub message: String,
}

impl Fault {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Fault {
        Fault { rule, message: message.into() }
    }
}
