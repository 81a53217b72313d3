//! The deterministic planner: a root's documents ([`DocSet`]) in, a [`Plan`] out.
//!
//! Pure and domain-neutral: no rule assumes an application type. The same documents and options
//! always give the same plan, task for task and byte for byte once rendered.
//!
//! # What becomes a task
//!
//! One task per open requirement-like item; an item checked `[x]` (implemented, answered)
//! produces no task, and neither does an item that is still unfilled (placeholder, hint, option
//! list, `TODO:`).
//!
//! | source | section name | default lane | key | priority |
//! |---|---|---|---|---|
//! | PRD open question | `questions` | docs | `product:question-<slug>` | URGENT |
//! | PRD user story (Must, then Should, then Nice) | `stories` | backend | `product:<id>` (`product:us3`), or `product:story-<slug>` | HIGH / NORMAL / LOW |
//! | SPEC entity | `entities` | data | `data:entity-<name>` | HIGH |
//! | SPEC endpoint (an HTTP method and a path) | `endpoints` | backend | `backend:endpoint-<method>-<path>` | NORMAL |
//! | SPEC threat | `threats` | security | `security:threat-<n>` | NORMAL |
//! | SPEC control (not "not applicable") | `controls` | security | `security:control-<name>` | NORMAL |
//! | SPEC external service (not "none") | `services` | backend | `backend:service-<name>` | NORMAL |
//! | SPEC performance target, PRD `Performance:` constraint | `performance` | ops | `ops:perf-<name>`, `ops:constraint-performance` | LOW |
//! | a story's acceptance line | `qa` | qa | `qa:<id>` | the story's |
//!
//! Keys come from the source (IDs and names), never from line numbers or timestamps, so a
//! re-draft after an edit keeps them; a clash gets `-2`, `-3` in document order. For a document
//! root other than `docs` (or `.`), every key ends in `@<root without /docs>`
//! (`product:us1@services/billing`) so that two roots never share a key in one store.
//!
//! Each task carries a **Definition of Done** drawn from its item (a story's acceptance line
//! where it has one), a **trace** `ID-or-name (file:line)`, and a **risk** from the caller's
//! assessor (the store's: lane and words such as auth, payment, migration, crypto, delete).
//!
//! # Dependencies
//! - an entity waits for the entity it belongs to (`Store → StockLevel: 1:N`: StockLevel waits
//!   for Store; `N:1` the other way round), skipping any edge that would close a cycle;
//! - an endpoint and a story wait for the entities they name (by name, in any case, as
//!   `StockLevel`, `stock_level`, `stock-level` or `stock level`, singular or plural);
//! - a QA task waits for the story it tests;
//! - a clarification task blocks every task whose ID it names (`US4`) or that names an entity
//!   or service the question names.
//!
//! # Lanes
//! `[lanes]` in mesh.toml maps a name to a lane. For each task the first match wins:
//! 1. the task's key (`"product:us3" = "frontend"`);
//! 2. the longest key prefix ending at `:` or `-` (`"product" = "frontend"`,
//!    `"backend:endpoint-get" = "api"`);
//! 3. the section name from the table above (`stories = "frontend"`, `services = "ops"`);
//! 4. the document root (`"services/web" = "frontend"`, or `"services/web/docs"`).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::docset::DocSet;
use crate::document::DocKind;
use crate::inline;
use crate::markdown::Span;
use crate::plan::{Plan, Risk, Task, priority, slug};
use crate::prd::Priority as StoryPriority;

/// Planner options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `[lanes]` overrides (see the module documentation).
    pub lanes: BTreeMap<String, String>,
    /// The document root relative to the project (`docs`, `services/billing/docs`).
    pub root: String,
}

impl Options {
    /// The key suffix for this root: none for `docs` or `.`, else `@<root without /docs>`.
    pub fn key_suffix(&self) -> String {
        let r = self.root.trim_matches('/');
        if r.is_empty() || r == "." || r == "docs" {
            return String::new();
        }
        let r = r.strip_suffix("/docs").unwrap_or(r);
        let r: String = r
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == ',' || c == '|' {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        format!("@{r}")
    }
}

/// Which section of the documents a task comes from (also the name `[lanes]` can override).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Questions,
    Stories,
    Entities,
    Endpoints,
    Threats,
    Controls,
    Services,
    Performance,
    Qa,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Questions,
        Section::Stories,
        Section::Entities,
        Section::Endpoints,
        Section::Threats,
        Section::Controls,
        Section::Services,
        Section::Performance,
        Section::Qa,
    ];

    /// The name used in `[lanes]`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Questions => "questions",
            Section::Stories => "stories",
            Section::Entities => "entities",
            Section::Endpoints => "endpoints",
            Section::Threats => "threats",
            Section::Controls => "controls",
            Section::Services => "services",
            Section::Performance => "performance",
            Section::Qa => "qa",
        }
    }

    /// The lane when nothing overrides it.
    pub fn default_lane(self) -> &'static str {
        match self {
            Section::Questions => "docs",
            Section::Stories | Section::Endpoints | Section::Services => "backend",
            Section::Entities => "data",
            Section::Threats | Section::Controls => "security",
            Section::Performance => "ops",
            Section::Qa => "qa",
        }
    }

    /// The heading the section's tasks are rendered under.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Questions => "Clarifications (PRD open questions)",
            Section::Stories => "User stories (PRD)",
            Section::Entities => "Data model (SPEC)",
            Section::Endpoints => "API endpoints (SPEC)",
            Section::Threats => "Security threats (SPEC)",
            Section::Controls => "Security controls (SPEC)",
            Section::Services => "External services (SPEC)",
            Section::Performance => "Non-functional targets",
            Section::Qa => "QA",
        }
    }
}

/// A task in the making.
struct Draft {
    section: Section,
    key: String,
    title: String,
    dod: String,
    trace: String,
    priority: u8,
    deps: Vec<String>,
    /// The source ID (`US4`), for clarification matching.
    id: Option<String>,
    /// Whether a clarification may block this task.
    blockable: bool,
}

/// Plan the documents of one root. `risk` assesses a task from its lane and its texts (title,
/// DoD, trace) — pass the store's assessment so plan and store agree.
pub fn draft(docs: &DocSet, opts: &Options, risk: &dyn Fn(&str, &[&str]) -> Risk) -> Plan {
    let prd_path = docs
        .get(DocKind::Prd)
        .map(|d| d.path.clone())
        .unwrap_or_else(|| "PRD.md".into());
    let spec_doc = docs.get(DocKind::Spec);
    let spec_path = spec_doc
        .map(|d| d.path.clone())
        .unwrap_or_else(|| "SPEC.md".into());
    let at = |path: &str, span: Span| format!("{path}:{}", span.line);

    let mut drafts: Vec<Draft> = Vec::new();

    // Entities first (their keys are needed by stories and endpoints); emitted later in order.
    let mut entities: Vec<(String, Vec<String>, String)> = Vec::new(); // (name, words, key)
    let mut entity_drafts: Vec<Draft> = Vec::new();
    if let Some(spec) = &docs.spec {
        for e in spec.entities.iter().filter(|e| e.checked != Some(true)) {
            if starts_with_token(&format!("{}:", e.name)) {
                continue;
            }
            let words = name_words(&e.name);
            if words.is_empty() {
                continue;
            }
            let key = format!("data:entity-{}", slug(&e.name, 6));
            let desc = inline::plain(&e.description);
            let gist = desc
                .split(" — ")
                .next()
                .unwrap_or("")
                .split("; ")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let mut dod = format!("{} is implemented with its fields and invariants", e.name);
            if !desc.is_empty() {
                dod.push_str(": ");
                dod.push_str(&desc);
            }
            let rels: Vec<String> = spec
                .relationships
                .iter()
                .filter(|r| same_name(&r.from, &e.name) || same_name(&r.to, &e.name))
                .map(|r| match &r.cardinality {
                    Some(c) => format!("{} → {} {c}", r.from, r.to),
                    None => format!("{} → {}", r.from, r.to),
                })
                .collect();
            if !rels.is_empty() {
                dod.push_str(&format!("; relationships: {}", rels.join(", ")));
            }
            dod.push_str("; a test covers its invariants");
            entity_drafts.push(Draft {
                section: Section::Entities,
                key: key.clone(),
                title: shorten(
                    &if gist.is_empty() {
                        format!("Entity {}", e.name)
                    } else {
                        format!("Entity {}: {gist}", e.name)
                    },
                    140,
                ),
                dod,
                trace: format!("entity {} ({})", e.name, at(&spec_path, e.span)),
                priority: priority::HIGH,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
            entities.push((e.name.clone(), words, key));
        }
        // Parent → child edges from relationships, skipping any that would close a cycle.
        let idx_of = |name: &str| entities.iter().position(|(n, _, _)| same_name(n, name));
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); entities.len()];
        for r in &spec.relationships {
            let (Some(a), Some(b)) = (idx_of(&r.from), idx_of(&r.to)) else {
                continue;
            };
            if a == b {
                continue;
            }
            // `A → B: N:1` means A holds the reference: A waits for B. Otherwise B waits for A.
            let (child, parent) = match r.cardinality.as_deref() {
                Some("N:1") => (a, b),
                _ => (b, a),
            };
            if edges[child].contains(&parent) || reaches(&edges, parent, child) {
                continue;
            }
            edges[child].push(parent);
        }
        for (i, parents) in edges.iter().enumerate() {
            for &p in parents {
                let k = entities[p].2.clone();
                entity_drafts[i].deps.push(k);
            }
        }
    }
    let entity_deps = |text: &str| -> Vec<String> {
        let words = name_words(text);
        entities
            .iter()
            .filter(|(_, w, _)| mentions(&words, w))
            .map(|(_, _, k)| k.clone())
            .collect()
    };

    // Open questions → clarification tasks.
    let mut questions: Vec<(usize, String)> = Vec::new(); // (draft index, question text)
    if let Some(prd) = &docs.prd {
        for q in prd
            .open_questions
            .iter()
            .filter(|q| q.checked != Some(true))
        {
            let text = strip_token(&inline::plain(&q.text));
            if text.is_empty() {
                continue;
            }
            questions.push((drafts.len(), text.clone()));
            drafts.push(Draft {
                section: Section::Questions,
                key: format!("product:question-{}", slug(&text, 6)),
                title: shorten(&format!("Clarify: {text}"), 160),
                dod: format!(
                    "the question is answered, the answer is recorded in DECISION_LOG.md and the question is ticked [x] in PRD.md: {text}"
                ),
                trace: format!("open question ({})", at(&prd_path, q.span)),
                priority: priority::URGENT,
                deps: Vec::new(),
                id: None,
                blockable: false,
            });
        }
    }

    // User stories, Must first, then their QA tasks at the end.
    let mut qa: Vec<Draft> = Vec::new();
    if let Some(prd) = &docs.prd {
        let mut stories: Vec<_> = prd
            .stories
            .iter()
            .filter(|s| s.checked != Some(true) && !s.text.trim().is_empty())
            .collect();
        stories.sort_by_key(|s| s.priority);
        for s in stories {
            let text = inline::plain(&s.text);
            let key_tail = match &s.id {
                Some(id) => id.to_ascii_lowercase(),
                None => format!("story-{}", slug(&text, 6)),
            };
            let label = s.id.clone().unwrap_or_else(|| "story".into());
            let p = match s.priority {
                StoryPriority::Must => priority::HIGH,
                StoryPriority::Should => priority::NORMAL,
                StoryPriority::Nice => priority::LOW,
            };
            let trace = format!("{label} ({})", at(&prd_path, s.span));
            let key = format!("product:{key_tail}");
            let title = match &s.id {
                Some(id) => shorten(&format!("{id}: {text}"), 200),
                None => shorten(&text, 200),
            };
            let acceptance = s
                .acceptance
                .as_deref()
                .map(inline::plain)
                .filter(|a| !a.is_empty());
            let dod = match &acceptance {
                Some(a) => a.clone(),
                None => format!("works as the story says: {text}"),
            };
            let mut deps = entity_deps(&text);
            if let Some(a) = &acceptance {
                for d in entity_deps(a) {
                    if !deps.contains(&d) {
                        deps.push(d);
                    }
                }
            }
            if let Some(a) = &acceptance {
                qa.push(Draft {
                    section: Section::Qa,
                    key: format!("qa:{key_tail}"),
                    title: shorten(&format!("Test {label}: {a}"), 160),
                    dod: format!("an automated test checks the acceptance of {label}: {a}"),
                    trace: trace.clone(),
                    priority: p,
                    deps: vec![key.clone()],
                    id: s.id.clone(),
                    blockable: false,
                });
            }
            drafts.push(Draft {
                section: Section::Stories,
                key,
                title,
                dod,
                trace,
                priority: p,
                deps,
                id: s.id.clone(),
                blockable: true,
            });
        }
    }

    drafts.extend(entity_drafts);

    if let Some(spec) = &docs.spec {
        for e in spec.endpoints.iter().filter(|e| e.checked != Some(true)) {
            let summary = inline::plain(&e.summary);
            let sig = format!("{} {}", e.method, e.path);
            let mut deps = entity_deps(&e.path);
            for d in entity_deps(&summary) {
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
            drafts.push(Draft {
                section: Section::Endpoints,
                key: format!(
                    "backend:endpoint-{}",
                    slug(
                        &format!("{} {}", e.method, e.path.split('?').next().unwrap_or("")),
                        12
                    )
                ),
                title: shorten(
                    &if summary.is_empty() {
                        sig.clone()
                    } else {
                        format!("{sig}: {summary}")
                    },
                    160,
                ),
                dod: if summary.is_empty() {
                    format!("{sig} responds as SPEC declares; an automated test calls it")
                } else {
                    format!("{sig} works as SPEC declares ({summary}); an automated test calls it")
                },
                trace: format!("{sig} ({})", at(&spec_path, e.span)),
                priority: priority::NORMAL,
                deps,
                id: None,
                blockable: true,
            });
        }

        for t in spec.threats.iter().filter(|t| t.checked != Some(true)) {
            let text = inline::plain(&t.text);
            if starts_with_token(&text) {
                continue;
            }
            let number = spec_doc.and_then(|d| threat_number(d.line_text(t.span.line)));
            let (tail, label) = match number {
                Some(n) => (n.clone(), format!("Threat {n}")),
                None => (slug(&text, 6), "threat".to_string()),
            };
            let mitigation = t
                .mitigation
                .as_deref()
                .map(inline::plain)
                .map(|m| {
                    strip_prefix_ci(&m, "mitigation:")
                        .unwrap_or(&m)
                        .trim()
                        .trim_end_matches('.')
                        .to_string()
                })
                .filter(|m| !m.is_empty());
            drafts.push(Draft {
                section: Section::Threats,
                key: format!("security:threat-{tail}"),
                title: shorten(&format!("Mitigate {label}: {text}"), 160),
                dod: match mitigation {
                    Some(m) => format!("{m}; a test shows the attack fails"),
                    None => "the threat is mitigated and a test shows the attack fails".into(),
                },
                trace: format!("{label} ({})", at(&spec_path, t.span)),
                priority: priority::NORMAL,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
        }

        for c in spec.controls.iter().filter(|c| c.checked != Some(true)) {
            let name = inline::plain(&c.name);
            let value = value_after_name(&inline::plain(&c.text), &name);
            if not_applicable(&value)
                || not_applicable(&name)
                || starts_with_token(&inline::plain(&c.text))
            {
                continue;
            }
            drafts.push(Draft {
                section: Section::Controls,
                key: format!("security:control-{}", slug(&name, 6)),
                title: shorten(&format!("Control {name}: {value}"), 160),
                dod: if value.is_empty() {
                    format!("{name} is enforced and tested")
                } else {
                    format!("{value}; a test shows it is enforced")
                },
                trace: format!("control {name} ({})", at(&spec_path, c.span)),
                priority: priority::NORMAL,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
        }

        for s in spec.services.iter().filter(|s| s.checked != Some(true)) {
            let name = inline::plain(&s.name);
            let value = value_after_name(&inline::plain(&s.text), &name);
            if not_applicable(&name) || starts_with_token(&inline::plain(&s.text)) {
                continue;
            }
            drafts.push(Draft {
                section: Section::Services,
                key: format!("backend:service-{}", slug(&name, 6)),
                title: shorten(&format!("Integrate {name}"), 160),
                dod: if value.is_empty() {
                    format!("{name} is integrated and its failure is handled")
                } else {
                    format!(
                        "{name} is integrated as SPEC says ({value}); a test covers its failure"
                    )
                },
                trace: format!("service {name} ({})", at(&spec_path, s.span)),
                priority: priority::NORMAL,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
        }

        for p in spec.performance.iter().filter(|p| p.checked != Some(true)) {
            let text = inline::plain(&p.text);
            if starts_with_token(&text) {
                continue;
            }
            let name = inline::plain(&p.name);
            let value = value_after_name(&text, &name);
            drafts.push(Draft {
                section: Section::Performance,
                key: format!("ops:perf-{}", slug(&name, 6)),
                title: shorten(&format!("Meet {name}: {value}"), 160),
                dod: format!("a benchmark or load test shows: {text}"),
                trace: format!("target {name} ({})", at(&spec_path, p.span)),
                priority: priority::LOW,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
        }
    }

    if let Some(prd) = &docs.prd {
        for c in prd.constraints.iter().filter(|c| c.checked != Some(true)) {
            let text = inline::plain(&c.text);
            let Some(kv) = crate::markdown::key_value(&text, 0, 0) else {
                continue;
            };
            if !kv.key.to_ascii_lowercase().starts_with("performance") || kv.value.is_empty() {
                continue;
            }
            drafts.push(Draft {
                section: Section::Performance,
                key: format!("ops:constraint-{}", slug(&kv.key, 4)),
                title: shorten(
                    &format!("Meet the {} constraint: {}", kv.key, kv.value),
                    160,
                ),
                dod: format!("a benchmark or load test shows: {}", kv.value),
                trace: format!("constraint {} ({})", kv.key, at(&prd_path, c.span)),
                priority: priority::LOW,
                deps: Vec::new(),
                id: None,
                blockable: true,
            });
        }
    }

    drafts.extend(qa);

    // Clarifications block the tasks that mention their subject.
    let services: Vec<Vec<String>> = docs
        .spec
        .iter()
        .flat_map(|s| s.services.iter())
        .map(|s| name_words(&inline::plain(&s.name)))
        .filter(|w| !w.is_empty() && w.len() <= 4)
        .collect();
    for (qi, qtext) in &questions {
        let qwords = name_words(qtext);
        let ids = ids_in(qtext);
        // Named requirement IDs say exactly what the question blocks; only without them do the
        // entity and service names it mentions decide.
        let names: Vec<&Vec<String>> = if ids.is_empty() {
            entities
                .iter()
                .map(|(_, w, _)| w)
                .chain(services.iter())
                .filter(|w| mentions(&qwords, w))
                .collect()
        } else {
            Vec::new()
        };
        let qkey = drafts[*qi].key.clone();
        for d in drafts.iter_mut().filter(|d| d.blockable) {
            let by_id = d.id.as_ref().is_some_and(|id| ids.contains(id));
            let by_name = !names.is_empty() && {
                let w = name_words(&format!("{} {}", d.title, d.dod));
                names.iter().any(|n| mentions(&w, n))
            };
            if (by_id || by_name) && !d.deps.contains(&qkey) {
                d.deps.push(qkey.clone());
            }
        }
    }

    // Unique keys (document order decides), suffix for non-default roots, lanes and risk.
    let suffix = opts.key_suffix();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut finals: Vec<String> = Vec::with_capacity(drafts.len());
    for d in &drafts {
        let n = seen.entry(d.key.clone()).or_insert(0);
        *n += 1;
        let k = if *n == 1 {
            d.key.clone()
        } else {
            format!("{}-{n}", d.key)
        };
        finals.push(format!("{k}{suffix}"));
    }
    // A dependency names the first task with that key.
    let mut first_final: HashMap<&str, &str> = HashMap::new();
    for (d, f) in drafts.iter().zip(&finals) {
        first_final.entry(d.key.as_str()).or_insert(f.as_str());
    }
    let mut tasks = Vec::with_capacity(drafts.len());
    for (d, key) in drafts.iter().zip(&finals) {
        let lane = lane_for(key, d.section, opts);
        let mut deps: Vec<String> = Vec::new();
        for dep in &d.deps {
            if let Some(f) = first_final.get(dep.as_str())
                && *f != key.as_str()
                && !deps.iter().any(|x| x == f)
            {
                deps.push((*f).to_string());
            }
        }
        let title = crate::plan::clean_title(&d.title);
        let dod = crate::plan::clean_text(&d.dod);
        let trace = crate::plan::clean_text(&d.trace);
        let r = risk(&lane, &[&title, &dod, &trace]);
        tasks.push(Task {
            key: key.clone(),
            title,
            lane,
            priority: d.priority,
            risk: Some(r),
            trace,
            dod,
            deps,
            done: false,
            group: d.section.heading().to_string(),
            line: 0,
        });
    }
    Plan { name: None, tasks }
}

/// The lane of a task (see the module documentation for the order).
pub fn lane_for(key: &str, section: Section, opts: &Options) -> String {
    let valid = |l: &String| crate::plan::is_lane(l);
    if let Some(l) = opts.lanes.get(key).filter(|l| valid(l)) {
        return l.clone();
    }
    let mut best: Option<(&String, &String)> = None;
    for (k, l) in &opts.lanes {
        if k.is_empty() || !valid(l) || k.len() >= key.len() || !key.starts_with(k.as_str()) {
            continue;
        }
        let boundary = key[k.len()..].starts_with([':', '-', '@']) || k.ends_with([':', '-']);
        if boundary && best.is_none_or(|(bk, _)| k.len() > bk.len()) {
            best = Some((k, l));
        }
    }
    if let Some((_, l)) = best {
        return l.clone();
    }
    if let Some(l) = opts.lanes.get(section.name()).filter(|l| valid(l)) {
        return l.clone();
    }
    let root = opts.root.trim_matches('/');
    let root_short = root.strip_suffix("/docs").unwrap_or(root);
    for r in [root, root_short] {
        if !r.is_empty()
            && let Some(l) = opts.lanes.get(r).filter(|l| valid(l))
        {
            return l.clone();
        }
    }
    section.default_lane().to_string()
}

/// Whether `to` is reachable from `from` along `edges`.
fn reaches(edges: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = HashSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if seen.insert(n)
            && let Some(next) = edges.get(n)
        {
            stack.extend(next.iter().copied());
        }
    }
    false
}

/// Lower-case words of a name or text: camelCase, snake_case, kebab-case and spaces split.
pub fn name_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn same_name(a: &str, b: &str) -> bool {
    name_words(a) == name_words(b)
}

fn plural_of(word: &str, singular: &str) -> bool {
    word == singular
        || word.strip_suffix('s') == Some(singular)
        || word.strip_suffix("es") == Some(singular)
        || (singular.ends_with('y') && word.strip_suffix("ies") == singular.strip_suffix('y'))
}

/// Whether `text` (as words) names `name` (as words), the last word singular or plural.
pub fn mentions(text: &[String], name: &[String]) -> bool {
    let Some((last, head)) = name.split_last() else {
        return false;
    };
    if name.len() == 1 && last.chars().count() < 3 {
        return false;
    }
    text.windows(name.len())
        .any(|w| w[..head.len()] == *head && w.last().is_some_and(|l| plural_of(l, last)))
}

/// Requirement IDs (`US4`, `G1`, `NFR-2` → `NFR2`) named in `text`.
fn ids_in(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for tok in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let tok = tok.trim_matches('-');
        let letters = tok.bytes().take_while(|b| b.is_ascii_uppercase()).count();
        if letters == 0 || letters > 5 {
            continue;
        }
        let rest = tok[letters..].strip_prefix('-').unwrap_or(&tok[letters..]);
        if !rest.is_empty() && rest.len() <= 6 && rest.bytes().all(|b| b.is_ascii_digit()) {
            out.insert(format!("{}{rest}", &tok[..letters]));
        }
    }
    out
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `OPEN QUESTION: x` → `x`.
fn strip_token(text: &str) -> String {
    let t = text.trim();
    for tok in inline::TOKENS {
        if let Some(rest) = t.strip_prefix(tok) {
            return rest.trim().to_string();
        }
    }
    t.to_string()
}

fn starts_with_token(text: &str) -> bool {
    let t = text.trim_start();
    inline::TOKENS.iter().any(|tok| t.starts_with(tok))
}

/// `Threat 3: …` (in the raw line) → `3`.
fn threat_number(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let p = lower.find("threat")?;
    let rest = lower[p + 6..].trim_start_matches([' ', '-', '#']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty() && digits.len() <= 6).then_some(digits)
}

/// The text after `name:` (or the whole text when it does not start with the name).
fn value_after_name(text: &str, name: &str) -> String {
    let t = text.trim();
    match t.strip_prefix(name) {
        Some(rest) if rest.trim_start().starts_with(':') => {
            rest.trim_start()[1..].trim().to_string()
        }
        Some(rest) if rest.trim().is_empty() => String::new(),
        _ => t.to_string(),
    }
}

/// `not applicable…`, `n/a`, `none…`: nothing to do.
fn not_applicable(text: &str) -> bool {
    let l = text.trim().to_ascii_lowercase();
    l.starts_with("not applicable")
        || l.starts_with("n/a")
        || l == "none"
        || l.starts_with("none ")
        || l.starts_with("none;")
        || l.starts_with("none,")
        || l.starts_with("none:")
        || l.starts_with("none (")
}

/// At most `max` characters, cut at a word, with `…`.
fn shorten(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let at = cut.rfind(' ').filter(|p| *p > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        name_words(s)
    }

    #[test]
    fn names_match_in_every_spelling() {
        assert_eq!(w("StockLevel"), vec!["stock", "level"]);
        assert!(mentions(&w("/api/stores/{id}/pick-queue"), &w("Store")));
        assert!(mentions(&w("the stock_levels table"), &w("StockLevel")));
        assert!(mentions(&w("all categories"), &w("Category")));
        assert!(mentions(&w("{turbineId}"), &w("Turbine")));
        assert!(!mentions(&w("restore it"), &w("Store")));
        assert!(!mentions(&w("orders"), &w("OrderLine")));
    }

    #[test]
    fn lanes_resolve_in_order() {
        let mut opts = Options {
            root: "services/web/docs".into(),
            ..Options::default()
        };
        assert_eq!(lane_for("product:us1", Section::Stories, &opts), "backend");
        opts.lanes.insert("services/web".into(), "frontend".into());
        assert_eq!(lane_for("product:us1", Section::Stories, &opts), "frontend");
        opts.lanes.insert("stories".into(), "mobile".into());
        assert_eq!(lane_for("product:us1", Section::Stories, &opts), "mobile");
        opts.lanes.insert("product".into(), "web".into());
        assert_eq!(lane_for("product:us1", Section::Stories, &opts), "web");
        opts.lanes.insert("product:us1".into(), "ops".into());
        assert_eq!(lane_for("product:us1", Section::Stories, &opts), "ops");
        assert_eq!(lane_for("product:us10", Section::Stories, &opts), "web");
        assert_eq!(opts.key_suffix(), "@services/web");
    }

    #[test]
    fn ids_and_tokens() {
        let ids = ids_in("export format (US4) depends on it; see NFR-2");
        assert!(ids.contains("US4") && ids.contains("NFR2"));
        assert_eq!(strip_token("OPEN QUESTION: why?"), "why?");
        assert_eq!(threat_number("- [ ] Threat 12: x"), Some("12".into()));
        assert!(not_applicable("not applicable; no SQL"));
        assert!(!not_applicable("nonempty"));
    }
}
