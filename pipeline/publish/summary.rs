//! `samenvatting.toml` in a published period's folder: which reports were
//! made, their files and their headline figures as published (after disclosure
//! control). `deliver` reads it for the mails' bodies, so it sends only what
//! `publish` wrote.

use super::model::Rapport;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "samenvatting.toml";
/// The folder, in a period's folder, of the headline figures' PNG sparklines.
pub const GRAFIEKEN: &str = "grafieken";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Samenvatting {
    pub gemeente: String,
    pub periode: String,
    pub periode_naam: String,
    pub peildatum: String,
    pub monitor: RapportSamenvatting,
    pub pakketten: Vec<RapportSamenvatting>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RapportSamenvatting {
    pub titel: String,
    #[serde(default)]
    pub aanbieder_agb: String,
    #[serde(default)]
    pub aanbieder_naam: String,
    /// Paths relative to the period's folder: the HTML, then the XLSX.
    pub bestanden: Vec<String>,
    pub kerncijfers: Vec<Kerncijfer>,
    /// What the report says first: declarations missing or not yet in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waarschuwingen: Vec<String>,
    /// The pack's points for the dialogue, as the pack words them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub punten: Vec<String>,
}

/// A chart to write: its path in the period's folder, and its PNG bytes.
pub type Grafiek = (String, Vec<u8>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kerncijfer {
    pub label: String,
    pub waarde: String,
    /// Its trend as a PNG sparkline, relative to the period's folder; empty
    /// when no period has a value to show.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub grafiek: String,
}

impl RapportSamenvatting {
    /// The headline tiles of a report (the first chapter's figures for the
    /// monitor), and the PNG sparklines of their trends to write (path in the
    /// period's folder, bytes). `name` is the report's file name without extension.
    pub fn of(rapport: &Rapport, bestanden: Vec<String>, name: &str) -> Result<(RapportSamenvatting, Vec<Grafiek>)> {
        let figuren: Vec<_> = match rapport.soort {
            "monitor" => rapport.hoofdstukken.first().map(|h| h.figuren.iter().collect()).unwrap_or_default(),
            _ => rapport.figuren().filter(|f| f.tegel).collect(),
        };
        let stem = Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut grafieken = Vec::new();
        let mut kerncijfers = Vec::new();
        for (i, figuur) in figuren.into_iter().enumerate() {
            let grafiek = match super::png::sparkline(&figuur.trend)? {
                Some(png) => {
                    let path = format!("{GRAFIEKEN}/{stem}-{}.png", i + 1);
                    grafieken.push((path.clone(), png));
                    path
                }
                None => String::new(),
            };
            kerncijfers.push(Kerncijfer { label: figuur.label.clone(), waarde: figuur.waarde.tekst.clone(), grafiek });
        }
        let samenvatting = RapportSamenvatting {
            titel: rapport.titel.clone(),
            aanbieder_agb: rapport.aanbieder.as_ref().map(|a| a.agb.clone()).unwrap_or_default(),
            aanbieder_naam: rapport.aanbieder.as_ref().map(|a| a.naam.clone()).unwrap_or_default(),
            bestanden,
            kerncijfers,
            waarschuwingen: rapport.waarschuwingen.clone(),
            punten: rapport
                .punten
                .iter()
                .map(|p| {
                    let soort = match p.soort {
                        "vraag" => "Vraag naar",
                        "sterk" => "Sterk punt",
                        _ => "Opvallend",
                    };
                    format!("{soort}: {}", p.tekst)
                })
                .collect(),
        };
        Ok((samenvatting, grafieken))
    }
}

impl Samenvatting {
    pub fn write(&self, folder: &Path) -> Result<()> {
        let text = toml::to_string(self)
            .map_err(|e| Error::Invalid(format!("cannot write {FILE}: {e} (this is a bug in wmo-monitor)")))?;
        let path = folder.join(FILE);
        std::fs::write(&path, text).map_err(Error::io("cannot write", &path))
    }

    pub fn read(folder: &Path) -> Result<Samenvatting> {
        let path = folder.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Invalid(format!(
                    "{} has no published reports ({FILE} is missing): run `wmo-monitor publish` first",
                    folder.display()
                ))
            } else {
                Error::io("cannot read", &path)(e)
            }
        })?;
        toml::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{} is not a valid summary: {}", path.display(), e.message())))
    }
}
