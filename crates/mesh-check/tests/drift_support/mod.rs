//! Shared by the drift_*.rs tests: run `mesh check`'s engine on a fixture repository under
//! tests/fixtures/drift/ and print its drift findings compactly.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mesh_check::config::Config;
use mesh_check::diagnostic::Diagnostic;
use mesh_check::engine::{Selection, check_dir};

/// The fixture repository `name`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/drift")
        .join(name)
}

/// Every diagnostic of `mesh check` on `dir` (its mesh.toml, its roots), sorted.
pub fn check_path(dir: &Path) -> Vec<Diagnostic> {
    let config = Config::load(dir).expect("valid mesh.toml");
    let reports = check_dir(dir, &config, &Selection::default(), false).expect("roots");
    let mut diags: Vec<Diagnostic> = reports.into_iter().flat_map(|r| r.diagnostics).collect();
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags
}

/// Every diagnostic of `mesh check` on the fixture `name`.
pub fn check(name: &str) -> Vec<Diagnostic> {
    check_path(&fixture(name))
}

/// Whether a code is one of the drift rules (DEP, STK, API, DAT010+).
pub fn is_drift(code: &str) -> bool {
    code.starts_with("DEP")
        || code.starts_with("STK")
        || code.starts_with("API")
        || (code.starts_with("DAT") && code != "DAT001")
}

/// Only the drift findings.
pub fn drift(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.into_iter().filter(|d| is_drift(d.code)).collect()
}

/// One block per finding: code, severity, location, message, help and related locations.
pub fn render(diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        s.push_str(&format!(
            "{} {} {}:{}:{} [{}] {}\n",
            d.code,
            d.severity.as_str(),
            d.location.file,
            d.location.line,
            d.location.column,
            d.root.as_deref().unwrap_or("-"),
            d.message
        ));
        if let Some(h) = &d.help {
            s.push_str(&format!("    help: {h}\n"));
        }
        for r in &d.related {
            s.push_str(&format!(
                "    related: {}:{} {}\n",
                r.location.file, r.location.line, r.message
            ));
        }
    }
    s
}

/// The codes of the findings, in order.
pub fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}
