//! Embeds every file of `queries/` and `reports/` in the binary, as the
//! default a deployment runs on without a checkout. The lists are read from
//! the folders, so adding a mart or a report file is adding the file.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let root = Path::new(&root);
    let mut code = String::new();

    code.push_str("/// Every file of `queries/`: (layer, view name, SQL).\npub const EMBEDDED_QUERIES: &[(Layer, &str, &str)] = &[\n");
    for (layer, folder) in [("Staging", "staging"), ("Marts", "marts"), ("Signals", "signals")] {
        for (stem, path) in files(&root.join("queries").join(folder), Some("sql")) {
            writeln!(code, "    (Layer::{layer}, {stem:?}, include_str!({path:?})),").expect("a string");
        }
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("embedded_queries.rs"), code).expect("OUT_DIR is writable");

    let mut code = String::from(
        "/// Every file of `reports/`: (file name, text).\npub const EMBEDDED_REPORTS: &[(&str, &str)] = &[\n",
    );
    for (_, path) in files(&root.join("reports"), None) {
        let name = Path::new(&path).file_name().and_then(|n| n.to_str()).expect("a UTF-8 file name");
        writeln!(code, "    ({name:?}, include_str!({path:?})),").expect("a string");
    }
    code.push_str("];\n");
    std::fs::write(Path::new(&out).join("embedded_reports.rs"), code).expect("OUT_DIR is writable");

    println!("cargo::rerun-if-changed=queries");
    println!("cargo::rerun-if-changed=reports");
}

/// The files of a folder (with this extension), by name: (stem, absolute path).
fn files(folder: &Path, extension: Option<&str>) -> Vec<(String, String)> {
    println!("cargo::rerun-if-changed={}", folder.display());
    let mut found: Vec<(String, String)> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", folder.display()))
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.is_file() && extension.is_none_or(|ext| path.extension().is_some_and(|e| e == ext)))
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name").to_string();
            (stem, path.to_str().expect("a UTF-8 path").to_string())
        })
        .collect();
    found.sort();
    found
}
