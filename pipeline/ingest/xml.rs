//! Streaming iWmo XML: the document is read event by event, and each record
//! element (a `Client`) is handed over as a small tree as soon as it closes,
//! so memory stays bounded by one record whatever the file's size.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

#[derive(Debug, Default)]
pub struct Element {
    /// Local name; prefixes are free in iWmo, so they are dropped.
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
    /// Byte offsets of the element in the file.
    pub start: usize,
    pub end: usize,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a `/`-separated path of local names below this one.
    pub fn at(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |el, name| el.child(name))
    }

    /// Trimmed text at `path`; `None` when missing or empty.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path).map(|e| e.text.trim()).filter(|t| !t.is_empty())
    }
}

#[derive(Debug)]
pub struct XmlError {
    pub offset: usize,
    pub message: String,
}

/// 1-based line of a byte offset, for messages.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The namespace and local name of the root element.
pub fn root_of(text: &str) -> Result<(String, String), XmlError> {
    let mut reader = NsReader::from_str(text);
    loop {
        let offset = reader.buffer_position() as usize;
        match reader.read_resolved_event() {
            Ok((ns, Event::Start(e) | Event::Empty(e))) => {
                let namespace = match ns {
                    ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                    _ => String::new(),
                };
                return Ok((namespace, String::from_utf8_lossy(e.local_name().as_ref()).into_owned()));
            }
            Ok((_, Event::Eof)) => return Err(XmlError { offset, message: "the file has no root element".into() }),
            Ok(_) => {}
            Err(e) => return Err(XmlError { offset: reader.error_position() as usize, message: e.to_string() }),
        }
    }
}

/// Reads the whole document. Every element named `record` is passed to
/// `on_record` with its open ancestors (root first, each holding the children
/// closed so far) and its 1-based number; it is not kept. Returns the root
/// without its records.
pub fn stream(
    text: &str,
    record: &str,
    on_record: &mut dyn FnMut(&[Element], Element, usize),
) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut records = 0;
    let mut root = None;
    let error =
        |reader: &NsReader<&[u8]>, message: String| XmlError { offset: reader.error_position() as usize, message };
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| error(&reader, e.to_string()))?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(XmlError { offset, message: "content after the root element".into() });
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Element { name, start: offset, ..Element::default() });
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let element =
                    Element { name, start: offset, end: reader.buffer_position() as usize, ..Element::default() };
                close(&mut stack, &mut root, element, record, &mut records, on_record);
            }
            Event::End(_) => {
                let Some(mut element) = stack.pop() else {
                    return Err(XmlError { offset, message: "an end tag without its start tag".into() });
                };
                element.end = reader.buffer_position() as usize;
                close(&mut stack, &mut root, element, record, &mut records, on_record);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let decoded = t.decode().map_err(|e| XmlError { offset, message: e.to_string() })?;
                    top.text.push_str(&decoded);
                } else if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(XmlError { offset, message: "text outside the root element".into() });
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().map_err(|e| XmlError { offset, message: e.to_string() })?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .map(str::to_string)
                            .ok_or_else(|| XmlError { offset, message: format!("unknown entity &{name};") })?
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(XmlError { offset, message: format!("the file ends inside <{}>", open.name) });
                }
                return root.ok_or(XmlError { offset, message: "the file has no root element".into() });
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

fn close(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
    record: &str,
    records: &mut usize,
    on_record: &mut dyn FnMut(&[Element], Element, usize),
) {
    if element.name == record && !stack.is_empty() {
        *records += 1;
        on_record(stack, element, *records);
    } else if let Some(parent) = stack.last_mut() {
        parent.children.push(element);
    } else {
        *root = Some(element);
    }
}
