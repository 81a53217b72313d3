//! Snapshot tests of every renderer on the fixed diagnostics in `emit_fixture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emit_fixture;

use mesh_check::diagnostic::Diagnostic;
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
fn human_streamed_is_byte_identical_and_stops_at_a_write_error() {
    let diags = emit_fixture::diagnostics();
    for color in [false, true] {
        let whole = emit::human(&diags, &emit_fixture::sources(), color);
        let mut streamed = Vec::new();
        emit::human_to(&mut streamed, &diags, &emit_fixture::sources(), color).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
    }
    let mut streamed = Vec::new();
    emit::human_to(&mut streamed, &[] as &[Diagnostic], &(), false).unwrap();
    assert_eq!(streamed, b"All checks passed.\n");

    /// Accepts `room` bytes, then fails like a closed pipe.
    struct Closing {
        room: usize,
        calls: usize,
    }
    impl std::io::Write for Closing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if buf.len() > self.room {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            self.room -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Closing { room: 10, calls: 0 };
    let err = emit::human_to(&mut w, &diags, &emit_fixture::sources(), false).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    assert_eq!(w.calls, 1, "rendering stops at the first failed write");
}

#[test]
fn human_clean_run() {
    assert_eq!(
        emit::human(&[] as &[Diagnostic], &(), false),
        "All checks passed.\n"
    );
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
