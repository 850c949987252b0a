//! The files the lake has seen, by content hash. Ingest keeps one entry per
//! file ever loaded (millions at national scale), so an entry is 21 bytes:
//! 128 bits of the SHA-256, a 32-bit fingerprint of the name it was loaded
//! under, and the index of its kind.

use std::collections::HashMap;

#[derive(Default)]
pub struct KnownFiles {
    entries: HashMap<[u8; 16], Entry>,
    kinds: Vec<String>,
}

#[derive(Clone, Copy)]
struct Entry {
    name: u32,
    kind: u8,
}

/// What is known of a file whose content was seen before.
pub struct Seen<'a> {
    /// It was loaded under this same name: an interrupted run's file.
    pub same_name: bool,
    pub kind: &'a str,
}

fn key(hash: &[u8; 32]) -> [u8; 16] {
    let mut key = [0u8; 16];
    key.copy_from_slice(&hash[..16]);
    key
}

fn name_fingerprint(name: &str) -> u32 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

impl KnownFiles {
    /// Room for `more` files, reserved at once: growing step by step would
    /// briefly hold the old and the new table together.
    pub fn reserve(&mut self, more: usize) {
        self.entries.reserve(more);
    }

    pub fn insert(&mut self, hash: &[u8; 32], name: &str, kind: &str) {
        let kind = match self.kinds.iter().position(|k| k == kind) {
            Some(index) => index,
            None => {
                self.kinds.push(kind.to_string());
                self.kinds.len() - 1
            }
        };
        let entry = Entry { name: name_fingerprint(name), kind: u8::try_from(kind).unwrap_or(u8::MAX) };
        self.entries.entry(key(hash)).or_insert(entry);
    }

    pub fn get(&self, hash: &[u8; 32], name: &str) -> Option<Seen<'_>> {
        let entry = self.entries.get(&key(hash))?;
        Some(Seen {
            same_name: entry.name == name_fingerprint(name),
            kind: self.kinds.get(usize::from(entry.kind)).map_or("onbekend", String::as_str),
        })
    }
}
