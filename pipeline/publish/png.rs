//! Charts as PNG, for mail bodies: mail clients drop SVG. Drawn with
//! tiny-skia from the same shapes as the SVG charts. They carry no text: the
//! figure and its label stand beside the image, formatted by `disclosure`.

use super::charts::{SPARKLINE, sparkline_shape};
use super::disclosure::Waarde;
use crate::error::{Error, Result};
use tiny_skia::{Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform};

/// Pixels per SVG unit: sharp on high-density screens at the displayed size.
pub const DENSITY: f32 = 2.0;

/// The charts' ink, `#1f3a5f` as in the SVG charts.
fn ink() -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(0x1f, 0x3a, 0x5f, 0xff);
    paint.anti_alias = true;
    paint
}

/// The sparkline of a trend as PNG bytes, on white (dark-mode mail clients
/// would lose a dark line on a transparent background); `None` when no value
/// is shown.
/// The size a sparkline is shown at, in CSS pixels (its PNG has [`DENSITY`] times as many).
pub const SHOWN_SIZE: (f64, f64) = SPARKLINE;

pub fn sparkline(waarden: &[Waarde]) -> Result<Option<Vec<u8>>> {
    let Some(shape) = sparkline_shape(waarden) else { return Ok(None) };
    let (width, height) = SPARKLINE;
    let bug = |what: &str| Error::Invalid(format!("cannot draw a sparkline: {what} (this is a bug in wmo-monitor)"));
    let mut pixmap = Pixmap::new((width as f32 * DENSITY) as u32, (height as f32 * DENSITY) as u32)
        .ok_or_else(|| bug("no canvas"))?;
    pixmap.fill(Color::WHITE);
    let scale = Transform::from_scale(DENSITY, DENSITY);
    let stroke = Stroke { width: 1.5, line_cap: LineCap::Round, line_join: LineJoin::Round, ..Stroke::default() };
    for segment in &shape.segments {
        let mut path = PathBuilder::new();
        for (i, (x, y)) in segment.iter().enumerate() {
            let (x, y) = (*x as f32, *y as f32);
            if i == 0 { path.move_to(x, y) } else { path.line_to(x, y) }
        }
        if let Some(path) = path.finish() {
            pixmap.stroke_path(&path, &ink(), &stroke, scale, None);
        }
    }
    if let Some((x, y)) = shape.last
        && let Some(dot) = PathBuilder::from_circle(x as f32, y as f32, 2.5)
    {
        pixmap.fill_path(&dot, &ink(), FillRule::Winding, scale, None);
    }
    pixmap.encode_png().map(Some).map_err(|e| bug(&e.to_string()))
}
