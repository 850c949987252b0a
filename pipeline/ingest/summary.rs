//! What an ingest run did, for the closing summary.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

#[derive(Debug, Default, Clone)]
pub struct IngestSummary {
    pub files_loaded: u64,
    pub files_partly_loaded: u64,
    pub files_rejected: u64,
    pub duplicates_skipped: u64,
    pub reference_unchanged: u64,
    /// Files already in the lake whose move to the archive an interrupted run
    /// had not done.
    pub archived_after_interruption: u64,
    pub batches_rolled_back: u64,
    /// Inbox files that changed while or after they were read (an upload in
    /// progress, a re-upload under the same name): left for the next run.
    pub files_left_changing: u64,
    pub bytes: u64,
    pub xml_bytes: u64,
    pub records: BTreeMap<&'static str, u64>,
    pub quarantined: BTreeMap<&'static str, u64>,
    pub warnings: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
}

impl IngestSummary {
    pub fn files_read(&self) -> u64 {
        self.files_loaded + self.files_partly_loaded + self.files_rejected
    }

    pub fn records_total(&self) -> u64 {
        self.records.values().sum()
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn list(map: &BTreeMap<&'static str, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter().map(|(k, v)| format!("{k} {}", thousands(*v))).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for IngestSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "Ingest finished in {:.1} s: {} new files, {:.1} MB ({:.1} MB/s of iWmo XML).",
            seconds,
            thousands(self.files_read()),
            self.bytes as f64 / 1e6,
            self.xml_bytes as f64 / 1e6 / seconds,
        )?;
        writeln!(
            f,
            "  files: {} loaded, {} partly loaded, {} rejected; {} duplicates skipped; {} reference files unchanged",
            thousands(self.files_loaded),
            thousands(self.files_partly_loaded),
            thousands(self.files_rejected),
            thousands(self.duplicates_skipped),
            thousands(self.reference_unchanged),
        )?;
        if self.batches_rolled_back + self.archived_after_interruption > 0 {
            writeln!(
                f,
                "  recovered from an interrupted run: {} unfinished batches rolled back, {} loaded files archived",
                self.batches_rolled_back, self.archived_after_interruption
            )?;
        }
        if self.files_left_changing > 0 {
            writeln!(
                f,
                "  left in the inbox for the next run: {} files that changed while or after they were read",
                thousands(self.files_left_changing)
            )?;
        }
        writeln!(f, "  records: {}", list(&self.records))?;
        writeln!(f, "  quarantined per rule: {}", list(&self.quarantined))?;
        write!(f, "  warnings per rule: {}", list(&self.warnings))
    }
}
