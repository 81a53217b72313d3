//! The drift rules on a FastAPI shop: requirements files, an OpenAPI 3.1 document, FastAPI
//! routes and PostgreSQL migrations, compared with its SPEC.md and TECH_STACK.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod drift_support;

use drift_support::{check, drift, render};

#[test]
fn python_shop_findings() {
    let diags = drift(check("python-shop"));
    insta::assert_snapshot!(render(&diags));
}
