//! Text into HTML (reports, SVG charts and mail bodies): the four characters
//! that could end an element or a double-quoted attribute are written as entities.

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
