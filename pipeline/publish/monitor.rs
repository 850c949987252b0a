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
        titel: "Monitor Sociaal Domein: Wmo".into(),
        aanbieder: None,
        hoofdstukken,
        tabellen: tabellen_gevuld,
        ..basis.clone()
    }
}
