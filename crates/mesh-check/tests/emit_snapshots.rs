//! Snapshot tests of every renderer on the fixed diagnostics in `emit_fixture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emit_fixture;

use mesh_check::emit::{self, SarifOptions, Summary};
use serde_json::Value;

fn summary() -> Summary {
    Summary::from_diagnostics(
        &emit_fixture::diagnostics(),
        9,
        vec!["docs".to_string(), "services/billing/docs".to_string()],
    )
}

fn sarif_options() -> SarifOptions {
    SarifOptions {
        tool_version: "0.1.0".to_string(),
        information_uri: "https://example.invalid/atomic-mesh".to_string(),
        src_root_uri: Some("file:///work/repo/".to_string()),
    }
}

/// Remove ANSI SGR sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn human_plain() {
    let text = emit::human(
        &emit_fixture::diagnostics(),
        &emit_fixture::sources(),
        false,
    );
    insta::assert_snapshot!("human_plain", text);
}

#[test]
fn human_colour_only_adds_styling() {
    let diags = emit_fixture::diagnostics();
    let plain = emit::human(&diags, &emit_fixture::sources(), false);
    let coloured = emit::human(&diags, &emit_fixture::sources(), true);
    assert_ne!(plain, coloured);
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[91merror[DOC002]"),
        "{coloured}"
    );
    assert_eq!(strip_ansi(&coloured), plain);
}

#[test]
fn human_clean_run() {
    assert_eq!(emit::human(&[], &(), false), "All checks passed.\n");
}

#[test]
fn json_document() {
    let text = emit::json(&emit_fixture::diagnostics(), &summary());
    insta::assert_snapshot!("json", text);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["summary"]["errors"], 3);
    assert_eq!(v["summary"]["warnings"], 2);
    assert_eq!(v["summary"]["infos"], 1);
}

#[test]
fn json_output_does_not_depend_on_input_order() {
    let mut diags = emit_fixture::diagnostics();
    let forward = emit::json(&diags, &summary());
    diags.reverse();
    assert_eq!(emit::json(&diags, &summary()), forward);
}

#[test]
fn sarif_log() {
    let text = emit::sarif(
        &emit_fixture::diagnostics(),
        &emit_fixture::rules(),
        &sarif_options(),
    );
    insta::assert_snapshot!("sarif", text);
}

#[test]
fn github_commands() {
    let text = emit::github(&emit_fixture::diagnostics(), &emit_fixture::rules());
    insta::assert_snapshot!("github", text);
    // One command per diagnostic: newlines inside messages are escaped.
    assert_eq!(text.lines().count(), emit_fixture::diagnostics().len());
    assert!(text.lines().all(|l| l.starts_with("::")));
}
