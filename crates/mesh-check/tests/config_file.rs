//! `mesh.toml`: defaults, a complete file, and every kind of mistake with its position.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh_check::config::{
    CONFIG_FILE_NAME, Config, ConfigError, ConfigErrorKind, DecisionScope, RuleLevel,
};
use mesh_check::diagnostic::Severity;

fn err(text: &str) -> ConfigError {
    match Config::parse(text, "mesh.toml") {
        Ok(c) => panic!("expected an error for:\n{text}\ngot {c:?}"),
        Err(e) => e,
    }
}

/// Assert the error's kind and position, and that message and help are not empty.
fn assert_at(e: &ConfigError, kind: ConfigErrorKind, line: u32, column: u32) {
    assert_eq!(
        (e.kind, e.line, e.column),
        (kind, line, column),
        "unexpected error: {e}"
    );
    assert!(!e.message.is_empty() && !e.help.is_empty(), "{e:?}");
    assert_eq!(e.file, "mesh.toml");
}

#[test]
fn absent_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(dir.path()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.file, None);
    assert_eq!(config.docs.roots, ["docs"]);
    assert!(!config.docs.discover);
    assert_eq!(
        (
            config.readiness.prd,
            config.readiness.spec,
            config.readiness.decision_log
        ),
        (80, 80, 30)
    );
    assert_eq!(config.policy.decision_scope, DecisionScope::Range);
    assert!(config.policy.tick_is_status_change);
    assert_eq!(config.store.url, None);
    assert_eq!(
        (config.verify.command.as_deref(), config.verify.timeout_s),
        (None, 900)
    );
    assert!(config.lanes.is_empty() && config.openapi.paths.is_empty());
    assert!(config.rule_enabled("DOC001"));
    assert_eq!(
        config.severity_for("DOC001", Severity::Warning),
        Some(Severity::Warning)
    );
}

#[test]
fn empty_file_means_defaults_too() {
    let config = Config::parse("# nothing configured\n", "mesh.toml").unwrap();
    assert_eq!(config.file.as_deref(), Some("mesh.toml"));
    assert_eq!(
        Config {
            file: None,
            ..config
        },
        Config::default()
    );
}

const FULL: &str = r#"
[docs]
roots = ["./docs/", "services/billing/docs"]
discover = false

[readiness]
prd = 90
spec = 75
decision_log = 0

[rules]
select = ["DOC", "gov001", "DEC002"]
ignore = ["DOC003"]

[rules.severity]
DOC001 = "warning"
DEP = "off"
DOC = "info"

[policy]
decision_scope = "commit"
tick_is_status_change = false

[store]
url = "postgres://mesh@localhost/mesh"

[verify]
command = "cargo test --workspace"
timeout_s = 1200

[lanes]
"services/web" = "frontend"
api = "backend"

[openapi]
paths = ["api/openapi.yaml", "services/billing/openapi.json"]
"#;

#[test]
fn full_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CONFIG_FILE_NAME), FULL).unwrap();
    let c = Config::load(dir.path()).unwrap();

    assert_eq!(c.file.as_deref(), Some("mesh.toml"));
    assert_eq!(c.docs.roots, ["docs", "services/billing/docs"]);
    assert!(!c.docs.discover);
    assert_eq!(
        (c.readiness.prd, c.readiness.spec, c.readiness.decision_log),
        (90, 75, 0)
    );

    let codes = |list: &[mesh_check::config::RuleSelector]| {
        list.iter().map(|s| s.code.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        codes(&c.rules.select),
        ["DOC", "GOV001", "DEC002"],
        "codes are upper-cased"
    );
    assert_eq!(codes(&c.rules.ignore), ["DOC003"]);
    let position = c.rules.select[1].position.unwrap();
    assert_eq!(
        (position.line, position.column),
        (12, 18),
        "at the opening quote"
    );
    let overrides: Vec<_> = c
        .rules
        .severity
        .iter()
        .map(|o| (o.selector.code.as_str(), o.level))
        .collect();
    assert_eq!(
        overrides,
        [
            ("DOC001", RuleLevel::Warning),
            ("DEP", RuleLevel::Off),
            ("DOC", RuleLevel::Info)
        ],
        "overrides keep file order"
    );

    assert_eq!(c.policy.decision_scope, DecisionScope::Commit);
    assert!(!c.policy.tick_is_status_change);
    assert_eq!(
        c.store.url.as_deref(),
        Some("postgres://mesh@localhost/mesh")
    );
    assert_eq!(c.verify.command.as_deref(), Some("cargo test --workspace"));
    assert_eq!(c.verify.timeout_s, 1200);
    assert_eq!(
        c.lanes.get("services/web").map(String::as_str),
        Some("frontend")
    );
    assert_eq!(c.lanes.get("api").map(String::as_str), Some("backend"));
    assert_eq!(
        c.openapi.paths,
        ["api/openapi.yaml", "services/billing/openapi.json"]
    );

    // Rule selection and severities from that file.
    assert!(c.rule_enabled("DOC001"));
    assert!(!c.rule_enabled("DOC003"), "ignored");
    assert!(!c.rule_enabled("GOV002"), "not selected");
    assert!(c.rule_enabled("GOV001"));
    assert_eq!(
        c.severity_for("DOC001", Severity::Error),
        Some(Severity::Warning),
        "exact code beats prefix"
    );
    assert_eq!(
        c.severity_for("DOC002", Severity::Error),
        Some(Severity::Info),
        "prefix"
    );
    assert_eq!(
        c.severity_for("DEC002", Severity::Error),
        Some(Severity::Error),
        "default"
    );
    assert_eq!(c.severity_for("DOC003", Severity::Error), None, "ignored");
    assert!(
        c.check_rule_codes(&["DOC001", "DOC002", "DOC003", "GOV001", "DEC002", "DEP001"])
            .is_empty()
    );
}

#[test]
fn specific_select_beats_broad_ignore() {
    let c = Config::parse(
        "[rules]\nselect = [\"DOC001\"]\nignore = [\"DOC\"]\n",
        "mesh.toml",
    )
    .unwrap();
    assert!(c.rule_enabled("DOC001"));
    assert!(!c.rule_enabled("DOC002"));
    let c = Config::parse(
        "[rules]\nselect = [\"DOC\"]\nignore = [\"DOC\"]\n",
        "mesh.toml",
    )
    .unwrap();
    assert!(!c.rule_enabled("DOC001"), "equal specificity: ignore wins");
}

#[test]
fn severity_off_turns_a_rule_off() {
    let c = Config::parse("[rules.severity]\nDOC001 = \"off\"\n", "mesh.toml").unwrap();
    assert_eq!(c.severity_for("DOC001", Severity::Error), None);
    assert_eq!(
        c.severity_for("DOC002", Severity::Error),
        Some(Severity::Error)
    );
}

#[test]
fn invalid_toml_points_at_the_syntax_error() {
    let e = err("[docs]\nroots = [\"docs\"\ndiscover = true\n");
    assert_eq!(e.kind, ConfigErrorKind::Syntax);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("not valid TOML"), "{e}");
    let e = err("[readiness]\nprd = 80\nprd = 90\n");
    assert_at(&e, ConfigErrorKind::Syntax, 3, 1);
}

#[test]
fn unknown_key_points_at_the_key() {
    let e = err("[docs]\nroots = [\"docs\"]\n\n[readiness]\nprd = 80\nspecc = 70\n");
    assert_at(&e, ConfigErrorKind::Schema, 6, 1);
    assert!(e.message.contains("specc"), "{e}");
    assert!(e.help.contains("[readiness]"), "{e}");
    assert_eq!(
        (e.end_line, e.end_column),
        (Some(6), Some(6)),
        "the span covers the key"
    );
}

#[test]
fn unknown_section_points_at_the_section() {
    let e = err("[docs]\nroots = [\"docs\"]\n[rulez]\nselect = []\n");
    assert_at(&e, ConfigErrorKind::Schema, 3, 2);
    assert!(e.message.contains("rulez"), "{e}");
}

#[test]
fn wrong_type_points_at_the_value() {
    let e = err("[readiness]\nprd = \"eighty\"\n");
    assert_at(&e, ConfigErrorKind::Schema, 2, 7);
    assert!(e.message.contains("invalid type"), "{e}");
    let e = err("[docs]\ndiscover = \"no\"\n");
    assert_at(&e, ConfigErrorKind::Schema, 2, 12);
    let e = err("[docs]\nroots = \"docs\"\n");
    assert_at(&e, ConfigErrorKind::Schema, 2, 9);
    let e = err("[rules]\nselect = [\"DOC\", 7]\n");
    assert_at(&e, ConfigErrorKind::Schema, 2, 18);
}

#[test]
fn thresholds_must_be_percentages() {
    let e = err("[readiness]\nprd = 80\nspec = 120\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 3, 8);
    assert!(e.message.contains("120"), "{e}");
    assert!(e.help.contains("0 to 100"), "{e}");
    let e = err("[readiness]\ndecision_log = -1\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 16);
}

#[test]
fn severities_must_be_known() {
    let e = err("[rules.severity]\nDOC001 = \"warn\"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 10);
    assert!(e.help.contains("\"warning\""), "{e}");
}

#[test]
fn rule_selectors_must_look_like_codes() {
    let e = err("[rules]\nselect = [\"DOC001\", \"unfilled-placeholder\"]\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 21);
    let e = err("[rules.severity]\n\"DOC 1\" = \"error\"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 1);
}

#[test]
fn policy_scope_must_be_known() {
    let e = err("[policy]\ndecision_scope = \"branch\"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 18);
    assert!(e.help.contains("\"range\""), "{e}");
}

#[test]
fn verify_timeout_and_command_are_checked() {
    let e = err("[verify]\ncommand = \"make test\"\ntimeout_s = 0\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 3, 13);
    let e = err("[verify]\ncommand = \"   \"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 11);
    let e = err("[store]\nurl = \"\"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 7);
}

#[test]
fn roots_must_be_relative_unique_and_present() {
    let e = err("[docs]\nroots = [\"/etc/docs\"]\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 10);
    let e = err("[docs]\nroots = [\"../elsewhere\"]\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 10);
    let e = err("[docs]\nroots = [\"docs\", \"./docs/\"]\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 18);
    let e = err("[docs]\nroots = []\ndiscover = false\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 9);
    let e = err("[docs]\nroots = []\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 9);
    let c = Config::parse("[docs]\nroots = []\ndiscover = true\n", "mesh.toml").unwrap();
    assert!(
        c.docs.roots.is_empty() && c.docs.discover,
        "discovery alone is allowed"
    );
    let c = Config::parse("[docs]\nroots = [\".\"]\n", "mesh.toml").unwrap();
    assert_eq!(c.docs.roots, ["."]);
}

#[test]
fn lanes_and_openapi_paths_are_checked() {
    let e = err("[lanes]\n\"services/web\" = \"Front End\"\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 18);
    let e = err("[openapi]\npaths = [\"api.yaml\", \"C:/specs/api.yaml\"]\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 22);
}

#[test]
fn the_first_mistake_in_file_order_is_reported() {
    let e = err("[verify]\ntimeout_s = 0\n[readiness]\nprd = 101\n");
    assert_at(&e, ConfigErrorKind::InvalidValue, 2, 13);
}

#[test]
fn unknown_rule_codes_are_reported_with_a_suggestion() {
    let c = Config::parse(
        "[rules]\nselect = [\"DOC\", \"DOC00\"]\nignore = [\"XYZ\"]\n[rules.severity]\nDOC009 = \"off\"\n",
        "mesh.toml",
    )
    .unwrap();
    let errors = c.check_rule_codes(&["DOC001", "DOC002", "GOV001"]);
    let found: Vec<_> = errors.iter().map(|e| (e.kind, e.line, e.column)).collect();
    assert_eq!(
        found,
        [
            (ConfigErrorKind::UnknownRule, 3, 11),
            (ConfigErrorKind::UnknownRule, 5, 1)
        ],
        "DOC and DOC00 are prefixes of known codes; XYZ and DOC009 are unknown: {errors:?}"
    );
    assert!(
        errors[1].help.contains("did you mean `DOC00"),
        "{}",
        errors[1].help
    );
    assert!(errors[0].help.contains("mesh rules"), "{}", errors[0].help);
}

#[test]
fn errors_become_diagnostics_pointing_into_the_file() {
    let e = err("[readiness]\nprd = 120\n");
    let d = e.to_diagnostic();
    assert_eq!(d.code, "CFG004");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(
        (d.location.file.as_str(), d.location.line, d.location.column),
        ("mesh.toml", 2, 7)
    );
    assert_eq!(d.location.end_column, Some(10));
    assert_eq!(d.help.as_deref(), Some(e.help.as_str()));
    assert_eq!(
        e.to_string(),
        "mesh.toml:2:7: readiness.prd is 120, but a threshold is a percentage (help: use a whole number from 0 to 100)"
    );
}

#[test]
fn unreadable_files_are_errors_not_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(CONFIG_FILE_NAME)).unwrap();
    let e = Config::load(dir.path()).unwrap_err();
    assert_eq!((e.kind, e.code()), (ConfigErrorKind::Unreadable, "CFG001"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        b"[docs]\nroots = [\"\xff\"]\n",
    )
    .unwrap();
    let e = Config::load(dir.path()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::Unreadable);
    assert!(e.help.contains("UTF-8"), "{e}");
}
