//! Fuzz targets, one per source kind: mutated fixtures (flipped and inserted
//! bytes, cut, repeated and swapped slices, deep nesting, huge values) go
//! through decoding, recognition and loading exactly as ingest runs them,
//! for a bounded time. The bar: no panic, and every input ends as rows or
//! rejects with a rule. `WMO_FUZZ_SECONDS` sets the time per target
//! (default 20 s).

use crate::support::{TEST_KEY, fixture};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::time::{Duration, Instant};
use wmo_monitor::ingest::recognise;
use wmo_monitor::ingest::source::Context;
use wmo_monitor::privacy::Pseudonymiser;

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Cut { at: usize },
    Repeat { at: usize, len: usize, times: usize },
    Swap { a: usize, b: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippets = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..16),
        Just(b"<".to_vec()),
        Just(b"</Client>".to_vec()),
        Just(b"<Client><Client><Client>".to_vec()),
        Just(b"&amp;&#0;&#x110000;&unknown;".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"999999999999999999999".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"9999-12-31".to_vec()),
        Just(b"0000-00-00".to_vec()),
        Just(b";;;\"\n".to_vec()),
        Just("\u{feff}\u{fffd}é".as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), snippets).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), 1usize..64, 1usize..200).prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(a, b, len)| Mutation::Swap { a, b, len }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip { at, byte } => {
                if !bytes.is_empty() {
                    bytes[at % n] = *byte;
                }
            }
            Mutation::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Cut { at } => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::Repeat { at, len, times } => {
                let start = at % n;
                let end = (start + len).min(bytes.len());
                let slice = bytes[start.min(end)..end].to_vec();
                let copies: Vec<u8> = slice.iter().copied().cycle().take(slice.len() * times).collect();
                bytes.splice(end..end, copies);
            }
            Mutation::Swap { a, b, len } => {
                let (a, b) = (a % n, b % n);
                let len = (*len).min(bytes.len().saturating_sub(a.max(b)));
                for i in 0..len {
                    bytes.swap(a + i, b + i);
                }
            }
        }
    }
    bytes
}

fn budget() -> Duration {
    Duration::from_secs(std::env::var("WMO_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20))
}

fn fuzz(seed_fixture: &str) {
    fuzz_for(seed_fixture, budget());
}

fn fuzz_for(seed_fixture: &str, budget: Duration) {
    let seed = fixture(seed_fixture);
    let pseudonymiser = Pseudonymiser::new(TEST_KEY.as_bytes());
    let context = Context { gemeente: "0193", pseudonymiser: &pseudonymiser };
    let started = Instant::now();
    let tried = std::cell::Cell::new(0u64);
    // Rounds of a few hundred inputs, each from a fresh random seed, until the time is up.
    while started.elapsed() < budget {
        let mut runner = TestRunner::new(Config { cases: 256, failure_persistence: None, ..Config::default() });
        let result = runner.run(&proptest::collection::vec(mutation(), 1..8), |mutations| {
            tried.set(tried.get() + 1);
            let bytes = apply(seed.clone(), &mutations);
            if let Ok(text) = recognise::decode(&bytes) {
                let (_, loaded) = recognise::load(&text, &context);
                for reject in &loaded.rejects {
                    prop_assert!(!reject.rule.id.is_empty());
                }
                prop_assert!(!loaded.file_rejected || loaded.rows.is_empty(), "a refused file loads no row");
            }
            Ok(())
        });
        assert!(result.is_ok(), "{seed_fixture}: {result:?}");
    }
    assert!(tried.get() > 100, "{seed_fixture}: only {} inputs were tried", tried.get());
}

#[test]
fn fuzz_wmo301() {
    fuzz("inbox/wmo301.xml");
}

#[test]
fn fuzz_wmo305() {
    fuzz("inbox/wmo305.xml");
}

#[test]
fn fuzz_wmo307() {
    fuzz("inbox/wmo307.xml");
}

#[test]
fn fuzz_wmo323() {
    fuzz("inbox/wmo323.xml");
}

#[test]
fn fuzz_survey_export() {
    fuzz("inbox/clientervaring.csv");
}

#[test]
fn fuzz_evaluation_export() {
    fuzz("inbox/evaluaties.csv");
}

#[test]
fn fuzz_reference_files() {
    for reference in ["aanbieders", "begroting", "budgetplafonds", "inwoners", "producten", "wijken"] {
        fuzz_for(&format!("reference/{reference}.csv"), budget() / 6);
    }
}
