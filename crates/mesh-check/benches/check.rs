//! The checker's phases on the fixture document sets (tests/fixtures/projects/*/docs).
//!
//! `cargo bench -p mesh-check`. `load` reads and parses one root (files come from the page
//! cache), `readiness` scores a loaded root, `rules` runs every rule over it, and `check_root`
//! is all three, as `mesh check` does per root; `check_roots` runs all nine fixture roots on
//! the rayon pool.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mesh_check::config::Config;
use mesh_check::context::Root;
use mesh_check::engine::{Selection, check_root, check_roots, readiness_of, run_rules};
use mesh_check::load::load_root;

/// Fixtures benchmarked one by one: a filled gen-15 set, the largest (gen-16) set, a fresh
/// gen-16 scaffold (many findings) and the half-filled one.
const PROJECTS: [&str; 4] = [
    "bookshop-gen15",
    "telemetry-gen16",
    "unfilled-gen16",
    "partially-filled",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/projects")
}

fn root(project: &str) -> Root {
    let dir = fixtures().join(project).join("docs");
    assert!(dir.is_dir(), "missing fixture {}", dir.display());
    Root {
        dir,
        display: format!("{project}/docs"),
    }
}

fn bench_check(c: &mut Criterion) {
    let config = Config::default();
    let selection = Selection::default();

    let mut g = c.benchmark_group("check");
    for project in PROJECTS {
        let r = root(project);
        let loaded = load_root(&r);
        assert!(loaded.files >= 6, "{project}: expected six documents");
        let readiness = readiness_of(&r, &loaded, &config);

        g.bench_with_input(BenchmarkId::new("load", project), &r, |b, r| {
            b.iter(|| black_box(load_root(r)))
        });
        g.bench_with_input(BenchmarkId::new("readiness", project), &r, |b, r| {
            b.iter(|| black_box(readiness_of(r, &loaded, &config)))
        });
        g.bench_with_input(BenchmarkId::new("rules", project), &r, |b, r| {
            b.iter(|| black_box(run_rules(r, &loaded, &readiness, &config, &selection)))
        });
        g.bench_with_input(BenchmarkId::new("check_root", project), &r, |b, r| {
            b.iter(|| black_box(check_root(r.clone(), &config, &selection)))
        });
    }

    let mut all: Vec<Root> = std::fs::read_dir(fixtures())
        .expect("fixture projects")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("docs").is_dir())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            root(&name)
        })
        .collect();
    all.sort_by(|a, b| a.dir.cmp(&b.dir));
    g.bench_function("check_roots/all-fixtures", |b| {
        b.iter(|| black_box(check_roots(all.clone(), &config, &selection)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = bench_check
}
criterion_main!(benches);
