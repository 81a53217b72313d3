//! Every parser returns (facts or an error) on any input, and every location it reports lies
//! inside the text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh_deps::lock::{Lockfile, Manifest};
use mesh_deps::{Ecosystem, ParseError, SourceLoc};
use proptest::prelude::*;

fn check_loc(text: &str, at: &SourceLoc) {
    assert!(at.line >= 1 && at.column >= 1, "{at:?}");
    assert!(at.byte_range.start <= at.byte_range.end, "{at:?}");
    assert!(
        at.byte_range.end <= text.len(),
        "{at:?} beyond {}",
        text.len()
    );
    assert!(text.is_char_boundary(at.byte_range.start), "{at:?}");
    assert!(text.is_char_boundary(at.byte_range.end), "{at:?}");
    let lines = text.split('\n').count();
    assert!(
        at.line as usize <= lines.max(1),
        "{at:?} beyond {lines} lines"
    );
}

fn check_err(text: &str, e: &ParseError) {
    check_loc(text, &e.location());
}

fn check_manifest(text: &str, r: Result<Manifest, ParseError>) {
    match r {
        Ok(m) => {
            for d in m.dependencies.iter().chain(&m.workspace_dependencies) {
                check_loc(text, &d.declared_at);
            }
            for p in &m.problems {
                check_loc(text, &p.at);
            }
            for i in &m.includes {
                check_loc(text, &i.at);
            }
        }
        Err(e) => check_err(text, &e),
    }
}

fn check_lock(text: &str, r: Result<Lockfile, ParseError>) {
    match r {
        Ok(l) => {
            for p in &l.packages {
                check_loc(text, &p.at);
            }
            for p in &l.problems {
                check_loc(text, &p.at);
            }
        }
        Err(e) => check_err(text, &e),
    }
}

fn all_parsers(text: &str) {
    check_manifest(text, mesh_deps::cargo::parse_cargo_manifest("f", text));
    check_lock(text, mesh_deps::cargo::parse_cargo_lock("f", text));
    check_manifest(text, mesh_deps::npm::parse_package_json("f", text));
    check_lock(text, mesh_deps::npm::parse_package_lock("f", text));
    check_lock(text, mesh_deps::npm::parse_pnpm_lock("f", text));
    check_lock(text, mesh_deps::npm::parse_yarn_lock("f", text));
    check_manifest(text, mesh_deps::python::parse_requirements("f", text));
    check_manifest(text, mesh_deps::python::parse_pyproject("f", text));
    check_lock(text, mesh_deps::python::parse_uv_lock("f", text));
    check_lock(text, mesh_deps::python::parse_poetry_lock("f", text));
    check_manifest(text, mesh_deps::gomod::parse_go_mod("f", text));
    for name in ["f.yaml", "f.json"] {
        match mesh_deps::openapi::parse_openapi(name, text) {
            Ok(Some(doc)) => doc.operations.iter().for_each(|o| check_loc(text, &o.at)),
            Ok(None) => {}
            Err(e) => check_err(text, &e),
        }
    }
    match mesh_deps::sql::parse_sql("f.sql", text) {
        Ok(f) => {
            for p in &f.problems {
                check_loc(text, &p.at);
            }
            for t in mesh_deps::sql::apply_migrations([&f]) {
                check_loc(text, &t.at);
                t.columns.iter().for_each(|c| check_loc(text, &c.at));
                t.foreign_keys.iter().for_each(|k| check_loc(text, &k.at));
            }
        }
        Err(e) => check_err(text, &e),
    }
    for name in ["f.rs", "f.js", "f.py"] {
        for r in mesh_deps::routes::find_routes(name, text) {
            check_loc(text, &r.at);
        }
    }
    for eco in Ecosystem::ALL {
        let _ = mesh_deps::satisfies(eco, text, "1.2.3");
        let _ = mesh_deps::satisfies(eco, ">=1", text);
        let _ = mesh_deps::parse_requirement(eco, text);
        let _ = mesh_deps::normalize_name(eco, text);
    }
    let _ = mesh_deps::normalize_route_path(text);
    let _ = mesh_deps::entity_matches_table(text, "users");
    let _ = mesh_deps::entity_key(text);
    let _ = mesh_deps::StackTable::builtin().values_mentioned("database", text);
}

/// Pieces of the formats, so that random texts reach deep into the parsers.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[package]\n".to_string()),
        Just("[dependencies]\n".to_string()),
        Just("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n".to_string()),
        Just("dependencies = [\"b 1.0\"]\n".to_string()),
        Just("x = { version = \"1\", features = [\"f\"] }\n".to_string()),
        Just("{\"dependencies\": {\"a\": \"^1\"}, \"packages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}}}".to_string()),
        Just("\"openapi\": \"3.1.0\", \"paths\": {\"/a/{b}\": {\"get\": {}}}".to_string()),
        Just("openapi: 3.0.0\npaths:\n  /x:\n    get: {}\n".to_string()),
        Just("importers:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0(b@2)\n".to_string()),
        Just("packages:\n  /a@1.0.0:\n    dev: true\n".to_string()),
        Just("\"a@^1\", a@~1:\n  version \"1.2.3\"\n  dependencies:\n    b \"^2\"\n".to_string()),
        Just("-r other.txt\n-c c.txt\n-e git+https://x#egg=y\n".to_string()),
        Just("Django[x]>=4,<5 ; python_version > '3' \\\n --hash=sha256:ab\n".to_string()),
        Just("[project]\ndependencies = [\"a>=1\"]\n[tool.poetry.dependencies]\nb = \"^1\"\n".to_string()),
        Just("module a\nrequire (\n b v1.0.0 // indirect\n)\nreplace b => ../b\n".to_string()),
        Just("CREATE TABLE t (id INT REFERENCES u(id), FOREIGN KEY (a) REFERENCES v(b));\n".to_string()),
        Just("ALTER TABLE t ADD COLUMN c TEXT; ALTER TABLE t RENAME TO s; DROP TABLE s;\n".to_string()),
        Just("$$ ' \" ` /* -- \n".to_string()),
        Just(".route(\"/a/:b\", get(h).post(g))\n".to_string()),
        Just("app.get('/x', h); router.route('/y').get(a).post(\n".to_string()),
        Just("from fastapi import APIRouter\n@app.get(\"/p/{q}\")\n@bp.route('/r', methods=['GET'])\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("é∑😀\r\n\t".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        all_parsers(&text);
    }

    #[test]
    fn assembled_fragments_never_panic(parts in prop::collection::vec(fragment(), 0..12)) {
        all_parsers(&parts.concat());
    }

    #[test]
    fn truncated_fixture_texts_never_panic(cut in 0usize..4000, which in 0usize..8) {
        let files = [
            include_str!("fixtures/cargo-app/Cargo.lock"),
            include_str!("fixtures/pnpm-app/pnpm-lock.yaml"),
            include_str!("fixtures/yarn-app/yarn.lock"),
            include_str!("fixtures/uv-app/uv.lock"),
            include_str!("fixtures/openapi/petstore-3.0.yaml"),
            include_str!("fixtures/openapi/library-3.1.json"),
            include_str!("fixtures/sql/postgres/migrations/0002_products.up.sql"),
            include_str!("fixtures/python-app/requirements.txt"),
        ];
        let text = files[which];
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        all_parsers(&text[..end]);
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    for text in [
        "[".repeat(20_000),
        "{\"a\":".repeat(20_000),
        "- ".repeat(5_000),
        format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
        format!(
            "CREATE TABLE t (c INT DEFAULT {}1{});",
            "(".repeat(5_000),
            ")".repeat(5_000)
        ),
        format!(".route(\"/x\", {}", "get(".repeat(5_000)),
    ] {
        all_parsers(&text);
    }
}
