//! The ingest run: list the new files, load each through its source, and
//! commit them to the lake in batches, each all or nothing. Inbox files move
//! to the archive only after their batch is committed, so a crash leaves
//! them in the inbox for the next run; their content hash keeps them from
//! being counted twice.

use super::recognise::{self, UNKNOWN};
use super::rules;
use super::source::{Context, Loaded};
use super::summary::IngestSummary;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lake::{KnownFiles, Lake, Table, TableBuffer, Value};
use crate::privacy::{self, Pseudonymiser};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub show_progress: bool,
    /// Test hook: stop with an error right after the first table part of
    /// the first batch is in place, as a crash would.
    #[doc(hidden)]
    pub fail_after_first_table_write: bool,
}

/// How many files the reader thread may read ahead of the parser; bounds
/// the memory of files in flight.
const READ_AHEAD: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Reference,
    Inbox,
}

struct Candidate {
    origin: Origin,
    path: PathBuf,
    /// Relative to its folder, with `/`.
    relative: String,
}

/// Where in the archive a file goes after its batch.
#[derive(Clone, Copy)]
enum Outcome {
    Loaded,
    PartlyLoaded,
    Rejected,
    Duplicate,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::Loaded => "geladen",
            Outcome::PartlyLoaded => "gedeeltelijk",
            Outcome::Rejected => "geweigerd",
            Outcome::Duplicate => "dubbel",
        }
    }

    fn archive_folder(self) -> &'static str {
        match self {
            Outcome::Loaded | Outcome::PartlyLoaded => "geladen",
            Outcome::Rejected => "geweigerd",
            Outcome::Duplicate => "dubbel",
        }
    }
}

struct Batch {
    load_id: i64,
    buffers: BTreeMap<Table, TableBuffer>,
    moves: Vec<(PathBuf, PathBuf)>,
    bytes: u64,
}

impl Batch {
    fn new(load_id: i64) -> Batch {
        Batch { load_id, buffers: BTreeMap::new(), moves: Vec::new(), bytes: 0 }
    }

    fn push(&mut self, table: Table, row: &[Value], lineage: &[Value]) -> Result<()> {
        self.buffers.entry(table).or_insert_with(|| TableBuffer::new(table)).push(row, lineage)
    }

    fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    fn commit(mut self, lake: &Lake, hook: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        let mut parts = Vec::new();
        for (table, buffer) in &mut self.buffers {
            parts.push((*table, buffer.finish()?));
        }
        lake.commit(self.load_id, parts, hook)?;
        tracing::info!(laad_id = self.load_id, files = self.moves.len(), "batch committed");
        let mut made = std::collections::HashSet::new();
        for (from, to) in &self.moves {
            if let Some(parent) = to.parent().filter(|p| !made.contains(*p)) {
                fs::create_dir_all(parent).map_err(Error::io("cannot create the archive folder", parent))?;
                made.insert(parent.to_path_buf());
            }
            move_file(from, to)?;
        }
        Ok(())
    }
}

pub fn ingest(config: &Config, options: &IngestOptions) -> Result<IngestSummary> {
    let started = Instant::now();
    let pseudonymiser = Pseudonymiser::new(&config.pseudonym_key()?);
    let context = Context { gemeente: &config.gemeente, pseudonymiser: &pseudonymiser };
    let lake = Lake::open(&config.paths.lake())?;
    let _lock = lake.lock()?;
    let mut summary = IngestSummary { batches_rolled_back: lake.recover()? as u64, ..IngestSummary::default() };
    if summary.batches_rolled_back > 0 {
        tracing::warn!(batches = summary.batches_rolled_back, "rolled back what an interrupted run left unfinished");
    }
    let mut known = lake.known_files()?;

    // Two walks over the folders, so no list of every file is kept: the
    // first only adds up sizes for the progress bar.
    let folders = [(&config.paths.reference, Origin::Reference), (&config.paths.inbox, Origin::Inbox)];
    let (mut total, mut files) = (0, 0);
    for (root, origin) in folders {
        walk(root, origin, &mut |candidate| {
            total += fs::metadata(&candidate.path).map(|m| m.len()).unwrap_or(0);
            files += 1;
            Ok(())
        })?;
    }
    known.reserve(files);
    let bar = crate::progress::bar(total, "ingest", options.show_progress);

    let mut failed_once = false;
    let mut hook = || {
        if options.fail_after_first_table_write && !failed_once {
            failed_once = true;
            return Err(Error::TestHookAbort);
        }
        Ok(())
    };
    let mut batch = Batch::new(lake.next_load_id()?);
    // A reader thread walks the folders and reads the next few files while
    // this thread parses and writes, so the file system's work overlaps the
    // parsing. Only this thread writes the lake.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(Candidate, Vec<u8>)>(READ_AHEAD);
    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || -> Result<()> {
            for (root, origin) in folders {
                walk(root, origin, &mut |candidate| {
                    let bytes = fs::read(&candidate.path).map_err(Error::io("cannot read", &candidate.path))?;
                    // The receiver is gone only when ingest already stopped on an error.
                    sender.send((candidate, bytes)).map_err(|_| Error::Invalid("ingest stopped".into()))
                })?;
            }
            Ok(())
        });
        let processed = (|| -> Result<()> {
            for (candidate, bytes) in receiver.iter() {
                let size = bytes.len() as u64;
                ingest_file(&candidate, bytes, config, &context, &mut known, &mut batch, &mut summary)?;
                bar.inc(size);
                if batch.bytes >= config.batch_bytes {
                    let next = batch.load_id + 1;
                    std::mem::replace(&mut batch, Batch::new(next)).commit(&lake, &mut hook)?;
                }
            }
            Ok(())
        })();
        // Lets a reader blocked on a full hand-off see that we stopped.
        drop(receiver);
        let read = reader.join().map_err(|_| Error::Invalid("the file reader stopped unexpectedly".into()))?;
        processed.and(read)
    })?;
    if !batch.is_empty() {
        batch.commit(&lake, &mut hook)?;
    }
    bar.finish_and_clear();
    remove_empty_folders(&config.paths.inbox);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn ingest_file(
    candidate: &Candidate,
    bytes: Vec<u8>,
    config: &Config,
    context: &Context,
    known: &mut KnownFiles,
    batch: &mut Batch,
    summary: &mut IngestSummary,
) -> Result<()> {
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let hash_hex = hex::encode(hash);
    let folder = match candidate.origin {
        Origin::Reference => "reference",
        Origin::Inbox => "inbox",
    };
    // File names may carry a BSN; the lake never does.
    let bestand = privacy::mask_bsn_like(&format!("{folder}/{}", candidate.relative));
    let now = Utc::now();

    if let Some(seen) = known.get(&hash, &bestand) {
        match candidate.origin {
            Origin::Reference => summary.reference_unchanged += 1,
            Origin::Inbox if seen.same_name => {
                // Loaded by a run that stopped before archiving it.
                move_file(&candidate.path, &archive_path(config, candidate, Outcome::Loaded, &hash_hex))?;
                summary.archived_after_interruption += 1;
            }
            Origin::Inbox => {
                tracing::info!(bestand = %bestand, "duplicate skipped");
                let row = laadlog_row(
                    batch.load_id,
                    &bestand,
                    &hash_hex,
                    bytes.len(),
                    seen.kind,
                    [0, 0, 0],
                    Outcome::Duplicate,
                    now,
                );
                batch.push(Table::Laadlog, &row, &[])?;
                batch
                    .moves
                    .push((candidate.path.clone(), archive_path(config, candidate, Outcome::Duplicate, &hash_hex)));
                summary.duplicates_skipped += 1;
            }
        }
        return Ok(());
    }

    let (kind, loaded) = match recognise::decode(&bytes) {
        Ok(text) => recognise::load(&text, context),
        Err(message) => (UNKNOWN, Loaded::rejected_file(&rules::FILE_ENCODING, "file".into(), message, "")),
    };
    let outcome = if loaded.file_rejected || (loaded.rows.is_empty() && !loaded.rejects.is_empty()) {
        Outcome::Rejected
    } else if loaded.rejects.is_empty() {
        Outcome::Loaded
    } else {
        Outcome::PartlyLoaded
    };

    let lineage = [Value::Int(batch.load_id), Value::Text(hash_hex.clone())];
    for (table, row) in &loaded.rows {
        batch.push(*table, row, &lineage)?;
        *summary.records.entry(table.name()).or_default() += 1;
    }
    for reject in &loaded.rejects {
        let message = privacy::mask_bsn_like(&reject.message);
        if matches!(outcome, Outcome::Rejected) && loaded.file_rejected {
            tracing::warn!(bestand = %bestand, rule = reject.rule.id, "file rejected: {message}");
        }
        let row = [
            Value::Int(batch.load_id),
            bestand.clone().into(),
            hash_hex.clone().into(),
            kind.into(),
            reject.location.clone().into(),
            reject.rule.id.into(),
            message.into(),
            privacy::scrub(&reject.raw).into(),
            Value::Timestamp(now),
        ];
        batch.push(Table::Quarantaine, &row, &[])?;
        *summary.quarantined.entry(reject.rule.id).or_default() += 1;
    }
    for warning in &loaded.warnings {
        *summary.warnings.entry(warning.id).or_default() += 1;
    }
    let counts = [loaded.rows.len(), loaded.rejects.len(), loaded.warnings.len()];
    let row = laadlog_row(batch.load_id, &bestand, &hash_hex, bytes.len(), kind, counts, outcome, now);
    batch.push(Table::Laadlog, &row, &[])?;

    match outcome {
        Outcome::Loaded => summary.files_loaded += 1,
        Outcome::PartlyLoaded => summary.files_partly_loaded += 1,
        Outcome::Rejected | Outcome::Duplicate => summary.files_rejected += 1,
    }
    if kind.starts_with("wmo") {
        summary.xml_bytes += bytes.len() as u64;
    }
    summary.bytes += bytes.len() as u64;
    batch.bytes += bytes.len() as u64;
    known.insert(&hash, &bestand, kind);
    if candidate.origin == Origin::Inbox {
        batch.moves.push((candidate.path.clone(), archive_path(config, candidate, outcome, &hash_hex)));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn laadlog_row(
    load_id: i64,
    bestand: &str,
    hash: &str,
    bytes: usize,
    kind: &str,
    [loaded, rejected, warnings]: [usize; 3],
    outcome: Outcome,
    now: chrono::DateTime<Utc>,
) -> Vec<Value> {
    vec![
        Value::Int(load_id),
        bestand.into(),
        hash.into(),
        Value::Int(bytes as i64),
        kind.into(),
        Value::Int(loaded as i64),
        Value::Int(rejected as i64),
        Value::Int(warnings as i64),
        outcome.name().into(),
        Value::Timestamp(now),
    ]
}

fn archive_path(config: &Config, candidate: &Candidate, outcome: Outcome, hash_hex: &str) -> PathBuf {
    let target = config.paths.archive.join(outcome.archive_folder()).join(&candidate.relative);
    if !target.exists() {
        return target;
    }
    // Another file of the same name was archived before: keep both.
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".{}", &hash_hex[..12]));
    target.with_file_name(name)
}

fn move_file(from: &Path, to: &Path) -> Result<()> {
    if fs::rename(from, to).is_err() {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(Error::io("cannot create the archive folder", parent))?;
        }
        if fs::rename(from, to).is_ok() {
            return Ok(());
        }
        // Another file system: copy, then remove the original.
        fs::copy(from, to).map_err(Error::io("cannot archive", from))?;
        fs::remove_file(from).map_err(Error::io("cannot remove the archived", from))?;
    }
    Ok(())
}

/// Visits every file under `root` in path order, folder by folder; hidden
/// files and spreadsheet lock files are left alone. A missing folder holds
/// nothing.
fn walk(root: &Path, origin: Origin, visit: &mut dyn FnMut(Candidate) -> Result<()>) -> Result<()> {
    walk_folder(root, root, origin, visit)
}

fn walk_folder(
    root: &Path,
    folder: &Path,
    origin: Origin,
    visit: &mut dyn FnMut(Candidate) -> Result<()>,
) -> Result<()> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("cannot list", folder)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io("cannot list", folder))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        // The entry's type comes with the listing; following a link needs a stat.
        let mut kind = entry.file_type().map_err(Error::io("cannot read", &entry.path()))?;
        if kind.is_symlink() {
            kind = fs::metadata(entry.path()).map_err(Error::io("cannot read", &entry.path()))?.file_type();
        }
        found.push((name, kind.is_dir(), kind.is_file()));
    }
    found.sort();
    for (name, is_dir, is_file) in found {
        let path = folder.join(&name);
        if is_dir {
            walk_folder(root, &path, origin, visit)?;
        } else if is_file {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            visit(Candidate { origin, path, relative })?;
        }
    }
    Ok(())
}

/// Month folders the archive emptied are removed; the inbox itself stays.
fn remove_empty_folders(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_empty_folders(&path);
            // Fails, as it should, when something is still in it.
            let _ = fs::remove_dir(&path);
        }
    }
}
