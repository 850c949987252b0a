//! What a report holds once disclosure control has been applied: the same
//! model feeds the HTML template and the XLSX workbook, so both always show
//! the same protected figures.

use super::disclosure::pakket::Kwartielen;
use super::disclosure::{Soort, Waarde};
use serde::Serialize;

/// One figure with its explanation, its trend and, in a pack, its peers.
#[derive(Debug, Clone, Serialize)]
pub struct Figuur {
    pub kolom: String,
    pub label: String,
    pub uitleg: String,
    pub waarde: Waarde,
    /// One value per period of `Rapport::perioden`, oldest first.
    pub trend: Vec<Waarde>,
    pub sparkline: String,
    pub tegel: bool,
    pub vergelijking: Option<Kwartielen>,
    pub vergelijking_svg: String,
    /// The council's figure rests on declarations not yet all in (CBS: voorlopig).
    pub voorlopig: bool,
}

/// A point for the dialogue: where the provider stands out among its peers, or
/// declaration lines to follow up.
#[derive(Debug, Clone, Serialize)]
pub struct Punt {
    /// `vraag` (ask about it), `sterk` (a strong point) or `opvallend` (neither).
    pub soort: &'static str,
    pub tekst: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hoofdstuk {
    pub titel: String,
    /// One sentence under the title (the money chapter: spend against budget).
    pub samenvatting: Option<String>,
    pub figuren: Vec<Figuur>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kolom {
    pub naam: String,
    pub soort: Soort,
}

impl Kolom {
    pub fn new(naam: &str, soort: Soort) -> Kolom {
        Kolom { naam: naam.into(), soort }
    }
}

/// A table of the report: a section in HTML, a sheet in XLSX.
#[derive(Debug, Clone, Serialize)]
pub struct Tabel {
    pub id: String,
    /// Also the sheet name: at most 31 characters.
    pub titel: String,
    pub uitleg: String,
    pub kolommen: Vec<Kolom>,
    pub rijen: Vec<Vec<Waarde>>,
    /// An SVG chart of the table, if it has one.
    pub grafiek: String,
    /// What the report says when the table has no rows.
    pub leeg: String,
}

impl Tabel {
    pub fn new(id: &str, titel: &str, uitleg: &str, kolommen: Vec<Kolom>) -> Tabel {
        Tabel {
            id: id.into(),
            titel: titel.into(),
            uitleg: uitleg.into(),
            kolommen,
            rijen: Vec::new(),
            grafiek: String::new(),
            leeg: "Geen gegevens in deze periode.".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Aanbieder {
    pub agb: String,
    pub naam: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rapport {
    /// `pakket` or `monitor`.
    pub soort: &'static str,
    pub titel: String,
    pub gemeente: String,
    pub periode: String,
    pub periode_naam: String,
    pub peildatum: String,
    pub gemaakt_op: String,
    pub aanbieder: Option<Aanbieder>,
    /// The periods of the trend, oldest first.
    pub perioden: Vec<String>,
    pub hoofdstukken: Vec<Hoofdstuk>,
    /// The pack's points for the dialogue (empty in the monitor).
    pub punten: Vec<Punt>,
    /// What the reader must know first, in Dutch: declarations that are
    /// missing or refused for the period (empty when all is in).
    pub waarschuwingen: Vec<String>,
    pub tabellen: Vec<Tabel>,
}

impl Rapport {
    pub fn figuren(&self) -> impl Iterator<Item = &Figuur> {
        self.hoofdstukken.iter().flat_map(|h| h.figuren.iter())
    }
}
