//! Table layouts the pack and the monitor share; each fills them under its own
//! disclosure rule.

use super::disclosure::Soort;
use super::model::{Kolom, Tabel};

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
