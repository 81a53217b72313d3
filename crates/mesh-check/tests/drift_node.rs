//! The drift rules on an Express service: package.json with package-lock.json (v3), Express
//! routes, no OpenAPI document and no migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod drift_support;

use drift_support::{check, codes, drift, render};

#[test]
fn node_api_findings() {
    let diags = drift(check("node-api"));
    insta::assert_snapshot!(render(&diags));
}

#[test]
fn nothing_to_compare_means_no_api_or_data_rule() {
    let diags = drift(check("node-api"));
    // No OpenAPI document and no migrations: API001/API002 and DAT010+ stay quiet.
    assert!(
        !codes(&diags)
            .iter()
            .any(|c| matches!(*c, "API001" | "API002") || c.starts_with("DAT")),
        "{}",
        render(&diags)
    );
}
