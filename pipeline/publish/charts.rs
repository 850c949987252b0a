//! Charts as inline SVG: no scripts, no fonts to fetch, sharp on paper. The
//! numbers here only place lines and bars; every number a reader sees as text
//! comes formatted from `disclosure`.

use super::disclosure::pakket::Kwartielen;
use super::disclosure::{Soort, Waarde};
use crate::html::escape;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

const INK: &str = "#1f3a5f";
const LIGHT: &str = "#c9d6e8";
const MUTED: &str = "#6b7280";

fn number(waarde: &Waarde) -> Option<f64> {
    waarde.getal.and_then(|d| d.to_f64())
}

/// The low and high end of a scale that holds every value, starting at 0 for
/// non-negative figures so that a small change does not look large.
fn scale(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for value in values {
        low = low.min(value);
        high = high.max(value);
    }
    if !low.is_finite() {
        return None;
    }
    let low = low.min(0.0);
    let high = if high <= low { low + 1.0 } else { high };
    Some((low, high))
}

/// A sparkline's size (the SVG's units, the PNG's at [`super::png::DENSITY`]).
pub const SPARKLINE: (f64, f64) = (160.0, 40.0);

/// Where a sparkline's lines and end dot go in its box: the line is broken
/// where a value is hidden or empty. `None` when no value is shown at all.
pub struct SparklineShape {
    pub segments: Vec<Vec<(f64, f64)>>,
    pub last: Option<(f64, f64)>,
}

/// The smallest range a sparkline's scale spans, by kind of figure, so that
/// a swing between 0 and 1 client (or 0,0% and 0,5%) stays a small ripple
/// instead of filling the box.
fn minimum_span(soort: Soort) -> f64 {
    match soort {
        Soort::Aantal | Soort::Procent | Soort::Dagen => 10.0,
        Soort::PerDuizend | Soort::Cijfer => 1.0,
        Soort::Euro | Soort::EuroCent => 1000.0,
        Soort::Tekst | Soort::Datum => 1.0,
    }
}

pub fn sparkline_shape(waarden: &[Waarde]) -> Option<SparklineShape> {
    let ((width, height), pad) = (SPARKLINE, 4.0);
    let (low, high) = scale(waarden.iter().filter_map(number))?;
    let soort = waarden.iter().find(|w| w.getal.is_some()).map_or(Soort::Aantal, |w| w.soort);
    let high = high.max(low + minimum_span(soort));
    let step = if waarden.len() > 1 { (width - 2.0 * pad) / (waarden.len() - 1) as f64 } else { 0.0 };
    let y = |v: f64| height - pad - (v - low) / (high - low) * (height - 2.0 * pad);
    let mut segments = vec![Vec::new()];
    for (i, waarde) in waarden.iter().enumerate() {
        match number(waarde) {
            Some(v) => segments.last_mut().map_or((), |s| s.push((pad + step * i as f64, y(v)))),
            None => segments.push(Vec::new()),
        }
    }
    segments.retain(|s| s.len() > 1);
    let last = waarden.last().and_then(number).map(|v| (pad + step * (waarden.len() - 1) as f64, y(v)));
    Some(SparklineShape { segments, last })
}

/// A small trend line over the periods; gaps where a value is hidden or empty.
pub fn sparkline(waarden: &[Waarde], titel: &str) -> String {
    let Some(shape) = sparkline_shape(waarden) else { return String::new() };
    let (width, height) = SPARKLINE;
    let mut svg = format!(
        r#"<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(titel)
    );
    for segment in &shape.segments {
        let points: Vec<String> = segment.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ =
            write!(svg, r#"<polyline fill="none" stroke="{INK}" stroke-width="1.5" points="{}"/>"#, points.join(" "));
    }
    if let Some((x, y)) = shape.last {
        let _ = write!(svg, r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{INK}"/>"#);
    }
    svg.push_str("</svg>");
    svg
}

/// The peers' quartiles as a box, the median as a line, the provider as a dot.
pub fn kwartielen(kwartielen: &Kwartielen, eigen: &Waarde, titel: &str) -> String {
    let (width, height, pad) = (220.0, 30.0, 6.0);
    let points = [&kwartielen.p25, &kwartielen.mediaan, &kwartielen.p75, eigen];
    let Some((low, high)) = scale(points.iter().filter_map(|w| number(w))) else { return String::new() };
    let x = |v: f64| pad + (v - low) / (high - low) * (width - 2.0 * pad);
    let mut svg = format!(
        r#"<svg class="kwartielen" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title><line x1="{pad}" y1="15" x2="{}" y2="15" stroke="{MUTED}" stroke-width="0.5"/>"#,
        width - pad,
        t = escape(titel)
    );
    if let (Some(p25), Some(p50), Some(p75)) =
        (number(&kwartielen.p25), number(&kwartielen.mediaan), number(&kwartielen.p75))
    {
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="8" width="{:.1}" height="14" fill="{LIGHT}"/><line x1="{m:.1}" y1="6" x2="{m:.1}" y2="24" stroke="{INK}" stroke-width="1.5"/>"#,
            x(p25),
            (x(p75) - x(p25)).max(1.0),
            m = x(p50)
        );
    }
    if let Some(v) = number(eigen) {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="15" r="4.5" fill="#d9480f" stroke="white" stroke-width="1"/>"##,
            x(v)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars with their label and value; a hidden value has no bar.
pub fn staven(rijen: &[(String, Waarde)], titel: &str) -> String {
    let (label_width, bar_width, row) = (190.0, 240.0, 20.0);
    let height = row * rijen.len() as f64 + 4.0;
    let Some((low, high)) = scale(rijen.iter().filter_map(|(_, w)| number(w))) else { return String::new() };
    let width = label_width + bar_width + 90.0;
    let mut svg = format!(
        r#"<svg class="staven" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(titel)
    );
    for (i, (label, waarde)) in rijen.iter().enumerate() {
        let top = 2.0 + row * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="{INK}">{}</text>"#,
            label_width - 6.0,
            top + 13.0,
            escape(label)
        );
        let length = number(waarde).map_or(0.0, |v| (v - low) / (high - low) * bar_width);
        if length > 0.0 {
            let _ = write!(
                svg,
                r#"<rect x="{label_width}" y="{:.1}" width="{length:.1}" height="14" fill="{INK}"/>"#,
                top + 2.0
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{MUTED}">{}</text>"#,
            label_width + length + 4.0,
            top + 13.0,
            escape(&waarde.tekst)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line chart of one figure over the periods, with the periods below.
pub fn lijn(waarden: &[Waarde], perioden: &[String], titel: &str) -> String {
    // Room on the right for the last period's label, above for the title.
    let (width, height, left, right, bottom, top) = (520.0, 190.0, 56.0, 30.0, 24.0, 28.0);
    let Some((zero, high)) = scale(waarden.iter().filter_map(number)) else { return String::new() };
    // A figure that moves little around a large level (5.180 to 5.240 clients)
    // would be a flat line on an axis from 0: the axis starts at the lowest
    // value then, and its label says so.
    let lowest_value = waarden.iter().filter_map(number).fold(f64::INFINITY, f64::min);
    let low =
        if lowest_value > 0.0 && high - lowest_value < high / 2.0 && high > lowest_value { lowest_value } else { zero };
    let plot_width = width - left - right;
    let step = if waarden.len() > 1 { plot_width / (waarden.len() - 1) as f64 } else { 0.0 };
    let y = |v: f64| top + (1.0 - (v - low) / (high - low)) * (height - top - bottom);
    let mut svg = format!(
        r#"<svg class="lijn" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = escape(titel)
    );
    let _ = write!(
        svg,
        r#"<text x="{left}" y="14" font-size="11" font-weight="600" fill="{INK}">{}</text>"#,
        escape(titel)
    );
    // Gridlines at 0 (or the lowest value) and at the highest value, labelled with
    // that value's own published text: a label in between would be a number no
    // figure has (and could look like a count the council must not see).
    let highest = waarden.iter().filter(|w| number(w).is_some()).max_by(|a, b| a.getal.cmp(&b.getal));
    let lowest = waarden.iter().filter(|w| number(w).is_some()).min_by(|a, b| a.getal.cmp(&b.getal));
    let zero_label = if low == 0.0 { Some("0".to_string()) } else { lowest.map(|w| w.tekst.clone()) };
    for (v, label) in [(low, zero_label), (high, highest.filter(|w| number(w) == Some(high)).map(|w| w.tekst.clone()))]
    {
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{LIGHT}" stroke-width="0.5"/>"#,
            width - right,
            yy = y(v)
        );
        if let Some(label) = label {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="{MUTED}">{}</text>"#,
                left - 4.0,
                y(v) + 3.0,
                escape(&label)
            );
        }
    }
    let mut points = Vec::new();
    for (i, (waarde, periode)) in waarden.iter().zip(perioden).enumerate() {
        let x = left + step * i as f64;
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="{MUTED}">{}</text>"#,
            height - 6.0,
            escape(periode)
        );
        if let Some(v) = number(waarde) {
            points.push(format!("{x:.1},{:.1}", y(v)));
            let _ = write!(svg, r#"<circle cx="{x:.1}" cy="{:.1}" r="3" fill="{INK}"/>"#, y(v));
        }
    }
    if points.len() > 1 {
        let _ = write!(svg, r#"<polyline fill="none" stroke="{INK}" stroke-width="2" points="{}"/>"#, points.join(" "));
    }
    svg.push_str("</svg>");
    svg
}
