//! Progress bars for long runs; hidden when stderr is not a terminal or when
//! the caller asks for quiet, so logs and tests stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar over bytes.
pub fn bar(len: u64, what: &str, show: bool) -> ProgressBar {
    styled(len, show, &format!("{what:>10} [{{bar:40}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} eta {{eta}}"))
}

/// A bar over a count of things.
pub fn counter(len: u64, what: &str, show: bool) -> ProgressBar {
    styled(len, show, &format!("{what:>10} [{{bar:40}}] {{pos}}/{{len}} eta {{eta}} {{msg}}"))
}

fn styled(len: u64, show: bool, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if !show || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
