//! The simulated world of the demo: providers, and for each client a care
//! history (allocations, start and stop of care). A client's history depends
//! only on the seed and the client's number, so it can be generated again at
//! any time instead of being kept: memory stays flat at national scale.

use super::tariffs::Tariffs;
use chrono::{Datelike, Days, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The demo covers these three years; the TO contract starts in between.
pub fn demo_start() -> NaiveDate {
    date(2017, 1, 1)
}
pub fn demo_end() -> NaiveDate {
    date(2019, 12, 31)
}
pub fn to_start() -> NaiveDate {
    date(2018, 4, 1)
}

pub fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months)).unwrap_or(day)
}
pub fn add_days(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).unwrap_or(day)
}
pub fn sub_days(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days)).unwrap_or(day)
}

pub fn month_start(day: NaiveDate) -> NaiveDate {
    date(day.year(), day.month(), 1)
}
pub fn month_end(day: NaiveDate) -> NaiveDate {
    sub_days(add_months(month_start(day), 1), 1)
}

/// A random generator for one purpose of one client: the same every time.
pub fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Size {
    /// More than 10 clients; together about 97% of all clients.
    Large,
    /// 1 to 10 clients.
    Small,
    /// Contracted, but no clients.
    Idle,
}

pub struct Provider {
    pub agb: String,
    pub naam: String,
    pub contract: &'static str,
    pub vanaf: Option<NaiveDate>,
    pub tot: Option<NaiveDate>,
    pub email: String,
    pub size: Size,
    pub weight: f64,
    /// How this provider's software writes XML namespaces (0, 1 or 2).
    pub xml_style: u8,
    /// Share of survey answers 4 or 5 on v05.
    pub quality: f64,
}

impl Provider {
    pub fn serves(&self, day: NaiveDate) -> bool {
        self.vanaf.is_none_or(|v| v <= day) && self.tot.is_none_or(|t| t >= day)
    }
}

const NAME_FIRST: &[&str] = &[
    "Zorggroep",
    "Thuiszorg",
    "Wijkzorg",
    "Begeleiding",
    "Coöperatie",
    "Stichting",
    "Dienstverlening",
    "Ondersteuning",
    "Zorgpunt",
    "Huishoudhulp",
    "Praktijk",
    "Zorgnetwerk",
];
const NAME_SECOND: &[&str] = &[
    "De Vecht",
    "IJsselland",
    "Sassenpoort",
    "Aa-landen",
    "Holtenbroek",
    "De Linde",
    "Het Anker",
    "Samen Thuis",
    "Noorderkwartier",
    "Stadshagen",
    "Oriënt",
    "De Brug",
    "Horizon",
    "Dichtbij",
    "Het Kompas",
];

pub struct Population {
    pub seed: u64,
    pub clients: u64,
    pub providers: Vec<Provider>,
    pub tariffs: Tariffs,
}

impl Population {
    pub fn new(seed: u64, clients: u64, tariffs: Tariffs) -> Population {
        let mut rng = rng_for(seed, u64::MAX);
        let mut providers = Vec::new();
        let mut agbs = std::collections::HashSet::new();
        for index in 0..113usize {
            let size = match index {
                0..44 => Size::Large,
                44..84 => Size::Small,
                _ => Size::Idle,
            };
            // A few providers only had the old contract (their clients must
            // switch provider at the conversion), a few only the new one.
            let (contract, vanaf, tot) = match index % 11 {
                3 => ("DIAH", Some(date(2015, 1, 1)), Some(date(2018, 3, 31))),
                7 => ("TO", Some(to_start()), Some(demo_end())),
                _ => ("DIAH+TO", Some(date(2015, 1, 1)), None),
            };
            let agb = loop {
                let candidate = format!("{:08}", rng.random_range(70_000_000..99_000_000u32));
                if agbs.insert(candidate.clone()) {
                    break candidate;
                }
            };
            let naam = format!(
                "{} {}",
                NAME_FIRST[index % NAME_FIRST.len()],
                NAME_SECOND[(index / NAME_FIRST.len() + index * 7) % NAME_SECOND.len()]
            );
            let weight = match size {
                Size::Large => 1.0 / ((index + 4) as f64).powf(0.9),
                Size::Small => 1.0,
                Size::Idle => 0.0,
            };
            providers.push(Provider {
                email: format!("contractmanager.{}@zwolle.example", &agb[5..]),
                agb,
                naam,
                contract,
                vanaf,
                tot,
                size,
                weight,
                xml_style: (index % 3) as u8,
                quality: rng.random_range(0.62..0.9),
            });
        }
        Population { seed, clients, providers, tariffs }
    }

    /// A provider contracted on `day`: 97% of clients go to the large ones.
    fn pick_provider(&self, rng: &mut ChaCha8Rng, day: NaiveDate, except: Option<usize>) -> usize {
        let size = if rng.random_bool(0.97) { Size::Large } else { Size::Small };
        let eligible = |p: &(usize, &Provider)| p.1.size == size && p.1.serves(day) && Some(p.0) != except;
        let total: f64 = self.providers.iter().enumerate().filter(eligible).map(|(_, p)| p.weight).sum();
        let mut draw = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        for (index, provider) in self.providers.iter().enumerate().filter(eligible) {
            draw -= provider.weight;
            if draw <= 0.0 {
                return index;
            }
        }
        0
    }

    /// The 9-digit BSN of client `index`. Small demos use the 9999 test
    /// range; larger ones a range starting with 9 that no one has.
    pub fn bsn(&self, index: u64) -> String {
        let base7 = if self.clients <= 9_000 { 9_999_000 } else { 9_000_000 };
        let prefix = format!("{:07}", base7 + index / 9);
        let mut wanted = index % 9;
        for d8 in 0..10u32 {
            let digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).chain([d8]).collect();
            let sum: u32 = digits.iter().enumerate().map(|(i, d)| (9 - i as u32) * d).sum();
            let check = sum % 11;
            if check == 10 {
                continue;
            }
            if wanted == 0 {
                return format!("{prefix}{d8}{check}");
            }
            wanted -= 1;
        }
        format!("{prefix}00")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Need {
    /// Household help.
    Household,
    /// Individual support.
    Support,
}

#[derive(Clone, Debug)]
pub struct Stop {
    pub date: NaiveDate,
    pub reason: &'static str,
}

#[derive(Clone, Debug)]
pub struct Allocation {
    pub number: String,
    pub provider: usize,
    pub product: &'static str,
    pub decided: NaiveDate,
    pub start: NaiveDate,
    pub planned_end: NaiveDate,
    /// The end brought forward by a later WMO301 (the conversion), and the
    /// day that message was sent.
    pub shortened: Option<(NaiveDate, NaiveDate)>,
    pub care_start: NaiveDate,
    /// Care stopped, with a WMO307; `None`: the allocation just ran out.
    pub stop: Option<Stop>,
    /// Sent by mistake and withdrawn with RedenWijziging 13.
    pub withdrawn: bool,
    /// Re-sent unchanged with RedenWijziging 14 (actualisatie).
    pub resent: bool,
    /// The WMO305 was first sent with a wrong date, then replaced (status 2).
    pub start_corrected: bool,
}

/// A RedenBeeindiging of two digits outside the WMO588 list ingest knows.
pub const UNLISTED_STOP_REASON: &str = "45";

impl Client {
    /// The postcode a message sent on `day` carries.
    pub fn postcode_on(&self, day: NaiveDate) -> &str {
        match &self.moved {
            Some((from, postcode)) if *from <= day => postcode,
            _ => &self.postcode,
        }
    }
}

impl Allocation {
    pub fn end(&self) -> NaiveDate {
        self.shortened.map_or(self.planned_end, |(end, _)| end)
    }

    /// The end a WMO301 sent on `day` states: brought forward once the
    /// shortening message has gone out.
    pub fn end_known_on(&self, day: NaiveDate) -> NaiveDate {
        match self.shortened {
            Some((end, sent)) if sent <= day => end,
            _ => self.planned_end,
        }
    }

    /// The last day of care, as far as the data of the demo knows.
    pub fn care_end(&self) -> NaiveDate {
        self.stop.as_ref().map_or(self.end(), |s| s.date.min(self.end()))
    }
}

pub struct Client {
    pub index: u64,
    pub bsn: String,
    pub birth: NaiveDate,
    pub sex: &'static str,
    pub district: usize,
    pub postcode: String,
    /// A move to another stadsdeel: from which day, and the new postcode. The
    /// WMO301 messages sent from that day on carry it (indicators.md: a
    /// client counts in one district per period).
    pub moved: Option<(NaiveDate, String)>,
    pub street: &'static str,
    pub house_number: u32,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub allocations: Vec<Allocation>,
}

/// Stadsdelen with their postcodes and client counts (2014: IB, HH).
pub const DISTRICTS: &[(&str, &[u32], u32, u32)] = &[
    ("Noord", &[8021, 8022, 8023, 8024, 8025, 8026], 565, 1190),
    ("Zuid", &[8041, 8042, 8043, 8044, 8045, 8046], 502, 763),
    ("Stad", &[8011, 8012, 8013, 8014], 730, 1050),
    ("West", &[8031, 8032, 8033, 8034], 304, 549),
    ("Oost", &[8015, 8016, 8017, 8019], 146, 275),
];

const STREETS: &[&str] = &[
    "Dorpsstraat",
    "Kerkstraat",
    "Molenweg",
    "Assendorperstraat",
    "Thomas a Kempisstraat",
    "Ruggenhof",
    "Vechtstraat",
];
const FIRST_NAMES: &[&str] =
    &["Joëlle", "Noor", "Henk", "Gerda", "Sven", "Fatima", "Willem", "Aaltje", "Mehmet", "Ria"];
const LAST_NAMES: &[&str] = &["Vermeulen", "Jacobs", "de Vries", "Bakker", "Jansen", "Visser", "Smit", "Mulder"];

/// One of `options`, drawn with the given weights.
pub fn weighted<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, f64)]) -> T {
    let total: f64 = options.iter().map(|o| o.1).sum();
    let mut draw = rng.random_range(0.0..total);
    for (value, weight) in options {
        draw -= weight;
        if draw <= 0.0 {
            return *value;
        }
    }
    options[options.len() - 1].0
}

fn diah_product(rng: &mut ChaCha8Rng, need: Need) -> &'static str {
    match need {
        Need::Household => weighted(rng, &[("01H01", 0.52), ("01H02", 0.45), ("01H03", 0.03)]),
        Need::Support => weighted(
            rng,
            &[
                ("02B01", 0.06),
                ("02B02", 0.14),
                ("02B03", 0.2),
                ("02B04", 0.15),
                ("02B05", 0.09),
                ("02S01", 0.1),
                ("02S02", 0.09),
                ("02S03", 0.07),
                ("02S04", 0.03),
                ("02S05", 0.02),
                ("02M01", 0.05),
            ],
        ),
    }
}

fn to_product(rng: &mut ChaCha8Rng, need: Need) -> &'static str {
    match need {
        Need::Household => weighted(rng, &[("T1OG", 0.55), ("T1OP", 0.3), ("T1OH", 0.05), ("T2OG", 0.1)]),
        Need::Support => weighted(
            rng,
            &[
                ("T1AG", 0.06),
                ("T1AP", 0.06),
                ("T1OP", 0.08),
                ("T1OH", 0.05),
                ("T2AG", 0.1),
                ("T2AP", 0.08),
                ("T2OG", 0.14),
                ("T2OP", 0.12),
                ("T2OH", 0.06),
                ("T3AG", 0.04),
                ("T3OG", 0.06),
                ("T3OP", 0.05),
                ("T3OH", 0.03),
                ("T3AH", 0.02),
                ("TMW01", 0.05),
            ],
        ),
    }
}

/// The administrative conversion on 2018-04-01: each DIAH product has its
/// TO arrangement.
fn converted(product: &str) -> &'static str {
    match product {
        "01H01" => "T1OG",
        "01H02" => "T1OP",
        "01H03" => "T1OH",
        "02B01" => "T1OP",
        "02B02" => "T2OG",
        "02B03" => "T2OP",
        "02B04" => "T2OH",
        "02B05" => "T3OG",
        "02S01" => "T2OH",
        "02S02" => "T3OG",
        "02S03" => "T3OP",
        "02S04" => "T3OH",
        "02S05" => "T3AH",
        _ => "TMW01",
    }
}

/// A product one step lighter or heavier on the same ladder.
fn step(product: &'static str, lighter: bool) -> &'static str {
    const LADDERS: &[&[&str]] = &[
        &["01H01", "01H02", "01H03"],
        &["02B01", "02B02", "02B03", "02B04", "02B05", "02S03", "02S04", "02S05"],
        &["T1OG", "T1OP", "T1OH", "T2OG", "T2OP", "T2OH", "T3OG", "T3OP", "T3OH"],
        &["T1AG", "T1AP", "T1AH", "T2AG", "T2AP", "T2AH", "T3AG", "T3AP", "T3AH"],
    ];
    for ladder in LADDERS {
        if let Some(at) = ladder.iter().position(|p| *p == product) {
            let next = if lighter { at.checked_sub(1) } else { Some(at + 1).filter(|n| *n < ladder.len()) };
            return next.map_or(product, |n| ladder[n]);
        }
    }
    product
}

/// Activating arrangements often go on as supporting ones (movement 5).
fn to_supporting(product: &'static str) -> &'static str {
    match product {
        "T1AG" => "T1OG",
        "T1AP" => "T1OP",
        "T1AH" => "T1OH",
        "T2AG" => "T2OG",
        "T2AP" => "T2OP",
        "T2AH" => "T2OH",
        "T3AG" => "T3OG",
        "T3AP" => "T3OP",
        "T3AH" => "T3OH",
        other => other,
    }
}

fn is_to(product: &str) -> bool {
    product.starts_with('T')
}

fn end_reason(rng: &mut ChaCha8Rng, need: Need, elderly: bool) -> Option<&'static str> {
    let death = if elderly { 0.16 } else { 0.02 };
    let wlz = if elderly { 0.1 } else { 0.03 };
    let _ = need;
    weighted(
        rng,
        &[
            (Some("19"), 0.34),
            (Some("23"), 0.09),
            (Some("21"), 0.05),
            (Some("22"), 0.03),
            (Some("02"), death),
            (Some("31"), 0.06),
            (Some("20"), 0.02),
            (Some("36"), 0.03),
            (Some("37"), 0.03),
            (Some("39"), wlz),
            (None, 0.07),
        ],
    )
}

impl Population {
    /// The whole history of client `index`.
    pub fn client(&self, index: u64) -> Client {
        let mut rng = rng_for(self.seed, index);
        let needs: &[Need] = match rng.random_range(0..100) {
            0..60 => &[Need::Household],
            60..93 => &[Need::Support],
            _ => &[Need::Household, Need::Support],
        };
        let main_need = needs[0];
        let elderly = match main_need {
            Need::Household => rng.random_bool(0.75),
            Need::Support => rng.random_bool(0.12),
        };
        let birth_year = if elderly { rng.random_range(1922..1952) } else { rng.random_range(1955..1999) };
        let birth = date(birth_year, rng.random_range(1..=12), rng.random_range(1..=28));
        let district = weighted(
            &mut rng,
            &DISTRICTS
                .iter()
                .enumerate()
                .map(|(i, d)| (i, f64::from(if main_need == Need::Household { d.3 } else { d.2 })))
                .collect::<Vec<_>>(),
        );
        let codes = DISTRICTS[district].1;
        // A few clients live at an address outside the known postcodes.
        let postcode4 = if rng.random_bool(0.01) { 8061 } else { codes[rng.random_range(0..codes.len())] };
        let letters: String = (0..2).map(|_| char::from(b'A' + rng.random_range(0..26u8))).collect();
        let mut client = Client {
            index,
            bsn: self.bsn(index),
            birth,
            sex: weighted(&mut rng, &[("1", 0.4), ("2", 0.59), ("0", 0.01)]),
            district,
            postcode: format!("{postcode4}{letters}"),
            moved: None,
            street: STREETS[rng.random_range(0..STREETS.len())],
            house_number: rng.random_range(1..250),
            first_name: FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            last_name: LAST_NAMES[rng.random_range(0..LAST_NAMES.len())],
            allocations: Vec::new(),
        };

        // About half the clients already had support when the demo starts.
        let in_stock = rng.random_bool(0.5);
        let (first_start, mean_months) = match (in_stock, main_need) {
            (true, Need::Household) => (sub_days(demo_start(), rng.random_range(1..1500)), 44.0),
            (true, Need::Support) => (sub_days(demo_start(), rng.random_range(1..600)), 26.0),
            (false, need) => {
                let day = add_days(demo_start(), rng.random_range(0..1095));
                (day, if need == Need::Household { 44.0 } else { 22.0 })
            }
        };
        let mut sequence = 0;
        for &need in needs {
            let mut start = first_start;
            // Some clients come back after their support ended as planned.
            for _episode in 0..3 {
                let remaining: f64 = -mean_months * (1.0 - rng.random::<f64>()).ln();
                let need_end = add_days(
                    if start < demo_start() { demo_start() } else { start },
                    (remaining * 30.4).max(45.0) as u64,
                );
                let planned_ok = self.episode(&mut rng, &mut client, need, start, need_end, elderly, &mut sequence);
                match planned_ok {
                    Some(ended) if rng.random_bool(0.15) => start = add_days(ended, rng.random_range(30..400)),
                    _ => break,
                }
                if start > demo_end() {
                    break;
                }
            }
        }
        self.add_edge_cases(&mut client);
        client
    }

    /// What the indicators must handle but the main draw does not make: some
    /// clients move between their allocations, and some stops carry a
    /// RedenBeeindiging that a later WMO588 release added (formats.md). Drawn
    /// from a stream of their own, so the rest of the demo stays as it was.
    fn add_edge_cases(&self, client: &mut Client) {
        let mut rng = rng_for(self.seed.wrapping_add(9), client.index);
        let mut decided: Vec<NaiveDate> =
            client.allocations.iter().map(|a| a.decided).filter(|d| *d >= demo_start() && *d <= demo_end()).collect();
        decided.sort();
        if decided.len() >= 2 && rng.random_bool(0.15) {
            let elsewhere = (client.district + 1 + rng.random_range(0..DISTRICTS.len() - 1)) % DISTRICTS.len();
            let codes = DISTRICTS[elsewhere].1;
            let letters: String = (0..2).map(|_| char::from(b'A' + rng.random_range(0..26u8))).collect();
            client.moved = Some((decided[1], format!("{}{letters}", codes[rng.random_range(0..codes.len())])));
        }
        for allocation in &mut client.allocations {
            if let Some(stop) = allocation.stop.as_mut()
                && rng.random_bool(0.05)
            {
                stop.reason = UNLISTED_STOP_REASON;
            }
        }
    }

    /// One episode of need: allocations one after another until the need
    /// ends. Returns the end day when care ended as planned (reason 19).
    #[allow(clippy::too_many_arguments)]
    fn episode(
        &self,
        rng: &mut ChaCha8Rng,
        client: &mut Client,
        need: Need,
        first_start: NaiveDate,
        need_end: NaiveDate,
        elderly: bool,
        sequence: &mut u64,
    ) -> Option<NaiveDate> {
        let mut start = first_start;
        let mut product = if start < to_start() { diah_product(rng, need) } else { to_product(rng, need) };
        let mut provider = self.pick_provider(rng, start, None);
        let mut first = true;
        loop {
            let max_months = match need {
                Need::Household => rng.random_range(24..=60),
                Need::Support if product.contains('A') && is_to(product) => rng.random_range(6..=12),
                Need::Support => rng.random_range(9..=24),
            };
            let planned_end = sub_days(add_months(start, max_months), 1);
            let wait = if first { rng.random_range(0..if need == Need::Household { 15 } else { 29 }) } else { 0 };
            *sequence += 1;
            let mut allocation = Allocation {
                number: format!("{}", 10_000_000 + client.index * 40 + *sequence),
                provider,
                product,
                decided: sub_days(start, rng.random_range(3..21)),
                start,
                planned_end,
                shortened: None,
                care_start: add_days(start, wait),
                stop: None,
                withdrawn: false,
                resent: rng.random_bool(0.02),
                start_corrected: rng.random_bool(0.01),
            };
            first = false;

            // A mistaken allocation to another provider, withdrawn (13).
            if rng.random_bool(0.003) {
                *sequence += 1;
                let mut mistake = allocation.clone();
                mistake.number = format!("{}", 10_000_000 + client.index * 40 + *sequence);
                mistake.provider = self.pick_provider(rng, start, Some(provider));
                mistake.withdrawn = true;
                client.allocations.push(mistake);
            }

            let converting =
                !is_to(product) && start < to_start() && planned_end >= to_start() && need_end >= to_start();
            if converting {
                // Sent on 1 March, or the day after the decision for one taken later.
                let sent = date(2018, 3, 1).max(add_days(allocation.decided, 1));
                allocation.shortened = Some((sub_days(to_start(), 1), sent));
                let keeps_provider = self.providers[provider].serves(to_start());
                if !keeps_provider {
                    allocation.stop = Some(Stop { date: sub_days(to_start(), 1), reason: "38" });
                    provider = self.pick_provider(rng, to_start(), Some(provider));
                }
                client.allocations.push(allocation);
                start = to_start();
                product = converted(product);
                first = !keeps_provider;
                continue;
            }

            if need_end <= planned_end {
                if need_end <= demo_end() {
                    let reason = end_reason(rng, need, elderly);
                    allocation.stop = reason.map(|reason| Stop { date: need_end.max(allocation.care_start), reason });
                    if allocation.stop.is_none() {
                        // No stop message: the allocation was planned to end
                        // with the need, and simply runs out (verlopen).
                        allocation.planned_end = need_end.max(allocation.start);
                    }
                    let ended = allocation.stop.as_ref().filter(|s| s.reason == "19").map(|s| s.date);
                    client.allocations.push(allocation);
                    return ended;
                }
                client.allocations.push(allocation);
                return None;
            }

            // Renewal: the next allocation follows, often lighter.
            let next_start = add_days(planned_end, weighted(rng, &[(1u64, 0.86), (3, 0.08), (12, 0.06)]));
            let switch = rng.random_bool(0.04);
            if switch {
                allocation.stop = Some(Stop { date: planned_end, reason: "38" });
            }
            client.allocations.push(allocation);
            if next_start > demo_end() {
                return None;
            }
            product = if next_start < to_start() || is_to(product) {
                match rng.random_range(0..100) {
                    0..35 => step(product, true),
                    35..50 => step(product, false),
                    50..65 if is_to(product) => to_supporting(product),
                    _ => product,
                }
            } else {
                converted(product)
            };
            if switch || !self.providers[provider].serves(next_start) {
                provider = self.pick_provider(rng, next_start, Some(provider));
                first = true;
            }
            start = next_start;
        }
    }
}
