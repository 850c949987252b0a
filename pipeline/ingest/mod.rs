//! `wmo-monitor ingest`: every new file in the inbox and the reference folder
//! is recognised by its content, parsed, validated and pseudonymised, and
//! lands in the lake exactly once.

pub mod checkpoints;
pub mod csv_dialect;
pub mod evaluations;
pub mod iwmo;
pub mod recognise;
pub mod reference;
pub mod rules;
pub mod run;
pub mod source;
pub mod summary;
pub mod survey;
pub mod values;
pub mod wmo301;
pub mod wmo323;
pub mod xml;
pub mod zorgmelding;

pub use checkpoints::{Checkpoints, Unobserved};
pub use run::{IngestOptions, ingest, ingest_observed};
pub use summary::IngestSummary;

use source::Source;

/// Every source kind ingest knows. Adding one is one line here.
pub static SOURCES: &[&dyn Source] = &[
    &wmo301::Wmo301,
    &zorgmelding::Wmo305,
    &zorgmelding::Wmo307,
    &wmo323::Wmo323,
    &survey::Survey,
    &evaluations::Evaluations,
    &reference::AANBIEDERS,
    &reference::PRODUCTEN,
    &reference::WIJKEN,
    &reference::INWONERS,
    &reference::BEGROTING,
    &reference::BUDGETPLAFONDS,
];
