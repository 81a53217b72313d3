//! The plan line grammar of draft plans (`docs/PLANS/*.md`): parse, check, render and draw.
//!
//! Pure: text in, values out; never a panic on any input.
//!
//! # The grammar
//!
//! A plan is a Markdown file. **One task per checklist line**:
//!
//! ```text
//! - [ ] backend: GET /api/books/{id}: One book — DoD: returns the book; a test calls it | Trace: SPEC GET /api/books/{id} (docs/SPEC.md:51) | K: backend:endpoint-get-api-books-id | Dep: data:entity-book | P: NORMAL | R: MEDIUM
//! ```
//!
//! - The line starts with a list marker (`-`, `*` or `+`, any indentation) and a task box:
//!   `[ ]` (a task to import) or `[x]` (done or dismissed: parsed and checked, never imported).
//! - Then the **lane** and a colon: a lower-case word of letters, digits, `-`, `_`, `.`
//!   (backend, frontend, data, security, qa, ops, docs, …; upper case is folded).
//! - Then the **title**, up to ` — DoD:` (an em dash; `–`, `--` and `-` are accepted too) or up to
//!   the first `|`.
//! - Then the **fields**, each `| Name: value`; `|` separates fields, so free text never
//!   contains `|` (the planner writes `/` instead). Field names are case-insensitive:
//!
//!   | field | meaning | required |
//!   |---|---|---|
//!   | `DoD` | Definition of Done | no (empty) |
//!   | `Trace` | the source item: its ID or name, then `(file:line)` | no (empty) |
//!   | `K` (or `Key`) | the stable key other tasks name in `Dep`; no spaces, no commas | no: `<lane>:<title as a slug>` |
//!   | `Dep` (or `Deps`) | keys this task waits for, comma-separated; `-` or `none` for none | no |
//!   | `P` (or `Priority`) | `URGENT` (0), `HIGH` (1), `NORMAL` (2), `LOW` (3), or a number 0–9 | no: `NORMAL` |
//!   | `R` (or `Risk`) | `LOW`, `MEDIUM` or `HIGH` (the store raises it to at least its own assessment) | no |
//!
//!   **Priority has one meaning everywhere: a lower number is more urgent.**
//! - A field named twice, an unknown field, a bad lane, key, priority or risk, an empty title or
//!   a list line that carries plan fields but no task box is an error naming the line.
//! - Every other line is free text and ignored: headings, prose, plain bullets, HTML comments
//!   and fenced code blocks (an example line inside a fence is not a task).
//! - The first level-1 heading of the form `# Plan: NAME` names the plan. Accepting a plan again
//!   under the same name compares it with what that name created earlier.
//!
//! Whole-plan checks ([`check`]): keys are unique; every `Dep` names a task of the plan (not
//! checked `[x]`) or a key the caller already knows (the store); no task depends on itself; the
//! dependencies have no cycle (the cycle is named, with lines).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Serialize;

/// Version of the JSON form of a plan.
pub const SCHEMA_VERSION: u32 = 1;

/// Longest title, key, trace and DoD a plan line may carry (the store's limits).
pub const MAX_TITLE: usize = 500;
pub const MAX_KEY: usize = 200;
pub const MAX_TRACE: usize = 1_000;
pub const MAX_DOD: usize = 10_000;

/// How much can go wrong if a task is done badly. Ordered `Low < Medium < High`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "LOW",
            Risk::Medium => "MEDIUM",
            Risk::High => "HIGH",
        }
    }

    /// `low`, `LOW`, `Medium`, `med`, `high` ….
    pub fn parse(text: &str) -> Option<Risk> {
        match text.trim().to_ascii_uppercase().as_str() {
            "LOW" => Some(Risk::Low),
            "MEDIUM" | "MED" => Some(Risk::Medium),
            "HIGH" => Some(Risk::High),
            _ => None,
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Priority: **a lower number is more urgent**, 0 the most urgent, the same scale as the store.
pub mod priority {
    pub const URGENT: u8 = 0;
    pub const HIGH: u8 = 1;
    pub const NORMAL: u8 = 2;
    pub const LOW: u8 = 3;
    /// The least urgent value accepted.
    pub const MAX: u8 = 9;

    /// `URGENT`, `HIGH`, `NORMAL` (or `MEDIUM`), `LOW` (case-insensitive), `P0`–`P3`, or `0`–`9`.
    pub fn parse(text: &str) -> Option<u8> {
        let t = text.trim();
        match t.to_ascii_uppercase().as_str() {
            "URGENT" | "P0" => Some(URGENT),
            "HIGH" | "P1" => Some(HIGH),
            "NORMAL" | "MEDIUM" | "P2" => Some(NORMAL),
            "LOW" | "P3" => Some(LOW),
            _ => t.parse::<u8>().ok().filter(|p| *p <= MAX),
        }
    }

    /// The name of a value, or its number.
    pub fn render(p: u8) -> String {
        match p {
            URGENT => "URGENT".into(),
            HIGH => "HIGH".into(),
            NORMAL => "NORMAL".into(),
            LOW => "LOW".into(),
            n => n.to_string(),
        }
    }
}

/// One task of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Stable key (`backend:endpoint-get-api-books`).
    pub key: String,
    pub title: String,
    /// Lower-case lane name.
    pub lane: String,
    /// Lower = more urgent (see [`priority`]).
    pub priority: u8,
    pub risk: Option<Risk>,
    /// The source item: `US1 (docs/PRD.md:32)`.
    pub trace: String,
    /// Definition of Done.
    pub dod: String,
    /// Keys this task waits for.
    pub deps: Vec<String>,
    /// `[x]`: done or dismissed; parsed and checked, never imported.
    #[serde(skip)]
    pub done: bool,
    /// The heading the task sits under (`""` before any); rendering starts a new heading where
    /// it changes.
    #[serde(skip)]
    pub group: String,
    /// 1-based line in the plan file (0 for a task not read from a file).
    #[serde(skip)]
    pub line: u32,
}

/// A plan: its name and its tasks in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// From `# Plan: NAME`.
    pub name: Option<String>,
    pub tasks: Vec<Task>,
}

impl Plan {
    /// Tasks to import (not checked `[x]`).
    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| !t.done)
    }

    /// A task by key.
    pub fn get(&self, key: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.key == key)
    }
}

/// A problem on one line of a plan (line 0: the plan as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u32,
    pub message: String,
    pub help: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)?;
        } else {
            f.write_str(&self.message)?;
        }
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        Ok(())
    }
}

/// Every problem found in a plan, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanErrors(pub Vec<LineError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "the plan has {n} error{}; nothing was imported",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n{e}")?;
        }
        Ok(())
    }
}

fn err(line: u32, message: impl Into<String>, help: impl Into<String>) -> LineError {
    LineError {
        line,
        message: message.into(),
        help: help.into(),
    }
}

const LINE_SHAPE: &str =
    "a task line reads `- [ ] lane: Title — DoD: … | Trace: … | K: key | Dep: k1,k2 | P: HIGH`";

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Parse a plan file. Every malformed task line is reported (with its line); on any error no
/// plan is returned, so nothing half-read can be imported.
pub fn parse(text: &str) -> Result<Plan, PlanErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut plan = Plan::default();
    let mut errors = Vec::new();
    let mut group = String::new();
    let mut fence: Option<(char, usize)> = None;
    let mut in_comment = false;
    for (idx, raw) in text.split('\n').enumerate() {
        let n = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start();
        if let Some((ch, len)) = fence {
            let run = trimmed.chars().take_while(|c| *c == ch).count();
            if run >= len && trimmed[run * ch.len_utf8()..].trim().is_empty() {
                fence = None;
            }
            continue;
        }
        if in_comment {
            if line.contains("-->") {
                in_comment = false;
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("<!--") {
            if !rest.contains("-->") {
                in_comment = true;
            }
            continue;
        }
        for ch in ['`', '~'] {
            let run = trimmed.chars().take_while(|c| *c == ch).count();
            if run >= 3 {
                fence = Some((ch, run));
            }
        }
        if fence.is_some() {
            continue;
        }
        if let Some(h) = heading(trimmed) {
            if h.0 == 1
                && plan.name.is_none()
                && let Some(name) = strip_prefix_ci(h.1, "plan:")
            {
                let name = name.trim();
                if !name.is_empty() {
                    plan.name = Some(name.to_string());
                }
            }
            // A level-1 heading is the plan's title; `##` and below group the tasks.
            group = if h.0 == 1 {
                String::new()
            } else {
                h.1.to_string()
            };
            continue;
        }
        match parse_line(line, n) {
            None => {}
            Some(Ok(mut t)) => {
                t.group = group.clone();
                plan.tasks.push(t);
            }
            Some(Err(e)) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(PlanErrors(errors))
    }
}

fn heading(t: &str) -> Option<(usize, &str)> {
    let level = t.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim()))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Whether free text carries plan fields (a line that was meant as a task).
fn looks_like_task(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("| k:") || lower.contains("| key:") || lower.contains("— dod:")
}

/// Parse one line: `None` when it is not a task line.
fn parse_line(line: &str, n: u32) -> Option<Result<Task, LineError>> {
    let t = line.trim_start();
    let mut chars = t.chars();
    let marker = chars.next()?;
    if !matches!(marker, '-' | '*' | '+') {
        return None;
    }
    let after = chars.as_str();
    if !after.starts_with([' ', '\t']) {
        return None;
    }
    let after = after.trim_start();
    let Some(inner) = after.strip_prefix('[') else {
        if looks_like_task(after) {
            return Some(Err(err(
                n,
                "this list line carries plan fields but no task box",
                format!("start it with `- [ ] ` (or `- [x] ` when done); {LINE_SHAPE}"),
            )));
        }
        return None;
    };
    let (done, rest) = if let Some(r) = inner.strip_prefix(" ]") {
        (false, r)
    } else if let Some(r) = inner
        .strip_prefix("x]")
        .or_else(|| inner.strip_prefix("X]"))
    {
        (true, r)
    } else {
        // `- [link](url)` or `- [note]` is prose; a broken box on a plan line is an error.
        if looks_like_task(after) {
            return Some(Err(err(
                n,
                "the task box is malformed",
                format!("write `[ ]` or `[x]`; {LINE_SHAPE}"),
            )));
        }
        return None;
    };
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    Some(parse_task(rest.trim(), done, n))
}

fn parse_task(body: &str, done: bool, n: u32) -> Result<Task, LineError> {
    if body.is_empty() {
        return Err(err(n, "the task line is empty", LINE_SHAPE));
    }
    let mut segments = body.split('|');
    let head = segments.next().unwrap_or("");
    let Some(colon) = head.find(':') else {
        return Err(err(
            n,
            format!("no lane: `{}` does not start with `lane:`", short(head)),
            LINE_SHAPE,
        ));
    };
    let lane_raw = head[..colon].trim();
    let lane = lane_raw.to_ascii_lowercase();
    if !is_lane(&lane) {
        return Err(err(
            n,
            format!("`{}` is not a lane", short(lane_raw)),
            format!(
                "a lane is one lower-case word (backend, frontend, data, security, qa, ops, docs …); {LINE_SHAPE}"
            ),
        ));
    }
    let title_part = &head[colon + 1..];
    let (title, head_dod) = split_dod(title_part);
    let title = clean_field(title);
    if title.is_empty() {
        return Err(err(n, "the task has no title", LINE_SHAPE));
    }
    let mut fields: BTreeMap<&'static str, String> = BTreeMap::new();
    if let Some(d) = head_dod {
        fields.insert("dod", clean_field(d));
    }
    for seg in segments {
        let Some(c) = seg.find(':') else {
            return Err(err(
                n,
                format!("`{}` is not a field", short(seg.trim())),
                "`|` separates fields (`| Name: value`); free text cannot contain `|`",
            ));
        };
        let name_raw = seg[..c].trim();
        let name = match name_raw.to_ascii_lowercase().as_str() {
            "dod" => "dod",
            "trace" => "trace",
            "k" | "key" => "key",
            "dep" | "deps" => "deps",
            "p" | "priority" => "priority",
            "r" | "risk" => "risk",
            _ => {
                return Err(err(
                    n,
                    format!("unknown field `{}`", short(name_raw)),
                    "fields are DoD, Trace, K, Dep, P and R; free text cannot contain `|`",
                ));
            }
        };
        if fields.contains_key(name) {
            return Err(err(
                n,
                format!("the field `{name_raw}` appears twice"),
                "keep one of them",
            ));
        }
        fields.insert(name, clean_field(&seg[c + 1..]));
    }
    let priority = match fields.get("priority").map(String::as_str) {
        None | Some("") => priority::NORMAL,
        Some(p) => priority::parse(p).ok_or_else(|| {
            err(
                n,
                format!("`{}` is not a priority", short(p)),
                "use URGENT, HIGH, NORMAL, LOW or a number from 0 (most urgent) to 9",
            )
        })?,
    };
    let risk = match fields.get("risk").map(String::as_str) {
        None | Some("") => None,
        Some(r) => Some(Risk::parse(r).ok_or_else(|| {
            err(
                n,
                format!("`{}` is not a risk", short(r)),
                "use LOW, MEDIUM or HIGH",
            )
        })?),
    };
    let key = match fields.get("key").map(String::as_str) {
        None | Some("") => format!("{lane}:{}", slug(&title, 8)),
        Some(k) => k.to_string(),
    };
    check_key(&key).map_err(|m| err(n, m, "a key is one word such as `backend:login`"))?;
    let mut deps: Vec<String> = Vec::new();
    if let Some(d) = fields.get("deps") {
        let d = d.trim();
        if !(d.is_empty() || d == "-" || d.eq_ignore_ascii_case("none")) {
            for dep in d.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                check_key(dep).map_err(|m| {
                    err(
                        n,
                        format!("in Dep: {m}"),
                        "Dep lists keys separated by commas: `Dep: data:entity-book, backend:login`",
                    )
                })?;
                if !deps.iter().any(|x| x == dep) {
                    deps.push(dep.to_string());
                }
            }
        }
    }
    let trace = fields.remove("trace").unwrap_or_default();
    let dod = fields.remove("dod").unwrap_or_default();
    for (what, value, max) in [
        ("title", &title, MAX_TITLE),
        ("Trace", &trace, MAX_TRACE),
        ("DoD", &dod, MAX_DOD),
    ] {
        if value.chars().count() > max {
            return Err(err(
                n,
                format!("the {what} is longer than {max} characters"),
                "shorten it; details belong in the spec the task traces to",
            ));
        }
    }
    if [&title, &trace, &dod]
        .iter()
        .any(|v| v.chars().any(char::is_control))
    {
        return Err(err(
            n,
            "the line contains a control character",
            "remove it; plan lines are plain text",
        ));
    }
    Ok(Task {
        key,
        title,
        lane,
        priority,
        risk,
        trace,
        dod,
        deps,
        done,
        group: String::new(),
        line: n,
    })
}

/// Split `Title — DoD: text` at the first dash-separated `DoD:`.
fn split_dod(s: &str) -> (&str, Option<&str>) {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("dod:") {
        let at = from + p;
        let before = s[..at].trim_end();
        for dash in ['—', '–', '-'] {
            if let Some(title) = before.strip_suffix(dash) {
                let title = title.strip_suffix('-').unwrap_or(title);
                if title.ends_with(char::is_whitespace) || title.is_empty() {
                    return (title, Some(&s[at + 4..]));
                }
            }
        }
        from = at + 4;
    }
    (s, None)
}

fn clean_field(s: &str) -> String {
    s.replace('\t', " ").trim().to_string()
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// Lanes are lower-case words: letters, digits, `-`, `_`, `.`, starting with a letter or digit.
pub fn is_lane(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// A key: non-empty, at most [`MAX_KEY`] characters, no spaces, commas, `|` or control
/// characters, and not a task id (`12`, `T-12`).
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    if key.chars().count() > MAX_KEY {
        return Err(format!("the key is longer than {MAX_KEY} characters"));
    }
    if key
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '|')
    {
        return Err(format!(
            "`{}` is not a key: no spaces, commas or `|`",
            short(key)
        ));
    }
    let digits = key
        .strip_prefix("T-")
        .or_else(|| key.strip_prefix("t-"))
        .unwrap_or(key);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{key}` looks like a task id, not a key; use a name such as `backend:login`"
        ));
    }
    Ok(())
}

/// Lower-case words joined by `-`: letters and digits kept, everything else a separator, at most
/// `max_words` words and 48 characters (cut at a word).
pub fn slug(text: &str, max_words: usize) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut out = String::new();
    for w in words.into_iter().take(max_words.max(1)) {
        let extra = if out.is_empty() { 0 } else { 1 };
        if !out.is_empty() && out.chars().count() + extra + w.chars().count() > 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w);
    }
    if out.chars().count() > 48 {
        out = out.chars().take(48).collect();
    }
    if out.is_empty() {
        out.push_str("item");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Whole-plan checks.

/// Check a parsed plan: unique keys, known dependencies, no self-dependency, no cycle. `known`
/// says whether a key outside the plan exists (in the store). Errors are in line order.
pub fn check(plan: &Plan, known: &dyn Fn(&str) -> bool) -> Vec<LineError> {
    let mut out = Vec::new();
    let mut first: HashMap<&str, &Task> = HashMap::new();
    for t in &plan.tasks {
        if let Some(prev) = first.get(t.key.as_str()) {
            out.push(err(
                t.line,
                format!("the key `{}` is already used on line {}", t.key, prev.line),
                "keys must be unique; rename one of them",
            ));
        } else {
            first.insert(&t.key, t);
        }
    }
    for t in plan.open_tasks() {
        for d in &t.deps {
            if *d == t.key {
                out.push(err(
                    t.line,
                    format!("`{}` depends on itself", t.key),
                    "remove it from its own Dep",
                ));
                continue;
            }
            match first.get(d.as_str()) {
                Some(dep) if !dep.done => {}
                Some(dep) if known(d) => {
                    let _ = dep;
                }
                Some(dep) => out.push(err(
                    t.line,
                    format!(
                        "Dep `{d}` names the task on line {}, which is checked [x] and so not imported",
                        dep.line
                    ),
                    "uncheck that task or remove the dependency",
                )),
                None if known(d) => {}
                None => out.push(err(
                    t.line,
                    format!("Dep `{d}` is an unknown key: no task of this plan or of the store has it"),
                    "fix the key, add the task, or remove the dependency",
                )),
            }
        }
    }
    if let Some(cycle) = find_cycle(plan) {
        let lines: Vec<String> = cycle
            .iter()
            .map(|k| match plan.get(k) {
                Some(t) if t.line > 0 => format!("{k} (line {})", t.line),
                _ => k.clone(),
            })
            .collect();
        let line = cycle
            .first()
            .and_then(|k| plan.get(k))
            .map(|t| t.line)
            .unwrap_or(0);
        out.push(err(
            line,
            format!("dependency cycle: {}", lines.join(" → ")),
            "remove one of these dependencies",
        ));
    }
    out.sort_by_key(|e| e.line);
    out
}

/// The first dependency cycle among the open tasks (in plan order), first key repeated at the
/// end. A task naming itself is left to [`check`], which reports it on its own.
pub fn find_cycle(plan: &Plan) -> Option<Vec<String>> {
    let open: Vec<&Task> = plan.open_tasks().collect();
    let index: HashMap<&str, usize> = open
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = open
        .iter()
        .map(|t| {
            t.deps
                .iter()
                .filter(|d| **d != t.key)
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done. Iterative DFS.
    let mut state = vec![0u8; open.len()];
    for start in 0..open.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[pos..]
                            .iter()
                            .map(|(n, _)| open[*n].key.clone())
                            .collect();
                        cycle.push(open[to].key.clone());
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Rendering.

/// Make free text safe for a plan line: one line, no `|` (written `/`), no control characters,
/// single spaces.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = if c == '|' { '/' } else { c };
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// A title safe for a plan line: [`clean_text`], and a dash-separated `DoD:` inside it broken
/// up (it would end the title).
pub fn clean_title(s: &str) -> String {
    let mut t = clean_text(s);
    while let (title, Some(_)) = split_dod(&t) {
        let at = title.len();
        // Replace the separating dash run with a comma so the text reads the same.
        let rest = t[at..].trim_start_matches(['—', '–', '-', ' ']).to_string();
        t = format!("{}, {}", title.trim_end(), rest);
    }
    if t.is_empty() { "(untitled)".into() } else { t }
}

/// Render one task line (without the trailing newline).
pub fn render_task(t: &Task) -> String {
    let mut s = format!(
        "- [{}] {}: {} — DoD: {}",
        if t.done { "x" } else { " " },
        t.lane,
        clean_title(&t.title),
        clean_text(&t.dod)
    );
    s.push_str(" | Trace: ");
    s.push_str(&clean_text(&t.trace));
    s.push_str(" | K: ");
    s.push_str(&t.key);
    let mut deps: Vec<&str> = Vec::with_capacity(t.deps.len());
    for d in &t.deps {
        if !deps.contains(&d.as_str()) {
            deps.push(d);
        }
    }
    if !deps.is_empty() {
        s.push_str(" | Dep: ");
        s.push_str(&deps.join(","));
    }
    s.push_str(" | P: ");
    s.push_str(&priority::render(t.priority));
    if let Some(r) = t.risk {
        s.push_str(" | R: ");
        s.push_str(r.as_str());
    }
    s
}

/// Render a plan as Markdown: `# Plan: NAME`, the `preface` lines (as given; keep them free of
/// task lines), then the tasks with a `## group` heading wherever the group changes.
pub fn render(plan: &Plan, preface: &[String]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Plan: {}\n\n",
        clean_text(plan.name.as_deref().unwrap_or("plan"))
    ));
    for l in preface {
        out.push_str(l);
        out.push('\n');
    }
    if !preface.is_empty() {
        out.push('\n');
    }
    let mut group: Option<&str> = None;
    for t in &plan.tasks {
        if group != Some(t.group.as_str()) {
            if group.is_some() {
                out.push('\n');
            }
            if !t.group.is_empty() {
                out.push_str(&format!("## {}\n\n", clean_text(&t.group)));
            }
            group = Some(t.group.as_str());
        }
        out.push_str(&render_task(t));
        out.push('\n');
    }
    if plan.tasks.is_empty() {
        out.push_str("_No open requirement produced a task._\n");
    }
    out
}

/// The JSON form of a plan: `schema_version`, `name`, `tasks[]` with `key`, `title`, `lane`,
/// `priority` (lower = more urgent), `risk`, `trace`, `dod`, `deps` (keys). Checked tasks are
/// left out. Serialise it with any serde format.
#[derive(Debug, Clone, Serialize)]
pub struct PlanJson<'a> {
    pub schema_version: u32,
    pub name: Option<&'a str>,
    pub tasks: Vec<&'a Task>,
}

impl Plan {
    /// The JSON view of the plan.
    pub fn json(&self) -> PlanJson<'_> {
        PlanJson {
            schema_version: SCHEMA_VERSION,
            name: self.name.as_deref(),
            tasks: self.open_tasks().collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Graphs.

/// Output format of [`graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

fn graph_label(t: &Task) -> String {
    let title: String = t.title.chars().take(60).collect();
    let more = if t.title.chars().count() > 60 {
        "…"
    } else {
        ""
    };
    format!("{}\n{title}{more}", t.key)
}

/// Draw the dependency graph of the open tasks: an arrow from each dependency to the task that
/// waits for it. Dependencies outside the plan (already in the store) are drawn dashed.
pub fn graph(plan: &Plan, format: GraphFormat) -> String {
    let open: Vec<&Task> = plan.open_tasks().collect();
    let ids: HashMap<&str, String> = open
        .iter()
        .enumerate()
        .map(|(i, t)| (t.key.as_str(), format!("t{}", i + 1)))
        .collect();
    let mut external: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for t in &open {
        for d in &t.deps {
            if !ids.contains_key(d.as_str()) && seen.insert(d.as_str()) {
                external.push(d);
            }
        }
    }
    let ext_id: HashMap<&str, String> = external
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, format!("x{}", i + 1)))
        .collect();
    let id_of = |k: &str| {
        ids.get(k)
            .or_else(|| ext_id.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let mut out = String::new();
    match format {
        GraphFormat::Mermaid => {
            let esc = |s: &str| {
                s.replace('&', "#amp;")
                    .replace('"', "#quot;")
                    .replace('<', "#lt;")
                    .replace('>', "#gt;")
                    .replace('\n', "<br/>")
            };
            out.push_str("graph TD\n");
            for t in &open {
                out.push_str(&format!(
                    "  {}[\"{}\"]\n",
                    id_of(&t.key),
                    esc(&graph_label(t))
                ));
            }
            for k in &external {
                out.push_str(&format!("  {}([\"{}\"])\n", id_of(k), esc(k)));
            }
            for t in &open {
                for d in &t.deps {
                    let arrow = if ids.contains_key(d.as_str()) {
                        "-->"
                    } else {
                        "-.->"
                    };
                    out.push_str(&format!("  {} {arrow} {}\n", id_of(d), id_of(&t.key)));
                }
            }
        }
        GraphFormat::Dot => {
            let esc = |s: &str| {
                s.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            };
            out.push_str("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n");
            for t in &open {
                out.push_str(&format!(
                    "  {} [label=\"{}\"];\n",
                    id_of(&t.key),
                    esc(&graph_label(t))
                ));
            }
            for k in &external {
                out.push_str(&format!(
                    "  {} [label=\"{}\", style=dashed];\n",
                    id_of(k),
                    esc(k)
                ));
            }
            for t in &open {
                for d in &t.deps {
                    let style = if ids.contains_key(d.as_str()) {
                        ""
                    } else {
                        " [style=dashed]"
                    };
                    out.push_str(&format!("  {} -> {}{style};\n", id_of(d), id_of(&t.key)));
                }
            }
            out.push_str("}\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<Task, LineError> {
        match parse_line(line, 7) {
            Some(r) => r,
            None => panic!("not a task line: {line}"),
        }
    }

    #[test]
    fn parses_the_formats_example() {
        let t = one("- [ ] Backend: Login — DoD: a user can log in | Trace: US1 | K: backend:login | Dep: data:user, data:session | P: URGENT").unwrap();
        assert_eq!(t.lane, "backend");
        assert_eq!(t.title, "Login");
        assert_eq!(t.dod, "a user can log in");
        assert_eq!(t.trace, "US1");
        assert_eq!(t.key, "backend:login");
        assert_eq!(t.deps, vec!["data:user", "data:session"]);
        assert_eq!(t.priority, priority::URGENT);
        assert_eq!(t.risk, None);
        assert!(!t.done);
        assert_eq!(t.line, 7);
    }

    #[test]
    fn title_keeps_colons_and_dashes() {
        let t = one("- [x] backend: GET /a: one — or two — DoD: ok | K: k:1").unwrap();
        assert_eq!(t.title, "GET /a: one — or two");
        assert_eq!(t.dod, "ok");
        assert!(t.done);
        let t = one("- [ ] qa: Check-in flow - DoD: x").unwrap();
        assert_eq!((t.title.as_str(), t.dod.as_str()), ("Check-in flow", "x"));
        assert_eq!(t.key, "qa:check-in-flow");
    }

    #[test]
    fn errors_name_the_problem() {
        let e = one("- [ ] not a lane: x").unwrap_err();
        assert!(e.message.contains("not a lane"), "{e}");
        let e = one("- [ ] backend: x | Dpe: a").unwrap_err();
        assert!(e.message.contains("unknown field `Dpe`"), "{e}");
        let e = one("- [ ] backend: x | P: soon").unwrap_err();
        assert!(e.message.contains("not a priority"), "{e}");
        let e = one("- [ ] backend: x | K: a b").unwrap_err();
        assert!(e.message.contains("not a key"), "{e}");
        let e = one("- [ ] backend: x | K: T-4").unwrap_err();
        assert!(e.message.contains("task id"), "{e}");
        let e = one("- [ ] backend:  — DoD: y").unwrap_err();
        assert!(e.message.contains("no title"), "{e}");
        assert!(parse_line("- backend: x | K: a", 1).unwrap().is_err());
        assert!(parse_line("- just a note", 1).is_none());
        assert!(parse_line("- [link](https://x) text", 1).is_none());
    }

    #[test]
    fn fences_comments_and_headings_are_not_tasks() {
        let text = "# Plan: docs\n<!--\n- [ ] backend: hidden\n-->\n```\n- [ ] backend: example\n```\n## API\n- [ ] backend: real | K: b:real\n";
        let p = parse(text).unwrap();
        assert_eq!(p.name.as_deref(), Some("docs"));
        assert_eq!(p.tasks.len(), 1);
        assert_eq!(p.tasks[0].group, "API");
        assert_eq!(p.tasks[0].line, 9);
    }

    #[test]
    fn render_parse_round_trip() {
        let t = Task {
            key: "backend:x".into(),
            title: "Title | with pipe — DoD: inside".into(),
            lane: "backend".into(),
            priority: 5,
            risk: Some(Risk::High),
            trace: "US1 (docs/PRD.md:3)".into(),
            dod: "a\nb | c".into(),
            deps: vec!["data:y".into()],
            done: false,
            group: "G".into(),
            line: 0,
        };
        let plan = Plan {
            name: Some("docs".into()),
            tasks: vec![t],
        };
        let text = render(&plan, &[]);
        let back = parse(&text).unwrap();
        let b = &back.tasks[0];
        assert_eq!(b.title, "Title / with pipe, DoD: inside");
        assert_eq!(b.dod, "a b / c");
        assert_eq!(b.priority, 5);
        assert_eq!(b.risk, Some(Risk::High));
        assert_eq!(b.deps, vec!["data:y"]);
        assert_eq!(render(&back, &[]), text);
    }

    #[test]
    fn cycles_are_named() {
        let p = parse("- [ ] a: one | K: a:1 | Dep: a:2\n- [ ] a: two | K: a:2 | Dep: a:3\n- [ ] a: three | K: a:3 | Dep: a:1\n").unwrap();
        let errs = check(&p, &|_| false);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .message
                .contains("a:1 (line 1) → a:2 (line 2) → a:3 (line 3) → a:1 (line 1)"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("GET /api/books/{isbn13}", 8), "get-api-books-isbn13");
        assert_eq!(slug("  ", 3), "item");
        assert!(slug(&"word ".repeat(40), 40).len() <= 48);
    }
}
