//! The performance-dialogue pack of one provider: its figures with trend and
//! peers, its arrangement mix, end reasons, survey statements and the
//! declaration lines to follow up. Counts are exact; shares over respondents
//! or evaluations follow the pack's disclosure rules; peers appear only as
//! quartiles.

use super::catalogue::{PackFigure, Richting};
use super::charts;
use super::data::Gegevens;
use super::disclosure::{Soort, Waarde, pakket};
use super::model::{self, Aanbieder, Figuur, Hoofdstuk, Kolom, Punt, Rapport, Tabel};
use super::shells::{self, INTENSITEITEN, MATRIX_ROWS, matrix_shell};
use crate::engine::rows::Row;
use std::collections::HashMap;

pub struct Context<'a> {
    pub gegevens: &'a Gegevens,
    pub figuren: &'a [PackFigure],
    pub periode: &'a str,
    pub perioden: &'a [String],
    /// Shell of the report: municipality, period, dates.
    pub basis: &'a Rapport,
    trend: Grouped<'a>,
    peers: Vec<&'a Row>,
    arrangementen: Grouped<'a>,
    uitstroomredenen: Grouped<'a>,
    ervaring: Grouped<'a>,
    opvolging: Grouped<'a>,
}

impl<'a> Context<'a> {
    pub fn new(
        gegevens: &'a Gegevens,
        figuren: &'a [PackFigure],
        periode: &'a str,
        perioden: &'a [String],
        basis: &'a Rapport,
    ) -> Context<'a> {
        Context {
            gegevens,
            figuren,
            periode,
            perioden,
            basis,
            trend: Grouped::new(&gegevens.aanbieders),
            peers: gegevens.aanbieders.iter().filter(|r| r.text("periode") == periode).collect(),
            arrangementen: Grouped::new(&gegevens.aanbieder_arrangementen),
            uitstroomredenen: Grouped::new(&gegevens.uitstroomredenen),
            ervaring: Grouped::new(&gegevens.ervaring),
            opvolging: Grouped::new(&gegevens.opvolging),
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
    let Some(row) = row else { return Waarde::leeg(figuur.soort) };
    let getal = row.get(&figuur.kolom).number();
    match &figuur.basis {
        Some(basis) => pakket::over(getal, row.get(basis).count(), figuur.soort),
        None => pakket::exact(getal, figuur.soort),
    }
}

pub fn build(context: &Context, agb: &str, naam: &str) -> Rapport {
    let own: HashMap<String, &Row> = context.trend.of(agb).iter().map(|r| (r.text("periode"), *r)).collect();
    let current = own.get(context.periode).copied();
    let peers = &context.peers;

    let figuren: Vec<Figuur> = context
        .figuren
        .iter()
        .map(|f| {
            let value = waarde(f, current);
            let trend: Vec<Waarde> = context.perioden.iter().map(|p| waarde(f, own.get(p).copied())).collect();
            let vergelijking = if f.vergelijk {
                let values: Vec<_> = peers.iter().filter_map(|r| waarde(f, Some(r)).getal).collect();
                pakket::vergelijking(&values, f.soort)
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
            }
        })
        .collect();

    let punten = points(context.figuren, &figuren, current);
    let mut tabellen = vec![shells::trend_table(&figuren, context.perioden), peer_table(&figuren)];
    tabellen.extend(arrangement_tables(context, agb));
    tabellen.push(end_reasons(context, agb));
    tabellen.push(statements(context, agb));
    tabellen.push(follow_up(context, agb));

    Rapport {
        soort: "pakket",
        titel: format!("Prestatiedialoog {naam}"),
        aanbieder: Some(Aanbieder { agb: agb.into(), naam: naam.into() }),
        hoofdstukken: vec![Hoofdstuk { titel: "Kerncijfers".into(), figuren }],
        punten,
        tabellen,
        ..context.basis.clone()
    }
}

/// Where the provider lies outside the middle half of its peers, and the
/// declaration lines to follow up: what a contract manager raises first.
fn points(catalogue: &[PackFigure], figuren: &[Figuur], current: Option<&Row>) -> Vec<Punt> {
    let mut punten = Vec::new();
    for (f, figuur) in catalogue.iter().zip(figuren) {
        let (Some(k), Some(own)) = (&figuur.vergelijking, figuur.waarde.getal) else { continue };
        let (Some(p25), Some(p75)) = (k.p25.getal, k.p75.getal) else { continue };
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

fn peer_table(figuren: &[Figuur]) -> Tabel {
    let mut tabel = Tabel::new(
        "vergelijking",
        "Vergelijking",
        "Uw waarde naast die van alle aanbieders: de middelste waarde (mediaan) en de grenzen waartussen de middelste helft van de aanbieders ligt (25% en 75%). Andere aanbieders worden nooit genoemd; onder 5 aanbieders met een waarde vergelijken we niet.",
        // The figure columns are right-aligned; each cell carries its own soort.
        vec![
            Kolom::new("Indicator", Soort::Tekst),
            Kolom::new("Uw waarde", Soort::Aantal),
            Kolom::new("25%", Soort::Aantal),
            Kolom::new("Mediaan", Soort::Aantal),
            Kolom::new("75%", Soort::Aantal),
            Kolom::new("Aanbieders", Soort::Aantal),
        ],
    );
    tabel.leeg = "Minder dan 5 aanbieders hebben hier een waarde: er is niets te vergelijken.".into();
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

/// The TO matrix (resultaatgebieden and type by intensiteit) and every product
/// the provider had clients or declarations on.
fn arrangement_tables(context: &Context, agb: &str) -> Vec<Tabel> {
    let products: HashMap<String, &Row> =
        context.gegevens.arrangementen.iter().map(|r| (r.text("productcode"), r)).collect();
    let own = context.arrangementen.of(agb);
    let matrix_value = |gebieden: &str, soort: &str, intensiteit: &str| -> i64 {
        own.iter()
            .filter(|r| {
                products.get(&r.text("productcode")).is_some_and(|p| shells::in_cell(p, gebieden, soort, intensiteit))
            })
            .filter_map(|r| r.get("clienten").count())
            .sum()
    };
    let mut matrix =
        matrix_shell("Cliënten per arrangement in het nieuwe model (TO): resultaatgebieden en type tegen intensiteit.");
    for (gebieden, soort) in MATRIX_ROWS {
        let mut rij = vec![Waarde::tekst(gebieden), Waarde::tekst(soort)];
        for intensiteit in INTENSITEITEN {
            rij.push(pakket::exact(Some(matrix_value(gebieden, soort, intensiteit).into()), Soort::Aantal));
        }
        matrix.rijen.push(rij);
    }
    let mut producten = shells::products_shell("Elk product waarop u in het kwartaal cliënten had of declareerde.");
    for row in own {
        let product = products.get(&row.text("productcode"));
        producten.rijen.push(vec![
            Waarde::tekst(row.text("productcode")),
            Waarde::tekst(product.map(|p| p.text("omschrijving")).unwrap_or_default()),
            Waarde::tekst(product.map(|p| p.text("model")).unwrap_or_default()),
            pakket::exact(row.get("clienten").number(), Soort::Aantal),
            pakket::exact(row.get("gedeclareerd").number(), Soort::Euro),
        ]);
    }
    vec![matrix, producten]
}

fn end_reasons(context: &Context, agb: &str) -> Tabel {
    let mut tabel = Tabel::new(
        "uitstroomredenen",
        "Uitstroomredenen",
        "Waarom trajecten bij u in het kwartaal eindigden. 'Verantwoordelijk' zijn de redenen die in uw uitstroom- en uitvalcijfers tellen.",
        vec![
            Kolom::new("Reden", Soort::Tekst),
            Kolom::new("Verantwoordelijk", Soort::Tekst),
            Kolom::new("Trajecten", Soort::Aantal),
        ],
    );
    tabel.leeg = "Geen trajecten geëindigd in deze periode.".into();
    let mut bars = Vec::new();
    for row in context.uitstroomredenen.of(agb) {
        let label = model::eindcategorie(&row.text("eindcategorie"));
        let trajecten = pakket::exact(row.get("trajecten").number(), Soort::Aantal);
        bars.push((label.clone(), trajecten.clone()));
        tabel.rijen.push(vec![
            Waarde::tekst(label),
            Waarde::tekst(if row.text("aanbieder_verantwoordelijk") == "true" { "ja" } else { "nee" }),
            trajecten,
        ]);
    }
    tabel.grafiek = charts::staven(&bars, "Uitstroomredenen");
    tabel
}

fn statements(context: &Context, agb: &str) -> Tabel {
    let mut tabel = shells::statements_shell(
        "De stellingen van het cliëntervaringsonderzoek: hoeveel respondenten antwoordden en welk deel het (helemaal) eens was. Onder 5 antwoorden tonen we geen percentage.",
    );
    for row in context.ervaring.of(agb) {
        let antwoorden = row.get("antwoorden").count();
        tabel.rijen.push(vec![
            Waarde::tekst(row.text("vraag")),
            Waarde::tekst(row.text("stelling")),
            pakket::exact(row.get("antwoorden").number(), Soort::Aantal),
            pakket::over(row.get("eens_pct").number(), antwoorden, Soort::Procent),
        ]);
    }
    tabel
}

fn follow_up(context: &Context, agb: &str) -> Tabel {
    let mut tabel = Tabel::new(
        "opvolging",
        "Opvolging declaraties",
        "Gedeclareerde regels van het kwartaal die niet kloppen met een toewijzing of een eerdere regel overlappen: bespreek ze of crediteer ze.",
        vec![
            Kolom::new("Toewijzing", Soort::Tekst),
            Kolom::new("Referentie", Soort::Tekst),
            Kolom::new("Product", Soort::Tekst),
            Kolom::new("Van", Soort::Datum),
            Kolom::new("Tot en met", Soort::Datum),
            Kolom::new("Bedrag", Soort::EuroCent),
            Kolom::new("Reden", Soort::Tekst),
        ],
    );
    tabel.leeg = "Geen declaratieregels om op te volgen: alles klopt met de toewijzingen.".into();
    for row in context.opvolging.of(agb) {
        let reden = match row.text("onrechtmatig_reden").as_str() {
            "" => "dubbel gedeclareerd".to_string(),
            code if row.text("dubbel") == "true" => format!("{}; dubbel gedeclareerd", model::onrechtmatig_reden(code)),
            code => model::onrechtmatig_reden(code),
        };
        tabel.rijen.push(vec![
            Waarde::tekst(row.text("toewijzingnummer")),
            Waarde::tekst(row.text("referentienummer")),
            Waarde::tekst(row.text("productcode")),
            Waarde::datum(row.get("product_begin").date()),
            Waarde::datum(row.get("product_eind").date()),
            pakket::exact(row.get("bedrag").number(), Soort::EuroCent),
            Waarde::tekst(reden),
        ]);
    }
    tabel
}
