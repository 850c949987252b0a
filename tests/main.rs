//! The one integration-test binary (each extra one would re-link the whole
//! dependency tree). Fixtures are small and hand-checked; every BSN in them
//! is from the 9999 test range.

mod support;

mod compute_command;
mod csv_dialects;
mod demo_command;
mod exactly_once;
mod fuzz_parsers;
mod hostile_inbox;
mod indicators;
mod object_storage;
mod other_reader;
mod periode;
mod privacy;
mod publish;
mod readme;
mod schedule;
mod signals;
mod smtp;
mod sources;
mod sql_server;
mod validation_rules;
