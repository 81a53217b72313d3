//! The planner over the document-set fixtures: what becomes a task, keys, traces, DoD,
//! dependencies, clarifications, lanes, determinism and key stability.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mesh_docs::plan::{self, Plan, Risk, priority};
use mesh_docs::planner::{self, Options};
use mesh_docs::{DocKind, DocSet, Document};

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/projects")
        .join(name)
        .join("docs")
}

fn docs_from(name: &str, edit: impl Fn(DocKind, String) -> String) -> DocSet {
    let dir = fixture_dir(name);
    let mut docs = Vec::new();
    for k in DocKind::ALL {
        if let Ok(t) = std::fs::read_to_string(dir.join(k.file_name())) {
            docs.push(Document::parse(
                k,
                format!("docs/{}", k.file_name()),
                edit(k, t),
            ));
        }
    }
    DocSet::new(docs)
}

/// A stand-in for the store's assessment: security and data lanes are HIGH, backend MEDIUM.
fn risk(lane: &str, _texts: &[&str]) -> Risk {
    match lane {
        "security" | "data" => Risk::High,
        "backend" | "ops" => Risk::Medium,
        _ => Risk::Low,
    }
}

fn draft_with(name: &str, opts: &Options) -> Plan {
    planner::draft(&docs_from(name, |_, t| t), opts, &risk)
}

fn draft(name: &str) -> Plan {
    draft_with(
        name,
        &Options {
            root: "docs".into(),
            ..Options::default()
        },
    )
}

fn keys(p: &Plan) -> Vec<&str> {
    p.tasks.iter().map(|t| t.key.as_str()).collect()
}

fn task<'a>(p: &'a Plan, key: &str) -> &'a plan::Task {
    p.get(key)
        .unwrap_or_else(|| panic!("no task {key} in {:?}", keys(p)))
}

const FILLED: [&str; 6] = [
    "bookshop-gen15",
    "telemetry-gen16",
    "prose-payments",
    "cli-tool",
    "legacy-8col",
    "legacy-5col",
];

#[test]
fn bookshop_items_become_tasks_and_checked_items_do_not() {
    let p = draft("bookshop-gen15");
    // Six stories, five open entities (Book is [x]), seven open endpoints (the search is [x]),
    // four threats, four controls, three services, one performance constraint, six QA tasks.
    let count = |prefix: &str| p.tasks.iter().filter(|t| t.key.starts_with(prefix)).count();
    assert_eq!(count("product:us"), 6);
    assert_eq!(count("data:entity-"), 5);
    assert_eq!(count("backend:endpoint-"), 7);
    assert_eq!(count("security:threat-"), 4);
    assert_eq!(count("security:control-"), 4);
    assert_eq!(count("backend:service-"), 3);
    assert_eq!(count("ops:"), 1);
    assert_eq!(count("qa:"), 6);
    assert_eq!(
        count("product:question-"),
        0,
        "the answered question is [x]"
    );
    assert!(p.get("data:entity-book").is_none());
    assert!(
        !keys(&p)
            .iter()
            .any(|k| k.starts_with("backend:endpoint-get-api-books-q"))
    );
    assert_eq!(p.tasks.len(), 36);
}

#[test]
fn stories_come_must_first_with_their_acceptance_as_dod_and_a_trace() {
    let p = draft("bookshop-gen15");
    let stories: Vec<_> = p
        .tasks
        .iter()
        .filter(|t| t.key.starts_with("product:us"))
        .collect();
    let prios: Vec<u8> = stories.iter().map(|t| t.priority).collect();
    assert_eq!(
        prios,
        vec![
            priority::HIGH,
            priority::HIGH,
            priority::HIGH,
            priority::HIGH,
            priority::NORMAL,
            priority::LOW
        ]
    );
    let us1 = task(&p, "product:us1");
    assert!(
        us1.dod
            .starts_with("search by title, author or ISBN returns results in under 1 s")
    );
    // The trace names the ID and the exact line.
    let prd = std::fs::read_to_string(fixture_dir("bookshop-gen15").join("PRD.md")).unwrap();
    let line = prd.lines().position(|l| l.contains("US1:")).unwrap() + 1;
    assert_eq!(us1.trace, format!("US1 (docs/PRD.md:{line})"));
    assert_eq!(us1.lane, "backend");
    // The QA task tests the story and waits for it.
    let qa = task(&p, "qa:us1");
    assert_eq!(qa.lane, "qa");
    assert_eq!(qa.deps, vec!["product:us1"]);
    assert!(qa.dod.contains("per-branch stock"));
}

#[test]
fn endpoints_and_entities_depend_on_the_entities_they_name() {
    let p = draft("bookshop-gen15");
    let ep = task(&p, "backend:endpoint-get-api-stores-id-pick-queue");
    assert_eq!(ep.deps, vec!["data:entity-store", "data:entity-order"]);
    assert_eq!(
        ep.trace.split(" (").next(),
        Some("GET /api/stores/{id}/pick-queue")
    );
    let ep = task(&p, "backend:endpoint-delete-api-orders-id");
    assert_eq!(ep.deps, vec!["data:entity-order"]);
    assert_eq!(ep.risk, Some(Risk::Medium));
    // `Customer → Order: 1:N`, `Store → Order: 1:N`: Order waits for both.
    let order = task(&p, "data:entity-order");
    assert_eq!(
        order.deps,
        vec!["data:entity-customer", "data:entity-store"]
    );
    assert_eq!(order.lane, "data");
    assert_eq!(order.risk, Some(Risk::High));
    // Book is done ([x]): StockLevel waits only for Store.
    assert_eq!(
        task(&p, "data:entity-stocklevel").deps,
        vec!["data:entity-store"]
    );
    let threat = task(&p, "security:threat-1");
    assert!(threat.dod.starts_with("verify the Stripe-Signature header"));
    assert_eq!(threat.lane, "security");
}

#[test]
fn an_open_question_becomes_an_urgent_clarification_that_blocks_its_subject() {
    let p = draft("telemetry-gen16");
    let q: Vec<_> = p
        .tasks
        .iter()
        .filter(|t| t.key.starts_with("product:question-"))
        .collect();
    assert_eq!(q.len(), 1, "one question is still open, one is answered");
    let q = q[0];
    assert_eq!(q.priority, priority::URGENT);
    assert!(
        q.title
            .starts_with("Clarify: How long must raw 1-second data be kept")
    );
    assert_eq!(p.tasks[0].key, q.key, "clarifications come first");
    // The question names US4: US4 waits for it; US1 does not.
    assert!(task(&p, "product:us4").deps.contains(&q.key));
    assert!(!task(&p, "product:us1").deps.contains(&q.key));
    assert!(
        !p.tasks
            .iter()
            .filter(|t| t.key != "product:us4")
            .any(|t| t.deps.contains(&q.key)),
        "only US4 is named"
    );
    // Generation-16 tokens are not requirements.
    assert!(
        !keys(&p)
            .iter()
            .any(|k| k.contains("risk") || k.contains("assumption"))
    );
}

#[test]
fn a_question_without_ids_blocks_the_tasks_naming_its_entities() {
    let docs = docs_from("bookshop-gen15", |k, t| {
        if k == DocKind::Prd {
            t.replace(
                "- [x] Can the Epos Now till export",
                "- [ ] Must a cancelled Order keep its lines, and does Postmark email about it? Also: can the Epos Now till export",
            )
        } else {
            t
        }
    });
    let p = planner::draft(
        &docs,
        &Options {
            root: "docs".into(),
            ..Options::default()
        },
        &risk,
    );
    let q = p
        .tasks
        .iter()
        .find(|t| t.key.starts_with("product:question-"))
        .unwrap();
    assert_eq!(q.key, "product:question-must-a-cancelled-order-keep-its");
    for k in [
        "data:entity-order",
        "backend:endpoint-post-api-orders",
        "product:us2",
        "backend:service-postmark",
    ] {
        assert!(task(&p, k).deps.contains(&q.key), "{k} is not blocked");
    }
    assert!(!task(&p, "data:entity-stocklevel").deps.contains(&q.key));
    assert!(
        !task(&p, "backend:service-epos-now-api")
            .deps
            .contains(&q.key)
    );
}

#[test]
fn a_cli_tool_gets_no_endpoint_tasks_and_no_not_applicable_controls() {
    let p = draft("cli-tool");
    assert!(
        !keys(&p).iter().any(|k| k.starts_with("backend:endpoint-")),
        "{:?}",
        keys(&p)
    );
    let controls: Vec<_> = keys(&p)
        .into_iter()
        .filter(|k| k.starts_with("security:control-"))
        .collect();
    assert_eq!(controls, vec!["security:control-input-validation"]);
    assert!(
        !keys(&p)
            .iter()
            .any(|k| k.starts_with("backend:service-none")),
        "`None at run time` is not a service"
    );
    assert_eq!(
        keys(&p)
            .iter()
            .filter(|k| k.starts_with("product:us"))
            .count(),
        6
    );
}

#[test]
fn a_fresh_scaffold_plans_nothing() {
    for f in ["unfilled-gen15", "unfilled-gen16"] {
        let p = draft(f);
        assert!(p.tasks.is_empty(), "{f}: {:?}", keys(&p));
    }
}

#[test]
fn every_fixture_plan_is_valid_and_survives_render_and_parse() {
    for f in FILLED {
        let mut p = draft(f);
        assert!(!p.tasks.is_empty(), "{f}");
        p.name = Some(f.into());
        let errors = plan::check(&p, &|_| false);
        assert!(errors.is_empty(), "{f}: {errors:?}");
        let text = plan::render(&p, &["<!-- preface -->".into()]);
        let back = plan::parse(&text).unwrap_or_else(|e| panic!("{f}: {e}\n{text}"));
        assert_eq!(back.name.as_deref(), Some(f));
        assert_eq!(back.tasks.len(), p.tasks.len(), "{f}");
        for (a, b) in p.tasks.iter().zip(&back.tasks) {
            assert_eq!(
                (
                    &a.key, &a.title, &a.lane, a.priority, a.risk, &a.trace, &a.dod, &a.deps
                ),
                (
                    &b.key, &b.title, &b.lane, b.priority, b.risk, &b.trace, &b.dod, &b.deps
                ),
                "{f}"
            );
            assert!(a.title.chars().count() <= plan::MAX_TITLE);
            assert!(a.risk.is_some());
        }
        assert_eq!(plan::render(&back, &["<!-- preface -->".into()]), text);
    }
}

#[test]
fn the_same_documents_give_the_same_plan_byte_for_byte() {
    for f in FILLED {
        let a = plan::render(&draft(f), &[]);
        let b = plan::render(&draft(f), &[]);
        assert_eq!(a, b, "{f}");
    }
}

#[test]
fn keys_survive_edits_that_move_lines() {
    let before = draft("bookshop-gen15");
    let docs = docs_from("bookshop-gen15", |k, t| match k {
        DocKind::Prd => t.replacen("## One-liner", "## One-liner\n\nA new paragraph.\n\n", 1),
        DocKind::Spec => t.replacen("## Data Model", "## Data Model\n\nSome prose first.\n", 1),
        _ => t,
    });
    let after = planner::draft(
        &docs,
        &Options {
            root: "docs".into(),
            ..Options::default()
        },
        &risk,
    );
    assert_eq!(keys(&before), keys(&after));
    // Traces follow the moved lines.
    assert_ne!(
        task(&before, "product:us1").trace,
        task(&after, "product:us1").trace
    );
}

#[test]
fn lanes_are_overridden_from_mesh_toml() {
    let mut opts = Options {
        root: "docs".into(),
        ..Options::default()
    };
    opts.lanes.insert("stories".into(), "frontend".into());
    opts.lanes.insert("product:us3".into(), "mobile".into());
    opts.lanes.insert("backend:service".into(), "ops".into());
    let p = draft_with("bookshop-gen15", &opts);
    assert_eq!(task(&p, "product:us1").lane, "frontend");
    assert_eq!(task(&p, "product:us3").lane, "mobile");
    assert_eq!(task(&p, "backend:service-postmark").lane, "ops");
    assert_eq!(task(&p, "backend:endpoint-post-api-orders").lane, "backend");
    // The key does not follow the lane.
    assert!(p.get("product:us1").is_some());
}

#[test]
fn a_second_root_gets_its_own_keys() {
    let p = draft_with(
        "legacy-5col",
        &Options {
            root: "services/rota/docs".into(),
            ..Options::default()
        },
    );
    assert!(p.tasks.iter().all(|t| t.key.ends_with("@services/rota")));
    let qa = task(&p, "qa:us1@services/rota");
    assert_eq!(qa.deps, vec!["product:us1@services/rota"]);
    assert!(plan::check(&p, &|_| false).is_empty());
}
