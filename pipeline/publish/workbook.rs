//! The XLSX workbook of a report (rust_xlsxwriter): the headline figures, one
//! sheet per table, and a sheet explaining the figures and the rules. Numbers
//! are numbers with euro, percent and date formats, so they add up in Excel;
//! a hidden value is the text the report shows (`.` or `te weinig waarnemingen`).

use super::disclosure::{GEHEIM, MAX_GEHEIM, MIN_WAARNEMINGEN, Soort, Waarde};
use super::model::{Kolom, Rapport, Tabel};
use crate::error::{Context, Result};
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::path::Path;

struct Formats {
    header: Format,
    tekst: Format,
    wrap: Format,
    aantal: Format,
    procent: Format,
    een_decimaal: Format,
    euro: Format,
    euro_cent: Format,
    datum: Format,
    verborgen: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold().set_font_color("#FFFFFF").set_background_color("#1F3A5F"),
            tekst: Format::new(),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            aantal: Format::new().set_num_format("#,##0"),
            procent: Format::new().set_num_format("0.0%"),
            een_decimaal: Format::new().set_num_format("0.0"),
            euro: Format::new().set_num_format("€ #,##0"),
            euro_cent: Format::new().set_num_format("€ #,##0.00"),
            datum: Format::new().set_num_format("dd-mm-yyyy"),
            verborgen: Format::new().set_align(FormatAlign::Right).set_font_color("#6B7280"),
        }
    }
}

pub fn write(rapport: &Rapport, path: &Path) -> Result<()> {
    build(rapport)
        .and_then(|mut workbook| workbook.save(path))
        .with_context(|| format!("cannot write the workbook {}", path.display()))
}

fn build(rapport: &Rapport) -> Result<Workbook, XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    // Dated by the peildatum, not the clock: the same figures give the same bytes,
    // so deliver sees a re-published but unchanged workbook as the same version.
    let mut properties = rust_xlsxwriter::DocProperties::new().set_title(&rapport.titel).set_author("wmo-monitor");
    if let Ok(peildatum) = chrono::NaiveDate::parse_from_str(&rapport.peildatum, "%Y-%m-%d") {
        properties = properties.set_creation_datetime(&peildatum);
    }
    workbook.set_properties(&properties);

    let mut kerncijfers = Tabel::new(
        "kerncijfers",
        "Kerncijfers",
        "",
        vec![
            Kolom::new("Onderdeel", Soort::Tekst),
            Kolom::new("Indicator", Soort::Tekst),
            Kolom::new(&rapport.periode, Soort::Tekst),
            Kolom::new("Uitleg", Soort::Tekst),
        ],
    );
    for hoofdstuk in &rapport.hoofdstukken {
        for figuur in &hoofdstuk.figuren {
            kerncijfers.rijen.push(vec![
                Waarde::tekst(&hoofdstuk.titel),
                Waarde::tekst(&figuur.label),
                figuur.waarde.clone(),
                Waarde::tekst(&figuur.uitleg),
            ]);
        }
    }
    if !rapport.waarschuwingen.is_empty() {
        // What the reader must know first comes first in the workbook too.
        let mut let_op = Tabel::new("volledigheid", "Let op", "", vec![Kolom::new("Let op", Soort::Tekst)]);
        let_op.rijen = rapport.waarschuwingen.iter().map(|zin| vec![Waarde::tekst(zin)]).collect();
        table_sheet(workbook.add_worksheet(), &let_op, &formats)?;
    }
    table_sheet(workbook.add_worksheet(), &kerncijfers, &formats)?;
    for tabel in &rapport.tabellen {
        table_sheet(workbook.add_worksheet(), tabel, &formats)?;
    }
    explanation_sheet(workbook.add_worksheet(), rapport, &formats)?;
    Ok(workbook)
}

fn table_sheet(sheet: &mut Worksheet, tabel: &Tabel, formats: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(&tabel.titel)?;
    for (column, kolom) in tabel.kolommen.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, &kolom.naam, &formats.header)?;
    }
    for (index, rij) in tabel.rijen.iter().enumerate() {
        let row = index as u32 + 1;
        for (column, waarde) in rij.iter().enumerate() {
            cell(sheet, row, column as u16, waarde, formats)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    if !tabel.kolommen.is_empty() {
        sheet.autofilter(0, 0, tabel.rijen.len() as u32, tabel.kolommen.len() as u16 - 1)?;
    }
    sheet.autofit();
    Ok(())
}

fn cell(sheet: &mut Worksheet, row: u32, column: u16, waarde: &Waarde, formats: &Formats) -> Result<(), XlsxError> {
    if waarde.verborgen {
        sheet.write_string_with_format(row, column, &waarde.tekst, &formats.verborgen)?;
        return Ok(());
    }
    if let Some(datum) = waarde.datum {
        sheet.write_date_with_format(row, column, datum, &formats.datum)?;
        return Ok(());
    }
    // A share, rate or mean as the report shows it, to one decimal (a reader
    // comparing the sheet with the page sees the same number); counts and money
    // are exact. Excel keeps doubles; the exact figure stays in the lake.
    let shown = match waarde.soort {
        Soort::Procent | Soort::PerDuizend | Soort::Dagen | Soort::Cijfer => {
            waarde.getal.map(|g| g.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero))
        }
        _ => waarde.getal,
    };
    let Some(number) = shown.and_then(|g| g.to_f64()) else {
        if waarde.soort == Soort::Tekst {
            sheet.write_string_with_format(row, column, &waarde.tekst, &formats.tekst)?;
        } else if waarde.tekst != "-" {
            sheet.write_string(row, column, &waarde.tekst)?;
        }
        return Ok(());
    };
    let (value, format) = match waarde.soort {
        Soort::Aantal => (number, &formats.aantal),
        Soort::Procent => (number / 100.0, &formats.procent),
        Soort::PerDuizend | Soort::Dagen | Soort::Cijfer => (number, &formats.een_decimaal),
        Soort::Euro => (number, &formats.euro),
        Soort::EuroCent => (number, &formats.euro_cent),
        Soort::Tekst | Soort::Datum => (number, &formats.tekst),
    };
    sheet.write_number_with_format(row, column, value, format)?;
    Ok(())
}

fn explanation_sheet(sheet: &mut Worksheet, rapport: &Rapport, formats: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Toelichting")?;
    sheet.write_string_with_format(0, 0, "Onderwerp", &formats.header)?;
    sheet.write_string_with_format(0, 1, "Toelichting", &formats.header)?;
    let rule = if rapport.soort == "monitor" {
        format!(
            "Aantallen zijn afgerond op een veelvoud van 5; een aantal van 0 tot en met {MAX_GEHEIM} staat als '{GEHEIM}'. Percentages zijn berekend uit de afgeronde aantallen en ontbreken als hun noemer geheim is. Bedragen zijn exact."
        )
    } else {
        format!(
            "Aantallen en bedragen zijn exact. Een percentage of gemiddelde over minder dan {MIN_WAARNEMINGEN} respondenten of evaluaties staat als 'te weinig waarnemingen'. Andere aanbieders staan alleen samengevat (mediaan en kwartielen over minstens 5 aanbieders), nooit bij naam."
        )
    };
    let mut rows: Vec<(String, String)> = vec![
        ("Rapport".into(), rapport.titel.clone()),
        ("Gemeente".into(), rapport.gemeente.clone()),
        ("Periode".into(), format!("{} ({})", rapport.periode_naam, rapport.periode)),
        ("Peildatum".into(), format!("Gegevens zoals bekend op {}", rapport.peildatum)),
        ("Geheimhouding".into(), rule),
    ];
    rows.extend(rapport.figuren().map(|f| (f.label.clone(), f.uitleg.clone())));
    rows.extend(rapport.tabellen.iter().map(|t| (t.titel.clone(), t.uitleg.clone())));
    for (index, (onderwerp, uitleg)) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string_with_format(row, 0, onderwerp, &formats.tekst)?;
        sheet.write_string_with_format(row, 1, uitleg, &formats.wrap)?;
    }
    sheet.set_column_width(0, 36)?;
    sheet.set_column_width(1, 100)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}
