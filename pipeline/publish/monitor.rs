//! The council's Monitor Sociaal Domein of one period: Wmo-wide figures with
//! their trend, clients per district and CBS group, the arrangement matrix,
//! spend against budget, end reasons and the survey. Every figure passes the
//! council's disclosure rules (`disclosure::raad`).

use super::catalogue::MonitorFigure;
use super::charts;
use super::data::Gegevens;
use super::disclosure::{Soort, Waarde, raad};
use super::model::{self, Figuur, Hoofdstuk, Kolom, Rapport, Tabel};
use super::shells::{self, INTENSITEITEN, MATRIX_ROWS, matrix_shell};
use crate::engine::rows::Row;

/// The CBS groups of kpi_stadsdeel, in the order the monitor shows them.
const CBS_GROEPEN: [&str; 4] =
    ["hulp bij het huishouden", "ondersteuning thuis", "hulpmiddelen en diensten", "verblijf en opvang"];

/// A kpi_wmo figure as the council may see it.
fn waarde(figuur: &MonitorFigure, row: Option<&Row>) -> Waarde {
    let Some(row) = row else { return Waarde::leeg(figuur.soort) };
    let count = |kolom: &Option<String>| kolom.as_deref().and_then(|k| row.get(k).count());
    match (figuur.soort, &figuur.teller, &figuur.noemer) {
        (Soort::Euro | Soort::EuroCent, _, _) => raad::bedrag(row.get(&figuur.kolom).number(), figuur.soort),
        (Soort::Procent | Soort::PerDuizend, Some(_), Some(_)) => {
            raad::aandeel(count(&figuur.teller), count(&figuur.noemer), figuur.soort)
        }
        (Soort::Procent | Soort::PerDuizend, _, _) if figuur.geld => {
            raad::bedrag(row.get(&figuur.kolom).number(), figuur.soort)
        }
        (_, _, Some(_)) => raad::gemiddelde(row.get(&figuur.kolom).number(), count(&figuur.noemer), figuur.soort),
        // Anything else is treated as a count: rounded, or secret.
        _ => raad::aantal(row.get(&figuur.kolom).count()),
    }
}

pub fn build(gegevens: &Gegevens, figuren: &[MonitorFigure], basis: &Rapport) -> Rapport {
    let current = gegevens.wmo.last();
    let mut hoofdstukken: Vec<Hoofdstuk> = Vec::new();
    for f in figuren {
        let trend: Vec<Waarde> = gegevens.wmo.iter().map(|r| waarde(f, Some(r))).collect();
        let figuur = Figuur {
            kolom: f.kolom.clone(),
            label: f.label.clone(),
            uitleg: f.uitleg.clone(),
            waarde: waarde(f, current),
            sparkline: charts::sparkline(&trend, &format!("{}: de laatste kwartalen", f.label)),
            trend,
            tegel: true,
            vergelijking: None,
            vergelijking_svg: String::new(),
        };
        match hoofdstukken.iter_mut().find(|h| h.titel == f.hoofdstuk) {
            Some(h) => h.figuren.push(figuur),
            None => hoofdstukken.push(Hoofdstuk { titel: f.hoofdstuk.clone(), figuren: vec![figuur] }),
        }
    }
    let alle: Vec<Figuur> = hoofdstukken.iter().flat_map(|h| h.figuren.clone()).collect();
    let mut trend = shells::trend_table(&alle, &basis.perioden);
    if let Some(clienten) = alle.iter().find(|f| f.kolom == "clienten") {
        trend.grafiek = charts::lijn(&clienten.trend, &basis.perioden, "Cliënten met ondersteuning per kwartaal");
    }
    Rapport {
        soort: "monitor",
        titel: "Monitor Sociaal Domein: Wmo".into(),
        aanbieder: None,
        hoofdstukken,
        tabellen: vec![
            trend,
            districts(gegevens),
            matrix(gegevens),
            products(gegevens),
            budget(gegevens),
            end_reasons(gegevens),
            statements(gegevens),
        ],
        ..basis.clone()
    }
}

fn districts(gegevens: &Gegevens) -> Tabel {
    let mut kolommen = vec![
        Kolom::new("Stadsdeel", Soort::Tekst),
        Kolom::new("Inwoners", Soort::Aantal),
        Kolom::new("Cliënten", Soort::Aantal),
        Kolom::new("Per 1.000 inwoners", Soort::PerDuizend),
    ];
    kolommen.extend(CBS_GROEPEN.iter().map(|g| Kolom::new(&format!("{g} per 1.000"), Soort::PerDuizend)));
    let mut tabel = Tabel::new(
        "stadsdelen",
        "Stadsdelen",
        "Cliënten per 1.000 inwoners, per stadsdeel en per soort ondersteuning (de groepen van het CBS). Aantallen zijn afgerond op 5; '.' betekent minder dan 8.",
        kolommen,
    );
    let mut stadsdelen: Vec<String> = gegevens.stadsdelen.iter().map(|r| r.text("stadsdeel")).collect();
    stadsdelen.dedup();
    let mut bars = Vec::new();
    for stadsdeel in stadsdelen {
        let row = |groep: &str| {
            gegevens.stadsdelen.iter().find(|r| r.text("stadsdeel") == stadsdeel && r.text("cbs_groep") == groep)
        };
        let per_1000 = |groep: &str| {
            let r = row(groep);
            raad::aandeel(
                r.and_then(|r| r.get("clienten").count()),
                r.and_then(|r| r.get("inwoners").count()),
                Soort::PerDuizend,
            )
        };
        let totaal = row("totaal");
        let rate = per_1000("totaal");
        bars.push((stadsdeel.clone(), rate.clone()));
        let mut rij = vec![
            Waarde::tekst(&stadsdeel),
            raad::aantal(totaal.and_then(|r| r.get("inwoners").count())),
            raad::aantal(totaal.and_then(|r| r.get("clienten").count())),
            rate,
        ];
        rij.extend(CBS_GROEPEN.iter().map(|g| per_1000(g)));
        tabel.rijen.push(rij);
    }
    tabel.grafiek = charts::staven(&bars, "Cliënten per 1.000 inwoners per stadsdeel");
    tabel
}

fn matrix(gegevens: &Gegevens) -> Tabel {
    let mut tabel = matrix_shell(
        "Cliënten per arrangement in het nieuwe model (TO): hoeveel resultaatgebieden, welk type begeleiding en hoe intensief. Afgerond op 5.",
    );
    for (gebieden, soort) in MATRIX_ROWS {
        let mut rij = vec![Waarde::tekst(gebieden), Waarde::tekst(soort)];
        for intensiteit in INTENSITEITEN {
            let clienten: i64 = gegevens
                .arrangementen
                .iter()
                .filter(|p| shells::in_cell(p, gebieden, soort, intensiteit))
                .filter_map(|p| p.get("clienten").count())
                .sum();
            rij.push(raad::aantal(Some(clienten)));
        }
        tabel.rijen.push(rij);
    }
    tabel
}

fn products(gegevens: &Gegevens) -> Tabel {
    let mut tabel =
        shells::products_shell("Cliënten en uitgaven per product, oude (DIAH) en nieuwe (TO) model en maatwerk.");
    // Products nobody had and nothing was declared on (the old model after the
    // switch, say) would only lengthen the table.
    let used = |row: &&Row| {
        row.get("clienten").count().unwrap_or(0) > 0 || row.get("gedeclareerd").number().is_some_and(|d| !d.is_zero())
    };
    for row in gegevens.arrangementen.iter().filter(used) {
        tabel.rijen.push(vec![
            Waarde::tekst(row.text("productcode")),
            Waarde::tekst(row.text("omschrijving")),
            Waarde::tekst(if row.text("maatwerk") == "ja" {
                format!("{} maatwerk", row.text("model"))
            } else {
                row.text("model")
            }),
            raad::aantal(row.get("clienten").count()),
            raad::bedrag(row.get("gedeclareerd").number(), Soort::Euro),
        ]);
    }
    tabel
}

fn budget(gegevens: &Gegevens) -> Tabel {
    let mut tabel = Tabel::new(
        "begroting",
        "Begroting",
        "Uitgaven tegen de begroting: gerealiseerd tot de peildatum, een prognose voor het hele jaar en de besparing die dat betekent tegen het jaar ervoor (negatief: meer uitgegeven), naast de drie besparingsscenario's van het financiële model.",
        vec![
            Kolom::new("Jaar", Soort::Tekst),
            Kolom::new("Begroting", Soort::Euro),
            Kolom::new("Gerealiseerd", Soort::Euro),
            Kolom::new("Gegevens over", Soort::Tekst),
            Kolom::new("Prognose", Soort::Euro),
            Kolom::new("Besparing volgens prognose", Soort::Euro),
            Kolom::new("Scenario behoudend", Soort::Euro),
            Kolom::new("Scenario gemiddeld", Soort::Euro),
            Kolom::new("Scenario optimaal", Soort::Euro),
        ],
    );
    let mut rows: Vec<&Row> = gegevens.begroting.iter().collect();
    rows.sort_by_key(|r| r.text("jaar"));
    for row in rows {
        let euro = |kolom: &str| raad::bedrag(row.get(kolom).number(), Soort::Euro);
        tabel.rijen.push(vec![
            Waarde::tekst(row.text("jaar")),
            euro("begroting"),
            euro("gerealiseerd"),
            // a number of months, not of people: words, not a count
            Waarde::tekst(format!("{} maanden", row.text("maanden_met_data"))),
            euro("prognose"),
            euro("besparing_prognose"),
            euro("besparing_behoudend"),
            euro("besparing_gemiddeld"),
            euro("besparing_optimaal"),
        ]);
    }
    tabel
}

fn end_reasons(gegevens: &Gegevens) -> Tabel {
    let mut tabel = Tabel::new(
        "uitstroomredenen",
        "Uitstroomredenen",
        "Waarom de ondersteuning van inwoners in het kwartaal stopte. Afgerond op 5; '.' betekent minder dan 8.",
        vec![Kolom::new("Reden", Soort::Tekst), Kolom::new("Trajecten", Soort::Aantal)],
    );
    let mut bars = Vec::new();
    for row in gegevens.uitstroomredenen.iter().filter(|r| r.text("aanbieder_agb") == "alle") {
        let label = model::eindcategorie(&row.text("eindcategorie"));
        let trajecten = raad::aantal(row.get("trajecten").count());
        bars.push((label.clone(), trajecten.clone()));
        tabel.rijen.push(vec![Waarde::tekst(label), trajecten]);
    }
    tabel.grafiek = charts::staven(&bars, "Uitstroomredenen");
    tabel
}

fn statements(gegevens: &Gegevens) -> Tabel {
    let mut tabel = shells::statements_shell(
        "De stellingen van het cliëntervaringsonderzoek: welk deel van de cliënten het (helemaal) eens was.",
    );
    for row in gegevens.ervaring.iter().filter(|r| r.text("aanbieder_agb") == "alle") {
        tabel.rijen.push(vec![
            Waarde::tekst(row.text("vraag")),
            Waarde::tekst(row.text("stelling")),
            raad::aantal(row.get("antwoorden").count()),
            raad::aandeel(row.get("eens").count(), row.get("antwoorden").count(), Soort::Procent),
        ]);
    }
    tabel
}
