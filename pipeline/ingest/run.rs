//! The ingest run: list the new files, load each through its source, and
//! commit them to the lake in batches, each all or nothing. Inbox files move
//! to the archive only after their batch is committed, so a crash leaves
//! them in the inbox for the next run; their content hash keeps them from
//! being counted twice.

use super::checkpoints::{Checkpoints, Unobserved};
use super::recognise::{self, UNKNOWN};
use super::rules::{self, Rule};
use super::source::{Context, Herkomst, Loaded};
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
}

/// How many chunks of files read wait for a worker.
const READ_AHEAD: usize = 4;
/// A chunk: the files a worker takes at once.
const CHUNK_FILES: usize = 64;
const CHUNK_BYTES: u64 = 1 << 20;
/// What may be read but not yet recorded (waiting for a worker, being
/// parsed, or parsed while an earlier chunk is not): bounds the memory of
/// files in flight, however the workers' pace differs. A larger chunk still
/// goes, alone.
const IN_FLIGHT_BYTES: u64 = 64 << 20;
const IN_FLIGHT_CHUNKS: u64 = 16;

/// The bytes and chunks in flight, and whether ingest stopped.
struct InFlight {
    state: std::sync::Mutex<(u64, u64, bool)>,
    changed: std::sync::Condvar,
    max_bytes: u64,
    max_chunks: u64,
}

impl InFlight {
    fn new(max_bytes: u64, max_chunks: u64) -> Self {
        InFlight {
            state: std::sync::Mutex::new((0, 0, false)),
            changed: std::sync::Condvar::new(),
            max_bytes,
            max_chunks,
        }
    }

    /// Waits for room for one more chunk of `size` bytes; `None` once closed.
    fn acquire(&self, size: u64) -> Option<()> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            let (bytes, chunks, closed) = *state;
            if closed {
                return None;
            }
            if chunks == 0 || (bytes + size <= self.max_bytes && chunks < self.max_chunks) {
                *state = (bytes + size, chunks + 1, false);
                return Some(());
            }
            state = self.changed.wait(state).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn release(&self, size: u64) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 = state.0.saturating_sub(size);
        state.1 = state.1.saturating_sub(1);
        self.changed.notify_all();
    }

    fn close(&self) {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).2 = true;
        self.changed.notify_all();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Reference,
    Inbox,
}

impl Origin {
    /// How `laadlog.bestand` names the folder.
    fn folder(self) -> &'static str {
        match self {
            Origin::Reference => "reference",
            Origin::Inbox => "inbox",
        }
    }
}

struct Candidate {
    origin: Origin,
    path: PathBuf,
    /// Relative to its folder, as on disk (names need not be UTF-8).
    relative: PathBuf,
    /// `relative` for people and the lake: with `/`, non-UTF-8 bytes replaced.
    display: String,
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

/// An inbox file's identity and state when it was read: it is archived only
/// while it still has them, so a file replaced or rewritten after it was
/// read stays in the inbox, and its new content is loaded by the next run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    modified_ns: i128,
}

impl Stamp {
    fn of(metadata: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            len: metadata.len(),
            modified_ns: i128::from(metadata.mtime()) * 1_000_000_000 + i128::from(metadata.mtime_nsec()),
        }
    }
}

/// A move to the archive, done after the batch that logged the file is
/// committed.
struct Move {
    from: PathBuf,
    to: PathBuf,
    read_as: Stamp,
}

/// What reading an entry gave.
enum Read {
    Bytes(Vec<u8>),
    /// Refused unread (a link, a special file) or unreadable.
    Refused {
        rule: &'static Rule,
        message: String,
    },
    /// It changed while it was read (an upload in progress): it stays in the
    /// inbox for the next run.
    Changing,
    /// It was gone by the time it was read.
    Gone,
}

struct Batch {
    load_id: i64,
    buffers: BTreeMap<Table, TableBuffer>,
    moves: Vec<Move>,
    bytes: u64,
}

impl Batch {
    fn new(load_id: i64) -> Batch {
        Batch { load_id, buffers: BTreeMap::new(), moves: Vec::new(), bytes: 0 }
    }

    fn push(&mut self, table: Table, row: &[Value], lineage: &[Value]) -> Result<()> {
        self.buffers.entry(table).or_insert_with(|| TableBuffer::new(table)).push(row, lineage)
    }

    /// Nothing to write and nothing to archive.
    fn is_empty(&self) -> bool {
        self.buffers.is_empty() && self.moves.is_empty()
    }

    /// Commits the batch, then archives its inbox files; returns how many
    /// were left in the inbox because they changed since they were read.
    fn commit(mut self, lake: &Lake, checkpoints: &mut dyn Checkpoints) -> Result<u64> {
        // A batch of files an interrupted run already loaded has only moves.
        if !self.buffers.is_empty() {
            let mut parts = Vec::new();
            for (table, buffer) in &mut self.buffers {
                parts.push((*table, buffer.finish()?));
            }
            lake.commit(self.load_id, parts, &mut || checkpoints.after_table_write())?;
            tracing::info!(laad_id = self.load_id, files = self.moves.len(), "batch committed");
        }
        let mut made = std::collections::HashSet::new();
        let mut changed = 0;
        for Move { from, to, read_as } in &self.moves {
            checkpoints.before_archive(from);
            let now = fs::symlink_metadata(from).ok().map(|m| Stamp::of(&m));
            if now != Some(*read_as) {
                let bestand = privacy::mask_bsn_like(&from.to_string_lossy());
                tracing::warn!(bestand = %bestand, "changed or replaced since it was read: left in the inbox for the next run");
                changed += 1;
                continue;
            }
            if let Some(parent) = to.parent().filter(|p| !made.contains(*p)) {
                fs::create_dir_all(parent).map_err(Error::io("cannot create the archive folder", parent))?;
                made.insert(parent.to_path_buf());
            }
            move_file(from, to)?;
        }
        Ok(changed)
    }
}

pub fn ingest(config: &Config, options: &IngestOptions) -> Result<IngestSummary> {
    ingest_observed(config, options, &mut Unobserved)
}

/// [`ingest`], passing each of its [`Checkpoints`] to `checkpoints`.
pub fn ingest_observed(
    config: &Config,
    options: &IngestOptions,
    checkpoints: &mut dyn Checkpoints,
) -> Result<IngestSummary> {
    let started = Instant::now();
    let pseudonymiser = Pseudonymiser::new(&config.pseudonym_key()?);
    let context = Context { gemeente: &config.gemeente, pseudonymiser: &pseudonymiser };
    let lake = Lake::of(config)?;
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
            total += fs::symlink_metadata(&candidate.path).map(|m| m.len()).unwrap_or(0);
            files += 1;
            Ok(())
        })?;
    }
    known.reserve(files);
    let bar = crate::progress::bar(total, "ingest", options.show_progress);

    let mut batch = Batch::new(lake.next_load_id()?);
    // A reader thread walks the folders and reads the files; workers, one per
    // core, hash, parse and validate them (a file's rows depend on that file
    // alone); this thread takes their results in the order the files were
    // listed and alone writes the lake, so a run gives the same batches, the
    // same duplicates and the same archive as one file after the other.
    let known = std::sync::RwLock::new(known);
    let in_flight = InFlight::new(IN_FLIGHT_BYTES, IN_FLIGHT_CHUNKS);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (work, to_parse) = std::sync::mpsc::sync_channel::<(u64, Vec<(Candidate, Read, Stamp)>)>(READ_AHEAD);
    let to_parse = std::sync::Mutex::new(to_parse);
    let (parsed, results) = std::sync::mpsc::channel::<(u64, Vec<(Candidate, Prepared, Stamp)>)>();
    std::thread::scope(|scope| -> Result<()> {
        let (in_flight, known, to_parse, context) = (&in_flight, &known, &to_parse, &context);
        let reader = scope.spawn(move || -> Result<()> {
            // Files go to the workers in chunks: a hand-over between threads
            // per file cost a quarter of the run in wake-ups.
            let mut chunk = Vec::new();
            let (mut chunk_bytes, mut sequence) = (0, 0);
            let mut hand_over = |chunk: &mut Vec<(Candidate, Read, Stamp)>, bytes: &mut u64| -> Result<()> {
                // Closed only when ingest already stopped on an error.
                in_flight.acquire(*bytes).ok_or_else(|| Error::Invalid("ingest stopped".into()))?;
                work.send((sequence, std::mem::take(chunk))).map_err(|_| Error::Invalid("ingest stopped".into()))?;
                sequence += 1;
                *bytes = 0;
                Ok(())
            };
            for (root, origin) in folders {
                walk(root, origin, &mut |candidate| {
                    let (read, stamp) = read_entry(&candidate);
                    chunk_bytes += if let Read::Bytes(bytes) = &read { bytes.len() as u64 } else { 0 };
                    chunk.push((candidate, read, stamp));
                    if chunk.len() >= CHUNK_FILES || chunk_bytes >= CHUNK_BYTES {
                        hand_over(&mut chunk, &mut chunk_bytes)?;
                    }
                    Ok(())
                })?;
            }
            if !chunk.is_empty() {
                hand_over(&mut chunk, &mut chunk_bytes)?;
            }
            Ok(())
        });
        for _ in 0..workers {
            let parsed = parsed.clone();
            scope.spawn(move || {
                loop {
                    let next = to_parse.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    let Ok((sequence, chunk)) = next else { break };
                    let prepared = chunk
                        .into_iter()
                        .map(|(candidate, read, stamp)| {
                            // A parser that panics stops the run with the file's name, as it
                            // did before parsing moved to workers; it must not leave the
                            // writer waiting for a file that never comes.
                            let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                prepare(&candidate, read, context, known)
                            }))
                            .unwrap_or(Prepared::Panicked);
                            (candidate, prepared, stamp)
                        })
                        .collect();
                    if parsed.send((sequence, prepared)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(parsed);
        let processed = (|| -> Result<()> {
            let mut waiting = BTreeMap::new();
            let mut next = 0;
            for (sequence, chunk) in results.iter() {
                waiting.insert(sequence, chunk);
                while let Some(chunk) = waiting.remove(&next) {
                    next += 1;
                    in_flight.release(chunk.iter().map(|(_, prepared, _)| prepared.size()).sum());
                    for (candidate, prepared, stamp) in chunk {
                        bar.inc(stamp.len);
                        match prepared {
                            Prepared::File(file) => {
                                let mut known = known.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                                record_file(&candidate, file, stamp, config, &mut known, &mut batch, &mut summary)?
                            }
                            Prepared::Refused { rule, message } => {
                                refuse_unread(&candidate, rule, &message, stamp, config, &mut batch, &mut summary)?
                            }
                            Prepared::Changing => {
                                let bestand = privacy::mask_bsn_like(&candidate.display);
                                tracing::warn!(bestand = %bestand, "changed while it was read: left in the inbox for the next run");
                                summary.files_left_changing += 1;
                            }
                            Prepared::Gone => {}
                            Prepared::Panicked => {
                                let bestand = privacy::mask_bsn_like(&candidate.display);
                                return Err(Error::Invalid(format!(
                                    "ingest stopped: reading {bestand} failed unexpectedly (a defect; please report it with the file)"
                                )));
                            }
                        }
                        if batch.bytes >= config.batch_bytes {
                            let next_batch = batch.load_id + 1;
                            summary.files_left_changing +=
                                std::mem::replace(&mut batch, Batch::new(next_batch)).commit(&lake, checkpoints)?;
                        }
                    }
                }
            }
            Ok(())
        })();
        // Lets the reader and the workers see that we stopped.
        in_flight.close();
        drop(results);
        let read = reader.join().map_err(|_| Error::Invalid("the file reader stopped unexpectedly".into()))?;
        processed.and(read)
    })?;
    if !batch.is_empty() {
        summary.files_left_changing += batch.commit(&lake, checkpoints)?;
    }
    bar.finish_and_clear();
    remove_empty_folders(&config.paths.inbox);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Reads one entry without ever following a link. The file is opened, and
/// what was opened must be the plain file the listing showed (not a link
/// swapped in since) with no other hard link; it is read whole, and a file
/// that changed meanwhile is left for the next run.
fn read_entry(candidate: &Candidate) -> (Read, Stamp) {
    use std::io::Read as _;
    use std::os::unix::fs::MetadataExt;
    let listed = match fs::symlink_metadata(&candidate.path) {
        Ok(metadata) => metadata,
        Err(_) => return (Read::Gone, Stamp { device: 0, inode: 0, len: 0, modified_ns: 0 }),
    };
    let listed_stamp = Stamp::of(&listed);
    let refused = |rule, message: &str| (Read::Refused { rule, message: message.to_string() }, listed_stamp);
    if listed.file_type().is_symlink() {
        return refused(&rules::FILE_NOT_PLAIN, "the entry is a symbolic link; links are refused unread");
    }
    if !listed.file_type().is_file() {
        return refused(
            &rules::FILE_NOT_PLAIN,
            "the entry is no plain file (a pipe, socket or device); it is refused unread",
        );
    }
    if listed.nlink() > 1 {
        return refused(
            &rules::FILE_NOT_PLAIN,
            "the file has another hard link elsewhere; linked files are refused unread",
        );
    }
    let mut file = match fs::File::open(&candidate.path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Read::Gone, listed_stamp),
        Err(e) => return refused(&rules::FILE_UNREADABLE, &format!("the file cannot be opened: {e}")),
    };
    let opened = match file.metadata() {
        Ok(metadata) => metadata,
        Err(e) => return refused(&rules::FILE_UNREADABLE, &format!("the file cannot be read: {e}")),
    };
    if (opened.dev(), opened.ino()) != (listed.dev(), listed.ino()) {
        return refused(
            &rules::FILE_NOT_PLAIN,
            "the entry was replaced by a link while it was opened; it is refused unread",
        );
    }
    // Exactly the size it was opened with, without a read to find the end: a
    // file that grew meanwhile has another size below, one that shrank ends early.
    let mut bytes = vec![0; usize::try_from(opened.len()).unwrap_or(0)];
    match file.read_exact(&mut bytes) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return (Read::Changing, Stamp::of(&opened)),
        Err(e) => return refused(&rules::FILE_UNREADABLE, &format!("the file cannot be read: {e}")),
    }
    let after = match file.metadata() {
        Ok(metadata) => Stamp::of(&metadata),
        Err(e) => return refused(&rules::FILE_UNREADABLE, &format!("the file cannot be read: {e}")),
    };
    if after != Stamp::of(&opened) || after.len != bytes.len() as u64 {
        return (Read::Changing, after);
    }
    (Read::Bytes(bytes), after)
}

/// Logs and quarantines an entry that was not read, and archives it (a link
/// is moved as a link: what it points to is never touched).
fn refuse_unread(
    candidate: &Candidate,
    rule: &'static Rule,
    message: &str,
    stamp: Stamp,
    config: &Config,
    batch: &mut Batch,
    summary: &mut IngestSummary,
) -> Result<()> {
    let bestand = privacy::mask_bsn_like(&format!("{}/{}", candidate.origin.folder(), candidate.display));
    tracing::warn!(bestand = %bestand, rule = rule.id, "refused unread: {message}");
    let now = Utc::now();
    let row = [
        Value::Int(batch.load_id),
        bestand.clone().into(),
        String::new().into(),
        UNKNOWN.into(),
        "file".into(),
        rule.id.into(),
        message.into(),
        String::new().into(),
        Value::Timestamp(now),
    ];
    batch.push(Table::Quarantaine, &row, &[])?;
    // No content hash: nothing was read, and an empty hash never marks
    // later content as known.
    let row =
        laadlog_row(batch.load_id, &bestand, "", 0, UNKNOWN, [0, 1, 0], Outcome::Rejected, now, &Herkomst::default());
    batch.push(Table::Laadlog, &row, &[])?;
    *summary.quarantined.entry(rule.id).or_default() += 1;
    summary.files_rejected += 1;
    if candidate.origin == Origin::Inbox {
        // Named by the entry itself, so two refused links of one name are both kept.
        let identity = hex::encode(Sha256::digest(format!("{bestand} {stamp:?}").as_bytes()));
        let to = archive_path(config, candidate, Outcome::Rejected, &identity);
        batch.moves.push(Move { from: candidate.path.clone(), to, read_as: stamp });
    }
    Ok(())
}

/// A file read, hashed and (unless its content is known) parsed and
/// validated, ready to be recorded in order.
struct PreparedFile {
    len: usize,
    hash: [u8; 32],
    hash_hex: String,
    /// Its name for the lake: with any BSN-like number masked.
    bestand: String,
    /// The kind and what its source made of it; `None` when the content was
    /// known before the file was parsed.
    parsed: Option<(&'static str, Loaded)>,
}

/// What a worker made of one entry.
enum Prepared {
    File(PreparedFile),
    Refused {
        rule: &'static Rule,
        message: String,
    },
    Changing,
    Gone,
    /// Its parser panicked: a defect, which stops the run.
    Panicked,
}

impl Prepared {
    /// The bytes it held while in flight.
    fn size(&self) -> u64 {
        if let Prepared::File(file) = self { file.len as u64 } else { 0 }
    }
}

/// A worker's part: everything that depends on the file alone.
fn prepare(candidate: &Candidate, read: Read, context: &Context, known: &std::sync::RwLock<KnownFiles>) -> Prepared {
    let bytes = match read {
        Read::Bytes(bytes) => bytes,
        Read::Refused { rule, message } => return Prepared::Refused { rule, message },
        Read::Changing => return Prepared::Changing,
        Read::Gone => return Prepared::Gone,
    };
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    // File names may carry a BSN; the lake never does.
    let bestand = privacy::mask_bsn_like(&format!("{}/{}", candidate.origin.folder(), candidate.display));
    // Content known already stays known: its file is recorded as seen, unparsed.
    let seen = known.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&hash, &bestand).is_some();
    let parsed = (!seen).then(|| {
        let (kind, mut loaded) = match recognise::decode(&bytes) {
            Ok(text) => recognise::load(&text, context),
            Err(message) => (UNKNOWN, Loaded::rejected_file(&rules::FILE_ENCODING, "file".into(), message, "")),
        };
        for (table, row) in &mut loaded.rows {
            if let Some(masked) = guard_identifiers(*table, row, context.pseudonymiser) {
                *row = masked;
            }
        }
        (kind, loaded)
    });
    Prepared::File(PreparedFile { len: bytes.len(), hash, hash_hex: hex::encode(hash), bestand, parsed })
}

/// The writer's part: a prepared file recorded in the batch, in the order
/// the files were listed.
fn record_file(
    candidate: &Candidate,
    file: PreparedFile,
    stamp: Stamp,
    config: &Config,
    known: &mut KnownFiles,
    batch: &mut Batch,
    summary: &mut IngestSummary,
) -> Result<()> {
    let PreparedFile { len, hash, hash_hex, bestand, parsed } = file;
    let now = Utc::now();

    if let Some(seen) = known.get(&hash, &bestand) {
        match candidate.origin {
            Origin::Reference => summary.reference_unchanged += 1,
            Origin::Inbox if seen.same_name => {
                // Loaded by a run that stopped before archiving it.
                let to = archive_path(config, candidate, Outcome::Loaded, &hash_hex);
                batch.moves.push(Move { from: candidate.path.clone(), to, read_as: stamp });
                summary.archived_after_interruption += 1;
            }
            Origin::Inbox => {
                tracing::info!(bestand = %bestand, "duplicate skipped");
                let row = laadlog_row(
                    batch.load_id,
                    &bestand,
                    &hash_hex,
                    len,
                    seen.kind,
                    [0, 0, 0],
                    Outcome::Duplicate,
                    now,
                    // The row of the file's first load says whom it is about.
                    &Herkomst::default(),
                );
                batch.push(Table::Laadlog, &row, &[])?;
                let to = archive_path(config, candidate, Outcome::Duplicate, &hash_hex);
                batch.moves.push(Move { from: candidate.path.clone(), to, read_as: stamp });
                summary.duplicates_skipped += 1;
            }
        }
        return Ok(());
    }
    let Some((kind, loaded)) = parsed else {
        // Known when it was prepared, and what is known stays known.
        return Err(Error::Invalid(format!("{bestand} was seen before but is not known now")));
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
        let message = privacy::scrub_message(&reject.message);
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
    let row = laadlog_row(batch.load_id, &bestand, &hash_hex, len, kind, counts, outcome, now, &loaded.herkomst);
    batch.push(Table::Laadlog, &row, &[])?;

    match outcome {
        Outcome::Loaded => summary.files_loaded += 1,
        Outcome::PartlyLoaded => summary.files_partly_loaded += 1,
        Outcome::Rejected | Outcome::Duplicate => summary.files_rejected += 1,
    }
    if kind.starts_with("wmo") {
        summary.xml_bytes += len as u64;
    }
    summary.bytes += len as u64;
    batch.bytes += len as u64;
    known.insert(&hash, &bestand, kind);
    if candidate.origin == Origin::Inbox {
        let to = archive_path(config, candidate, outcome, &hash_hex);
        batch.moves.push(Move { from: candidate.path.clone(), to, read_as: stamp });
    }
    Ok(())
}

/// Every text cell of a source row but the pseudonym, with BSNs written
/// where they do not belong masked (see [`Pseudonymiser::guard_identifier`]);
/// `None` when the row needed nothing. One check for every source, so a new
/// parser cannot forget it.
fn guard_identifiers(table: Table, row: &[Value], pseudonymiser: &Pseudonymiser) -> Option<Vec<Value>> {
    let columns = table.def().columns;
    let mut guarded: Option<Vec<Value>> = None;
    for (i, cell) in row.iter().enumerate() {
        let Value::Text(text) = cell else { continue };
        if columns.get(i).is_some_and(|c| c.name == "client_pseudoniem") {
            continue;
        }
        if let Some(masked) = pseudonymiser.guard_identifier(text) {
            guarded.get_or_insert_with(|| row.to_vec())[i] = Value::Text(masked);
        }
    }
    guarded
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
    herkomst: &Herkomst,
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
        herkomst.aanbieder_agb.clone().into(),
        herkomst.declaratie_maand.into(),
        herkomst.dagtekening.into(),
    ]
}

fn archive_path(config: &Config, candidate: &Candidate, outcome: Outcome, hash_hex: &str) -> PathBuf {
    let target = config.paths.archive.join(outcome.archive_folder()).join(&candidate.relative);
    if fs::symlink_metadata(&target).is_err() {
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
        // Another file system: copy, then remove the original. A link is
        // copied as a link; what it points to is never read.
        match fs::read_link(from) {
            Ok(target) => std::os::unix::fs::symlink(target, to).map_err(Error::io("cannot archive", from))?,
            Err(_) => {
                fs::copy(from, to).map_err(Error::io("cannot archive", from))?;
            }
        }
        fs::remove_file(from).map_err(Error::io("cannot remove the archived", from))?;
    }
    Ok(())
}

/// Visits every entry under `root` in path order, folder by folder; hidden
/// entries and spreadsheet lock files are left alone. Links are never
/// followed: a link, or anything else that is not a plain file or folder, is
/// handed over as such, to be refused without being read. A missing
/// reference folder holds nothing; a missing inbox is an error, since a typo
/// in the configuration would otherwise report "0 new files" every night.
fn walk(root: &Path, origin: Origin, visit: &mut dyn FnMut(Candidate) -> Result<()>) -> Result<()> {
    match fs::symlink_metadata(root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match origin {
                Origin::Reference => Ok(()),
                Origin::Inbox => Err(Error::Invalid(format!(
                    "the inbox folder {} does not exist: create it, or set [paths] inbox in the configuration to the folder providers upload to",
                    root.display()
                ))),
            };
        }
        Err(e) => return Err(Error::io("cannot read", root)(e)),
        Ok(_) => {}
    }
    walk_folder(root, Path::new(""), origin, visit)
}

fn walk_folder(
    root: &Path,
    relative: &Path,
    origin: Origin,
    visit: &mut dyn FnMut(Candidate) -> Result<()>,
) -> Result<()> {
    let folder = root.join(relative);
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("cannot list", &folder)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io("cannot list", &folder))?;
        let name = entry.file_name();
        let lossy = name.to_string_lossy();
        if lossy.starts_with('.') || lossy.starts_with("~$") {
            continue;
        }
        // The listing's type is the entry's own: a link is a link here,
        // whatever it points to (or whether it points anywhere).
        let kind = entry.file_type().map_err(Error::io("cannot read", &entry.path()))?;
        found.push((name, kind));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in found {
        let relative = relative.join(&name);
        if kind.is_dir() {
            walk_folder(root, &relative, origin, visit)?;
            continue;
        }
        // Anything else (a link, a pipe) is handed over to be refused unread.
        let display = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        visit(Candidate { origin, path: root.join(&relative), relative, display })?;
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
