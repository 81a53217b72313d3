//! The SARIF renderer's output validated against the official OASIS SARIF 2.1.0 JSON schema
//! (`tests/fixtures/sarif-schema-2.1.0.json`, origin in `tests/fixtures/README.md`), plus the
//! rule the schema does not state but code scanning needs: every result has a location.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emit_fixture;

use mesh_check::diagnostic::{Diagnostic, Location, Severity};
use mesh_check::emit::{self, SarifOptions};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The schema compiled twice: as the draft it declares (draft 4), and as draft 7, whose
/// validator also checks the `uri-reference` format the schema uses for every artifact URI
/// (draft 4 does not know that format and would let any string through).
struct Validators(Vec<jsonschema::Validator>);

fn validator() -> Validators {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "the fixture is the OASIS SARIF 2.1.0 (errata 01) schema"
    );
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    Validators(vec![
        jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles as draft 4"),
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles as draft 7"),
    ])
}

/// Everything wrong with `log`: schema violations, then results without a usable location or
/// with a `ruleIndex` that does not point at their rule.
fn problems(validators: &Validators, log: &Value) -> Vec<String> {
    let mut out: Vec<String> = validators
        .0
        .iter()
        .flat_map(|v| v.iter_errors(log))
        .map(|e| format!("schema: {e} at {}", e.instance_path()))
        .collect();
    out.dedup();
    let rules = &log["runs"][0]["tool"]["driver"]["rules"];
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, result) in results.iter().enumerate() {
        let locations = result["locations"].as_array().cloned().unwrap_or_default();
        if locations.is_empty() {
            out.push(format!("result {i} has no location"));
        }
        for loc in &locations {
            let physical = &loc["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().unwrap_or("");
            if uri.is_empty() {
                out.push(format!("result {i} has a location without a uri"));
            }
            if physical["region"]["startLine"].as_u64().unwrap_or(0) < 1 {
                out.push(format!("result {i} has a location without a start line"));
            }
        }
        let index = result["ruleIndex"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok());
        match index.map(|n| &rules[n]["id"]) {
            Some(id) if *id == result["ruleId"] => {}
            _ => out.push(format!(
                "result {i}: ruleIndex does not point at its ruleId"
            )),
        }
    }
    out
}

fn fixture_log(options: &SarifOptions) -> Value {
    let text = emit::sarif(
        &emit_fixture::diagnostics(),
        &emit_fixture::rules(),
        options,
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn fixture_log_is_valid_sarif() {
    let v = validator();
    for options in [
        SarifOptions::default(),
        SarifOptions {
            src_root_uri: Some(emit::file_uri_for_dir("/work/my repo")),
            ..SarifOptions::default()
        },
    ] {
        let log = fixture_log(&options);
        assert_eq!(problems(&v, &log), Vec::<String>::new());
        assert_eq!(
            log["runs"][0]["results"].as_array().unwrap().len(),
            emit_fixture::diagnostics().len()
        );
    }
}

#[test]
fn empty_log_is_valid_sarif() {
    let v = validator();
    let log: Value = serde_json::from_str(&emit::sarif(
        &[] as &[Diagnostic],
        &emit_fixture::rules(),
        &SarifOptions::default(),
    ))
    .unwrap();
    assert_eq!(problems(&v, &log), Vec::<String>::new());
    assert_eq!(log["runs"][0]["results"], json!([]));
}

#[test]
fn whole_file_findings_point_at_line_one() {
    let log = fixture_log(&SarifOptions::default());
    let results = log["runs"][0]["results"].as_array().unwrap();
    let inbox = results
        .iter()
        .find(|r| r["ruleId"] == "DOC001")
        .expect("the whole-file finding is present");
    assert_eq!(
        inbox["locations"][0]["physicalLocation"]["region"],
        json!({"startLine": 1, "startColumn": 1})
    );
}

/// The checks must be able to fail: break the log in the ways that matter and expect a
/// complaint each time.
#[test]
fn broken_logs_are_rejected() {
    let v = validator();
    let good = fixture_log(&SarifOptions::default());

    fn result(log: &mut Value) -> &mut Value {
        &mut log["runs"][0]["results"][0]
    }

    type Breakage = (&'static str, Box<dyn Fn(&mut Value)>);
    let breakages: Vec<Breakage> = vec![
        (
            "result without locations",
            Box::new(|log| {
                result(log).as_object_mut().unwrap().remove("locations");
            }),
        ),
        (
            "result with empty locations",
            Box::new(|log| result(log)["locations"] = json!([])),
        ),
        (
            "result without message",
            Box::new(|log| {
                result(log).as_object_mut().unwrap().remove("message");
            }),
        ),
        (
            "driver without name",
            Box::new(|log| {
                log["runs"][0]["tool"]["driver"]
                    .as_object_mut()
                    .unwrap()
                    .remove("name");
            }),
        ),
        (
            "log without version",
            Box::new(|log| {
                log.as_object_mut().unwrap().remove("version");
            }),
        ),
        (
            "start line zero",
            Box::new(|log| {
                result(log)["locations"][0]["physicalLocation"]["region"]["startLine"] = json!(0);
            }),
        ),
        (
            "unknown level",
            Box::new(|log| result(log)["level"] = json!("fatal")),
        ),
        (
            "ruleIndex pointing elsewhere",
            Box::new(|log| result(log)["ruleIndex"] = json!(0)),
        ),
        (
            "uri that is not a URI reference",
            Box::new(|log| {
                result(log)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
                    json!("docs/my file.md");
            }),
        ),
        (
            "unknown property on a result",
            Box::new(|log| result(log)["severity"] = json!("error")),
        ),
    ];
    assert!(problems(&v, &good).is_empty());
    for (what, breaks) in breakages {
        let mut log = good.clone();
        breaks(&mut log);
        assert!(!problems(&v, &log).is_empty(), "{what} was not detected");
    }
}

fn any_severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Error),
        Just(Severity::Warning),
        Just(Severity::Info)
    ]
}

prop_compose! {
    fn any_diagnostic()(
        code in prop::sample::select(vec!["DOC001", "DOC002", "GOV001", "ZZZ999"]),
        severity in any_severity(),
        file in "[a-zA-Z0-9 ,:%#?éü名/._-]{0,24}",
        line in 0u32..2000,
        column in 0u32..300,
        end_line in prop::option::of(0u32..2000),
        end_column in prop::option::of(0u32..300),
        message in "(\\PC|\n|\r){0,40}",
        help in prop::option::of("(\\PC|\n){0,40}"),
        related in prop::collection::vec(("[a-z/.]{1,12}", 0u32..50, 0u32..50, "\\PC{0,20}"), 0..3),
    ) -> Diagnostic {
        let mut location = Location::new(file, line, column);
        location.end_line = end_line;
        location.end_column = end_column;
        let mut d = Diagnostic::new(code, severity, location, message);
        d.help = help;
        for (f, l, c, m) in related {
            d = d.with_related(Location::new(f, l, c), m);
        }
        d
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the diagnostics hold, the log is valid SARIF and every result has a location.
    #[test]
    fn any_diagnostics_make_valid_sarif(diags in prop::collection::vec(any_diagnostic(), 0..6)) {
        let v = validator();
        let text = emit::sarif(&diags, &emit_fixture::rules(), &SarifOptions::default());
        let log: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(problems(&v, &log), Vec::<String>::new());
        prop_assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), diags.len());
    }

    /// The other renderers never panic and keep their shape on arbitrary input.
    #[test]
    fn other_renderers_hold_their_shape(
        diags in prop::collection::vec(any_diagnostic(), 0..6),
        source in "\\PC{0,80}(\n\\PC{0,80}){0,4}",
    ) {
        let mut sources = std::collections::BTreeMap::new();
        for d in &diags {
            sources.insert(d.location.file.clone(), source.clone());
        }
        let human = emit::human(&diags, &sources, true);
        prop_assert!(human.ends_with('\n'));
        let github = emit::github(&diags, &emit_fixture::rules());
        prop_assert_eq!(github.lines().count(), diags.len());
        let summary = emit::Summary::from_diagnostics(&diags, 1, vec![]);
        let json: Value = serde_json::from_str(&emit::json(&diags, &summary)).unwrap();
        prop_assert_eq!(json["diagnostics"].as_array().unwrap().len(), diags.len());
    }
}
