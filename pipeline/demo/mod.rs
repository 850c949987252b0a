//! `wmo-monitor demo`: a realistic inbox and reference folder for Zwolle,
//! 2017-01-01 to 2019-12-31, in the formats of `formats.md` with the quirks
//! real files have. Same seed, same files. Clients are generated one at a
//! time (and again for each month's declarations), so memory stays flat
//! whatever `--clients` is.

mod exports;
pub mod headline;
mod messages;
pub mod population;
mod tariffs;

use crate::config::{Config, DEMO_KEY_FILE, KEY_ENV};
use crate::error::{Error, Result};
use chrono::{Datelike, NaiveDate};
use population::{Allocation, Client, Population, add_days, demo_end, demo_start, month_end, rng_for};
use rand::Rng;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use tariffs::Tariffs;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub clients: u64,
    pub show_progress: bool,
}

#[derive(Debug, Default)]
pub struct DemoWritten {
    pub files: u64,
    pub bytes: u64,
    pub clients: u64,
    pub providers: usize,
    pub key_created: Option<PathBuf>,
    pub elapsed: Duration,
}

impl fmt::Display for DemoWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(key) = &self.key_created {
            writeln!(f, "Created a random pseudonymisation key in {} (mode 0600).", key.display())?;
        }
        write!(
            f,
            "Demo written in {:.1} s: {} files, {:.1} MB for {} clients and {} providers (Zwolle, 2017-2019).",
            self.elapsed.as_secs_f64(),
            self.files,
            self.bytes as f64 / 1e6,
            self.clients,
            self.providers
        )
    }
}

/// Writes files into the inbox and reference folder, counting them.
struct Out {
    root: PathBuf,
    made: HashSet<PathBuf>,
    files: u64,
    bytes: u64,
}

impl Out {
    fn put(&mut self, folder: &str, name: &str, content: &[u8]) -> Result<()> {
        let dir = self.root.join(folder);
        if !self.made.contains(&dir) {
            fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
            self.made.insert(dir.clone());
        }
        let path = dir.join(name);
        fs::write(&path, content).map_err(Error::io("cannot write", &path))?;
        self.files += 1;
        self.bytes += content.len() as u64;
        Ok(())
    }
}

impl Out {
    /// Writes `before`, the content of the file `middle`, then `after`.
    fn put_around(&mut self, folder: &str, name: &str, before: &str, middle: &Path, after: &str) -> Result<()> {
        let dir = self.root.join(folder);
        fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let path = dir.join(name);
        let mut target = std::io::BufWriter::new(fs::File::create(&path).map_err(Error::io("cannot create", &path))?);
        let mut body = fs::File::open(middle).map_err(Error::io("cannot read", middle))?;
        target.write_all(before.as_bytes()).map_err(Error::io("cannot write", &path))?;
        let copied = std::io::copy(&mut body, &mut target).map_err(Error::io("cannot write", &path))?;
        target.write_all(after.as_bytes()).map_err(Error::io("cannot write", &path))?;
        target.flush().map_err(Error::io("cannot write", &path))?;
        self.files += 1;
        self.bytes += (before.len() + after.len()) as u64 + copied;
        Ok(())
    }
}

fn month_folder(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

pub fn write(config: &Config, options: &DemoOptions) -> Result<DemoWritten> {
    let started = Instant::now();
    let key_created = ensure_demo_key(config)?;
    let population = Population::new(options.seed, options.clients, Tariffs::embedded()?);

    let mut reference = Out { root: config.paths.reference.clone(), made: HashSet::new(), files: 0, bytes: 0 };
    exports::write_reference(&mut reference, &population)?;
    let mut inbox = Out { root: config.paths.inbox.clone(), made: HashSet::new(), files: 0, bytes: 0 };

    let mut surveys = exports::YearFiles::survey(&config.paths.inbox)?;
    let mut evaluations = exports::YearFiles::evaluations(&config.paths.inbox)?;
    let bar = crate::progress::counter(options.clients * 2, "demo", options.show_progress);
    for index in 0..options.clients {
        let client = population.client(index);
        write_client_messages(&mut inbox, &population, &client, &config.gemeente)?;
        surveys.client(&population, &client)?;
        evaluations.client(&population, &client)?;
        bar.inc(1);
    }
    surveys.finish(&mut inbox)?;
    evaluations.finish(&mut inbox)?;

    let spool_dir = config.paths.inbox.join(".demo-spool");
    let mut declared = Declared::default();
    let mut month = demo_start();
    while month <= demo_end() {
        // The last two months one provider declares nothing: a stille aanbieder.
        if month == population::month_start(population::month_start(demo_end()) - chrono::Days::new(1)) {
            declared.silent = declared.ranked(month.year()).get(4).copied();
        }
        write_declarations(&mut inbox, &population, month, &config.gemeente, &spool_dir, &mut declared)?;
        bar.inc(options.clients / 36);
        month = add_days(month_end(month), 1);
    }
    exports::write_budgetplafonds(&mut reference, &population, &declared)?;
    fs::remove_dir_all(&spool_dir).map_err(Error::io("cannot remove", &spool_dir))?;
    bar.finish_and_clear();

    Ok(DemoWritten {
        files: inbox.files + reference.files,
        bytes: inbox.bytes + reference.bytes,
        clients: options.clients,
        providers: population.providers.len(),
        key_created,
        elapsed: started.elapsed(),
    })
}

/// Creates a random key in the data folder unless one is configured.
fn ensure_demo_key(config: &Config) -> Result<Option<PathBuf>> {
    let env_key = std::env::var(KEY_ENV).map(|k| !k.trim().is_empty()).unwrap_or(false);
    let path = config.paths.data.join(DEMO_KEY_FILE);
    if env_key || config.pseudonym_key_file.is_some() || path.exists() {
        return Ok(None);
    }
    fs::create_dir_all(&config.paths.data).map_err(Error::io("cannot create", &config.paths.data))?;
    let key: [u8; 32] = rand::rng().random();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(Error::io("cannot create the key file", &path))?;
    file.write_all(hex::encode(key).as_bytes()).map_err(Error::io("cannot write the key file", &path))?;
    Ok(Some(path))
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn cents(euro: Decimal) -> i64 {
    (euro * Decimal::ONE_HUNDRED).round().try_into().unwrap_or(0)
}

/// Allocations the demo's messages speak of: those still valid in 2017.
fn visible(client: &Client) -> impl Iterator<Item = &Allocation> {
    client.allocations.iter().filter(|a| a.end() >= demo_start())
}

/// One WMO301 version: its day, and per product the RedenWijziging and end.
type Version<'a> = (NaiveDate, Vec<(&'a Allocation, Option<&'static str>, NaiveDate)>);

fn write_client_messages(out: &mut Out, population: &Population, client: &Client, gemeente: &str) -> Result<()> {
    let mut sequence = 0;
    for allocation in visible(client) {
        let provider = &population.providers[allocation.provider];
        // The 301 holds every allocation of this client with this provider
        // that is still valid on its day.
        let mut versions: Vec<Version> = vec![(
            allocation.decided,
            visible(client)
                .filter(|a| {
                    a.provider == allocation.provider
                        && a.decided <= allocation.decided
                        && a.end() >= allocation.decided
                        && !(a.withdrawn && a.number != allocation.number)
                })
                .map(|a| (a, None, a.end_known_on(allocation.decided)))
                .collect(),
        )];
        if allocation.withdrawn {
            versions.push((add_days(allocation.decided, 5), vec![(allocation, Some("13"), allocation.planned_end)]));
        }
        if allocation.resent {
            versions.push((add_days(allocation.decided, 30), vec![(allocation, Some("14"), allocation.planned_end)]));
        }
        if let Some((end, dated)) = allocation.shortened {
            versions.push((dated, vec![(allocation, Some("01"), end)]));
        }
        for (dated, products) in versions {
            sequence += 1;
            let id = format!("TW{:08}{:03}", client.index, sequence);
            let header =
                messages::Header { code: "414", from: gemeente, to: &provider.agb, id: &id, dated: &day_text(dated) };
            let mut msg = messages::Message::new("wmo301", 0, &header);
            client_identity(&mut msg, client);
            msg.open("Naam");
            msg.open("Geslachtsnaam");
            msg.base("Achternaam", client.last_name);
            msg.close("Geslachtsnaam");
            msg.base("Voornamen", client.first_name);
            msg.close("Naam");
            msg.open("Contactgegevens");
            msg.open("Contact");
            msg.leaf("Soort", "01");
            msg.open("Adres");
            msg.base("Straatnaam", client.street);
            msg.base("Huisnummer", &client.house_number.to_string());
            msg.base("Postcode", client.postcode_on(dated));
            msg.base("Plaatsnaam", "Zwolle");
            msg.close("Adres");
            msg.close("Contact");
            msg.close("Contactgegevens");
            msg.open("ToegewezenProducten");
            for (a, reason, end) in products {
                msg.open("ToegewezenProduct");
                msg.leaf("ToewijzingNummer", &a.number);
                msg.open("Product");
                msg.base("Categorie", population.tariffs.category(a.product));
                msg.base("Code", a.product);
                msg.close("Product");
                msg.leaf("Toewijzingsdatum", &day_text(a.decided));
                msg.leaf("Ingangsdatum", &day_text(a.start));
                msg.leaf("Einddatum", &day_text(end));
                if let Some(reason) = reason {
                    msg.leaf("RedenWijziging", reason);
                }
                msg.open("Omvang");
                msg.base("Volume", "1");
                msg.base("Eenheid", "82");
                msg.base("Frequentie", "4");
                msg.close("Omvang");
                msg.close("ToegewezenProduct");
            }
            msg.close("ToegewezenProducten");
            msg.close("Client");
            out.put(&month_folder(dated), &format!("wmo301-{id}.xml"), msg.finish().as_bytes())?;
        }
        if allocation.withdrawn {
            continue;
        }
        let mut rng = rng_for(population.seed.wrapping_add(3), client.index * 64 + sequence);
        if allocation.care_start <= demo_end() && allocation.care_start <= allocation.care_end() {
            let mut starts =
                vec![("1", allocation.care_start, add_days(allocation.care_start, rng.random_range(1..10)))];
            if allocation.start_corrected {
                let wrong = add_days(allocation.care_start, 3).min(allocation.care_end());
                starts = vec![
                    ("1", wrong, add_days(allocation.care_start, 2)),
                    ("2", allocation.care_start, add_days(allocation.care_start, 12)),
                ];
            }
            for (status, begin, dated) in starts {
                sequence += 1;
                let id = format!("S{}{:08}{:03}", &provider.agb[4..], client.index, sequence);
                let header = messages::Header {
                    code: "418",
                    from: &provider.agb,
                    to: gemeente,
                    id: &id,
                    dated: &day_text(dated),
                };
                let mut msg = messages::Message::new("wmo305", provider.xml_style, &header);
                care_client(&mut msg, client, population, allocation, "StartProducten", "StartProduct");
                msg.leaf("Begindatum", &day_text(begin));
                msg.leaf("StatusAanlevering", status);
                close_care_client(&mut msg, "StartProducten", "StartProduct");
                out.put(&month_folder(dated), &format!("wmo305-{id}.xml"), msg.finish().as_bytes())?;
            }
        }
        if let Some(stop) = allocation.stop.as_ref().filter(|s| s.date <= demo_end()) {
            sequence += 1;
            let dated = add_days(stop.date, rng.random_range(1..14));
            let id = format!("E{}{:08}{:03}", &provider.agb[4..], client.index, sequence);
            let header =
                messages::Header { code: "420", from: &provider.agb, to: gemeente, id: &id, dated: &day_text(dated) };
            let mut msg = messages::Message::new("wmo307", provider.xml_style, &header);
            care_client(&mut msg, client, population, allocation, "StopProducten", "StopProduct");
            msg.leaf("Begindatum", &day_text(allocation.care_start.min(stop.date)));
            msg.leaf("RedenBeeindiging", stop.reason);
            msg.leaf("Einddatum", &day_text(stop.date));
            msg.leaf("StatusAanlevering", "1");
            close_care_client(&mut msg, "StopProducten", "StopProduct");
            out.put(&month_folder(dated), &format!("wmo307-{id}.xml"), msg.finish().as_bytes())?;
        }
    }
    Ok(())
}

fn care_client(
    msg: &mut messages::Message,
    client: &Client,
    population: &Population,
    a: &Allocation,
    list: &str,
    item: &str,
) {
    client_identity(msg, client);
    msg.open(list);
    msg.open(item);
    msg.leaf("ToewijzingNummer", &a.number);
    msg.open("Product");
    msg.base("Categorie", population.tariffs.category(a.product));
    msg.base("Code", a.product);
    msg.close("Product");
    msg.leaf("ToewijzingIngangsdatum", &day_text(a.start));
}

/// Opens `Client` with what every message says of the person.
fn client_identity(msg: &mut messages::Message, client: &Client) {
    msg.open("Client");
    msg.leaf("Bsn", &client.bsn);
    msg.open("Geboortedatum");
    msg.base("Datum", &day_text(client.birth));
    msg.base("DatumGebruik", "1");
    msg.close("Geboortedatum");
    msg.leaf("Geslacht", client.sex);
}

fn close_care_client(msg: &mut messages::Message, list: &str, item: &str) {
    msg.close(item);
    msg.close(list);
    msg.close("Client");
}

/// One provider's declaration of one month, spooled to disk while clients
/// are generated, so memory does not grow with the number of clients.
struct Spool {
    path: PathBuf,
    file: std::io::BufWriter<fs::File>,
    total_cents: i64,
}

#[derive(Clone)]
struct Line {
    reference: String,
    previous: Option<String>,
    allocation: String,
    product: String,
    begin: NaiveDate,
    end: NaiveDate,
    volume: i64,
    unit: &'static str,
    tariff_cents: i64,
    amount_cents: i64,
}

/// What the demo's providers declared, per provider and year, in cents; and
/// the provider that stopped declaring, once chosen.
#[derive(Default)]
pub struct Declared {
    pub cents: BTreeMap<(usize, i32), i64>,
    pub silent: Option<usize>,
}

impl Declared {
    /// The providers that declared in the year, the largest amount first.
    pub fn ranked(&self, year: i32) -> Vec<usize> {
        let mut of_year: Vec<(i64, usize)> =
            self.cents.iter().filter(|((_, y), _)| *y == year).map(|((p, _), c)| (*c, *p)).collect();
        of_year.sort_by(|a, b| b.cmp(a));
        of_year.into_iter().map(|(_, p)| p).collect()
    }
}

fn write_declarations(
    out: &mut Out,
    population: &Population,
    month: NaiveDate,
    gemeente: &str,
    spool_dir: &Path,
    declared: &mut Declared,
) -> Result<()> {
    fs::create_dir_all(spool_dir).map_err(Error::io("cannot create", spool_dir))?;
    let month_index = u64::from(month.month()) + 12 * (month.year() as u64);
    let last = month_end(month);
    // (provider, correction?) -> spool
    let mut spools: BTreeMap<(usize, bool), Spool> = BTreeMap::new();
    // In the last month one provider also declares a line in advance, for a
    // month after the data ends: indicators.md has it not count yet.
    let mut advance: Option<(usize, String, Line)> = None;
    let last_month = month == population::month_start(demo_end());
    for index in 0..population.clients {
        let client = population.client(index);
        let mut rng = rng_for(population.seed.wrapping_add(2), index * 1024 + month_index % 1024);
        let mut blocks: BTreeMap<(usize, bool), Vec<Line>> = BTreeMap::new();
        for (k, allocation) in visible(&client).enumerate().filter(|(_, a)| !a.withdrawn) {
            let begin = allocation.care_start.max(month);
            let end = allocation.care_end().min(last);
            if begin > end || allocation.care_start > allocation.care_end() {
                continue;
            }
            let monthly = population.tariffs.monthly(allocation.product, begin);
            let days = (end - begin).num_days() + 1;
            let full = days == i64::from(last.day());
            let (volume, unit, tariff_cents) = if full {
                (1, "82", cents(monthly))
            } else {
                (days, "14", cents(monthly * Decimal::from(12) / Decimal::from(365)))
            };
            let mut line = Line {
                reference: format!("R{}{:08}{:02}", month.format("%Y%m"), index, k),
                previous: None,
                allocation: allocation.number.clone(),
                product: allocation.product.to_string(),
                begin,
                end,
                volume,
                unit,
                tariff_cents,
                amount_cents: volume * tariff_cents,
            };
            let quirk: f64 = rng.random();
            let provider = allocation.provider;
            if last_month && full && advance.is_none() {
                advance = Some((provider, client.bsn.clone(), line.clone()));
            }
            if quirk < 0.004 {
                line.allocation.push('9'); // no such allocation
            } else if quirk < 0.006 {
                line.product = if line.product == "T2OH" { "T1OG".into() } else { "T2OH".into() };
            } else if quirk < 0.008 {
                line.amount_cents += 100; // not volume x tariff: a warning
            } else if quirk < 0.016 {
                // Credited and declared again in a correction declaration.
                let credit = Line {
                    reference: line.reference.replacen('R', "C", 1),
                    previous: Some(line.reference.clone()),
                    allocation: line.allocation.clone(),
                    product: line.product.clone(),
                    amount_cents: -line.amount_cents,
                    ..line
                };
                let again = Line {
                    reference: line.reference.replacen('R', "N", 1),
                    previous: None,
                    allocation: line.allocation.clone(),
                    product: line.product.clone(),
                    ..line
                };
                blocks.entry((provider, true)).or_default().extend([credit, again]);
            } else if quirk < 0.020 {
                // Declared twice.
                let double = Line {
                    reference: line.reference.replacen('R', "X", 1),
                    allocation: line.allocation.clone(),
                    product: line.product.clone(),
                    previous: None,
                    ..line
                };
                blocks.entry((provider, true)).or_default().push(double);
            }
            blocks.entry((provider, false)).or_default().push(line);
        }
        for (key, lines) in blocks {
            let provider = &population.providers[key.0];
            let bsn = if rng.random_bool(0.0005) { corrupt(&client.bsn) } else { client.bsn.clone() };
            let spool = match spools.entry(key) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let path = spool_dir.join(format!("{}-{}.part", provider.agb, key.1));
                    let file = fs::File::create(&path).map_err(Error::io("cannot create", &path))?;
                    e.insert(Spool { path, file: std::io::BufWriter::new(file), total_cents: 0 })
                }
            };
            let (block, total) = client_block(population, provider.xml_style, &bsn, &lines);
            spool.total_cents += total;
            spool.file.write_all(block.as_bytes()).map_err(Error::io("cannot write", &spool.path))?;
        }
    }

    for ((provider_index, correction), spool) in spools {
        let provider = &population.providers[provider_index];
        let file = spool.file.into_inner().map_err(|e| Error::io("cannot write", &spool.path)(e.into_error()))?;
        drop(file);
        if declared.silent == Some(provider_index) {
            fs::remove_file(&spool.path).map_err(Error::io("cannot remove", &spool.path))?;
            continue;
        }
        *declared.cents.entry((provider_index, month.year())).or_default() += spool.total_cents;
        let mut rng = rng_for(population.seed.wrapping_add(4), provider_index as u64 * 4096 + month_index);
        let sent = add_days(last, rng.random_range(4..12) + if correction { 35 } else { 0 });
        let number = format!("{}{}{}", provider.agb, month.format("%Y%m"), if correction { "C" } else { "" });
        let (before, after) = declaration_around(provider, gemeente, &number, month, sent, spool.total_cents);
        // The body is copied from its spool, never held in memory whole.
        out.put_around(&month_folder(sent), &format!("wmo323-{number}.xml"), &before, &spool.path, &after)?;
        fs::remove_file(&spool.path).map_err(Error::io("cannot remove", &spool.path))?;
    }
    if let Some((provider_index, bsn, line)) = advance {
        let provider = &population.providers[provider_index];
        let ahead = population::add_months(month, 3);
        let line = Line {
            reference: format!("V{}{}", ahead.format("%Y%m"), &line.reference[7..]),
            begin: ahead,
            end: month_end(ahead),
            ..line
        };
        let number = format!("{}{}V", provider.agb, ahead.format("%Y%m"));
        let (block, total) = client_block(population, provider.xml_style, &bsn, &[line]);
        let sent = add_days(last, 10);
        let (before, after) = declaration_around(provider, gemeente, &number, ahead, sent, total);
        out.put(&month_folder(sent), &format!("wmo323-{number}.xml"), format!("{before}{block}{after}").as_bytes())?;
    }
    Ok(())
}

/// A provider's WMO323 around its client blocks: what comes before them and after.
fn declaration_around(
    provider: &population::Provider,
    gemeente: &str,
    number: &str,
    month: NaiveDate,
    sent: NaiveDate,
    total_cents: i64,
) -> (String, String) {
    let id = format!("D{number}");
    let header = messages::Header { code: "484", from: &provider.agb, to: gemeente, id: &id, dated: &day_text(sent) };
    let mut msg = messages::Message::new("wmo323", provider.xml_style, &header);
    msg.open("Declaratie");
    msg.leaf("DeclaratieNummer", number);
    msg.open("DeclaratiePeriode");
    msg.base("Begindatum", &day_text(month));
    msg.base("Einddatum", &day_text(month_end(month)));
    msg.close("DeclaratiePeriode");
    msg.leaf("DeclaratieDagtekening", &day_text(sent));
    msg.open("TotaalIngediendBedrag");
    msg.base("TotaalBedrag", &total_cents.abs().to_string());
    msg.base("DebetCredit", if total_cents < 0 { "C" } else { "D" });
    msg.close("TotaalIngediendBedrag");
    msg.open("Clienten");
    let before = msg.take();
    msg.close("Clienten");
    msg.close("Declaratie");
    (before, msg.finish())
}

/// One client's block of a WMO323, and the signed sum of its lines in cents.
fn client_block(population: &Population, xml_style: u8, bsn: &str, lines: &[Line]) -> (String, i64) {
    let mut total = 0;
    let mut block = messages::Message::fragment("wmo323", xml_style, 3);
    block.open("Client");
    block.leaf("Bsn", bsn);
    block.open("Prestaties");
    for line in lines {
        total += line.amount_cents;
        block.open("Prestatie");
        block.open("ProductReferentie");
        block.base("ReferentieNummer", &line.reference);
        if let Some(previous) = &line.previous {
            block.base("VorigReferentieNummer", previous);
        }
        block.close("ProductReferentie");
        block.leaf("ToewijzingNummer", &line.allocation);
        block.leaf("ProductCategorie", population.tariffs.category(&line.product));
        block.leaf("ProductCode", &line.product);
        block.open("ProductPeriode");
        block.base("Begindatum", &day_text(line.begin));
        block.base("Einddatum", &day_text(line.end));
        block.close("ProductPeriode");
        block.leaf("GeleverdVolume", &line.volume.to_string());
        block.leaf("Eenheid", line.unit);
        block.leaf("ProductTarief", &line.tariff_cents.to_string());
        block.open("IngediendBedrag");
        block.base("Bedrag", &line.amount_cents.abs().to_string());
        block.base("DebetCredit", if line.amount_cents < 0 { "C" } else { "D" });
        block.close("IngediendBedrag");
        block.close("Prestatie");
    }
    block.close("Prestaties");
    block.close("Client");
    (block.take(), total)
}

/// A BSN with a typing error: its last digit off by one fails the elfproef.
fn corrupt(bsn: &str) -> String {
    let mut digits: Vec<u8> = bsn.bytes().collect();
    if let Some(last) = digits.last_mut() {
        *last = b'0' + (*last - b'0' + 1) % 10;
    }
    String::from_utf8(digits).unwrap_or_default()
}
