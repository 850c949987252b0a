//! The performance-dialogue pack of one provider: its figures with trend and
//! peers, its arrangement mix, end reasons, survey statements and the
//! declaration lines to follow up. Counts are exact; shares over respondents
//! or evaluations follow the pack's disclosure rules; peers appear only as
//! quartiles.

use super::catalogue::{PackFigure, PuntRegels, Richting};
use super::charts;
use super::data::Gegevens;
use super::disclosure::{self, Kenmerken, Regels, Soort, Waarde, pakket};
use super::model::{Aanbieder, Figuur, Hoofdstuk, Kolom, Punt, Rapport, Tabel};
use super::shells;
use super::tabellen::{TabelDefinitie, Tabellen};
use super::volledigheid::{self, Status};
use crate::engine::rows::Row;
use rust_decimal::Decimal;
use std::collections::HashMap;

pub struct Context<'a> {
    pub figuren: &'a [PackFigure],
    pub punt_regels: &'a PuntRegels,
    pub tabellen: &'a Tabellen,
    pub periode: &'a str,
    pub perioden: &'a [String],
    /// Shell of the report: municipality, period, dates.
    pub basis: &'a Rapport,
    trend: Grouped<'a>,
    /// The peers per figure (kpi_aanbieder_vergelijking), by column.
    peers: HashMap<String, &'a Row>,
    /// The rows of each table of tabellen.toml, per provider.
    tabel_rijen: Vec<Grouped<'a>>,
    /// Each provider's kpi_volledigheid row of the period.
    volledigheid: HashMap<String, &'a Row>,
}

impl<'a> Context<'a> {
    pub fn new(
        gegevens: &'a Gegevens,
        figuren: &'a [PackFigure],
        punt_regels: &'a PuntRegels,
        tabellen: &'a Tabellen,
        periode: &'a str,
        perioden: &'a [String],
        basis: &'a Rapport,
    ) -> Context<'a> {
        Context {
            figuren,
            punt_regels,
            tabellen,
            periode,
            perioden,
            basis,
            trend: Grouped::new(&gegevens.aanbieders),
            peers: gegevens.vergelijking.iter().map(|r| (r.text("kolom"), r)).collect(),
            tabel_rijen: gegevens.pakket_tabellen.iter().map(|rows| Grouped::new(rows)).collect(),
            volledigheid: gegevens.volledigheid.iter().map(|r| (r.text("aanbieder_agb"), r)).collect(),
        }
    }
}

/// Rows grouped by provider once, so that each pack takes its own without
/// going through every provider's rows (a national run has thousands of packs).
struct Grouped<'a>(HashMap<String, Vec<&'a Row>>);

impl<'a> Grouped<'a> {
    fn new(rows: &'a [Row]) -> Grouped<'a> {
        let mut groups: HashMap<String, Vec<&'a Row>> = HashMap::new();
        for row in rows {
            groups.entry(row.text("aanbieder_agb")).or_default().push(row);
        }
        Grouped(groups)
    }

    fn of(&self, agb: &str) -> &[&'a Row] {
        self.0.get(agb).map_or(&[], Vec::as_slice)
    }
}

/// A figure of a kpi_aanbieder row, with the pack's rule applied.
fn waarde(figuur: &PackFigure, row: Option<&Row>) -> Waarde {
    let kenmerken = Kenmerken {
        kolom: &figuur.kolom,
        soort: figuur.soort,
        teller: None,
        noemer: None,
        basis: figuur.basis.as_deref(),
        geld: false,
    };
    disclosure::figuur(Regels::Pakket, &kenmerken, row)
}

pub fn build(context: &Context, agb: &str, naam: &str) -> Rapport {
    let own: HashMap<String, &Row> = context.trend.of(agb).iter().map(|r| (r.text("periode"), *r)).collect();
    let current = own.get(context.periode).copied();
    // A provider with very few clients gets a short pack: its place among
    // the peers would say more about chance than about its work.
    let vergelijkbaar = current
        .and_then(|r| r.get("clienten").count())
        .is_some_and(|clienten| clienten >= context.punt_regels.min_clienten);

    let figuren: Vec<Figuur> = context
        .figuren
        .iter()
        .map(|f| {
            let value = waarde(f, current);
            let trend: Vec<Waarde> = context.perioden.iter().map(|p| waarde(f, own.get(p).copied())).collect();
            let vergelijking = if f.vergelijk && vergelijkbaar {
                context.peers.get(&f.kolom).and_then(|peers| {
                    pakket::vergelijking(
                        peers.get("aanbieders").count().unwrap_or(0),
                        [peers.get("p25").number(), peers.get("mediaan").number(), peers.get("p75").number()],
                        f.soort,
                    )
                })
            } else {
                None
            };
            let vergelijking_svg = vergelijking
                .as_ref()
                .map(|k| charts::kwartielen(k, &value, &format!("{}: uw plaats tussen de aanbieders", f.label)))
                .unwrap_or_default();
            Figuur {
                kolom: f.kolom.clone(),
                label: f.label.clone(),
                uitleg: f.uitleg.clone(),
                sparkline: charts::sparkline(&trend, &format!("{}: de laatste kwartalen", f.label)),
                waarde: value,
                trend,
                tegel: f.tegel,
                vergelijking,
                vergelijking_svg,
                voorlopig: false,
            }
        })
        .collect();

    let volledigheid = context.volledigheid.get(agb).copied();
    let status = Status::of(volledigheid);
    let waarschuwingen =
        volledigheid::waarschuwingen(volledigheid, naam, &context.basis.periode_naam, context.tabellen);
    let punten = points(context.figuren, &figuren, current, status, context.punt_regels);
    let tabellen = context
        .tabellen
        .pakket
        .iter()
        .zip(&context.tabel_rijen)
        .map(|(definitie, rijen)| match definitie.id.as_str() {
            "trend" => shells::trend_table(definitie.shell(), &figuren, context.perioden),
            "vergelijking" => peer_table(definitie, &figuren),
            _ => definitie.fill(rijen.of(agb), Regels::Pakket, context.tabellen),
        })
        .collect();

    Rapport {
        soort: "pakket",
        titel: format!("Prestatiedialoog {naam}"),
        aanbieder: Some(Aanbieder { agb: agb.into(), naam: naam.into() }),
        hoofdstukken: vec![Hoofdstuk { titel: "Kerncijfers".into(), samenvatting: None, figuren }],
        punten,
        waarschuwingen,
        tabellen,
        ..context.basis.clone()
    }
}

/// Where the provider lies outside the middle half of its peers, and the
/// declaration lines to follow up: what a contract manager raises first.
fn points(
    catalogue: &[PackFigure],
    figuren: &[Figuur],
    current: Option<&Row>,
    status: Status,
    regels: &PuntRegels,
) -> Vec<Punt> {
    let mut punten = Vec::new();
    for (f, figuur) in catalogue.iter().zip(figuren) {
        // Money that rests on a missing or refused declaration is no point to raise.
        if f.declaraties && !status.figures_hold() {
            continue;
        }
        let (Some(k), Some(own)) = (&figuur.vergelijking, figuur.waarde.getal) else { continue };
        let (Some(p25), Some(p75), Some(mediaan)) = (k.p25.getal, k.p75.getal, k.mediaan.getal) else { continue };
        // 100,3% against a median of 100,0% is outside the middle half of a
        // tight field, and still no difference worth a conversation.
        if (own - mediaan).abs() * Decimal::ONE_HUNDRED < mediaan.abs() * Decimal::from(regels.min_verschil_pct) {
            continue;
        }
        let hoger = if own > p75 {
            true
        } else if own < p25 {
            false
        } else {
            continue;
        };
        let soort = match (f.beter, hoger) {
            (Some(Richting::Hoger), true) | (Some(Richting::Lager), false) => "sterk",
            (Some(_), _) => "vraag",
            (None, _) => "opvallend",
        };
        let kant = if hoger { "hoger dan bij driekwart" } else { "lager dan bij driekwart" };
        punten.push(Punt {
            soort,
            tekst: format!(
                "{}: {}, {kant} van de aanbieders (mediaan {}).",
                figuur.label, figuur.waarde.tekst, k.mediaan.tekst
            ),
        });
    }
    if let Some(row) = current {
        for (regels, bedrag, wat) in [
            ("onrechtmatig_regels", "onrechtmatig_bedrag", "onrechtmatig"),
            ("dubbel_regels", "dubbel_bedrag", "dubbel"),
        ] {
            let aantal = row.get(regels).count().unwrap_or(0);
            if aantal > 0 {
                let euro = pakket::exact(row.get(bedrag).number(), Soort::EuroCent);
                let regel = if aantal == 1 { "declaratieregel" } else { "declaratieregels" };
                punten.push(Punt {
                    soort: "vraag",
                    tekst: format!(
                        "{} {regel} {wat} gedeclareerd, samen {}: zie Opvolging declaraties.",
                        pakket::exact(Some(aantal.into()), Soort::Aantal).tekst,
                        euro.tekst
                    ),
                });
            }
        }
    }
    // What to ask about first, then what stands out, then the strong points.
    punten.sort_by_key(|p| match p.soort {
        "vraag" => 0,
        "opvallend" => 1,
        _ => 2,
    });
    punten
}

fn peer_table(definitie: &TabelDefinitie, figuren: &[Figuur]) -> Tabel {
    let mut tabel = definitie.shell();
    // The figure columns are right-aligned; each cell carries its own soort.
    tabel.kolommen = vec![
        Kolom::new("Indicator", Soort::Tekst),
        Kolom::new("Uw waarde", Soort::Aantal),
        Kolom::new("25%", Soort::Aantal),
        Kolom::new("Mediaan", Soort::Aantal),
        Kolom::new("75%", Soort::Aantal),
        Kolom::new("Aanbieders", Soort::Aantal),
    ];
    for figuur in figuren {
        if let Some(k) = &figuur.vergelijking {
            tabel.rijen.push(vec![
                Waarde::tekst(&figuur.label),
                figuur.waarde.clone(),
                k.p25.clone(),
                k.mediaan.clone(),
                k.p75.clone(),
                Waarde::getoond(k.aanbieders.into(), Soort::Aantal),
            ]);
        }
    }
    tabel
}
