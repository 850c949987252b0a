//! Period names as users type them: a quarter `2019-Q3` or a half-year `2019-H2`.

use crate::error::{Error, Result};

/// Checks the spelling of a period; whether it has data is for the lake to say.
pub fn parse(text: &str) -> Result<String> {
    let text = text.trim().to_ascii_uppercase();
    let valid = match text.as_bytes() {
        [y1, y2, y3, y4, b'-', kind, n] => {
            [y1, y2, y3, y4].iter().all(|b| b.is_ascii_digit())
                && match kind {
                    b'Q' => (b'1'..=b'4').contains(n),
                    b'H' => (b'1'..=b'2').contains(n),
                    _ => false,
                }
        }
        _ => false,
    };
    if valid {
        Ok(text)
    } else {
        Err(Error::Invalid(format!("{text:?} is not a period: write a quarter as 2019-Q3 or a half-year as 2019-H2")))
    }
}
