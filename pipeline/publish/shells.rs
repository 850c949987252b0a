//! The trend table the pack and the monitor share: every figure of the
//! report over the trend periods. Its title and explanation come from
//! `tabellen.toml`; its rows from the figures, each under its report's rules.

use super::disclosure::{Soort, Waarde};
use super::model::{Figuur, Kolom, Tabel};

/// Every figure of a report over the trend periods, oldest first.
pub fn trend_table(mut tabel: Tabel, figuren: &[Figuur], perioden: &[String]) -> Tabel {
    let mut kolommen = vec![Kolom::new("Indicator", Soort::Tekst)];
    // Right-aligned like the figures below them; each cell carries its own soort.
    kolommen.extend(perioden.iter().map(|p| Kolom::new(p, Soort::Aantal)));
    tabel.kolommen = kolommen;
    for figuur in figuren {
        let mut rij = vec![Waarde::tekst(&figuur.label)];
        rij.extend(figuur.trend.iter().cloned());
        tabel.rijen.push(rij);
    }
    tabel
}
