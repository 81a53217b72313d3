//! Parser throughput on the fixture document sets (tests/fixtures/projects/*/docs).
//!
//! `cargo bench -p mesh-docs`. Groups: the Markdown reader alone, `Document::parse` (Markdown plus
//! shared metadata), and the typed views built from a parsed document.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mesh_docs::{DecisionLog, DocKind, Document, Markdown, Prd, Spec, TechStack};

/// Every fixture document: (kind, path, text).
fn corpus() -> Vec<(DocKind, String, String)> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/projects");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&base)
        .expect("fixture projects")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("docs").is_dir())
        .collect();
    projects.sort();
    let mut out = Vec::new();
    for p in projects {
        for kind in DocKind::ALL {
            let path = p.join("docs").join(kind.file_name());
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((kind, path.display().to_string(), text));
            }
        }
    }
    assert!(
        out.len() > 40,
        "expected the fixture corpus, found {} files",
        out.len()
    );
    out
}

fn bytes_of<'a>(docs: impl Iterator<Item = &'a str>) -> u64 {
    docs.map(|t| t.len() as u64).sum()
}

fn bench_parse(c: &mut Criterion) {
    let corpus = corpus();
    let all_bytes = bytes_of(corpus.iter().map(|(_, _, t)| t.as_str()));

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(all_bytes));
    g.bench_function("markdown/all-fixtures", |b| {
        b.iter(|| {
            for (_, _, text) in &corpus {
                black_box(Markdown::parse(black_box(text)));
            }
        })
    });
    g.bench_function("document/all-fixtures", |b| {
        b.iter(|| {
            for (kind, path, text) in &corpus {
                black_box(Document::parse(*kind, path.as_str(), text.as_str()));
            }
        })
    });
    // The largest single document (the generation-16 SPEC with its preamble).
    let (_, _, largest) = corpus
        .iter()
        .max_by_key(|(_, _, t)| t.len())
        .expect("corpus");
    g.throughput(Throughput::Bytes(largest.len() as u64));
    g.bench_function("markdown/largest", |b| {
        b.iter(|| black_box(Markdown::parse(black_box(largest))))
    });
    g.finish();

    let parsed: Vec<Document> = corpus
        .iter()
        .map(|(k, p, t)| Document::parse(*k, p.as_str(), t.as_str()))
        .collect();
    let of =
        |kind: DocKind| -> Vec<&Document> { parsed.iter().filter(|d| d.kind == kind).collect() };
    let (specs, prds, logs, stacks) = (
        of(DocKind::Spec),
        of(DocKind::Prd),
        of(DocKind::DecisionLog),
        of(DocKind::TechStack),
    );

    let mut g = c.benchmark_group("typed");
    g.throughput(Throughput::Bytes(bytes_of(
        specs.iter().map(|d| d.text.as_str()),
    )));
    g.bench_function("spec/all-fixtures", |b| {
        b.iter(|| {
            for d in &specs {
                black_box(Spec::from_document(d));
            }
        })
    });
    g.throughput(Throughput::Bytes(bytes_of(
        prds.iter().map(|d| d.text.as_str()),
    )));
    g.bench_function("prd/all-fixtures", |b| {
        b.iter(|| {
            for d in &prds {
                black_box(Prd::from_document(d));
            }
        })
    });
    g.throughput(Throughput::Bytes(bytes_of(
        logs.iter().map(|d| d.text.as_str()),
    )));
    g.bench_function("decision-log/all-fixtures", |b| {
        b.iter(|| {
            for d in &logs {
                black_box(DecisionLog::from_document(d));
            }
        })
    });
    g.throughput(Throughput::Bytes(bytes_of(
        stacks.iter().map(|d| d.text.as_str()),
    )));
    g.bench_function("tech-stack/all-fixtures", |b| {
        b.iter(|| {
            for d in &stacks {
                black_box(TechStack::from_document(d));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_parse
}
criterion_main!(benches);
