//! Scans of the fixture repositories under tests/fixtures/. The lockfiles there were written by
//! the real tools (cargo generate-lockfile, npm install --package-lock-only, pnpm 9
//! --lockfile-only, yarn 1, uv lock, poetry lock); go.mod is hand-written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mesh_deps::{
    DepKind, DepSource, Dependency, Ecosystem, ExcludeSet, FileKind, Framework, ProblemSeverity,
    RepoFacts, ScanOptions, detect_stack, scan,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn scan_fixture(name: &str) -> RepoFacts {
    scan(&fixture(name), &ScanOptions::default())
}

fn direct<'a>(facts: &'a RepoFacts, name: &str) -> &'a Dependency {
    let found: Vec<_> = facts
        .dependencies
        .iter()
        .filter(|d| d.direct && d.name == name)
        .collect();
    assert_eq!(found.len(), 1, "direct dependency {name}: {found:#?}");
    found[0]
}

fn stack(facts: &RepoFacts) -> Vec<(String, String)> {
    detect_stack(facts)
        .into_iter()
        .map(|s| (s.category, s.value))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
        .collect()
}

fn routes(facts: &RepoFacts) -> Vec<(Framework, String, String, u32)> {
    facts
        .routes
        .iter()
        .map(|r| (r.framework, r.method.clone(), r.path.clone(), r.at.line))
        .collect()
}

#[test]
fn cargo_workspace() {
    let f = scan_fixture("cargo-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let names: Vec<_> = f.direct_dependencies().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "axum",
            "serde",
            "tokio",
            "tokio-postgres",
            "jsonwebtoken",
            "util",
            "pretty-assertions",
            "regex",
            "serde-json",
            "libc"
        ]
    );
    let axum = direct(&f, "axum");
    assert_eq!(axum.requirement.as_deref(), Some("0.7"));
    assert_eq!(axum.locked_version.as_deref(), Some("0.7.9"));
    assert_eq!(axum.declared_at.file, "app/Cargo.toml");
    assert_eq!(axum.declared_at.line, 7);
    assert_eq!(axum.declared_by.as_deref(), Some("app"));
    assert_eq!(axum.locked_at.as_ref().unwrap().file, "Cargo.lock");
    // Inherited from [workspace.dependencies], features merged.
    let tokio = direct(&f, "tokio");
    assert_eq!(tokio.requirement.as_deref(), Some("1.38"));
    assert_eq!(tokio.features, ["rt-multi-thread", "macros", "net"]);
    assert!(
        mesh_deps::satisfies(
            Ecosystem::Cargo,
            "1.38",
            tokio.locked_version.as_deref().unwrap()
        )
        .unwrap()
    );
    let util = direct(&f, "util");
    assert_eq!(util.source, DepSource::Path("../util".into()));
    assert_eq!(util.locked_version.as_deref(), Some("0.1.0"));
    assert_eq!(direct(&f, "pretty-assertions").kind, DepKind::Dev);
    assert_eq!(
        direct(&f, "pretty-assertions").display_name,
        "pretty_assertions"
    );
    assert_eq!(direct(&f, "libc").marker.as_deref(), Some("cfg(unix)"));
    // Transitive packages come from Cargo.lock; workspace members are not dependencies.
    let transitive: Vec<_> = f.dependencies.iter().filter(|d| !d.direct).collect();
    assert!(transitive.len() > 100, "{}", transitive.len());
    assert!(
        transitive
            .iter()
            .all(|d| d.declared_at.file == "Cargo.lock")
    );
    assert!(
        !transitive
            .iter()
            .any(|d| d.name == "app" || d.name == "util")
    );
    assert!(transitive.iter().any(|d| d.name == "hyper"));
    assert_eq!(
        routes(&f),
        [
            (Framework::Axum, "GET".into(), "/health".into(), 17),
            (Framework::Axum, "GET".into(), "/users".into(), 18),
            (Framework::Axum, "POST".into(), "/users".into(), 18),
            (Framework::Axum, "DELETE".into(), "/users/{}".into(), 19),
            (Framework::Axum, "GET".into(), "/users/{}".into(), 19),
        ]
    );
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "postgres"),
            ("auth", "jwt"),
            ("api_style", "rest"),
            ("testing", "cargo-test"),
        ])
    );
}

#[test]
fn npm_workspace_with_package_lock() {
    let f = scan_fixture("npm-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let pg: Vec<_> = f.direct_dependencies().filter(|d| d.name == "pg").collect();
    assert_eq!(pg.len(), 2);
    assert_eq!(pg[0].kind, DepKind::Normal);
    assert_eq!(pg[0].requirement.as_deref(), Some("^8.11.0"));
    assert_eq!(pg[0].locked_version.as_deref(), Some("8.23.1"));
    assert_eq!(pg[0].declared_at.line, 9);
    assert_eq!(pg[1].kind, DepKind::Peer);
    assert_eq!(pg[1].declared_at.file, "packages/api/package.json");
    // npm alias: the real package is string-width, installed as string-width-cjs.
    let sw = direct(&f, "string-width");
    assert_eq!(sw.alias.as_deref(), Some("string-width-cjs"));
    assert_eq!(sw.requirement.as_deref(), Some("^4.2.0"));
    assert_eq!(sw.locked_version.as_deref(), Some("4.2.3"));
    assert_eq!(direct(&f, "jest").kind, DepKind::Dev);
    let express = direct(&f, "express");
    assert_eq!(express.declared_by.as_deref(), Some("@npm-app/api"));
    assert_eq!(express.locked_version.as_deref(), Some("4.22.3"));
    assert_eq!(
        direct(&f, "lodash").locked_version.as_deref(),
        Some("4.17.23")
    );
    // A workspace member resolved through the lockfile's link entry.
    assert_eq!(direct(&f, "@npm-app/web").source, DepSource::Workspace);
    let dev_transitive = f
        .dependencies
        .iter()
        .filter(|d| !d.direct && d.kind == DepKind::Dev)
        .count();
    assert!(dev_transitive > 200, "{dev_transitive}");
    assert_eq!(
        routes(&f),
        [
            (Framework::Express, "GET".into(), "/health".into(), 7),
            (Framework::Express, "GET".into(), "/api/users".into(), 9),
            (Framework::Express, "POST".into(), "/api/users".into(), 10),
            (Framework::Express, "GET".into(), "/api/users/{}".into(), 11),
            (Framework::Express, "DELETE".into(), "/orders/{}".into(), 15),
            (Framework::Express, "GET".into(), "/orders/{}".into(), 15),
        ]
    );
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "postgres"),
            ("auth", "jwt"),
            ("api_style", "rest"),
            ("testing", "jest"),
        ])
    );
}

#[test]
fn pnpm_lockfile_v9() {
    let f = scan_fixture("pnpm-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let rd = direct(&f, "react-dom");
    assert_eq!(rd.locked_version.as_deref(), Some("18.3.1"));
    assert_eq!(rd.locked_at.as_ref().unwrap().file, "pnpm-lock.yaml");
    assert_eq!(
        direct(&f, "mocha").locked_version.as_deref(),
        Some("10.8.2")
    );
    assert_eq!(
        direct(&f, "graphql").locked_version.as_deref(),
        Some("16.15.0")
    );
    // pnpm resolved 85 packages: 5 direct, 80 transitive.
    assert_eq!(f.dependencies.len(), 85);
    let ms = f.dependencies.iter().find(|d| d.name == "ms").unwrap();
    assert!(!ms.direct);
    assert_eq!(ms.locked_version.as_deref(), Some("2.1.3"));
    assert_eq!(ms.declared_at.line, 237);
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "redis"),
            ("api_style", "graphql"),
            ("testing", "mocha"),
        ])
    );
}

#[test]
fn yarn_v1_lockfile() {
    let f = scan_fixture("yarn-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    assert_eq!(direct(&f, "koa").locked_version.as_deref(), Some("2.16.4"));
    assert_eq!(
        direct(&f, "left-pad").locked_version.as_deref(),
        Some("1.3.0")
    );
    let lodash = direct(&f, "lodash");
    assert_eq!(lodash.alias.as_deref(), Some("my-lodash"));
    assert_eq!(lodash.locked_version.as_deref(), Some("4.18.1"));
    assert_eq!(lodash.locked_at.as_ref().unwrap().line, 669);
    assert!(
        f.dependencies
            .iter()
            .any(|d| !d.direct && d.name == "accepts")
    );
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "mysql"),
            ("api_style", "rest"),
            ("testing", "mocha"),
        ])
    );
}

#[test]
fn requirements_files_with_includes_constraints_and_markers() {
    let f = scan_fixture("python-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    // common.txt is read through `-r`; constraints.txt only pins versions.
    let names: Vec<_> = f.direct_dependencies().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pydantic",
            "sqlalchemy",
            "pytest",
            "pytest-cov",
            "ruff",
            "fastapi",
            "uvicorn",
            "psycopg",
            "pyjwt",
            "requests"
        ]
    );
    assert!(!f.dependencies.iter().any(|d| d.name == "anyio"));
    let sa = direct(&f, "sqlalchemy");
    assert_eq!(sa.display_name, "SQLAlchemy");
    assert_eq!(sa.features, ["asyncio"]);
    assert_eq!(sa.requirement.as_deref(), Some(">=2.0, <2.1"));
    assert_eq!(sa.marker.as_deref(), Some("platform_system != 'Windows'"));
    assert_eq!(sa.declared_at.line, 2);
    let uv = direct(&f, "uvicorn");
    assert_eq!(uv.features, ["standard"]);
    assert_eq!(uv.kind, DepKind::Normal);
    let pg = direct(&f, "psycopg");
    assert_eq!(pg.locked_version.as_deref(), Some("3.1.18"));
    assert_eq!(pg.marker.as_deref(), Some("python_full_version >= '3.10'"));
    let rq = direct(&f, "requests");
    assert_eq!(rq.requirement, None);
    assert_eq!(rq.locked_version.as_deref(), Some("2.31.0"));
    assert_eq!(rq.locked_at.as_ref().unwrap().file, "constraints.txt");
    assert_eq!(direct(&f, "pyjwt").display_name, "PyJWT");
    assert_eq!(direct(&f, "pytest").kind, DepKind::Dev);
    assert_eq!(
        routes(&f),
        [
            (Framework::FastApi, "GET".into(), "/health".into(), 7),
            (Framework::FastApi, "GET".into(), "/users".into(), 12),
            (Framework::FastApi, "POST".into(), "/users".into(), 17),
            (Framework::FastApi, "GET".into(), "/users/{}".into(), 22),
        ]
    );
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "postgres"),
            ("auth", "jwt"),
            ("api_style", "rest"),
            ("testing", "pytest"),
        ])
    );
}

#[test]
fn pep621_project_with_uv_lock() {
    let f = scan_fixture("uv-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let apg = direct(&f, "asyncpg");
    assert_eq!(apg.requirement.as_deref(), Some(">=0.29"));
    assert_eq!(apg.locked_version.as_deref(), Some("0.32.0"));
    assert_eq!(apg.marker.as_deref(), Some("sys_platform != 'win32'"));
    assert_eq!(apg.declared_by.as_deref(), Some("uv-app"));
    let redis = direct(&f, "redis");
    assert_eq!(redis.kind, DepKind::Optional);
    assert_eq!(redis.group.as_deref(), Some("redis"));
    let pytest = direct(&f, "pytest");
    assert_eq!(pytest.kind, DepKind::Dev);
    assert_eq!(pytest.group.as_deref(), Some("dev"));
    assert!(pytest.locked_version.is_some());
    // The project's own (editable) entry in uv.lock is not a dependency.
    assert!(!f.dependencies.iter().any(|d| d.name == "uv-app"));
    assert!(
        f.dependencies
            .iter()
            .any(|d| !d.direct && d.name == "anyio")
    );
    assert!(f.has_ecosystem(Ecosystem::PyPI));
    assert!(!f.has_ecosystem(Ecosystem::Cargo));
}

#[test]
fn poetry_project_with_poetry_lock() {
    let f = scan_fixture("poetry-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let flask = direct(&f, "flask");
    assert_eq!(flask.display_name, "Flask");
    assert_eq!(flask.requirement.as_deref(), Some("^3.0"));
    assert_eq!(flask.locked_version.as_deref(), Some("3.1.3"));
    assert!(mesh_deps::satisfies(Ecosystem::PyPI, "^3.0", "3.1.3").unwrap());
    assert!(!f.dependencies.iter().any(|d| d.name == "python"));
    assert_eq!(direct(&f, "pymongo").features, ["srv"]);
    let pytest = direct(&f, "pytest");
    assert_eq!(pytest.kind, DepKind::Dev);
    assert_eq!(pytest.group.as_deref(), Some("test"));
    // Transitive test-only packages are marked dev from poetry.lock's groups.
    let pluggy = f.dependencies.iter().find(|d| d.name == "pluggy").unwrap();
    assert!(!pluggy.direct);
    assert_eq!(pluggy.kind, DepKind::Dev);
    assert_eq!(
        routes(&f),
        [
            (Framework::Flask, "GET".into(), "/api/items".into(), 7),
            (Framework::Flask, "POST".into(), "/api/items".into(), 7),
            (Framework::Flask, "GET".into(), "/api/items/{}".into(), 12),
            (
                Framework::Flask,
                "DELETE".into(),
                "/api/items/{}".into(),
                17
            ),
            (Framework::Flask, "GET".into(), "/ping".into(), 23),
        ]
    );
    assert_eq!(
        stack(&f),
        pairs(&[
            ("database", "mongodb"),
            ("auth", "jwt"),
            ("api_style", "rest"),
            ("testing", "pytest"),
        ])
    );
}

#[test]
fn go_module() {
    let f = scan_fixture("go-app");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let pgx = direct(&f, "github.com/jackc/pgx/v5");
    assert_eq!(pgx.locked_version.as_deref(), Some("v5.6.0"));
    assert_eq!(pgx.declared_at.line, 10);
    assert_eq!(pgx.declared_by.as_deref(), Some("example.com/shop"));
    assert!(mesh_deps::names_match(
        Ecosystem::Go,
        &pgx.name,
        "github.com/jackc/pgx"
    ));
    let money = direct(&f, "example.com/shop/internal/money");
    assert_eq!(money.source, DepSource::Path("./internal/money".into()));
    let indirect: Vec<_> = f
        .dependencies
        .iter()
        .filter(|d| !d.direct)
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        indirect,
        [
            "github.com/bytedance/sonic",
            "github.com/gin-contrib/sse",
            "github.com/jackc/pgpassfile",
            "golang.org/x/crypto",
            "gopkg.in/yaml.v3"
        ]
    );
    let facts = detect_stack(&f);
    let testing = facts.iter().find(|s| s.value == "go-test").unwrap();
    assert_eq!(testing.evidence.len(), 2);
    assert_eq!(testing.evidence[0].package, "go (built-in)");
}

#[test]
fn openapi_documents() {
    let f = scan_fixture("openapi");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    assert_eq!(f.openapi.len(), 2);
    let lib = &f.openapi[0];
    assert_eq!(lib.file, "library-3.1.json");
    assert_eq!(lib.version, "3.1.0");
    assert_eq!(lib.server_paths, ["/api"]);
    let ops: Vec<_> = lib
        .operations
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str(), o.at.line))
        .collect();
    // Webhooks are not operations of the API's paths.
    assert_eq!(
        ops,
        [
            ("GET", "/books", 12),
            ("POST", "/books", 16),
            ("GET", "/books/{}", 22),
            ("PUT", "/books/{}", 26),
            ("GET", "/authors", 32),
        ]
    );
    let pets = &f.openapi[1];
    assert_eq!(pets.version, "3.0.3");
    assert_eq!(pets.title.as_deref(), Some("Pet Store"));
    assert_eq!(pets.server_paths, ["/v1", "/v1"]);
    let ops: Vec<_> = pets
        .operations
        .iter()
        .map(|o| {
            (
                o.method.as_str(),
                o.raw_path.as_str(),
                o.at.line,
                o.operation_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("GET", "/pets", 10, Some("listPets")),
            ("POST", "/pets", 16, Some("createPet")),
            ("GET", "/pets/{petId}", 28, Some("showPetById")),
            ("DELETE", "/pets/{petId}", 33, Some("deletePet")),
            ("GET", "/owners/{ownerId}/pets", 39, None),
        ]
    );
    assert!(mesh_deps::routes_match(
        &pets.operations[2].path,
        "/pets/:id"
    ));
    // The CI workflow YAML is not an OpenAPI document.
    assert!(!f.files.iter().any(|x| x.path == "not-openapi.yaml"));
}

#[test]
fn openapi_named_in_configuration() {
    let opts = ScanOptions {
        discover_openapi: false,
        openapi_files: vec![
            "petstore-3.0.yaml".into(),
            "missing.yaml".into(),
            "not-openapi.yaml".into(),
        ],
        ..ScanOptions::default()
    };
    let f = scan(&fixture("openapi"), &opts);
    assert_eq!(f.openapi.len(), 1);
    assert_eq!(f.openapi[0].file, "petstore-3.0.yaml");
    let problems: Vec<_> = f.problems.iter().map(|p| p.at.file.as_str()).collect();
    assert_eq!(problems, ["missing.yaml", "not-openapi.yaml"]);
}

#[test]
fn sql_migrations_in_both_dialects() {
    let f = scan_fixture("sql");
    assert!(f.problems.is_empty(), "{:#?}", f.problems);
    let tables: Vec<_> = f.tables.iter().map(|t| t.name.as_str()).collect();
    // Down migrations are skipped; DROP and RENAME are applied; TEMPORARY tables ignored.
    assert_eq!(
        tables,
        [
            "users",
            "orders",
            "products",
            "order_items",
            "categories",
            "authors",
            "books",
            "book_loans"
        ]
    );
    let users = &f.tables[0];
    let cols: Vec<_> = users.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cols, ["id", "email", "created_at", "nickname"]);
    assert_eq!(users.columns[0].data_type, "BIGSERIAL");
    assert_eq!(users.at.file, "postgres/migrations/0001_init.up.sql");
    assert_eq!(users.at.line, 4);
    let orders = &f.tables[1];
    assert_eq!(orders.schema.as_deref(), Some("public"));
    assert_eq!(orders.foreign_keys[0].references_table, "users");
    assert_eq!(orders.foreign_keys[0].at.line, 12);
    let items = &f.tables[3];
    let fks: Vec<_> = items
        .foreign_keys
        .iter()
        .map(|k| (k.columns.join(","), k.references_table.as_str(), k.at.line))
        .collect();
    assert_eq!(
        fks,
        [
            ("order_id".into(), "orders", 12),
            ("product_id".into(), "products", 13)
        ]
    );
    let products = &f.tables[2];
    assert_eq!(products.foreign_keys[0].references_table, "categories");
    assert_eq!(
        products.foreign_keys[0].at.file,
        "postgres/migrations/0003_categories.up.sql"
    );
    let books = &f.tables[6];
    assert_eq!(books.columns[3].name, "isbn");
    assert_eq!(books.columns[3].data_type, "");
    assert_eq!(f.tables[7].foreign_keys[0].references_table, "books");
    assert!(f.find_table("OrderItem").is_some());
    assert!(f.find_table("Category").is_some());
    assert!(f.find_table("Invoice").is_none());
}

#[test]
fn malformed_inputs_give_diagnostics_not_crashes() {
    let f = scan_fixture("malformed");
    let got: Vec<_> = f
        .problems
        .iter()
        .map(|p| (p.at.file.as_str(), p.at.line, p.severity))
        .collect();
    use ProblemSeverity::{Error, Warning};
    assert_eq!(
        got,
        [
            ("binary/requirements.txt", 1, Error),
            ("cargo/Cargo.lock", 3, Warning),
            ("cargo/Cargo.toml", 6, Error),
            ("go/go.mod", 3, Warning),
            ("go/go.mod", 4, Warning),
            ("npm/package-lock.json", 7, Error),
            ("npm/package.json", 5, Error),
            ("openapi/openapi.json", 2, Error),
            ("openapi/openapi.yaml", 7, Error),
            ("pnpm/pnpm-lock.yaml", 7, Error),
            ("poetry/poetry.lock", 1, Warning),
            ("python/pyproject.toml", 1, Error),
            ("python/requirements.txt", 1, Warning),
            ("python/requirements.txt", 2, Warning),
            ("python/requirements.txt", 3, Warning),
            ("python/requirements.txt", 5, Warning),
            ("sql/broken.sql", 2, Warning),
            ("sql/unterminated.sql", 2, Error),
            ("uv/uv.lock", 2, Error),
            ("yarn/yarn.lock", 7, Warning),
            ("yarn/yarn.lock", 9, Warning),
        ]
    );
    for p in &f.problems {
        assert!(!p.message.is_empty());
        assert!(p.at.line >= 1 && p.at.column >= 1);
    }
    // What could be read still was.
    assert_eq!(direct(&f, "good").locked_version.as_deref(), Some("1.0"));
    assert_eq!(
        direct(&f, "github.com/c/d").locked_version.as_deref(),
        Some("v1.0.0")
    );
    let tables: Vec<_> = f.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["ok", "also_ok"]);
    assert!(
        f.dependencies
            .iter()
            .any(|d| d.name == "flask" && !d.direct)
    );
    assert!(f.files.iter().any(|x| x.kind == FileKind::YarnLock));
}

#[test]
fn whole_fixture_tree_scans_and_excludes_work() {
    let all = scan(&fixture(""), &ScanOptions::default());
    assert!(all.dependencies.len() > 700);
    let excluded = scan(
        &fixture(""),
        &ScanOptions {
            exclude: ExcludeSet::new(&["malformed/**".into(), "npm-app/**".into()]).into(),
            ..ScanOptions::default()
        },
    );
    assert!(excluded.problems.is_empty(), "{:#?}", excluded.problems);
    assert!(
        !excluded
            .files
            .iter()
            .any(|f| f.path.starts_with("npm-app/"))
    );
    assert!(
        excluded
            .files
            .iter()
            .any(|f| f.path.starts_with("yarn-app/"))
    );
    let no_transitive = scan(
        &fixture("cargo-app"),
        &ScanOptions {
            include_transitive: false,
            ..ScanOptions::default()
        },
    );
    assert!(no_transitive.dependencies.iter().all(|d| d.direct));
    let missing = scan(&fixture("does-not-exist"), &ScanOptions::default());
    assert_eq!(missing.problems.len(), 1);
}

#[test]
fn gitignored_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").unwrap();
    std::fs::create_dir_all(dir.path().join("generated")).unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    std::fs::create_dir_all(dir.path().join(".hidden")).unwrap();
    for sub in ["generated", "node_modules/x", ".hidden", ""] {
        std::fs::write(
            dir.path().join(sub).join("requirements.txt"),
            format!("pkg-{}==1.0\n", sub.len()),
        )
        .unwrap();
    }
    let f = scan(dir.path(), &ScanOptions::default());
    let names: Vec<_> = f.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["pkg-0"]);
    let f = scan(
        dir.path(),
        &ScanOptions {
            respect_gitignore: false,
            ..ScanOptions::default()
        },
    );
    let names: Vec<_> = f.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["pkg-9", "pkg-0"]);
}

#[test]
fn scan_many_finds_what_one_scan_per_folder_finds() {
    // Siblings under a parent whose .gitignore applies to them all (read once per group by
    // scan_many), next to the fixture repositories, a folder holding others that it skips, a
    // path given twice with different options, a missing folder and a file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").unwrap();
    for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let sib = dir.path().join(name);
        std::fs::create_dir_all(sib.join("generated")).unwrap();
        std::fs::create_dir_all(sib.join("docs")).unwrap();
        std::fs::write(sib.join("requirements.txt"), format!("pkg-{name}=={i}.0\n")).unwrap();
        std::fs::write(sib.join("generated/requirements.txt"), "hidden==1.0\n").unwrap();
    }
    std::fs::write(dir.path().join("a/.gitignore"), "docs/\n").unwrap();
    std::fs::write(dir.path().join("a/docs/package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(dir.path().join("b/docs/package.json"), "{not json").unwrap();
    std::fs::write(dir.path().join("file.txt"), "").unwrap();

    let plain = ScanOptions::default();
    let unignored = ScanOptions {
        respect_gitignore: false,
        ..ScanOptions::default()
    };
    let excluding = ScanOptions {
        exclude: ExcludeSet::new(&["malformed/**".into(), "[".into()]).into(),
        skip: vec!["npm-app".into(), "yarn-app".into()],
        ..ScanOptions::default()
    };
    let sibling = |n: &str| dir.path().join(n);
    let folders: Vec<(PathBuf, &ScanOptions)> = vec![
        (sibling("a"), &plain),
        (sibling("b"), &plain),
        (sibling("c"), &unignored),
        (sibling("d"), &plain),
        (sibling("e"), &plain),
        (sibling("e"), &unignored),
        (sibling("missing"), &plain),
        (sibling("file.txt"), &plain),
        (fixture(""), &excluding),
        (fixture("npm-app"), &plain),
        (fixture("yarn-app"), &plain),
        (fixture("cargo-app"), &plain),
        (fixture("go-app"), &plain),
        (fixture("malformed"), &plain),
        (fixture("openapi"), &plain),
        (fixture("python-app"), &plain),
        (fixture("sql"), &plain),
        (sibling("a"), &plain),
    ];
    let pairs: Vec<(&std::path::Path, &ScanOptions)> =
        folders.iter().map(|(p, o)| (p.as_path(), *o)).collect();
    let many = mesh_deps::scan_many(&pairs);
    assert_eq!(many.len(), folders.len());
    for ((path, opts), got) in folders.iter().zip(&many) {
        assert_eq!(*got, scan(path, opts), "{}", path.display());
    }
    // And what they found is what each folder holds.
    let names =
        |f: &RepoFacts| -> Vec<String> { f.dependencies.iter().map(|d| d.name.clone()).collect() };
    assert_eq!(names(&many[0]), ["pkg-a"]);
    assert_eq!(names(&many[2]), ["hidden", "pkg-c"]);
    assert_eq!(names(&many[4]), ["pkg-e"]);
    assert_eq!(names(&many[5]), ["hidden", "pkg-e"]);
    assert!(
        many[1]
            .problems
            .iter()
            .any(|p| p.at.file == "docs/package.json")
    );
    assert_eq!(many[6].problems.len(), 1);
    assert_eq!(many[7].problems.len(), 1);
    assert!(many[8].problems.iter().any(|p| p.message.contains("`[`")));
    assert!(!many[8].files.iter().any(|f| f.path.starts_with("npm-app/")));
    assert!(
        many[8]
            .files
            .iter()
            .any(|f| f.path.starts_with("cargo-app/"))
    );
    assert!(many[9].files.iter().any(|f| f.path == "package.json"));
    assert_eq!(many[0], many[17]);
}
