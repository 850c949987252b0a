//! `samenvatting.toml` in a published period's folder: which reports were
//! made, their files and their headline figures as published (after disclosure
//! control). `deliver` reads it for the mails' bodies, so it sends only what
//! `publish` wrote.

use super::model::Rapport;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "samenvatting.toml";

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kerncijfer {
    pub label: String,
    pub waarde: String,
}

impl RapportSamenvatting {
    /// The headline tiles of a report (the first chapter's figures for the monitor).
    pub fn of(rapport: &Rapport, bestanden: Vec<String>) -> RapportSamenvatting {
        let figuren: Vec<_> = match rapport.soort {
            "monitor" => rapport.hoofdstukken.first().map(|h| h.figuren.iter().collect()).unwrap_or_default(),
            _ => rapport.figuren().filter(|f| f.tegel).collect(),
        };
        RapportSamenvatting {
            titel: rapport.titel.clone(),
            aanbieder_agb: rapport.aanbieder.as_ref().map(|a| a.agb.clone()).unwrap_or_default(),
            aanbieder_naam: rapport.aanbieder.as_ref().map(|a| a.naam.clone()).unwrap_or_default(),
            bestanden,
            kerncijfers: figuren
                .into_iter()
                .map(|f| Kerncijfer { label: f.label.clone(), waarde: f.waarde.tekst.clone() })
                .collect(),
        }
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
