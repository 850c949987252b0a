//! iWmo 3.2 XML as providers' and the gemeente's systems write it: each
//! sender has its own namespace habits (a default namespace, `wmoNNN:`
//! prefixes, or a local `m:` with `b:` re-declared on each element).

use std::fmt::Write;

const BASE_NS: &str = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema";

pub struct Message {
    out: String,
    message: &'static str,
    style: u8,
    depth: usize,
}

pub struct Header<'a> {
    pub code: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub id: &'a str,
    pub dated: &'a str,
}

pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

impl Message {
    /// Starts a message `wmoNNN` with its header.
    pub fn new(message: &'static str, style: u8, header: &Header) -> Message {
        let ns = format!("http://www.istandaarden.nl/iwmo/3_2/{message}/schema");
        let mut out = String::with_capacity(4096);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = match style {
            0 => writeln!(out, "<Bericht xmlns=\"{ns}\" xmlns:iwmo=\"{BASE_NS}\">"),
            1 => writeln!(out, "<{message}:Bericht xmlns:{message}=\"{ns}\" xmlns:iwmo=\"{BASE_NS}\">"),
            _ => writeln!(out, "<m:Bericht xmlns:m=\"{ns}\">"),
        };
        let mut msg = Message { out, message, style, depth: 1 };
        msg.open("Header");
        msg.leaf("BerichtCode", header.code);
        msg.leaf("BerichtVersie", "3");
        msg.leaf("BerichtSubversie", "2");
        msg.leaf("Afzender", header.from);
        msg.leaf("Ontvanger", header.to);
        msg.open("BerichtIdentificatie");
        msg.base("Identificatie", header.id);
        msg.base("Dagtekening", header.dated);
        msg.close("BerichtIdentificatie");
        msg.open("XsdVersie");
        msg.base("BasisschemaXsdVersie", "1.0.0");
        msg.base("BerichtXsdVersie", "1.0.0");
        msg.close("XsdVersie");
        msg.close("Header");
        msg
    }

    fn name(&self, local: &str) -> String {
        match self.style {
            0 => local.to_string(),
            1 => format!("{}:{local}", self.message),
            _ => format!("m:{local}"),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub fn open(&mut self, local: &str) {
        self.indent();
        let name = self.name(local);
        let _ = writeln!(self.out, "<{name}>");
        self.depth += 1;
    }

    pub fn close(&mut self, local: &str) {
        self.depth -= 1;
        self.indent();
        let name = self.name(local);
        let _ = writeln!(self.out, "</{name}>");
    }

    /// An element of the message's own namespace.
    pub fn leaf(&mut self, local: &str, value: &str) {
        self.indent();
        let name = self.name(local);
        let _ = writeln!(self.out, "<{name}>{}</{name}>", escape(value));
    }

    /// An element of the shared basisschema namespace.
    pub fn base(&mut self, local: &str, value: &str) {
        self.indent();
        let value = escape(value);
        let _ = match self.style {
            0 | 1 => writeln!(self.out, "<iwmo:{local}>{value}</iwmo:{local}>"),
            _ => writeln!(self.out, "<b:{local} xmlns:b=\"{BASE_NS}\">{value}</b:{local}>"),
        };
    }

    pub fn finish(mut self) -> String {
        let name = self.name("Bericht");
        let _ = writeln!(self.out, "</{name}>");
        self.out
    }

    /// A body fragment written with this message's habits, to be spooled.
    pub fn fragment(message: &'static str, style: u8, depth: usize) -> Message {
        Message { out: String::with_capacity(1024), message, style, depth }
    }

    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}
