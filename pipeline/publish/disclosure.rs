//! Disclosure control, exactly as `docs/indicators.md` ("Publishing rules")
//! says, and the only place it is done: every figure that leaves in a report
//! passes through [`figuur`], which picks the rule from what the reports'
//! declarations say about the figure's column ([`Kenmerken`]), and the rule
//! formats it the Dutch way.
//!
//! - The council's monitor (`raad`): counts are rounded to a multiple of 5, a
//!   true count of 0-7 is shown as `.`; shares and rates are computed from the
//!   rounded counts and hidden when their denominator or their numerator is
//!   (a share of a numerator rounded to 5 would tell 3-7 from 0-2); a mean is
//!   hidden when its count is. Amounts of money are not counts and are exact.
//! - A provider's pack (`pakket`): counts are exact; a share or mean over fewer
//!   than 5 respondents or evaluations is hidden; peers appear only as the
//!   median and quartiles over at least 5 providers, never by name.

use crate::dutch;
use crate::engine::rows::Row;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// What the council sees instead of a count of 0-7 (the CBS sign for "secret").
pub const GEHEIM: &str = ".";
/// What a pack shows instead of a share over fewer than 5 observations.
pub const TE_WEINIG: &str = "te weinig waarnemingen";
/// Fewest respondents or evaluations a pack shows a share or mean over.
pub const MIN_WAARNEMINGEN: i64 = 5;
/// Fewest providers a peer comparison is shown over.
pub const MIN_AANBIEDERS: usize = 5;
/// The largest true count the council does not see.
pub const MAX_GEHEIM: i64 = 7;

/// How a figure is read and formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Soort {
    /// A count of clients, trajectories, lines, providers...
    Aantal,
    /// A percentage, 0-100.
    Procent,
    /// A rate per 1,000 residents.
    PerDuizend,
    /// Euro, shown without cents.
    Euro,
    /// Euro with cents, for single declaration lines.
    EuroCent,
    /// Days, one decimal (a median can end in ,5).
    Dagen,
    /// A mean grade or score, one decimal.
    Cijfer,
    /// Words: a label, a code, a reason.
    Tekst,
    /// A calendar day.
    Datum,
}

/// A figure as published: the text shown and, unless hidden, the number it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waarde {
    pub tekst: String,
    #[serde(skip)]
    pub getal: Option<Decimal>,
    pub soort: Soort,
    #[serde(skip)]
    pub datum: Option<chrono::NaiveDate>,
    /// Hidden by a rule (`.` or `te weinig waarnemingen`); an empty value is not hidden.
    pub verborgen: bool,
}

impl Waarde {
    pub fn getoond(getal: Decimal, soort: Soort) -> Waarde {
        Waarde { tekst: format(getal, soort), getal: Some(getal), soort, datum: None, verborgen: false }
    }

    pub fn tekst(tekst: impl Into<String>) -> Waarde {
        Waarde { tekst: tekst.into(), getal: None, soort: Soort::Tekst, datum: None, verborgen: false }
    }

    pub fn datum(datum: Option<chrono::NaiveDate>) -> Waarde {
        Waarde {
            tekst: datum.map(|d| d.format("%d-%m-%Y").to_string()).unwrap_or_else(|| "-".into()),
            getal: None,
            soort: Soort::Datum,
            datum,
            verborgen: false,
        }
    }

    /// No value: nothing to divide by, or not known yet.
    pub fn leeg(soort: Soort) -> Waarde {
        Waarde { tekst: "-".into(), getal: None, soort, datum: None, verborgen: false }
    }

    fn verborgen(tekst: &str, soort: Soort) -> Waarde {
        Waarde { tekst: tekst.into(), getal: None, soort, datum: None, verborgen: true }
    }

    fn of_leeg(getal: Option<Decimal>, soort: Soort) -> Waarde {
        getal.map_or_else(|| Waarde::leeg(soort), |g| Waarde::getoond(g, soort))
    }
}

pub fn format(getal: Decimal, soort: Soort) -> String {
    match soort {
        Soort::Aantal => dutch::whole(getal),
        Soort::Procent => dutch::percent(getal),
        Soort::PerDuizend | Soort::Dagen | Soort::Cijfer => dutch::one_decimal(getal),
        Soort::Euro => dutch::euro(getal),
        Soort::EuroCent => dutch::euro_cents(getal),
        Soort::Tekst | Soort::Datum => getal.normalize().to_string(),
    }
}

/// Whose rules a report follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regels {
    /// The council's monitor: `raad`.
    Raad,
    /// A provider's pack: `pakket`.
    Pakket,
}

/// What the reports' declarations (`indicatoren.toml`, `tabellen.toml`) say
/// about a figure's column: enough for the rules to protect it.
#[derive(Debug, Clone, Copy)]
pub struct Kenmerken<'a> {
    pub kolom: &'a str,
    pub soort: Soort,
    /// A share or rate of counts: the count it is of, when not `kolom` itself.
    pub teller: Option<&'a str>,
    /// A share or rate of counts: the count it is over.
    pub noemer: Option<&'a str>,
    /// A share or mean over respondents or evaluations (or, for the council,
    /// a mean over this count).
    pub basis: Option<&'a str>,
    /// A share of money, not of people.
    pub geld: bool,
}

/// A figure of `row` as the report's rules let it be shown: the one door
/// every figure of every report passes.
pub fn figuur(regels: Regels, kenmerken: &Kenmerken, row: Option<&Row>) -> Waarde {
    let soort = kenmerken.soort;
    let Some(row) = row else { return Waarde::leeg(soort) };
    let cell = row.get(kenmerken.kolom);
    let count = |column: Option<&str>| column.and_then(|c| row.get(c).count());
    match (regels, soort) {
        (Regels::Raad, Soort::Euro | Soort::EuroCent) => raad::bedrag(cell.number(), soort),
        (Regels::Raad, Soort::Procent | Soort::PerDuizend) if kenmerken.geld => raad::bedrag(cell.number(), soort),
        (Regels::Raad, Soort::Procent | Soort::PerDuizend) => {
            let teller = match kenmerken.teller {
                Some(teller) => row.get(teller).count(),
                None => cell.count(),
            };
            raad::aandeel(teller, count(kenmerken.noemer), soort)
        }
        (Regels::Raad, _) if kenmerken.basis.is_some() => {
            raad::gemiddelde(cell.number(), count(kenmerken.basis), soort)
        }
        // Anything else is treated as a count: rounded, or secret.
        (Regels::Raad, _) => raad::aantal(cell.count()),
        (Regels::Pakket, _) if kenmerken.basis.is_some() => pakket::over(cell.number(), count(kenmerken.basis), soort),
        (Regels::Pakket, _) => pakket::exact(cell.number(), soort),
    }
}

/// The council's rules.
pub mod raad {
    use super::*;

    /// A true count as the council may see it: `None` for 0-7, else rounded to
    /// the nearest multiple of 5 (8 and 12 become 10, 13 becomes 15).
    pub fn afgerond(aantal: i64) -> Option<i64> {
        if aantal <= MAX_GEHEIM { None } else { Some((aantal + 2) / 5 * 5) }
    }

    pub fn aantal(aantal: Option<i64>) -> Waarde {
        match aantal {
            None => Waarde::leeg(Soort::Aantal),
            Some(n) => match afgerond(n) {
                None => Waarde::verborgen(GEHEIM, Soort::Aantal),
                Some(r) => Waarde::getoond(Decimal::from(r), Soort::Aantal),
            },
        }
    }

    /// `schaal` × teller / noemer over the rounded counts (100 for a
    /// percentage, 1000 for a rate per 1,000); secret when either count is.
    pub fn aandeel(teller: Option<i64>, noemer: Option<i64>, soort: Soort) -> Waarde {
        let schaal = if soort == Soort::PerDuizend { Decimal::ONE_THOUSAND } else { Decimal::ONE_HUNDRED };
        let (Some(teller), Some(noemer)) = (teller, noemer) else { return Waarde::leeg(soort) };
        match (afgerond(teller), afgerond(noemer)) {
            (None, _) | (_, None) => Waarde::verborgen(GEHEIM, soort),
            (Some(teller), Some(noemer)) => {
                let share = schaal * Decimal::from(teller) / Decimal::from(noemer);
                Waarde::getoond(share.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero), soort)
            }
        }
    }

    /// A mean over `aantal` observations, hidden when that count is.
    pub fn gemiddelde(gemiddelde: Option<Decimal>, aantal: Option<i64>, soort: Soort) -> Waarde {
        match aantal.and_then(afgerond) {
            None if gemiddelde.is_some() => Waarde::verborgen(GEHEIM, soort),
            _ => Waarde::of_leeg(gemiddelde, soort),
        }
    }

    /// Money, and shares of money: not counts of people, shown exactly.
    pub fn bedrag(getal: Option<Decimal>, soort: Soort) -> Waarde {
        Waarde::of_leeg(getal, soort)
    }
}

/// The rules of a provider's pack.
pub mod pakket {
    use super::*;

    /// Counts, money and medians of days: exact.
    pub fn exact(getal: Option<Decimal>, soort: Soort) -> Waarde {
        Waarde::of_leeg(getal, soort)
    }

    /// A share or mean over `waarnemingen` respondents or evaluations.
    pub fn over(getal: Option<Decimal>, waarnemingen: Option<i64>, soort: Soort) -> Waarde {
        if waarnemingen.unwrap_or(0) < MIN_WAARNEMINGEN {
            return Waarde::verborgen(TE_WEINIG, soort);
        }
        Waarde::of_leeg(getal, soort)
    }

    /// The peers' median and quartiles.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct Kwartielen {
        pub p25: Waarde,
        pub mediaan: Waarde,
        pub p75: Waarde,
        pub aanbieders: usize,
    }

    /// The peers' median and quartiles as `kpi_aanbieder_vergelijking` has
    /// them, or nothing under 5 providers with a value.
    pub fn vergelijking(aanbieders: i64, kwartielen: [Option<Decimal>; 3], soort: Soort) -> Option<Kwartielen> {
        let aanbieders = usize::try_from(aanbieders).ok().filter(|n| *n >= MIN_AANBIEDERS)?;
        let [p25, mediaan, p75] = kwartielen.map(|k| k.map(|v| Waarde::getoond(v, soort)));
        Some(Kwartielen { p25: p25?, mediaan: mediaan?, p75: p75?, aanbieders })
    }
}
