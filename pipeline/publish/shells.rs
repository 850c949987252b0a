//! Table layouts the pack and the monitor share (each fills them under its own
//! disclosure rule), and which product is which TO matrix cell.

use super::disclosure::{Soort, Waarde};
use super::model::{Figuur, Kolom, Tabel};
use crate::engine::rows::Row;

pub const MATRIX_ROWS: [(&str, &str); 6] = [
    ("1-2", "ondersteunend"),
    ("1-2", "activerend"),
    ("3-4", "ondersteunend"),
    ("3-4", "activerend"),
    ("5-6", "ondersteunend"),
    ("5-6", "activerend"),
];
pub const INTENSITEITEN: [&str; 3] = ["gemiddeld", "plus", "hoog"];

pub fn matrix_shell(uitleg: &str) -> Tabel {
    let mut kolommen = vec![Kolom::new("Resultaatgebieden", Soort::Tekst), Kolom::new("Type", Soort::Tekst)];
    kolommen.extend(INTENSITEITEN.iter().map(|i| Kolom::new(i, Soort::Aantal)));
    Tabel::new("matrix", "Arrangementen", uitleg, kolommen)
}

pub fn products_shell(uitleg: &str) -> Tabel {
    Tabel::new(
        "producten",
        "Producten",
        uitleg,
        vec![
            Kolom::new("Productcode", Soort::Tekst),
            Kolom::new("Omschrijving", Soort::Tekst),
            Kolom::new("Model", Soort::Tekst),
            Kolom::new("Cliënten", Soort::Aantal),
            Kolom::new("Gedeclareerd", Soort::Euro),
        ],
    )
}

pub fn statements_shell(uitleg: &str) -> Tabel {
    Tabel::new(
        "ervaring",
        "Ervaring",
        uitleg,
        vec![
            Kolom::new("Vraag", Soort::Tekst),
            Kolom::new("Stelling", Soort::Tekst),
            Kolom::new("Antwoorden", Soort::Aantal),
            Kolom::new("Eens", Soort::Procent),
        ],
    )
}

/// Every figure of a report over the trend periods, oldest first.
pub fn trend_table(figuren: &[Figuur], perioden: &[String]) -> Tabel {
    let mut kolommen = vec![Kolom::new("Indicator", Soort::Tekst)];
    // Right-aligned like the figures below them; each cell carries its own soort.
    kolommen.extend(perioden.iter().map(|p| Kolom::new(p, Soort::Aantal)));
    let mut tabel =
        Tabel::new("trend", "Trend", "Elke indicator over de laatste kwartalen, het oudste eerst.", kolommen);
    for figuur in figuren {
        let mut rij = vec![Waarde::tekst(&figuur.label)];
        rij.extend(figuur.trend.iter().cloned());
        tabel.rijen.push(rij);
    }
    tabel
}

/// Whether a product (a kpi_arrangement row) is the TO matrix cell of these
/// result areas, type and intensity; TO maatwerk stands outside the matrix.
pub fn in_cell(product: &Row, gebieden: &str, soort: &str, intensiteit: &str) -> bool {
    product.text("model") == "TO"
        && product.text("maatwerk") != "ja"
        && product.text("resultaatgebieden") == gebieden
        && product.text("type") == soort
        && product.text("intensiteit") == intensiteit
}
