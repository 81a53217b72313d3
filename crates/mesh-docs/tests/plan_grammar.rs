//! The plan line grammar: errors with line numbers, whole-plan checks, graphs, and property
//! tests (never a panic; rendering and parsing agree).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh_docs::plan::{self, GraphFormat, Plan, Risk, Task, priority};
use proptest::prelude::*;

const GOOD: &str = "\
# Plan: docs

Some prose, and a plain bullet:
- not a task

## API
- [ ] backend: Login — DoD: a user logs in | Trace: US1 (docs/PRD.md:3) | K: backend:login | Dep: data:user | P: HIGH | R: HIGH
- [ ] data: User table — DoD: users are stored | K: data:user | P: 0
- [x] docs: Old task | K: docs:old
";

#[test]
fn a_good_plan_parses() {
    let p = plan::parse(GOOD).unwrap();
    assert_eq!(p.name.as_deref(), Some("docs"));
    assert_eq!(p.tasks.len(), 3);
    let login = &p.tasks[0];
    assert_eq!(login.line, 7);
    assert_eq!(login.risk, Some(Risk::High));
    assert_eq!(login.priority, priority::HIGH);
    assert_eq!(login.group, "API");
    assert_eq!(p.tasks[1].priority, priority::URGENT);
    assert!(p.tasks[2].done);
    assert_eq!(p.open_tasks().count(), 2);
    assert!(plan::check(&p, &|_| false).is_empty());
}

#[test]
fn every_malformed_line_is_reported_with_its_number() {
    let text = "\
# Plan: x
- [ ] backend: ok | K: a:1
- [ ] Backend stuff without colon
- [ ] backend: title | Owner: sam
- [ ] backend: title | P: whenever
- backend: missing box | K: a:2
- [?] backend: bad box | K: a:3
- [ ] backend: title | R: extreme
- [ ] backend: title | K: a:4 | K: a:5
";
    let errs = plan::parse(text).unwrap_err().0;
    let lines: Vec<u32> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9]);
    assert!(errs[0].message.contains("no lane"));
    assert!(errs[1].message.contains("unknown field `Owner`"));
    assert!(errs[2].message.contains("not a priority"));
    assert!(errs[3].message.contains("no task box"));
    assert!(errs[4].message.contains("malformed"));
    assert!(errs[5].message.contains("not a risk"));
    assert!(errs[6].message.contains("appears twice"));
    let shown = plan::PlanErrors(errs).to_string();
    assert!(shown.starts_with("the plan has 7 errors; nothing was imported"));
    assert!(shown.contains("line 4: unknown field `Owner`\n  help: "));
}

#[test]
fn whole_plan_checks_name_the_lines() {
    let p = plan::parse(
        "- [ ] a: one | K: k:1 | Dep: k:9\n- [ ] a: two | K: k:1\n- [x] a: done | K: k:3\n- [ ] a: four | K: k:4 | Dep: k:3, store:x\n- [ ] a: five | K: k:5 | Dep: k:5\n",
    )
    .unwrap();
    let errs = plan::check(&p, &|k| k == "store:x");
    let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 4, "{msgs:#?}");
    assert!(msgs[0].starts_with("line 1: Dep `k:9` is an unknown key"));
    assert!(msgs[1].starts_with("line 2: the key `k:1` is already used on line 1"));
    assert!(msgs[2].starts_with("line 4: Dep `k:3` names the task on line 3, which is checked"));
    assert!(msgs[3].starts_with("line 5: `k:5` depends on itself"));
    // A checked dependency that the store already has is fine.
    let errs = plan::check(&p, &|k| k == "store:x" || k == "k:3");
    assert_eq!(errs.len(), 3);
}

#[test]
fn keys_default_to_the_lane_and_title() {
    let p = plan::parse("- [ ] QA: Smoke-test the Login page!\n").unwrap();
    assert_eq!(p.tasks[0].key, "qa:smoke-test-the-login-page");
    assert_eq!(p.tasks[0].lane, "qa");
    assert_eq!(p.tasks[0].priority, priority::NORMAL);
}

#[test]
fn graphs_draw_every_edge() {
    let p = plan::parse(GOOD).unwrap();
    let m = plan::graph(&p, GraphFormat::Mermaid);
    assert!(m.starts_with("graph TD\n"));
    assert!(m.contains("t1[\"backend:login<br/>Login\"]"));
    assert!(m.contains("  t2 --> t1\n"));
    assert!(!m.contains("docs:old"), "checked tasks are not drawn");
    let d = plan::graph(&p, GraphFormat::Dot);
    assert!(d.starts_with("digraph plan {"));
    assert!(d.contains("  t2 -> t1;\n"));
    assert!(d.trim_end().ends_with('}'));
    // A dependency outside the plan is drawn dashed.
    let p = plan::parse("- [ ] a: x \"quoted\" | K: a:x | Dep: store:y\n").unwrap();
    let d = plan::graph(&p, GraphFormat::Dot);
    assert!(d.contains("x1 [label=\"store:y\", style=dashed]"));
    assert!(d.contains("x \\\"quoted\\\""));
    let m = plan::graph(&p, GraphFormat::Mermaid);
    assert!(m.contains("x1 -.-> t1"));
    assert!(m.contains("#quot;quoted#quot;"));
}

#[test]
fn json_view_has_the_documented_fields() {
    let p = plan::parse(GOOD).unwrap();
    let v = serde_json_like(&p);
    assert!(v.contains("\"schema_version\":1"));
    assert!(v.contains("\"key\":\"backend:login\""));
    assert!(v.contains("\"deps\":[\"data:user\"]"));
    assert!(v.contains("\"risk\":\"HIGH\""));
    assert!(v.contains("\"priority\":1"));
    assert!(!v.contains("docs:old"));
}

fn serde_json_like(p: &Plan) -> String {
    serde_json::to_string(&p.json()).unwrap()
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Any characters, including `|`, dashes, `DoD:`, newlines and controls.
    prop_oneof![
        ".{0,40}",
        Just("a — DoD: b | K: c".to_string()),
        Just("x\ty\u{7}z".to_string()),
        "[a-zA-Z |:—-]{0,30}",
    ]
}

fn task() -> impl Strategy<Value = Task> {
    (
        word(),
        word(),
        text(),
        text(),
        text(),
        0u8..=9,
        prop::option::of(prop_oneof![
            Just(Risk::Low),
            Just(Risk::Medium),
            Just(Risk::High)
        ]),
        prop::collection::vec(word(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(lane, k, title, dod, trace, p, risk, deps, done)| Task {
            key: format!("{lane}:{k}"),
            title,
            lane,
            priority: p,
            risk,
            trace,
            dod,
            deps: deps.into_iter().map(|d| format!("x:{d}")).collect(),
            done,
            group: String::new(),
            line: 0,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_and_lines_are_in_range(s in ".{0,400}", lines in prop::collection::vec("(- \\[[ x]\\] )?[a-z]{0,5}(: )?.{0,30}( \\| [A-Za-z]{1,4}: .{0,10}){0,3}", 0..8)) {
        let total = format!("{s}\n{}", lines.join("\n"));
        let count = total.split('\n').count() as u32;
        match plan::parse(&total) {
            Ok(p) => {
                for t in &p.tasks {
                    prop_assert!(t.line >= 1 && t.line <= count);
                }
                for e in plan::check(&p, &|_| false) {
                    prop_assert!(e.line <= count);
                }
                let _ = plan::graph(&p, GraphFormat::Mermaid);
            }
            Err(e) => {
                prop_assert!(!e.0.is_empty());
                for l in &e.0 {
                    prop_assert!(l.line >= 1 && l.line <= count);
                }
            }
        }
    }

    #[test]
    fn rendered_plans_parse_back_to_the_same_tasks(tasks in prop::collection::vec(task(), 0..6)) {
        let plan = Plan { name: Some("p".into()), tasks };
        let text = plan::render(&plan, &[]);
        let back = plan::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back.tasks.len(), plan.tasks.len());
        for (a, b) in plan.tasks.iter().zip(&back.tasks) {
            prop_assert_eq!(&b.key, &a.key);
            prop_assert_eq!(&b.lane, &a.lane);
            prop_assert_eq!(b.priority, a.priority);
            prop_assert_eq!(b.risk, a.risk);
            // A key named twice in `Dep` is kept once.
            let mut unique: Vec<String> = Vec::new();
            for d in &a.deps {
                if !unique.contains(d) {
                    unique.push(d.clone());
                }
            }
            prop_assert_eq!(&b.deps, &unique);
            prop_assert_eq!(b.done, a.done);
            prop_assert_eq!(&b.title, &plan::clean_title(&a.title));
            prop_assert_eq!(&b.dod, &plan::clean_text(&a.dod));
            prop_assert_eq!(&b.trace, &plan::clean_text(&a.trace));
        }
        // Rendering is a fixed point after one round.
        prop_assert_eq!(plan::render(&back, &[]), text);
    }
}
