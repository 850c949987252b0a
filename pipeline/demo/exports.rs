//! The spreadsheet exports of the demo, in the dialects real ones come in:
//! the survey with a BOM, `;`, CRLF, `DD-MM-YYYY`, decimal commas and 9 for
//! "weet niet"; the provider list in Windows-1252.

use super::Out;
use super::population::{Client, Population, add_days, date, demo_end, rng_for, weighted};
use crate::error::{Error, Result};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rust_decimal::Decimal;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub fn write_reference(out: &mut Out, population: &Population) -> Result<()> {
    let mut aanbieders = String::from("agb;naam;contract;contract_vanaf;contract_tot;contractmanager_email\r\n");
    for p in &population.providers {
        let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
        aanbieders.push_str(&format!(
            "{};{};{};{};{};{}\r\n",
            p.agb,
            p.naam,
            p.contract,
            day(p.vanaf),
            day(p.tot),
            p.email
        ));
    }
    let (encoded, _, _) = encoding_rs::WINDOWS_1252.encode(&aanbieders);
    out.put("", "aanbieders.csv", &encoded)?;
    out.put("", "producten.csv", super::tariffs::PRODUCTEN_CSV)?;
    out.put("", "wijken.csv", include_bytes!("reference/wijken.csv"))?;
    out.put("", "inwoners.csv", include_bytes!("reference/inwoners.csv"))?;
    out.put("", "begroting.csv", include_bytes!("reference/begroting.csv"))?;
    Ok(())
}

/// Each provider's budget ceiling (fictief budgetplafond) for the years with
/// declarations: 30% above what it declared, so that most stay under 80% of
/// it; the largest provider of the last year declared 5% above its ceiling
/// and the second largest 87% of it, so that the demo raises both signals.
pub fn write_budgetplafonds(out: &mut Out, population: &Population, declared: &super::Declared) -> Result<()> {
    let last = demo_end().year();
    let ranked = declared.ranked(last);
    let mut csv = String::from("aanbieder_agb;jaar;plafond\r\n");
    for ((provider, year), cents) in &declared.cents {
        let factor = match ranked.iter().position(|p| p == provider) {
            Some(0) if *year == last => Decimal::new(95, 2),
            Some(1) if *year == last => Decimal::new(115, 2),
            _ => Decimal::new(130, 2),
        };
        let plafond = (Decimal::new(*cents, 2) * factor / Decimal::from(1000)).ceil() * Decimal::from(1000);
        csv.push_str(&format!("{};{year};{},00\r\n", population.providers[*provider].agb, plafond.trunc()));
    }
    out.put("", "budgetplafonds.csv", csv.as_bytes())
}

/// One export file per year, written while clients are generated.
pub struct YearFiles {
    kind: Kind,
    files: Vec<(i32, PathBuf, BufWriter<fs::File>, u64)>,
}

#[derive(Clone, Copy)]
enum Kind {
    Survey,
    Evaluations,
}

const YEARS: [i32; 3] = [2017, 2018, 2019];

impl YearFiles {
    pub fn survey(inbox: &Path) -> Result<YearFiles> {
        YearFiles::open(inbox, Kind::Survey)
    }

    pub fn evaluations(inbox: &Path) -> Result<YearFiles> {
        YearFiles::open(inbox, Kind::Evaluations)
    }

    /// Files are written aside (a hidden name ingest ignores) and moved into
    /// place by `finish`.
    fn open(inbox: &Path, kind: Kind) -> Result<YearFiles> {
        fs::create_dir_all(inbox).map_err(Error::io("cannot create", inbox))?;
        let mut files = Vec::new();
        for year in YEARS {
            let path = inbox.join(format!(".{}-{year}.part", kind.name()));
            let file = fs::File::create(&path).map_err(Error::io("cannot create", &path))?;
            let mut writer = BufWriter::new(file);
            let header: &[u8] = match kind {
                Kind::Survey => "\u{feff} Respondent_ID;AANBIEDER_AGB ;Bsn;Datum_Ingevuld;V01;V02;V03;V04;V05;V06;V07;V08;Rapportcijfer \r\n".as_bytes(),
                Kind::Evaluations => b"TOEWIJZINGNUMMER,aanbieder_agb,bsn,evaluatiedatum,soort,doelrealisatie,vervolg\n",
            };
            writer.write_all(header).map_err(Error::io("cannot write", &path))?;
            files.push((year, path, writer, 0));
        }
        Ok(YearFiles { kind, files })
    }

    pub fn client(&mut self, population: &Population, client: &Client) -> Result<()> {
        match self.kind {
            Kind::Survey => self.survey_rows(population, client),
            Kind::Evaluations => self.evaluation_rows(population, client),
        }
    }

    fn write(&mut self, year: i32, line: &str) -> Result<()> {
        if let Some((_, path, writer, rows)) = self.files.iter_mut().find(|f| f.0 == year) {
            writer.write_all(line.as_bytes()).map_err(Error::io("cannot write", path))?;
            *rows += 1;
        }
        Ok(())
    }

    /// About 30% of the clients with care in a year answer that year's survey.
    fn survey_rows(&mut self, population: &Population, client: &Client) -> Result<()> {
        let mut rng = rng_for(population.seed.wrapping_add(1), client.index);
        for year in YEARS {
            let (from, to) = (date(year, 1, 1), date(year, 12, 31));
            let Some(allocation) = client
                .allocations
                .iter()
                .rfind(|a| !a.withdrawn && a.care_start <= to && a.care_end() >= from && a.care_start <= a.care_end())
            else {
                continue;
            };
            if !rng.random_bool(0.3) {
                continue;
            }
            let provider = &population.providers[allocation.provider];
            let first = allocation.care_start.max(from);
            let last = allocation.care_end().min(to);
            let span = (last - first).num_days().max(0) as u64;
            let filled = add_days(first, rng.random_range(0..=span));
            let row = self.files.iter().find(|f| f.0 == year).map_or(0, |f| f.3) + 1;
            let bsn = if rng.random_bool(0.2) { String::new() } else { client.bsn.clone() };
            let mut cells =
                vec![format!("{year}-{row:05}"), provider.agb.clone(), bsn, filled.format("%d-%m-%Y").to_string()];
            for _ in 0..8 {
                let roll: f64 = rng.random();
                cells.push(match roll {
                    r if r < 0.04 => "9".into(),
                    r if r < 0.06 => String::new(),
                    r if r < 0.06 + 0.94 * provider.quality => rng.random_range(4..=5).to_string(),
                    _ => rng.random_range(1..=3).to_string(),
                });
            }
            let grade = if rng.random_bool(0.1) {
                String::new()
            } else {
                let base: f64 = 5.5 + provider.quality * 3.0 + rng.random_range(-1.5..1.5);
                let half = (base.clamp(1.0, 10.0) * 2.0).round() / 2.0;
                format!("{half}").replace('.', ",")
            };
            cells.push(grade);
            self.write(year, &format!("{}\r\n", cells.join(";")))?;
        }
        Ok(())
    }

    /// An end evaluation when support ends, and an interim one for long or
    /// activating allocations.
    fn evaluation_rows(&mut self, population: &Population, client: &Client) -> Result<()> {
        let mut rng = rng_for(population.seed.wrapping_add(5), client.index);
        for allocation in client.allocations.iter().filter(|a| !a.withdrawn && a.end() >= date(2017, 1, 1)) {
            let provider = &population.providers[allocation.provider];
            let length = (allocation.end() - allocation.start).num_days().max(0) as u64;
            let interim = add_days(allocation.start, length / 2);
            if (length > 270 || allocation.product.contains('A'))
                && rng.random_bool(0.4)
                && interim <= demo_end()
                && interim.year() >= 2017
            {
                let result = weighted(&mut rng, &[("volledig", 0.2), ("gedeeltelijk", 0.6), ("niet", 0.2)]);
                self.evaluation(interim, &allocation.number, &provider.agb, &client.bsn, "tussentijds", result, "")?;
            }
            let Some(stop) = &allocation.stop else { continue };
            if matches!(stop.reason, "02" | "38" | "31") {
                continue;
            }
            let day = add_days(stop.date, rng.random_range(0..30));
            if day > demo_end() || day.year() < 2017 {
                continue;
            }
            let weights = match stop.reason {
                "19" => [0.6, 0.33, 0.07],
                "23" => [0.25, 0.5, 0.25],
                _ => [0.1, 0.4, 0.5],
            };
            let result =
                weighted(&mut rng, &[("volledig", weights[0]), ("gedeeltelijk", weights[1]), ("niet", weights[2])]);
            let next = weighted(&mut rng, &[("geen", 0.45), ("voorliggend", 0.3), ("maatwerk", 0.2), ("", 0.05)]);
            self.evaluation(day, &allocation.number, &provider.agb, &client.bsn, "eind", result, next)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn evaluation(
        &mut self,
        day: NaiveDate,
        number: &str,
        agb: &str,
        bsn: &str,
        kind: &str,
        result: &str,
        next: &str,
    ) -> Result<()> {
        self.write(day.year(), &format!("{number},{agb},{bsn},{},{kind},{result},{next}\n", day.format("%Y-%m-%d")))
    }

    /// Moves each year's file into the inbox folder of its last month.
    pub fn finish(self, out: &mut Out) -> Result<()> {
        for (year, path, writer, _) in self.files {
            let file = writer.into_inner().map_err(|e| Error::io("cannot write", &path)(e.into_error()))?;
            file.sync_all().map_err(Error::io("cannot sync", &path))?;
            let name = format!("{}-{year}.csv", self.kind.name());
            let folder = format!("{year}-12");
            let target_dir = out.root.join(&folder);
            fs::create_dir_all(&target_dir).map_err(Error::io("cannot create", &target_dir))?;
            let target = target_dir.join(&name);
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            fs::rename(&path, &target).map_err(Error::io("cannot move", &target))?;
            out.files += 1;
            out.bytes += size;
        }
        Ok(())
    }
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Survey => "clientervaringsonderzoek",
            Kind::Evaluations => "swt-evaluaties",
        }
    }
}
