//! The drift rules on small repositories built at test time: quiet when there is nothing to
//! compare or the documents are unfilled templates, name matching per ecosystem, unreadable
//! files and constraints, `[code]` settings and `--select`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod drift_support;

use std::fs;
use std::path::Path;

use drift_support::{check_path, codes, drift, fixture, render};
use mesh_check::config::Config;
use mesh_check::engine::{Selection, check_dir, wants_code};
use mesh_docs::DocKind;
use mesh_docs::templates::{Generation, Values, render as render_template};

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// Copy the code (everything but docs/) of a fixture into `dir`.
fn copy_code(name: &str, dir: &Path) {
    fn copy(from: &Path, to: &Path) {
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                if e.file_name() == "docs" {
                    continue;
                }
                fs::create_dir_all(&target).unwrap();
                copy(&e.path(), &target);
            } else {
                fs::copy(e.path(), target).unwrap();
            }
        }
    }
    copy(&fixture(name), dir);
}

const SPEC_HEAD: &str = "# Technical Specification: T\n\n## Hydration Contract (for ACTIVE_SPEC)\n";

#[test]
fn unfilled_templates_compare_nothing() {
    for generation in [Generation::G15, Generation::G16] {
        let tmp = tempfile::tempdir().unwrap();
        copy_code("python-shop", tmp.path());
        copy_code("node-api", tmp.path());
        let values = Values {
            project_name: "Shop",
            date: "2026-01-02",
            author: "Ada",
            repo_path: ".",
        };
        for kind in [DocKind::Spec, DocKind::TechStack, DocKind::Prd] {
            write(
                tmp.path(),
                &format!("docs/{}", kind.file_name()),
                &render_template(kind, generation, &values),
            );
        }
        let diags = drift(check_path(tmp.path()));
        assert!(diags.is_empty(), "{generation:?}:\n{}", render(&diags));
    }
}

#[test]
fn documents_without_code_compare_nothing() {
    // The fixture docs, no manifest, OpenAPI document, route or migration beside them.
    for name in ["python-shop", "node-api"] {
        let tmp = tempfile::tempdir().unwrap();
        for kind in ["SPEC.md", "TECH_STACK.md"] {
            fs::create_dir_all(tmp.path().join("docs")).unwrap();
            fs::copy(
                fixture(name).join("docs").join(kind),
                tmp.path().join("docs").join(kind),
            )
            .unwrap();
        }
        let diags = drift(check_path(tmp.path()));
        assert!(diags.is_empty(), "{name}:\n{}", render(&diags));
    }
}

#[test]
fn names_match_per_ecosystem() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "docs/TECH_STACK.md",
        "# Tech Stack\n\n### Python Dependencies (Approved)\n```text\nUvicorn[standard]>=0.29\nDjangoRestFramework\n```\n\n\
         ### NPM Dependencies (Approved)\n```text\n@Types/Node@^20\nreact@^18\n```\n\n\
         ### Cargo Dependencies (Approved)\n```toml\nserde_json = \"1\"\n```\n\n\
         ### Go Dependencies (Approved)\n```text\ngithub.com/jackc/pgx\n```\n\n\
         ## Backend\n\n| Component | Choice | Version | Notes |\n|---|---|---|---|\n| Web | axum + tower-http | 0.8 | |\n",
    );
    write(
        d,
        "requirements.txt",
        "uvicorn[standard]==0.30.1\ndjangorestframework==3.15.1\n",
    );
    write(
        d,
        "package.json",
        r#"{ "name": "w", "dependencies": { "@types/node": "^20.1.0", "react": "^18.3.1" } }"#,
    );
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde-json = { package = \"serde_json\", version = \"1\" }\naxum = \"0.8\"\ntower_http = { package = \"tower-http\", version = \"0.6\" }\nlocal = { path = \"local\" }\n",
    );
    write(
        d,
        "go.mod",
        "module example.com/x\n\ngo 1.22\n\nrequire github.com/jackc/pgx/v5 v5.6.0\n",
    );
    let diags = drift(check_path(d));
    assert!(
        !codes(&diags).contains(&"DEP001"),
        "every dependency is approved:\n{}",
        render(&diags)
    );
    // A package the lists do not name is found, in the right ecosystem only.
    write(d, "requirements-dev.txt", "react==1.0\n");
    let diags = drift(check_path(d));
    let unapproved: Vec<&str> = diags
        .iter()
        .filter(|x| x.code == "DEP001")
        .map(|x| x.message.as_str())
        .collect();
    assert_eq!(
        unapproved,
        ["`react` (pypi) is not approved in TECH_STACK.md or SPEC.md"]
    );
}

#[test]
fn one_finding_per_package_with_the_other_declarations_related() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "docs/TECH_STACK.md",
        "# T\n\n### Cargo Dependencies (Approved)\n```toml\nserde = \"1\"\n```\n",
    );
    write(
        d,
        "Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"b\"]\n\n[workspace.dependencies]\nregex = \"1\"\n",
    );
    for m in ["a", "b"] {
        write(
            d,
            &format!("{m}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{m}\"\nversion = \"0.1.0\"\n\n[dependencies]\nregex.workspace = true\n"
            ),
        );
    }
    let diags = drift(check_path(d));
    assert_eq!(codes(&diags), ["DEP001"], "{}", render(&diags));
    assert_eq!(diags[0].location.file, "a/Cargo.toml");
    assert_eq!(diags[0].related.len(), 2, "{}", render(&diags));
    assert_eq!(diags[0].related[1].location.file, "b/Cargo.toml");
    assert_eq!(diags[0].related[1].message, "also declared here");
}

#[test]
fn unreadable_constraints_files_and_documents_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "mesh.toml",
        "[openapi]\npaths = [\"api/missing.yaml\"]\n",
    );
    write(
        d,
        "docs/SPEC.md",
        &format!(
            "{SPEC_HEAD}- Database: SQLite\n\n## Data Model\n\n**Core Entities**:\n- User: a person — id\n\n## Dependencies\n\n**Third-Party Libraries**:\n- fastapi: web; >=0.110 <1\n"
        ),
    );
    write(
        d,
        "requirements.txt",
        "fastapi==0.111.0\naiosqlite==0.20.0\n",
    );
    write(
        d,
        "web/package.json",
        "{ \"name\": \"w\", \"dependencies\": { ",
    );
    write(
        d,
        "db/001_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY,, name TEXT);\n",
    );
    let diags = drift(check_path(d));
    let got = codes(&diags);
    for code in ["DEP006", "DEP007", "API005", "DAT013"] {
        assert!(got.contains(&code), "{code} missing:\n{}", render(&diags));
    }
    let dep006 = diags.iter().find(|x| x.code == "DEP006").unwrap();
    assert_eq!(
        (dep006.location.file.as_str(), dep006.location.line),
        ("docs/SPEC.md", 14)
    );
    assert_eq!(dep006.related[0].location.file, "requirements.txt");
    let dep007 = diags.iter().find(|x| x.code == "DEP007").unwrap();
    assert_eq!(dep007.location.file, "web/package.json");
    let api005 = diags.iter().find(|x| x.code == "API005").unwrap();
    assert_eq!(api005.location.file, "api/missing.yaml");
    let dat013 = diags.iter().find(|x| x.code == "DAT013").unwrap();
    assert_eq!(dat013.location.file, "db/001_users.sql");
}

#[test]
fn join_tables_self_relationships_and_bookkeeping() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "docs/SPEC.md",
        "# S\n\n## Data Model\n\n**Core Entities**:\n- Task: work — id\n- Tag: a label — id\n- Person: someone — id\n\n\
         **Relationships**:\n- Task → Task: N:M (dependencies)\n- Task → Tag: N:M\n- Person → Task: 1:N\n",
    );
    write(
        d,
        "migrations/0001.sql",
        "CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT);\n\
         CREATE TABLE tags (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE people (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE task_dependencies (task_id INTEGER REFERENCES tasks (id), depends_on INTEGER REFERENCES tasks (id));\n\
         CREATE TABLE task_tags (task_id INTEGER REFERENCES tasks (id), tag_id INTEGER REFERENCES tags (id), PRIMARY KEY (task_id, tag_id));\n\
         CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\n",
    );
    let diags = drift(check_path(d));
    // Person → Task has no foreign key; the join tables and alembic's table are not entities.
    assert_eq!(codes(&diags), ["DAT012"], "{}", render(&diags));
    assert!(diags[0].message.contains("Person → Task"));
    // A foreign key added later by ALTER TABLE counts.
    write(
        d,
        "migrations/0002.sql",
        "ALTER TABLE tasks ADD COLUMN owner_id INTEGER REFERENCES people (id);\n",
    );
    let diags = drift(check_path(d));
    assert!(diags.is_empty(), "{}", render(&diags));
}

#[test]
fn stack_table_rows_from_mesh_toml_count_as_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        "docs/SPEC.md",
        &format!("{SPEC_HEAD}- Database: CockroachDB\n- Auth: JWT\n"),
    );
    write(
        d,
        "package.json",
        r#"{ "name": "w", "dependencies": { "@acme/crdb": "^1.0.0", "jose": "^5.0.0" } }"#,
    );
    // The built-in table does not know CockroachDB: nothing is compared for Database.
    assert!(drift(check_path(d)).is_empty());
    write(
        d,
        "mesh.toml",
        "[[code.stack]]\ncategory = \"database\"\nvalue = \"cockroachdb\"\naliases = [\"cockroach\", \"cockroachdb\", \"crdb\"]\nnpm = [\"@acme/crdb-next\"]\n",
    );
    let diags = drift(check_path(d));
    assert_eq!(codes(&diags), ["STK001"], "{}", render(&diags));
    write(
        d,
        "mesh.toml",
        "[[code.stack]]\ncategory = \"database\"\nvalue = \"cockroachdb\"\naliases = [\"cockroachdb\"]\nnpm = [\"@acme/crdb\"]\n",
    );
    assert!(drift(check_path(d)).is_empty());
}

#[test]
fn selecting_document_rules_skips_the_scan() {
    let config = Config::default();
    let doc_only = Selection {
        select: vec!["DOC".into()],
        ignore: Vec::new(),
    };
    assert!(!wants_code(&config, &doc_only));
    assert!(wants_code(&config, &Selection::default()));
    let dat001_only = Selection {
        select: vec!["DAT001".into()],
        ignore: Vec::new(),
    };
    assert!(!wants_code(&config, &dat001_only));
    let dat = Selection {
        select: vec!["DAT".into()],
        ignore: Vec::new(),
    };
    assert!(wants_code(&config, &dat));
    let reports = check_dir(&fixture("python-shop"), &config, &doc_only, false).unwrap();
    let all: Vec<_> = reports.into_iter().flat_map(|r| r.diagnostics).collect();
    assert!(drift(all).is_empty());
}
