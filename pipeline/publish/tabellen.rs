//! `reports/tabellen.toml`: the tables of the reports, declared, so a report
//! author changes a table's wording, order or columns without a rebuild. Each
//! names the kpi table or view its rows come from and, per column, the kind of
//! figure; disclosure control (`disclosure`) fills every cell from that kind.
//! Every name is checked against the kpi tables when publish starts, so a
//! misspelt column stops the run with the file and the name instead of
//! showing as a blank.

use super::charts;
use super::disclosure::{self, Kenmerken, Regels, Soort, Waarde};
use super::model::{Kolom, Tabel};
use super::source::ReportSource;
use crate::engine::rows::{Row, query};
use crate::error::{Error, Result};
use crate::periode::Periode;
use datafusion::prelude::SessionContext;
use serde::Deserialize;
use std::collections::BTreeMap;

pub const FILE: &str = "tabellen.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tabellen {
    pub monitor: Vec<TabelDefinitie>,
    pub pakket: Vec<TabelDefinitie>,
    #[serde(default)]
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
    /// Where the file came from, for messages.
    #[serde(skip)]
    pub origin: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TabelDefinitie {
    pub id: String,
    pub titel: String,
    pub uitleg: String,
    pub leeg: Option<String>,
    pub bron: Option<String>,
    #[serde(default)]
    pub volgorde: Vec<String>,
    #[serde(default)]
    pub kolommen: Vec<KolomDefinitie>,
    pub grafiek: Option<Grafiek>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KolomDefinitie {
    pub naam: String,
    pub kolom: String,
    pub soort: Soort,
    pub noemer: Option<String>,
    pub basis: Option<String>,
    pub labels: Option<String>,
    pub eenheid: Option<String>,
    /// Leave the column out when its source is empty or 0 in every row (a
    /// CBS group the TO arrangement absorbed), and say why in the explanation.
    pub weglaten_als_leeg: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grafiek {
    pub soort: GrafiekSoort,
    pub titel: String,
    pub label: Option<String>,
    pub waarde: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrafiekSoort {
    Staven,
    Lijn,
}

fn report_name(regels: Regels) -> &'static str {
    match regels {
        Regels::Raad => "monitor",
        Regels::Pakket => "pakket",
    }
}

/// The tables built from the figures of indicatoren.toml rather than a bron.
pub const INGEBOUWD: [&str; 2] = ["trend", "vergelijking"];

impl Tabellen {
    pub fn load(source: &ReportSource) -> Result<Tabellen> {
        let text = source.require(FILE)?;
        let origin = format!("{FILE} in {}", source.origin());
        let mut tabellen: Tabellen = toml::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{origin} is not valid: {}", crate::config::toml_error(&text, &e))))?;
        tabellen.origin = origin;
        Ok(tabellen)
    }

    /// Checks every table against the session's kpi tables and views: the
    /// sources exist and have the columns named, and the disclosure rules can
    /// protect every column. Returns what it learned of each source, so the
    /// rows are read without planning it again.
    pub async fn check(&self, ctx: &SessionContext) -> Result<Bronnen> {
        let mut bronnen = Bronnen { monitor: Vec::new(), pakket: Vec::new() };
        for (regels, definities) in [(Regels::Raad, &self.monitor), (Regels::Pakket, &self.pakket)] {
            for definitie in definities {
                let vormen = if regels == Regels::Raad { &mut bronnen.monitor } else { &mut bronnen.pakket };
                let fail = |why: String| {
                    Error::Invalid(format!(
                        "{}: table {} of [[{}]]: {why}",
                        self.origin,
                        definitie.id,
                        report_name(regels)
                    ))
                };
                definitie.check_shape(regels, &self.labels).map_err(fail)?;
                let Some(bron) = &definitie.bron else {
                    vormen.push(None);
                    continue;
                };
                let columns = columns_of(ctx, bron)
                    .await
                    .ok_or_else(|| fail(format!(
                        "bron {bron} is no kpi table or view in the lake (`wmo-monitor tables` lists them; a kpi table new in this version appears after `wmo-monitor compute --all`)"
                    )))?;
                let has = |name: &str| columns.iter().any(|c| c == name);
                if !has("periode") && !has("jaar") {
                    return Err(fail(format!("bron {bron} has neither periode nor jaar to take the period's rows by")));
                }
                if regels == Regels::Pakket && !has("aanbieder_agb") {
                    return Err(fail(format!("bron {bron} has no aanbieder_agb to take a provider's rows by")));
                }
                for name in definitie.named_columns() {
                    if !has(name) {
                        return Err(fail(format!("bron {bron} has no column {name}")));
                    }
                }
                vormen.push(Some(BronVorm { per_periode: has("periode"), per_aanbieder: has("aanbieder_agb") }));
            }
        }
        Ok(bronnen)
    }

    /// The rows of every table with a bron, for the period: per table of the
    /// monitor and of the pack, in declaration order.
    pub async fn rows(
        &self,
        ctx: &SessionContext,
        periode: Periode,
        bronnen: &Bronnen,
    ) -> Result<(Vec<Vec<Row>>, Vec<Vec<Row>>)> {
        let mut monitor = Vec::new();
        for (definitie, vorm) in self.monitor.iter().zip(&bronnen.monitor) {
            monitor.push(definitie.load(ctx, periode, Regels::Raad, *vorm).await?);
        }
        let mut pakket = Vec::new();
        for (definitie, vorm) in self.pakket.iter().zip(&bronnen.pakket) {
            pakket.push(definitie.load(ctx, periode, Regels::Pakket, *vorm).await?);
        }
        Ok((monitor, pakket))
    }

    pub fn label(&self, list: &str, code: &str) -> String {
        match self.labels.get(list).and_then(|l| l.get(code)) {
            Some(word) => word.clone(),
            None => code.replace('_', " "),
        }
    }
}

/// What `Tabellen::check` learned of each table's source, in declaration order
/// (`None` for a table built from the figures).
pub struct Bronnen {
    monitor: Vec<Option<BronVorm>>,
    pakket: Vec<Option<BronVorm>>,
}

/// How a source's rows are taken: by `periode` (else by `jaar`), and whether
/// it has rows per provider.
#[derive(Debug, Clone, Copy)]
struct BronVorm {
    per_periode: bool,
    per_aanbieder: bool,
}

async fn columns_of(ctx: &SessionContext, name: &str) -> Option<Vec<String>> {
    let frame = ctx.table(name).await.ok()?;
    Some(frame.schema().fields().iter().map(|f| f.name().clone()).collect())
}

impl TabelDefinitie {
    /// Every column of bron the table names.
    fn named_columns(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for kolom in &self.kolommen {
            names.push(&kolom.kolom);
            names.extend(kolom.noemer.as_deref());
            names.extend(kolom.basis.as_deref());
        }
        names.extend(self.volgorde.iter().map(|v| sort_column(v).0));
        names
    }

    fn check_shape(&self, regels: Regels, labels: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), String> {
        let ingebouwd = INGEBOUWD.contains(&self.id.as_str());
        match (&self.bron, ingebouwd) {
            (None, false) => return Err(format!("it needs a bron, unless it is one of {}", INGEBOUWD.join(", "))),
            (Some(_), true) => return Err(format!("{} is built from the figures and takes no bron", self.id)),
            (Some(_), false) if self.kolommen.is_empty() => return Err("it has no kolommen".into()),
            _ => {}
        }
        if self.titel.chars().count() > 31 {
            return Err(format!("titel {:?} is longer than the 31 characters a sheet name may have", self.titel));
        }
        for volgorde in &self.volgorde {
            if sort_column(volgorde).1.is_none() {
                return Err(format!("volgorde {volgorde:?} is not a column with an optional \" desc\""));
            }
        }
        for kolom in &self.kolommen {
            let share = matches!(kolom.soort, Soort::Procent | Soort::PerDuizend);
            if regels == Regels::Raad && share && kolom.noemer.is_none() {
                return Err(format!(
                    "column {:?} is a share without noemer, so the council's rules cannot compute it from rounded counts",
                    kolom.naam
                ));
            }
            if let Some(list) = &kolom.labels
                && !labels.contains_key(list)
            {
                return Err(format!("column {:?} names labels {list:?}, and there is no [labels.{list}]", kolom.naam));
            }
        }
        if let Some(grafiek) = &self.grafiek {
            match grafiek.soort {
                GrafiekSoort::Lijn if self.id != "trend" => {
                    return Err("a lijn chart belongs to the trend table".into());
                }
                GrafiekSoort::Lijn => {}
                GrafiekSoort::Staven => {
                    for naam in grafiek.label.iter().chain([&grafiek.waarde]) {
                        if !self.kolommen.iter().any(|k| &k.naam == naam) {
                            return Err(format!(
                                "its grafiek names {naam:?}, which is not the naam of one of its columns"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn load(
        &self,
        ctx: &SessionContext,
        periode: Periode,
        regels: Regels,
        vorm: Option<BronVorm>,
    ) -> Result<Vec<Row>> {
        let (Some(bron), Some(vorm)) = (&self.bron, vorm) else { return Ok(Vec::new()) };
        // Names were checked against the source; the period is its one text form.
        let mut condition = if vorm.per_periode {
            format!("periode = '{periode}'")
        } else {
            format!("jaar in ({}, {})", periode.jaar() - 1, periode.jaar())
        };
        if regels == Regels::Raad && vorm.per_aanbieder {
            condition.push_str(" and aanbieder_agb = 'alle'");
        }
        let mut order: Vec<String> = Vec::new();
        if regels == Regels::Pakket {
            order.push("aanbieder_agb".into());
        }
        order.extend(self.volgorde.iter().map(|v| {
            let (column, descending) = sort_column(v);
            if descending == Some(true) { format!("{column} desc") } else { column.to_string() }
        }));
        let order = if order.is_empty() { String::new() } else { format!(" order by {}", order.join(", ")) };
        query(ctx, &format!("select * from {bron} where {condition}{order}"), bron).await
    }

    /// The table's header and explanation, without rows.
    pub fn shell(&self) -> Tabel {
        let kolommen = self.kolommen.iter().map(|k| Kolom::new(&k.naam, k.soort)).collect();
        let mut tabel = Tabel::new(&self.id, &self.titel, &self.uitleg, kolommen);
        if let Some(leeg) = &self.leeg {
            tabel.leeg = leeg.clone();
        }
        tabel
    }

    /// The table filled with `rows` under the report's rules.
    pub fn fill(&self, rows: &[&Row], regels: Regels, tabellen: &Tabellen) -> Tabel {
        let mut tabel = self.shell();
        // A column of nothing but zeros says nothing; its reason is one sentence instead.
        let empty = |kolom: &KolomDefinitie| {
            !rows.is_empty() && rows.iter().all(|r| r.get(&kolom.kolom).number().is_none_or(|n| n.is_zero()))
        };
        let mut kolommen: Vec<&KolomDefinitie> = Vec::new();
        for kolom in &self.kolommen {
            match &kolom.weglaten_als_leeg {
                Some(waarom) if empty(kolom) => tabel.uitleg = format!("{} {waarom}", tabel.uitleg),
                _ => kolommen.push(kolom),
            }
        }
        tabel.kolommen = kolommen.iter().map(|k| Kolom::new(&k.naam, k.soort)).collect();
        for row in rows {
            tabel.rijen.push(kolommen.iter().map(|k| cel(k, row, regels, tabellen)).collect());
        }
        if let Some(grafiek) = &self.grafiek
            && grafiek.soort == GrafiekSoort::Staven
        {
            let index = |naam: &str| kolommen.iter().position(|k| k.naam == naam);
            if let (Some(label), Some(waarde)) = (grafiek.label.as_deref().and_then(index), index(&grafiek.waarde)) {
                let bars: Vec<(String, Waarde)> =
                    tabel.rijen.iter().map(|rij| (rij[label].tekst.clone(), rij[waarde].clone())).collect();
                tabel.grafiek = charts::staven(&bars, &grafiek.titel);
            }
        }
        tabel
    }
}

/// `("trajecten", Some(true))` for "trajecten desc"; `None` for a malformed order.
fn sort_column(volgorde: &str) -> (&str, Option<bool>) {
    let mut words = volgorde.split_whitespace();
    let column = words.next().unwrap_or("");
    let descending = match (words.next(), words.next()) {
        (None, _) => Some(false),
        (Some(w), None) if w.eq_ignore_ascii_case("desc") => Some(true),
        (Some(w), None) if w.eq_ignore_ascii_case("asc") => Some(false),
        _ => None,
    };
    let plain = !column.is_empty() && column.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (column, if plain { descending } else { None })
}

/// One cell: words as they are (or as their labels say), dates, and figures
/// through the report's disclosure rules.
fn cel(kolom: &KolomDefinitie, row: &Row, regels: Regels, tabellen: &Tabellen) -> Waarde {
    match kolom.soort {
        Soort::Tekst => {
            let mut text = row.text(&kolom.kolom);
            if let Some(list) = &kolom.labels {
                text = text.split(';').map(|code| tabellen.label(list, code)).collect::<Vec<_>>().join("; ");
            }
            if let Some(eenheid) = &kolom.eenheid {
                text = format!("{text} {eenheid}");
            }
            Waarde::tekst(text)
        }
        Soort::Datum => Waarde::datum(row.get(&kolom.kolom).date()),
        soort => {
            let kenmerken = Kenmerken {
                kolom: &kolom.kolom,
                soort,
                teller: None,
                noemer: kolom.noemer.as_deref(),
                basis: kolom.basis.as_deref(),
                geld: false,
            };
            disclosure::figuur(regels, &kenmerken, Some(row))
        }
    }
}
