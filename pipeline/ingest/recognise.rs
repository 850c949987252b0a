//! From bytes to text, and from text to the source that reads it: by content
//! (XML namespace, CSV header), never by file name.

use super::rules;
use super::source::{Context, Input, Loaded, Sniff, Source};
use super::{SOURCES, iwmo, xml};
use std::borrow::Cow;

/// Kind recorded for a file no source recognised.
pub const UNKNOWN: &str = "onbekend";

/// Decodes a file: a BOM decides first; XML honours the encoding its
/// declaration names; otherwise UTF-8, and Windows-1252 for spreadsheet text
/// that is not valid UTF-8.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return if had_errors { Err(format!("the file is not valid {}", encoding.name())) } else { Ok(text) };
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    if bytes[start..].starts_with(b"<?xml") {
        if let Some(encoding) = declared_encoding(&bytes[start..])
            && encoding != encoding_rs::UTF_8
        {
            let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
            return if had_errors { Err(format!("the file is not valid {}", encoding.name())) } else { Ok(text) };
        }
        return std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| format!("the file is not valid UTF-8: {e}"));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
    }
}

fn declared_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let end = bytes.iter().position(|&b| b == b'>')?;
    let declaration = std::str::from_utf8(&bytes[..end]).ok()?;
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = after[quote.len_utf8()..].split(quote).next()?;
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
}

/// Finds the source for a file and lets it load; returns its kind too.
pub fn load(text: &str, context: &Context) -> (&'static str, Loaded) {
    let input = Input { text };
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        let (namespace, root) = match xml::root_of(text) {
            Ok(root) => root,
            Err(e) => {
                let location = format!("line {}", xml::line_of(text, e.offset));
                let message = format!("not well-formed XML: {}", e.message);
                return (UNKNOWN, Loaded::rejected_file(&rules::XML_MALFORMED, location, message, text));
            }
        };
        let sniff = Sniff::Xml { namespace: &namespace, root: &root };
        if let Some(source) = find(&sniff) {
            return (source.kind(), source.load(&input, context));
        }
        let (rule, message) = if namespace.starts_with(iwmo::NAMESPACE_PREFIX) {
            (&rules::XML_VERSION, format!("{namespace} is not an iWmo 3.2 message ingest reads"))
        } else {
            (&rules::FILE_UNKNOWN, format!("root element {root} in namespace {namespace:?} is no iWmo 3.2 message"))
        };
        return (UNKNOWN, Loaded::rejected_file(rule, "/".into(), message, text));
    }
    if let Some(header) = super::csv_dialect::header(text)
        && let Some(source) = find(&Sniff::Csv { header: &header })
    {
        return (source.kind(), source.load(&input, context));
    }
    let first_line = text.lines().next().unwrap_or("");
    let message = "the content is no iWmo 3.2 message and its header matches no known CSV export".to_string();
    (UNKNOWN, Loaded::rejected_file(&rules::FILE_UNKNOWN, "line 1".into(), message, first_line))
}

fn find(sniff: &Sniff) -> Option<&'static dyn Source> {
    SOURCES.iter().copied().find(|s| s.recognise(sniff))
}
