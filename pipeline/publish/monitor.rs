//! The council's Monitor Sociaal Domein of one period: Wmo-wide figures with
//! their trend, clients per district and CBS group, the arrangement matrix,
//! spend against budget, end reasons and the survey, as `tabellen.toml` lays
//! them out. Every figure passes the council's disclosure rules
//! (`disclosure::raad`).

use super::catalogue::MonitorFigure;
use super::charts;
use super::data::Gegevens;
use super::disclosure::{self, Kenmerken, Regels, Soort, Waarde};
use super::model::{Figuur, Hoofdstuk, Rapport};
use super::shells;
use super::tabellen::{GrafiekSoort, Tabellen};
use super::volledigheid::Status;
use crate::dutch;
use crate::engine::rows::Row;

/// A kpi_wmo figure as the council may see it.
fn waarde(figuur: &MonitorFigure, row: Option<&Row>) -> Waarde {
    let share = matches!(figuur.soort, Soort::Procent | Soort::PerDuizend);
    let kenmerken = Kenmerken {
        kolom: &figuur.kolom,
        soort: figuur.soort,
        teller: figuur.teller.as_deref(),
        noemer: if share { figuur.noemer.as_deref() } else { None },
        // In indicatoren.toml a mean names the count it is over as its noemer.
        basis: if share { None } else { figuur.noemer.as_deref() },
        geld: figuur.geld,
    };
    disclosure::figuur(Regels::Raad, &kenmerken, row)
}

pub fn build(gegevens: &Gegevens, figuren: &[MonitorFigure], tabellen: &Tabellen, basis: &Rapport) -> Rapport {
    let current = gegevens.wmo.last();
    let volledigheid = gegevens.volledigheid.iter().find(|r| r.text("aanbieder_agb") == "alle");
    let status = Status::of(volledigheid);
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
            voorlopig: f.declaraties && !status.figures_hold(),
        };
        match hoofdstukken.iter_mut().find(|h| h.titel == f.hoofdstuk) {
            Some(h) => h.figuren.push(figuur),
            None => {
                hoofdstukken.push(Hoofdstuk { titel: f.hoofdstuk.clone(), samenvatting: None, figuren: vec![figuur] })
            }
        }
    }
    // The money chapter opens with the year's spend against its budget.
    if let Some(geld) = hoofdstukken.iter_mut().find(|h| h.figuren.iter().any(|f| f.kolom == "gedeclareerd")) {
        geld.samenvatting = gegevens.begroting.as_ref().and_then(begroting_zin);
    }
    let alle: Vec<Figuur> = hoofdstukken.iter().flat_map(|h| h.figuren.clone()).collect();
    let mut tabellen_gevuld = Vec::new();
    for (definitie, rows) in tabellen.monitor.iter().zip(&gegevens.monitor_tabellen) {
        let tabel = match definitie.id.as_str() {
            "trend" => {
                let mut trend = shells::trend_table(definitie.shell(), &alle, &basis.perioden);
                if let Some(grafiek) = definitie.grafiek.as_ref().filter(|g| g.soort == GrafiekSoort::Lijn)
                    && let Some(figuur) = alle.iter().find(|f| f.kolom == grafiek.waarde)
                {
                    trend.grafiek = charts::lijn(&figuur.trend, &basis.perioden, &grafiek.titel);
                }
                trend
            }
            _ => definitie.fill(&rows.iter().collect::<Vec<&Row>>(), Regels::Raad, tabellen),
        };
        tabellen_gevuld.push(tabel);
    }
    Rapport {
        soort: "monitor",
        titel: format!("Monitor Sociaal Domein {}: Wmo", basis.gemeente),
        aanbieder: None,
        hoofdstukken,
        tabellen: tabellen_gevuld,
        waarschuwingen: voorlopig(status, volledigheid),
        ..basis.clone()
    }
}

/// Why the council's money figures of the period are provisional, if they are.
fn voorlopig(status: Status, alle: Option<&Row>) -> Vec<String> {
    let Some(alle) = alle else { return Vec::new() };
    match status {
        Status::Volledig => Vec::new(),
        Status::Onvolledig => {
            let ontvangen = disclosure::raad::aandeel(
                alle.get("maanden_ontvangen").count(),
                alle.get("maanden_verwacht").count(),
                Soort::Procent,
            );
            let deel = if ontvangen.getal.is_some() { ontvangen.tekst } else { "nog niet alles".into() };
            vec![format!(
                "Van de declaraties die aanbieders over deze periode hadden moeten indienen, is {deel} verwerkt; de rest ontbreekt nog of is geweigerd. De cijfers over geld (gemarkeerd als voorlopig) kunnen daardoor nog stijgen."
            )]
        }
        Status::Voorlopig => vec![
            "De termijn voor de declaraties over deze periode loopt nog, dus de cijfers over geld (gemarkeerd als voorlopig) kunnen nog stijgen."
                .into(),
        ],
    }
}

/// The year's spend against its budget and the projected over- or
/// underspend, in one sentence, from `kpi_begroting` as computed.
fn begroting_zin(row: &Row) -> Option<String> {
    let euro = |kolom: &str| row.get(kolom).number().map(dutch::euro);
    let jaar = row.text("jaar");
    let gerealiseerd = euro("gerealiseerd")?;
    let Some(begroting) = euro("begroting") else {
        return Some(format!(
            "In {jaar} is tot de peildatum {gerealiseerd} uitgegeven; voor dit jaar is geen begroting bekend."
        ));
    };
    let (Some(prognose), Some(verschil)) = (euro("prognose"), row.get("prognose_boven_begroting").number()) else {
        return Some(format!(
            "In {jaar} is tot de peildatum {gerealiseerd} uitgegeven van een begroting van {begroting}."
        ));
    };
    let richting = if verschil.is_sign_negative() { "onder" } else { "boven" };
    let procent = row.get("prognose_boven_begroting_pct").number().map(|p| format!(" ({})", dutch::percent(p.abs())));
    Some(format!(
        "In {jaar} is tot de peildatum {gerealiseerd} uitgegeven van een begroting van {begroting}; doorgetrokken naar het hele jaar is dat {prognose}, {}{} {richting} de begroting.",
        dutch::euro(verschil.abs()),
        procent.unwrap_or_default()
    ))
}
