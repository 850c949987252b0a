//! Numbers as Dutch readers write them: `12.345`, `€ 1.234.567`, `98,5%`.
//! Display rounds half away from zero (indicators.md); the figures themselves
//! stay exact until here.

use rust_decimal::{Decimal, RoundingStrategy};

/// A count or whole amount with thousands separators: 12.345.
pub fn whole(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let digits = rounded.abs().trunc().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if rounded.is_sign_negative() && !rounded.is_zero() { format!("-{out}") } else { out }
}

/// Euro without cents: € 1.234.567.
pub fn euro(value: Decimal) -> String {
    format!("€ {}", whole(value))
}

/// One decimal, decimal comma: 98,5.
pub fn one_decimal(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    let whole_part = whole(rounded.trunc());
    let tenth = ((rounded.abs() - rounded.abs().trunc()) * Decimal::TEN).trunc();
    let sign = if rounded.is_sign_negative() && rounded.trunc().is_zero() && !rounded.is_zero() { "-" } else { "" };
    format!("{sign}{whole_part},{tenth}")
}

/// A percentage: 98,5%.
pub fn percent(value: Decimal) -> String {
    format!("{}%", one_decimal(value))
}

/// A month as a reader says it: "augustus 2019", from `2019-08` (the text
/// form the kpi tables use); anything else as it is.
pub fn month_name(text: &str) -> String {
    const MAANDEN: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    let named = text.split_once('-').and_then(|(year, month)| {
        let index = month.parse::<usize>().ok()?.checked_sub(1)?;
        Some(format!("{} {year}", MAANDEN.get(index)?))
    });
    named.unwrap_or_else(|| text.to_string())
}

/// Words joined as Dutch lists them: "a", "a en b", "a, b en c".
pub fn list(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} en {last}", rest.join(", ")),
    }
}

/// Euro with cents: € 1.234,56.
pub fn euro_cents(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let cents = ((rounded.abs() - rounded.abs().trunc()) * Decimal::ONE_HUNDRED).trunc();
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    format!("{sign}€ {},{cents:0>2}", whole(rounded.abs().trunc()))
}
