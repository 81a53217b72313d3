//! `[code]` in mesh.toml: defaults, every key, and mistakes pointing at their line and column.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh_check::config::{Config, ConfigErrorKind, DEFAULT_CODE_EXCLUDE};

fn err(text: &str) -> mesh_check::config::ConfigError {
    match Config::parse(text, "mesh.toml") {
        Ok(c) => panic!("expected an error for:\n{text}\ngot {:?}", c.code),
        Err(e) => e,
    }
}

#[test]
fn defaults() {
    let c = Config::parse("", "mesh.toml").unwrap();
    assert!(c.code.scan);
    assert_eq!(c.code.exclude, DEFAULT_CODE_EXCLUDE);
    assert!(c.code.stack.entries.is_empty());
    assert_eq!(c.code, Config::default().code);
    // The built-in table is used as is.
    assert!(matches!(
        c.code.stack_table(),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn every_key() {
    let text = r#"
[code]
scan = false
exclude = ["vendor/**"]
extend_exclude = ["legacy/**", "**/generated/*.sql"]

[[code.stack]]
category = "database"
value = "postgres"
npm = ["@acme/pg"]

[[code.stack]]
category = "queue"
value = "kafka"
aliases = ["kafka"]
pypi = ["confluent-kafka"]
"#;
    let c = Config::parse(text, "mesh.toml").unwrap();
    assert!(!c.code.scan);
    assert_eq!(
        c.code.exclude,
        ["vendor/**", "legacy/**", "**/generated/*.sql"]
    );
    assert_eq!(c.code.stack.entries.len(), 2);
    let table = c.code.stack_table();
    // Merged into the built-in row, and a new category added.
    let pg = table
        .entries
        .iter()
        .find(|e| e.category == "database" && e.value == "postgres")
        .unwrap();
    assert!(pg.packages.iter().any(|p| p.name == "@acme/pg"));
    assert!(pg.packages.iter().any(|p| p.name == "pg"));
    assert!(table.categories().contains(&"queue"));
}

#[test]
fn extend_exclude_keeps_the_defaults() {
    let c = Config::parse("[code]\nextend_exclude = [\"old/**\"]\n", "mesh.toml").unwrap();
    let mut want: Vec<String> = DEFAULT_CODE_EXCLUDE.iter().map(|s| s.to_string()).collect();
    want.push("old/**".into());
    assert_eq!(c.code.exclude, want);
}

#[test]
fn unknown_keys_are_errors_at_the_key() {
    let e = err("[code]\nscan = true\nexclude_dirs = [\"x\"]\n");
    assert_eq!((e.kind, e.line, e.column), (ConfigErrorKind::Schema, 3, 1));
    assert!(e.help.contains("[code]"), "{}", e.help);
}

#[test]
fn wrong_types_are_errors_at_the_value() {
    let e = err("[code]\nscan = \"yes\"\n");
    assert_eq!((e.kind, e.line), (ConfigErrorKind::Schema, 2));
    let e = err("[code]\nexclude = \"target\"\n");
    assert_eq!((e.kind, e.line), (ConfigErrorKind::Schema, 2));
}

#[test]
fn bad_globs_point_at_the_glob() {
    let e = err("[code]\nexclude = [\"ok/**\", \"bad/[z-a\"]\n");
    assert_eq!(
        (e.kind, e.line, e.column),
        (ConfigErrorKind::InvalidValue, 2, 21)
    );
    assert!(e.message.contains("bad/[z-a"), "{}", e.message);
    let e = err("[code]\nextend_exclude = [\"  \"]\n");
    assert_eq!((e.kind, e.line), (ConfigErrorKind::InvalidValue, 2));
}

#[test]
fn bad_stack_rows_are_errors() {
    let e = err("[[code.stack]]\ncategory = \"database\"\nvalue = \"pg\"\ncobol = [\"x\"]\n");
    assert_eq!(e.kind, ConfigErrorKind::InvalidValue);
    assert!(e.message.contains("cobol"), "{}", e.message);
    let e = err("[[code.stack]]\nvalue = \"pg\"\n");
    assert_eq!(e.kind, ConfigErrorKind::InvalidValue);
    assert!(e.message.contains("category"), "{}", e.message);
    let e = err("[[code.stack]]\ncategory = \"database\"\nvalue = \"pg\"\nbuiltin = [\"cobol\"]\n");
    assert!(e.message.contains("cobol"), "{}", e.message);
}
