//! The history rules (GOV001, GOV002, DEC020, DEC021) on repositories built with the real git at
//! test time: ranges, the commit scope, the staged (pre-commit) mode, renames, deletions, merges
//! and the edge cases that must give clear messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mesh_check::config::Config;
use mesh_check::diagnostic::Diagnostic;
use mesh_check::engine::{Selection, check_roots_with_history};
use mesh_check::history::{self, Collected, HistoryError, HistoryMode};
use tempfile::TempDir;

struct Git {
    _tmp: TempDir,
    dir: PathBuf,
    tick: u64,
}

fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    c
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const SPEC: &str = "# SPEC: Shop\n\n## Data Model\n\n- [ ] Orders have an id and a total\n- [ ] Totals are integer cents\n\n## Change Policy (to prevent SPEC drift)\n\n- Changes need a decision row.\n";
const HEAD: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n";
const ANCHOR: &str = "<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n";

fn row(id: &str, decision: &str, status: &str) -> String {
    format!("| {id} | 2026-01-01 | ARCH | {decision} | because | core | - | {status} |")
}

fn log(rows: &[String]) -> String {
    let mut s = HEAD.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.push_str(ANCHOR);
    s
}

impl Git {
    /// A repository whose first commit holds docs/SPEC.md and a log with row 001.
    fn new() -> Git {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path().canonicalize().unwrap().join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        git_in(&dir, &["init", "-q", "-b", "main"]);
        let mut g = Git {
            _tmp: tmp,
            dir,
            tick: 1_700_000_000,
        };
        g.write("docs/SPEC.md", SPEC);
        g.write("docs/DECISION_LOG.md", &log(&[row("001", "Init", "✅")]));
        g.commit("c0", "init");
        g
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir, args)
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.dir.join(path)).unwrap()
    }

    fn append(&self, path: &str, text: &str) {
        let mut s = self.read(path);
        s.push_str(text);
        self.write(path, &s);
    }

    /// Insert a row before the anchor of docs/DECISION_LOG.md.
    fn add_row(&self, r: &str) {
        let s = self
            .read("docs/DECISION_LOG.md")
            .replace(ANCHOR, &format!("{r}\n{ANCHOR}"));
        self.write("docs/DECISION_LOG.md", &s);
    }

    fn replace(&self, path: &str, from: &str, to: &str) {
        let s = self.read(path);
        assert!(s.contains(from), "{from:?} not in {path}");
        self.write(path, &s.replacen(from, to, 1));
    }

    /// Stage everything, commit at a fixed time, tag `tag`.
    fn commit(&mut self, tag: &str, msg: &str) {
        self.tick += 60;
        self.git(&["add", "-A"]);
        let date = format!("@{} +0000", self.tick);
        let out = git_cmd(&self.dir)
            .args(["commit", "-q", "--allow-empty", "-m", msg])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["tag", tag]);
    }
}

fn config(toml: &str) -> Config {
    Config::parse(toml, "mesh.toml").unwrap()
}

fn collect(dir: &Path, mode: HistoryMode, cfg: &Config) -> Result<Collected, HistoryError> {
    let roots = mesh_check::load::roots(dir, cfg, false).unwrap();
    history::collect(dir, &roots, &mode, &cfg.policy)
}

/// `CODE line message` for every history finding.
fn check_with(dir: &Path, mode: HistoryMode, cfg: &Config) -> Vec<String> {
    let roots = mesh_check::load::roots(dir, cfg, false).unwrap();
    let facts = match history::collect(dir, &roots, &mode, &cfg.policy).unwrap() {
        Collected::Facts(f) => f,
        Collected::Skipped { note } => panic!("skipped: {note}"),
    };
    let sel = Selection {
        select: vec!["GOV".into(), "DEC02".into()],
        ignore: Vec::new(),
    };
    let reports = check_roots_with_history(roots, cfg, &sel, Some(&facts));
    let mut diags: Vec<Diagnostic> = reports.into_iter().flat_map(|r| r.diagnostics).collect();
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags
        .iter()
        .map(|d| {
            format!(
                "{} {}:{} {}",
                d.code, d.location.file, d.location.line, d.message
            )
        })
        .collect()
}

fn since(dir: &Path, rev: &str) -> Vec<String> {
    check_with(dir, range(rev), &Config::default())
}

fn range(rev: &str) -> HistoryMode {
    HistoryMode::Range {
        base: rev.into(),
        tip: None,
    }
}

fn codes(found: &[String]) -> Vec<&str> {
    found.iter().map(|f| &f[..6]).collect()
}

#[test]
fn spec_change_needs_a_decision_row_in_the_range() {
    let mut g = Git::new();
    g.append("docs/SPEC.md", "- [ ] Refunds within 30 days\n");
    g.commit("c1", "spec: refunds");
    let found = since(&g.dir, "c0");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("GOV001 docs/SPEC.md:11 SPEC line 11 added since c0 ("),
        "{found:?}"
    );
    assert!(found[0].contains("no decision row was added to docs/DECISION_LOG.md"));

    // The row may come in a later commit of the same range.
    g.add_row(&row("002", "Refunds within 30 days", "✅"));
    g.commit("c2", "decision 002");
    assert_eq!(since(&g.dir, "c0"), Vec::<String>::new());
    // ... but not with the commit scope.
    let cfg = config("[policy]\ndecision_scope = \"commit\"\n");
    let found = check_with(&g.dir, range("c0"), &cfg);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("GOV001 docs/SPEC.md:11 commit "),
        "{found:?}"
    );
    assert!(
        found[0].contains("`spec: refunds` changed SPEC (line 11 added)"),
        "{found:?}"
    );
    // A range that holds only the decision is clean.
    assert_eq!(since(&g.dir, "c1"), Vec::<String>::new());
}

#[test]
fn commit_scope_accepts_a_row_in_the_same_commit() {
    let mut g = Git::new();
    g.append("docs/SPEC.md", "- [ ] Refunds within 30 days\n");
    g.add_row(&row("002", "Refunds", "✅"));
    g.commit("c1", "spec with decision");
    let cfg = config("[policy]\ndecision_scope = \"commit\"\n");
    assert_eq!(check_with(&g.dir, range("c0"), &cfg), Vec::<String>::new());
}

#[test]
fn ticking_a_box_is_a_status_change_unless_configured() {
    let mut g = Git::new();
    g.replace("docs/SPEC.md", "- [ ] Totals", "- [x] Totals");
    g.append("docs/SPEC.md", "\n");
    g.commit("c1", "tick");
    assert_eq!(since(&g.dir, "c0"), Vec::<String>::new());
    let cfg = config("[policy]\ntick_is_status_change = false\n");
    let found = check_with(&g.dir, range("c0"), &cfg);
    assert_eq!(codes(&found), ["GOV001", "GOV002"], "{found:?}");
}

#[test]
fn rewritten_and_removed_spec_lines_are_warned_about() {
    let mut g = Git::new();
    g.replace("docs/SPEC.md", "integer cents", "decimal strings");
    g.replace("docs/SPEC.md", "- [ ] Orders have an id and a total\n", "");
    g.add_row(&row("002", "Totals as decimal strings", "✅"));
    g.commit("c1", "rewrite");
    let found = since(&g.dir, "c0");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .starts_with("GOV002 docs/SPEC.md:5 SPEC 1 line removed and 1 line rewritten since c0"),
        "{found:?}"
    );
    assert!(
        found[0].contains("(was: `- [ ] Orders have an id and a total`)"),
        "{found:?}"
    );
}

#[test]
fn decision_rows_are_append_only() {
    let mut g = Git::new();
    g.add_row(&row("002", "Use Postgres", "✅"));
    g.add_row(&row("003", "Use Redis", "✅"));
    g.commit("c1", "two decisions");

    // Rewriting a row's text.
    g.replace("docs/DECISION_LOG.md", "Use Postgres", "Use MySQL");
    g.git(&["add", "-A"]);
    let found = check_with(&g.dir, HistoryMode::Staged, &Config::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("DEC021 docs/DECISION_LOG.md:8 decision row `002` was rewritten in the staged changes (Decision changed)"),
        "{found:?}"
    );
    g.replace("docs/DECISION_LOG.md", "Use MySQL", "Use Postgres");

    // Deleting one.
    g.replace(
        "docs/DECISION_LOG.md",
        &format!("{}\n", row("002", "Use Postgres", "✅")),
        "",
    );
    g.commit("c2", "drop 002");
    let found = since(&g.dir, "c1");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .starts_with("DEC020 docs/DECISION_LOG.md:8 decision row `002` was deleted since c1 (")
            && found[0].contains("; it was line 8: `| 002 | 2026-01-01 | ARCH | Use Postgres |"),
        "{found:?}"
    );
    // Over a range where it was added and removed again, nothing remains to report.
    assert_eq!(since(&g.dir, "c0"), Vec::<String>::new());
}

#[test]
fn superseding_is_the_one_allowed_edit() {
    let mut g = Git::new();
    g.add_row(&row("002", "Use Postgres", "✅"));
    g.commit("c1", "002");

    // Marked superseded with nothing superseding it.
    g.replace(
        "docs/DECISION_LOG.md",
        "Use Postgres | because | core | - | ✅",
        "Use Postgres | because | core | - | 🔄",
    );
    g.commit("c2", "supersede without successor");
    let found = since(&g.dir, "c1");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("decision row `002` moved from active to superseded since c1 (")
            && found[0].ends_with("), but no newer row references it"),
        "{found:?}"
    );

    // With the successor row in the same change, the move is allowed.
    g.replace("docs/DECISION_LOG.md", "| 🔄 |", "| 🔄 superseded by 003 |");
    g.add_row(&row("003", "Use SQLite (Supersedes 002)", "✅"));
    g.commit("c3", "003 supersedes 002");
    assert_eq!(since(&g.dir, "c1"), Vec::<String>::new());

    // Back to active: never allowed.
    g.replace("docs/DECISION_LOG.md", "| 🔄 superseded by 003 |", "| ✅ |");
    g.git(&["add", "-A"]);
    let found = check_with(&g.dir, HistoryMode::Staged, &Config::default());
    assert!(
        found
            .iter()
            .any(|f| f.contains("moved from superseded to active")),
        "{found:?}"
    );
}

#[test]
fn staged_mode_judges_the_index_not_the_working_tree() {
    let mut g = Git::new();
    g.append("docs/SPEC.md", "- [ ] Staged line\n");
    // Not staged yet: nothing to judge.
    assert_eq!(
        check_with(&g.dir, HistoryMode::Staged, &Config::default()),
        Vec::<String>::new()
    );
    g.git(&["add", "docs/SPEC.md"]);
    let found = check_with(&g.dir, HistoryMode::Staged, &Config::default());
    assert_eq!(codes(&found), ["GOV001"], "{found:?}");
    assert!(found[0].contains("in the staged changes"), "{found:?}");
    // Stage a decision too: clean.
    g.add_row(&row("002", "Staged line", "✅"));
    g.git(&["add", "docs/DECISION_LOG.md"]);
    assert_eq!(
        check_with(&g.dir, HistoryMode::Staged, &Config::default()),
        Vec::<String>::new()
    );
    g.commit("c1", "done");
    assert_eq!(
        check_with(&g.dir, HistoryMode::Staged, &Config::default()),
        Vec::<String>::new()
    );
}

#[test]
fn a_moved_spec_is_followed_not_new() {
    let mut g = Git::new();
    g.write("mesh.toml", "[docs]\nroots = [\"spec\"]\n");
    g.git(&["add", "mesh.toml"]);
    std::fs::create_dir_all(g.dir.join("spec")).unwrap();
    g.git(&["mv", "docs/SPEC.md", "spec/SPEC.md"]);
    g.git(&["mv", "docs/DECISION_LOG.md", "spec/DECISION_LOG.md"]);
    let cfg = Config::load(&g.dir).unwrap();
    // Staged move: no content change, nothing to report.
    assert_eq!(
        check_with(&g.dir, HistoryMode::Staged, &cfg),
        Vec::<String>::new()
    );
    g.commit("c1", "move the documents");
    assert_eq!(check_with(&g.dir, range("c0"), &cfg), Vec::<String>::new());
    // An edit after the move is compared with the old file.
    g.append("spec/SPEC.md", "- [ ] After the move\n");
    g.commit("c2", "edit");
    let found = check_with(&g.dir, range("c0"), &cfg);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("GOV001 spec/SPEC.md:11 SPEC line 11 added since c0 (")
            && found[0].contains("(moved from docs/SPEC.md)"),
        "{found:?}"
    );
}

#[test]
fn a_deleted_spec_is_reported_clearly() {
    let mut g = Git::new();
    g.git(&["rm", "-q", "docs/SPEC.md"]);
    g.commit("c1", "delete spec");
    let found = since(&g.dir, "c0");
    assert_eq!(codes(&found), ["GOV001", "GOV002"], "{found:?}");
    assert!(
        found[0].starts_with("GOV001 docs/SPEC.md:1 docs/SPEC.md was deleted since c0 ("),
        "{found:?}"
    );
    assert!(
        found[0].ends_with(") and no decision row was added to docs/DECISION_LOG.md"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("GOV002 docs/SPEC.md:1 docs/SPEC.md was deleted since c0 ("),
        "{found:?}"
    );
}

#[test]
fn merges_are_judged_against_their_first_parent() {
    let mut g = Git::new();
    g.git(&["checkout", "-q", "-b", "feature"]);
    g.append("docs/SPEC.md", "- [ ] From the feature\n");
    g.commit("f1", "feature spec");
    g.git(&["checkout", "-q", "main"]);
    g.write("other.txt", "x\n");
    g.commit("c1", "other");
    g.tick += 60;
    let date = format!("@{} +0000", g.tick);
    let out = git_cmd(&g.dir)
        .args(["merge", "-q", "--no-ff", "feature", "-m", "merge feature"])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(out.status.success());
    let cfg = config("[policy]\ndecision_scope = \"commit\"\n");
    let found = check_with(&g.dir, range("c1"), &cfg);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .contains("`merge feature` (a merge, judged against its first parent) changed SPEC"),
        "{found:?}"
    );
}

#[test]
fn the_root_commit_and_a_detached_head() {
    let mut g = Git::new();
    g.append("docs/SPEC.md", "- [ ] Second\n");
    g.commit("c1", "second");
    // Detached at c1: the range still ends at HEAD.
    g.git(&["checkout", "-q", "--detach", "c1"]);
    let found = since(&g.dir, "c0");
    assert_eq!(codes(&found), ["GOV001"], "{found:?}");
    // A new repository: the first commit's staged documents are judged against the empty tree;
    // the log's INIT row is the decision.
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("fresh");
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    git_in(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("docs/SPEC.md"), SPEC).unwrap();
    git_in(&dir, &["add", "-A"]);
    let found = check_with(&dir, HistoryMode::Staged, &Config::default());
    assert_eq!(codes(&found), ["GOV001"], "{found:?}");
    std::fs::write(
        dir.join("docs/DECISION_LOG.md"),
        log(&[row("001", "Init", "✅")]),
    )
    .unwrap();
    git_in(&dir, &["add", "-A"]);
    assert_eq!(
        check_with(&dir, HistoryMode::Staged, &Config::default()),
        Vec::<String>::new()
    );
}

#[test]
fn edge_cases_give_clear_messages() {
    // Not a git repository: skipped with a note.
    let tmp = TempDir::new().unwrap();
    std::fs::create_dir_all(tmp.path().join("docs")).unwrap();
    std::fs::write(tmp.path().join("docs/SPEC.md"), SPEC).unwrap();
    match collect(tmp.path(), range("main"), &Config::default()).unwrap() {
        Collected::Skipped { note } => {
            assert!(note.contains("not inside a git repository"), "{note}")
        }
        Collected::Facts(_) => panic!("facts outside a repository"),
    }
    // Unknown revision.
    let mut g = Git::new();
    let err = collect(&g.dir, range("no-such-branch"), &Config::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown revision `no-such-branch`"),
        "{err}"
    );
    // A shallow clone that lacks the base.
    g.append("docs/SPEC.md", "- [ ] More\n");
    g.commit("c1", "more");
    g.append("docs/SPEC.md", "- [ ] Even more\n");
    g.commit("c2", "even more");
    let c0 = g.git(&["rev-parse", "c0"]);
    let clone_parent = TempDir::new().unwrap();
    let clone = clone_parent.path().join("shallow");
    let url = format!("file://{}", g.dir.display());
    git_in(
        clone_parent.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let err = collect(&clone, range(&c0), &Config::default()).unwrap_err();
    assert!(
        err.to_string().contains("is not in this shallow clone"),
        "{err}"
    );
    assert!(err.to_string().contains("git fetch --deepen"), "{err}");
    // Unresolved conflicts in a watched file.
    g.git(&["checkout", "-q", "-b", "other", "c1"]);
    g.append("docs/SPEC.md", "- [ ] Conflicting\n");
    g.commit("o1", "conflict");
    let out = git_cmd(&g.dir)
        .args(["merge", "-q", "c2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = collect(&g.dir, HistoryMode::Staged, &Config::default()).unwrap_err();
    assert!(
        err.to_string().contains("unresolved merge conflicts"),
        "{err}"
    );
}

#[test]
fn several_roots_are_judged_apart() {
    let mut g = Git::new();
    g.write("svc/docs/SPEC.md", SPEC);
    g.write(
        "svc/docs/DECISION_LOG.md",
        &log(&[row("001", "Init", "✅")]),
    );
    g.write("mesh.toml", "[docs]\nroots = [\"docs\", \"svc/docs\"]\n");
    g.commit("c1", "second root");
    g.append("svc/docs/SPEC.md", "- [ ] Service line\n");
    g.add_row(&row("002", "A decision in the other root", "✅"));
    g.commit("c2", "spec in svc, decision in docs");
    let cfg = Config::load(&g.dir).unwrap();
    let found = check_with(&g.dir, range("c1"), &cfg);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("GOV001 svc/docs/SPEC.md:11"),
        "{found:?}"
    );
}
