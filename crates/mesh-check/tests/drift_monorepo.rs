//! The drift rules in a monorepo: each document root is compared with the code under its own
//! folder; nested services are left out of the top-level scan; `[openapi] paths` and
//! `[code] extend_exclude` from mesh.toml apply.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod drift_support;

use drift_support::{check, drift, fixture, render};
use mesh_check::code::scan_roots;
use mesh_check::config::Config;
use mesh_check::load::roots;

#[test]
fn monorepo_findings() {
    let diags = drift(check("monorepo"));
    insta::assert_snapshot!(render(&diags));
}

#[test]
fn each_root_sees_only_its_own_code() {
    let dir = fixture("monorepo");
    let config = Config::load(&dir).unwrap();
    let roots = roots(&dir, &config, false).unwrap();
    let shown: Vec<&str> = roots.iter().map(|r| r.display.as_str()).collect();
    assert_eq!(
        shown,
        ["docs", "services/billing/docs", "services/catalog/docs"]
    );
    let scans = scan_roots(&roots, &config);
    let deps = |i: usize| -> Vec<String> {
        let mut v: Vec<String> = scans
            .for_root(i)
            .unwrap()
            .direct_dependencies()
            .map(|d| format!("{} {}", d.name, d.declared_at.file))
            .collect();
        v.sort();
        v
    };
    // The top level: its own crate only; the services are other roots' code, legacy/ is
    // excluded in mesh.toml.
    assert_eq!(deps(0), ["anyhow Cargo.toml", "clap Cargo.toml"]);
    assert_eq!(
        deps(2),
        ["rusqlite services/catalog/Cargo.toml"],
        "paths are shown relative to the checked directory"
    );
    // The billing contract is hidden from the walk by an .ignore file and read only because
    // mesh.toml names it; it belongs to the billing root alone.
    let billing = scans.for_root(1).unwrap();
    assert_eq!(billing.openapi.len(), 1);
    assert_eq!(
        billing.openapi[0].file,
        "services/billing/contract/billing-api.json"
    );
    assert!(scans.for_root(0).unwrap().openapi.is_empty());
    assert!(scans.for_root(2).unwrap().openapi.is_empty());
    assert_eq!(scans.folder_of(1).unwrap().display, "services/billing");
}

#[test]
fn without_the_configured_path_the_hidden_contract_is_not_compared() {
    let dir = fixture("monorepo");
    let mut config = Config::load(&dir).unwrap();
    config.openapi.paths.clear();
    let roots = roots(&dir, &config, false).unwrap();
    let scans = scan_roots(&roots, &config);
    assert!(scans.for_root(1).unwrap().openapi.is_empty());
}

#[test]
fn scan_false_reads_no_code() {
    let dir = fixture("monorepo");
    let mut config = Config::load(&dir).unwrap();
    config.code.scan = false;
    let roots = roots(&dir, &config, false).unwrap();
    let scans = scan_roots(&roots, &config);
    assert!((0..3).all(|i| scans.for_root(i).is_none()));
    let reports = mesh_check::engine::check_roots(roots, &config, &Default::default());
    let drift: Vec<_> = reports
        .into_iter()
        .flat_map(|r| drift(r.diagnostics))
        .collect();
    assert!(drift.is_empty(), "{}", render(&drift));
}
