//! The reporting period, the one value every stage passes on: a quarter
//! (`2019-Q3`) or a half-year (`2019-H2`). Its rules live here alone: the
//! spelling users type, the one text form (the only way a period reaches SQL,
//! a file name or a mail), its Dutch name, its dates, and which period is due
//! on a given day.

use crate::error::{Error, Result};
use chrono::{Datelike, Duration, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A quarter or a half-year of one calendar year. Ordered by start, then
/// length (so `2019-Q1 < 2019-H1 < 2019-Q2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Periode {
    jaar: i32,
    deel: Deel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deel {
    /// Quarter 1 to 4.
    Kwartaal(u8),
    /// Half-year 1 or 2.
    Halfjaar(u8),
}

impl Periode {
    pub fn kwartaal(jaar: i32, kwartaal: u8) -> Result<Self> {
        Self::new(jaar, Deel::Kwartaal(kwartaal))
    }

    pub fn halfjaar(jaar: i32, halfjaar: u8) -> Result<Self> {
        Self::new(jaar, Deel::Halfjaar(halfjaar))
    }

    fn new(jaar: i32, deel: Deel) -> Result<Self> {
        let valid = (0..=9999).contains(&jaar)
            && match deel {
                Deel::Kwartaal(n) => (1..=4).contains(&n),
                Deel::Halfjaar(n) => (1..=2).contains(&n),
            };
        if valid { Ok(Periode { jaar, deel }) } else { Err(not_a_period(&format!("{jaar}-{deel:?}"))) }
    }

    pub fn jaar(&self) -> i32 {
        self.jaar
    }

    pub fn deel(&self) -> Deel {
        self.deel
    }

    pub fn is_kwartaal(&self) -> bool {
        matches!(self.deel, Deel::Kwartaal(_))
    }

    /// Same kind of period (both quarters or both half-years).
    pub fn zelfde_soort(&self, other: &Periode) -> bool {
        self.is_kwartaal() == other.is_kwartaal()
    }

    /// Months in the period: 3 or 6.
    pub fn maanden(&self) -> u32 {
        match self.deel {
            Deel::Kwartaal(_) => 3,
            Deel::Halfjaar(_) => 6,
        }
    }

    /// The first day of the period.
    pub fn begin(&self) -> NaiveDate {
        let first_month = match self.deel {
            Deel::Kwartaal(n) => 3 * u32::from(n) - 2,
            Deel::Halfjaar(n) => 6 * u32::from(n) - 5,
        };
        // Years and parts are checked on construction, so the date exists.
        NaiveDate::from_ymd_opt(self.jaar, first_month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the period.
    pub fn eind(&self) -> NaiveDate {
        self.volgende().begin() - Duration::days(1)
    }

    /// The period of the same kind that follows this one.
    pub fn volgende(&self) -> Periode {
        match self.deel {
            Deel::Kwartaal(4) => Periode { jaar: self.jaar + 1, deel: Deel::Kwartaal(1) },
            Deel::Kwartaal(n) => Periode { jaar: self.jaar, deel: Deel::Kwartaal(n + 1) },
            Deel::Halfjaar(2) => Periode { jaar: self.jaar + 1, deel: Deel::Halfjaar(1) },
            Deel::Halfjaar(n) => Periode { jaar: self.jaar, deel: Deel::Halfjaar(n + 1) },
        }
    }

    /// The period of the same kind before this one.
    pub fn vorige(&self) -> Periode {
        match self.deel {
            Deel::Kwartaal(1) => Periode { jaar: self.jaar - 1, deel: Deel::Kwartaal(4) },
            Deel::Kwartaal(n) => Periode { jaar: self.jaar, deel: Deel::Kwartaal(n - 1) },
            Deel::Halfjaar(1) => Periode { jaar: self.jaar - 1, deel: Deel::Halfjaar(2) },
            Deel::Halfjaar(n) => Periode { jaar: self.jaar, deel: Deel::Halfjaar(n - 1) },
        }
    }

    /// This period and the `count - 1` of its kind before it, oldest first.
    pub fn reeks_tot(&self, count: usize) -> Vec<Periode> {
        let mut reeks = vec![*self];
        while reeks.len() < count {
            let eerste = reeks[0].vorige();
            reeks.insert(0, eerste);
        }
        reeks
    }

    /// The period as a reader says it: "4e kwartaal 2019", "2e halfjaar 2019".
    pub fn naam(&self) -> String {
        match self.deel {
            Deel::Kwartaal(n) => format!("{n}e kwartaal {}", self.jaar),
            Deel::Halfjaar(n) => format!("{n}e halfjaar {}", self.jaar),
        }
    }

    /// The latest quarter that ended at least `lag_days` days before `today`:
    /// the quarter a scheduled run reports on.
    pub fn laatste_afgesloten_kwartaal(today: NaiveDate, lag_days: u32) -> Periode {
        let day = today - Duration::days(i64::from(lag_days));
        let quarter = Periode { jaar: day.year(), deel: Deel::Kwartaal((day.month0() / 3 + 1) as u8) };
        // The quarter `day` falls in has ended only on its last day.
        if quarter.eind() == day { quarter } else { quarter.vorige() }
    }
}

impl Ord for Periode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.begin(), self.maanden()).cmp(&(other.begin(), other.maanden()))
    }
}

impl PartialOrd for Periode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The one text form: `2019-Q3`, `2019-H2`. It holds only digits, a dash and
/// `Q` or `H`, so it is safe wherever it is written, SQL included.
impl fmt::Display for Periode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.deel {
            Deel::Kwartaal(n) => write!(f, "{:04}-Q{n}", self.jaar),
            Deel::Halfjaar(n) => write!(f, "{:04}-H{n}", self.jaar),
        }
    }
}

/// What users type: case and surrounding spaces do not matter.
impl FromStr for Periode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let upper = text.trim().to_ascii_uppercase();
        let parsed = match upper.as_bytes() {
            [y1, y2, y3, y4, b'-', kind, n] if [y1, y2, y3, y4, n].iter().all(|b| b.is_ascii_digit()) => {
                let jaar = [y1, y2, y3, y4].iter().fold(0, |jaar, digit| jaar * 10 + i32::from(*digit - b'0'));
                let n = n - b'0';
                match kind {
                    b'Q' => Periode::kwartaal(jaar, n).ok(),
                    b'H' => Periode::halfjaar(jaar, n).ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        parsed.ok_or_else(|| not_a_period(&upper))
    }
}

fn not_a_period(text: &str) -> Error {
    Error::Invalid(format!("{text:?} is not a period: write a quarter as 2019-Q3 or a half-year as 2019-H2"))
}

/// A list of periods as SQL string literals, for `periode in (...)`.
pub fn sql_list(perioden: &[Periode]) -> String {
    perioden.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ")
}
