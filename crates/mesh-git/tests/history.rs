//! History queries against repositories built with the real git (tests/fixtures/*.sh).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, git, ids, rev};
use mesh_git::{
    ChangeKind, CommitChanges, GitError, GraphSupport, Head, Repo, WalkEnd, WalkOptions, Watch,
    WorkSource,
};

fn watch(paths: &[&str]) -> Watch {
    Watch::paths(paths).unwrap()
}

fn walk_all(repo: &Repo, opts: WalkOptions) -> (Vec<CommitChanges>, Option<WalkEnd>) {
    let mut walk = repo.walk(opts).unwrap();
    let items: Vec<CommitChanges> = walk.by_ref().map(|r| r.unwrap()).collect();
    (items, walk.end())
}

/// (tag, [(kind, old_path, new_path)]) for each changed commit, newest first.
type Summary = Vec<(String, Vec<(ChangeKind, Option<String>, Option<String>)>)>;

fn summarize(dir: &std::path::Path, items: &[CommitChanges]) -> Summary {
    items
        .iter()
        .map(|c| {
            let tag = git(
                dir,
                &[
                    "describe",
                    "--tags",
                    "--exact-match",
                    &c.commit.id.to_string(),
                ],
            );
            let mut changes: Vec<_> = c
                .changes
                .iter()
                .map(|f| (f.kind, f.old_path.clone(), f.new_path.clone()))
                .collect();
            changes.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            (tag, changes)
        })
        .collect()
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

fn expected_history() -> Summary {
    use ChangeKind::*;
    vec![
        (
            "c9-rm-log".into(),
            vec![(Deleted, s("docs/DECISION_LOG.md"), None)],
        ),
        (
            "c8-edit".into(),
            vec![(Modified, s("spec/SPEC.md"), s("spec/SPEC.md"))],
        ),
        (
            "c7-move".into(),
            vec![(Renamed, s("docs/SPEC.md"), s("spec/SPEC.md"))],
        ),
        (
            "c6-merge".into(),
            vec![(Modified, s("docs/SPEC.md"), s("docs/SPEC.md"))],
        ),
        (
            "c4-tick".into(),
            vec![(Modified, s("docs/SPEC.md"), s("docs/SPEC.md"))],
        ),
        (
            "c3-decided".into(),
            vec![
                (
                    Modified,
                    s("docs/DECISION_LOG.md"),
                    s("docs/DECISION_LOG.md"),
                ),
                (Modified, s("docs/SPEC.md"), s("docs/SPEC.md")),
            ],
        ),
        (
            "c1-root".into(),
            vec![
                (Added, None, s("docs/DECISION_LOG.md")),
                (Added, None, s("docs/SPEC.md")),
            ],
        ),
    ]
}

#[test]
fn walk_follows_first_parent_renames_merges_root_and_deletion() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    assert_eq!(repo.graph_support(), GraphSupport::None);
    let tip = repo.head_commit().unwrap();
    let (items, end) = walk_all(
        &repo,
        WalkOptions::new(tip, None, watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"])),
    );
    assert_eq!(summarize(&dir, &items), expected_history());
    assert_eq!(end, Some(WalkEnd::Root));

    // Contents: the move carries the old and new bytes; the root has no old side.
    let moved = &items[2].changes[0];
    assert_eq!(moved.old_bytes(), moved.new_bytes());
    assert!(moved.new_text().contains("- [x] two"));
    let merge = &items[3];
    assert!(merge.commit.is_merge());
    assert_eq!(merge.commit.parents[0], rev(&dir, "c5-other"));
    assert_eq!(merge.commit.summary, "merge feature");
    assert!(merge.changes[0].new_text().contains("from feature"));
    assert!(!merge.changes[0].old_text().contains("from feature"));
    let root = items.last().unwrap();
    assert!(root.commit.is_root());
    assert!(
        root.changes
            .iter()
            .all(|c| c.old.is_none() && c.new.is_some())
    );
    assert_eq!(root.commit.author, "Ada Author");
    assert_eq!(root.commit.time, 1_700_000_060);
}

#[test]
fn file_names_mode_gives_the_same_history() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let tip = repo.head_commit().unwrap();
    let w = Watch::default()
        .with_file_name("SPEC.md")
        .unwrap()
        .with_file_name("DECISION_LOG.md")
        .unwrap();
    let (items, end) = walk_all(&repo, WalkOptions::new(tip, None, w));
    assert_eq!(summarize(&dir, &items), expected_history());
    assert_eq!(end, Some(WalkEnd::Root));
}

#[test]
fn commit_graph_with_bloom_filters_gives_the_same_history() {
    let (_tmp, dir) = fixture("history", &[]);
    git(
        &dir,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    let repo = Repo::discover(&dir).unwrap();
    assert_eq!(repo.graph_support(), GraphSupport::GraphWithBloom);
    let tip = repo.head_commit().unwrap();
    let opts = WalkOptions::new(tip, None, watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]));
    let mut walk = repo.walk(opts.clone()).unwrap();
    assert!(walk.uses_bloom());
    assert_eq!(walk.estimated_total(), Some(9));
    let items: Vec<_> = walk.by_ref().map(Result::unwrap).collect();
    assert_eq!(summarize(&dir, &items), expected_history());
    assert_eq!(walk.visited(), 9);
    let (no_bloom, _) = walk_all(
        &repo,
        WalkOptions {
            use_bloom: false,
            ..opts
        },
    );
    assert_eq!(items, no_bloom);
}

/// The walker against `git log --first-parent` over a longer history, for paths at several
/// depths (one non-ASCII, where Bloom filter versions 1 and 2 hash differently), without a
/// commit-graph, with one, with Bloom filters v1 and v2, and with a split graph chain.
#[test]
fn walker_matches_git_log_with_and_without_bloom_filters() {
    let (_tmp, dir) = fixture("many", &["120"]);
    let paths = [
        "docs/SPEC.md",
        "docs/DECISION_LOG.md",
        "a/b/c/deep.md",
        "ünï/cödé/SPEC.md",
        "README.md",
        "a/b/new-4.txt",
        "missing/never.md",
    ];
    let check = |label: &str, expect_support: GraphSupport| {
        let repo = Repo::discover(&dir).unwrap();
        assert_eq!(repo.graph_support(), expect_support, "{label}");
        let tip = repo.head_commit().unwrap();
        for p in paths {
            let expected = ids(&git(
                &dir,
                &["log", "--first-parent", "--format=%H", "--", p],
            ));
            for use_bloom in [true, false] {
                let mut opts = WalkOptions::new(tip, None, watch(&[p]));
                opts.use_bloom = use_bloom;
                let mut walk = repo.walk(opts).unwrap();
                let got: Vec<_> = walk.by_ref().map(|c| c.unwrap().commit.id).collect();
                assert_eq!(got, expected, "{label}: {p} (bloom {use_bloom})");
                // The filters really answer: most commits are ruled out without reading trees.
                let skipped = walk.skipped_by_bloom();
                if use_bloom && expect_support == GraphSupport::GraphWithBloom {
                    assert!(
                        skipped * 2 > walk.visited(),
                        "{label}: {p}: {skipped} of {}",
                        walk.visited()
                    );
                } else {
                    assert_eq!(skipped, 0);
                }
            }
        }
        // All paths at once.
        let all = watch(&paths);
        let mut args = vec!["log", "--first-parent", "--format=%H", "--"];
        args.extend(paths);
        let expected = ids(&git(&dir, &args));
        let (items, _) = walk_all(&repo, WalkOptions::new(tip, None, all));
        assert_eq!(
            items.iter().map(|c| c.commit.id).collect::<Vec<_>>(),
            expected,
            "{label}: all"
        );
    };
    check("no graph", GraphSupport::None);
    git(&dir, &["commit-graph", "write", "--reachable"]);
    check("graph", GraphSupport::Graph);
    for version in [1u32, 2] {
        let setting = format!("commitGraph.changedPathsVersion={version}");
        git(
            &dir,
            &[
                "-c",
                &setting,
                "commit-graph",
                "write",
                "--reachable",
                "--changed-paths",
            ],
        );
        assert_eq!(
            bloom_version(&dir.join(".git/objects/info/commit-graph")),
            version
        );
        check(&format!("bloom v{version}"), GraphSupport::GraphWithBloom);
    }
    // New commits past the graph, then a split chain.
    for i in 0..5 {
        std::fs::write(dir.join("docs/SPEC.md"), format!("tail {i}\n")).unwrap();
        git(&dir, &["commit", "-qam", &format!("tail {i}")]);
    }
    check("commits past the graph", GraphSupport::GraphWithBloom);
    std::fs::remove_file(dir.join(".git/objects/info/commit-graph")).unwrap();
    git(
        &dir,
        &[
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            "--split",
        ],
    );
    for i in 0..3 {
        std::fs::write(dir.join("README.md"), format!("split {i}\n")).unwrap();
        git(&dir, &["commit", "-qam", &format!("split {i}")]);
    }
    git(
        &dir,
        &[
            "commit-graph",
            "write",
            "--reachable",
            "--changed-paths",
            "--split=no-merge",
        ],
    );
    let chain =
        std::fs::read_to_string(dir.join(".git/objects/info/commit-graphs/commit-graph-chain"))
            .unwrap();
    assert_eq!(chain.lines().count(), 2, "a two-file chain");
    check("split chain", GraphSupport::GraphWithBloom);
}

/// The version field of a commit-graph file's BDAT chunk (read here independently of the crate).
fn bloom_version(path: &std::path::Path) -> u32 {
    let data = std::fs::read(path).unwrap();
    let chunks = usize::from(data[6]);
    let entry = (0..chunks)
        .map(|i| &data[8 + i * 12..8 + i * 12 + 12])
        .find(|e| &e[..4] == b"BDAT")
        .expect("a BDAT chunk");
    let offset = u64::from_be_bytes(entry[4..12].try_into().unwrap()) as usize;
    u32::from_be_bytes(data[offset..offset + 4].try_into().unwrap())
}

#[test]
fn range_stops_at_the_base_and_nets_the_changes() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    let r = repo
        .range_changes(Some(rev(&dir, "c3-decided")), rev(&dir, "c8-edit"), &w)
        .unwrap();
    let tags: Vec<String> = summarize(&dir, &r.commits)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(tags, ["c8-edit", "c7-move", "c6-merge", "c4-tick"]);
    assert_eq!(r.commits_walked, 5);
    assert_eq!(r.end, Some(WalkEnd::Base(rev(&dir, "c3-decided"))));
    // Net: SPEC moved and edited; the decision log did not change in the range.
    assert_eq!(r.files.len(), 1);
    let f = &r.files[0];
    assert_eq!(f.kind, ChangeKind::Renamed);
    assert_eq!(f.old_path.as_deref(), Some("docs/SPEC.md"));
    assert_eq!(f.new_path.as_deref(), Some("spec/SPEC.md"));
    assert_eq!(
        f.old_bytes(),
        repo.file_at(rev(&dir, "c3-decided"), "docs/SPEC.md")
            .unwrap()
            .unwrap()
    );
    assert_eq!(
        f.new_bytes(),
        std::fs::read(dir.join("spec/SPEC.md")).unwrap()
    );

    // Empty range.
    let tip = rev(&dir, "c4-tick");
    let r = repo.range_changes(Some(tip), tip, &w).unwrap();
    assert!(r.files.is_empty() && r.commits.is_empty());
    assert_eq!(r.commits_walked, 0);

    // Added then deleted inside the range: no net change for the log.
    let r = repo
        .range_changes(
            None,
            rev(&dir, "c9-rm-log"),
            &watch(&["docs/DECISION_LOG.md"]),
        )
        .unwrap();
    assert!(r.files.is_empty(), "{:?}", r.files);
    assert_eq!(r.commits.len(), 3);
}

#[test]
fn base_off_the_first_parent_line_stops_at_its_ancestors() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    // f1 is the merged branch; walking main back, c4 (the fork point) is its ancestor.
    let base = rev(&dir, "f1-feature");
    let (items, end) = walk_all(
        &repo,
        WalkOptions::new(
            rev(&dir, "c9-rm-log"),
            Some(base),
            watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]),
        ),
    );
    let tags: Vec<String> = summarize(&dir, &items)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(tags, ["c9-rm-log", "c8-edit", "c7-move", "c6-merge"]);
    assert_eq!(end, Some(WalkEnd::Base(base)));
}

#[test]
fn repository_facts_head_and_revisions() {
    let (_tmp, dir) = fixture("history", &[]);
    std::fs::create_dir_all(dir.join("spec/deeper")).unwrap();
    let repo = Repo::discover(dir.join("spec/deeper")).unwrap();
    assert_eq!(
        repo.workdir().unwrap().canonicalize().unwrap(),
        dir.canonicalize().unwrap()
    );
    assert_eq!(repo.git_dir(), repo.common_dir().as_path());
    assert!(repo.hooks_dir().ends_with(".git/hooks"));
    assert!(!repo.is_linked_worktree());
    assert!(!repo.is_shallow());
    assert_eq!(
        repo.head().unwrap(),
        Head::Branch {
            name: "main".into(),
            commit: rev(&dir, "HEAD")
        }
    );
    assert_eq!(repo.resolve("c4-tick").unwrap(), rev(&dir, "c4-tick"));
    assert_eq!(repo.resolve("HEAD~2").unwrap(), rev(&dir, "c7-move"));
    assert_eq!(repo.resolve("c6-merge^2").unwrap(), rev(&dir, "f1-feature"));
    let short = git(&dir, &["rev-parse", "--short", "c2-readme"]);
    assert_eq!(repo.resolve(&short).unwrap(), rev(&dir, "c2-readme"));
    assert!(matches!(
        repo.resolve("no-such-branch"),
        Err(GitError::UnknownRev { .. })
    ));
    assert!(matches!(
        repo.resolve("HEAD~50"),
        Err(GitError::UnknownRev { .. })
    ));
    assert!(matches!(repo.resolve(""), Err(GitError::UnknownRev { .. })));
    let tree = git(&dir, &["rev-parse", "HEAD^{tree}"]);
    assert!(matches!(
        repo.resolve(&tree),
        Err(GitError::NotACommit { .. })
    ));
    let (base, tip) = repo.resolve_range("c3-decided..c8-edit").unwrap();
    assert_eq!(
        (base, tip),
        (Some(rev(&dir, "c3-decided")), rev(&dir, "c8-edit"))
    );
    let (base, tip) = repo.resolve_range("c3-decided..").unwrap();
    assert_eq!(
        (base, tip),
        (Some(rev(&dir, "c3-decided")), rev(&dir, "HEAD"))
    );
    assert_eq!(
        repo.resolve_range("c2-readme").unwrap(),
        (None, rev(&dir, "c2-readme"))
    );
    assert!(repo.resolve_range("a...b").is_err());

    // Files at revisions.
    let c1 = rev(&dir, "c1-root");
    assert_eq!(
        repo.file_at(c1, "docs/SPEC.md").unwrap().unwrap(),
        b"# SPEC\n\n- [ ] one\n- [ ] two\n"
    );
    assert_eq!(
        repo.file_at(c1, "./docs//SPEC.md").unwrap().unwrap().len(),
        28
    );
    assert_eq!(repo.file_at(c1, "spec/SPEC.md").unwrap(), None);
    assert!(repo.file_exists_at(c1, "README.md").unwrap());
    assert!(matches!(
        repo.file_at(c1, "docs"),
        Err(GitError::NotAFile { .. })
    ));
    assert!(matches!(
        repo.file_at(c1, "../x"),
        Err(GitError::InvalidPath { .. })
    ));
    assert_eq!(repo.worktree_file("docs/DECISION_LOG.md").unwrap(), None);
    assert!(repo.worktree_file("spec/SPEC.md").unwrap().is_some());
    let info = repo.commit_info(rev(&dir, "c6-merge")).unwrap();
    assert_eq!(
        info.parents,
        vec![rev(&dir, "c5-other"), rev(&dir, "f1-feature")]
    );
}

#[test]
fn not_a_repository_is_a_distinct_outcome() {
    let tmp = tempfile::TempDir::new().unwrap();
    let err = Repo::discover(tmp.path()).err().unwrap();
    assert!(matches!(err, GitError::NotARepository { .. }), "{err}");
    assert!(err.to_string().contains("not inside a git repository"));
    assert!(Repo::discover_optional(tmp.path()).unwrap().is_none());
}

#[test]
fn detached_head_and_unborn_branch() {
    let (_tmp, dir) = fixture("history", &[]);
    git(&dir, &["checkout", "-q", "--detach", "c4-tick"]);
    let repo = Repo::discover(&dir).unwrap();
    let head = repo.head().unwrap();
    assert!(head.is_detached());
    assert_eq!(head.commit(), Some(rev(&dir, "c4-tick")));
    let (items, _) = walk_all(
        &repo,
        WalkOptions::new(repo.head_commit().unwrap(), None, watch(&["docs/SPEC.md"])),
    );
    assert_eq!(items.len(), 3);

    let tmp = tempfile::TempDir::new().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "trunk"]);
    let repo = Repo::discover(tmp.path()).unwrap();
    assert_eq!(
        repo.head().unwrap(),
        Head::Unborn {
            name: "trunk".into()
        }
    );
    assert!(matches!(
        repo.head_commit(),
        Err(GitError::UnbornHead { .. })
    ));
    // Nothing staged yet: no changes, no error.
    assert!(
        repo.uncommitted_changes(&watch(&["docs/SPEC.md"]), WorkSource::Staged)
            .unwrap()
            .is_empty()
    );
    std::fs::create_dir_all(tmp.path().join("docs")).unwrap();
    std::fs::write(tmp.path().join("docs/SPEC.md"), "first\n").unwrap();
    git(tmp.path(), &["add", "docs/SPEC.md"]);
    let changes = repo
        .uncommitted_changes(&watch(&["docs/SPEC.md"]), WorkSource::Staged)
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Added);
    assert_eq!(changes[0].new_bytes(), b"first\n");
}

#[test]
fn shallow_clone_reports_missing_history_with_advice() {
    let (tmp, dir) = fixture("history", &[]);
    let shallow = tmp.path().join("shallow");
    let url = format!("file://{}", dir.display());
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "3",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    let repo = Repo::discover(&shallow).unwrap();
    assert!(repo.is_shallow());
    assert_eq!(repo.shallow_boundary(), &[rev(&dir, "c7-move")]);
    // Resolvable inside the clone.
    assert_eq!(repo.resolve("HEAD~2").unwrap(), rev(&dir, "c7-move"));
    // Beyond the boundary, by ancestry or by id: fetch more history.
    let err = repo.resolve("HEAD~3").err().unwrap();
    assert!(
        matches!(err, GitError::RevNotInShallowClone { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("git fetch --deepen"));
    let old = rev(&dir, "c3-decided").to_string();
    assert!(matches!(
        repo.resolve(&old),
        Err(GitError::RevNotInShallowClone { .. })
    ));
    // A name that is simply wrong stays unknown.
    assert!(matches!(
        repo.resolve("no-such-branch"),
        Err(GitError::UnknownRev { .. })
    ));

    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    let tip = repo.head_commit().unwrap();
    // Without a base: walk to the boundary, which is not judged (its parent is absent).
    let (items, end) = walk_all(&repo, WalkOptions::new(tip, None, w.clone()));
    let tags: Vec<String> = summarize(&dir, &items)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(tags, ["c9-rm-log", "c8-edit"]);
    assert_eq!(end, Some(WalkEnd::Shallow(rev(&dir, "c7-move"))));
    // A base inside the clone is fine.
    let r = repo
        .range_changes(Some(rev(&dir, "c7-move")), tip, &w)
        .unwrap();
    assert_eq!(r.commits.len(), 2);
    // A base this clone does not hold: fetch more history.
    let err = repo
        .walk(WalkOptions::new(
            tip,
            Some(rev(&dir, "c3-decided")),
            w.clone(),
        ))
        .err()
        .unwrap();
    assert!(
        matches!(err, GitError::RevNotInShallowClone { .. }),
        "{err}"
    );
    // A base the clone holds but cannot reach within its history: the walk says so.
    git(
        &shallow,
        &["fetch", "-q", "--depth", "1", "origin", "feature"],
    );
    let base = rev(&dir, "f1-feature");
    let mut walk = repo
        .walk(WalkOptions::new(tip, Some(base), w.clone()))
        .unwrap();
    let errors: Vec<GitError> = walk.by_ref().filter_map(Result::err).collect();
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0], GitError::ShallowHistory { .. }),
        "{}",
        errors[0]
    );
    assert!(errors[0].to_string().contains("--unshallow"));
    assert!(
        repo.range_changes(Some(rev(&dir, "c3-decided")), tip, &w)
            .is_err()
    );
}

#[test]
fn linked_worktree_shares_hooks_and_history() {
    let (tmp, dir) = fixture("history", &[]);
    let wt = tmp.path().join("wt");
    git(
        &dir,
        &["worktree", "add", "-q", wt.to_str().unwrap(), "c8-edit"],
    );
    let repo = Repo::discover(wt.join("spec")).unwrap();
    assert!(repo.is_linked_worktree());
    assert_eq!(
        repo.workdir().unwrap().canonicalize().unwrap(),
        wt.canonicalize().unwrap()
    );
    assert_ne!(repo.git_dir(), repo.common_dir());
    assert_eq!(
        repo.common_dir().canonicalize().unwrap(),
        dir.join(".git").canonicalize().unwrap()
    );
    assert_eq!(
        repo.hooks_dir().canonicalize().unwrap_or(repo.hooks_dir()),
        dir.join(".git/hooks")
            .canonicalize()
            .unwrap_or(dir.join(".git/hooks"))
    );
    assert!(repo.head().unwrap().is_detached());
    assert_eq!(repo.head_commit().unwrap(), rev(&dir, "c8-edit"));

    std::fs::write(wt.join("spec/SPEC.md"), "rewritten in the worktree\n").unwrap();
    git(&wt, &["add", "spec/SPEC.md"]);
    let changes = repo
        .uncommitted_changes(&watch(&["spec/SPEC.md"]), WorkSource::Staged)
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Modified);
    assert_eq!(changes[0].new_bytes(), b"rewritten in the worktree\n");
    // The main worktree's index is untouched.
    let main = Repo::discover(&dir).unwrap();
    assert!(
        main.uncommitted_changes(&watch(&["spec/SPEC.md"]), WorkSource::Staged)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn staged_and_working_tree_changes() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    assert!(
        repo.uncommitted_changes(&w, WorkSource::Staged)
            .unwrap()
            .is_empty()
    );
    assert!(
        repo.uncommitted_changes(&w, WorkSource::WorkingTree)
            .unwrap()
            .is_empty()
    );

    let head_spec = std::fs::read(dir.join("spec/SPEC.md")).unwrap();
    std::fs::write(dir.join("spec/SPEC.md"), "staged\n").unwrap();
    git(&dir, &["add", "spec/SPEC.md"]);
    std::fs::write(dir.join("spec/SPEC.md"), "staged\nand more on disk\n").unwrap();

    let staged = repo.uncommitted_changes(&w, WorkSource::Staged).unwrap();
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].kind, ChangeKind::Modified);
    assert_eq!(staged[0].old_bytes(), head_spec.as_slice());
    assert_eq!(staged[0].new_bytes(), b"staged\n");
    let disk = repo
        .uncommitted_changes(&w, WorkSource::WorkingTree)
        .unwrap();
    assert_eq!(disk[0].new_bytes(), b"staged\nand more on disk\n");

    // A new, untracked decision log counts on disk only; staged, it is an addition.
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/DECISION_LOG.md"), "| 003 | x | active |\n").unwrap();
    let disk = repo
        .uncommitted_changes(&w, WorkSource::WorkingTree)
        .unwrap();
    assert_eq!(
        disk.iter().map(|c| c.kind).collect::<Vec<_>>(),
        [ChangeKind::Added, ChangeKind::Modified]
    );
    assert_eq!(
        repo.uncommitted_changes(&w, WorkSource::Staged)
            .unwrap()
            .len(),
        1
    );
    git(&dir, &["add", "docs/DECISION_LOG.md"]);
    assert_eq!(
        repo.uncommitted_changes(&w, WorkSource::Staged)
            .unwrap()
            .len(),
        2
    );

    // Deleting the SPEC.
    git(&dir, &["rm", "-q", "-f", "spec/SPEC.md"]);
    let staged = repo.uncommitted_changes(&w, WorkSource::Staged).unwrap();
    let spec = staged.iter().find(|c| c.path() == "spec/SPEC.md").unwrap();
    assert_eq!(spec.kind, ChangeKind::Deleted);
    assert_eq!(spec.old_bytes(), head_spec.as_slice());
}

#[test]
fn staged_move_is_a_rename_whichever_side_is_watched() {
    let (_tmp, dir) = fixture("history", &[]);
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    git(&dir, &["mv", "spec/SPEC.md", "docs/SPEC.md"]);
    let repo = Repo::discover(&dir).unwrap();
    for w in [
        watch(&["docs/SPEC.md"]),
        watch(&["spec/SPEC.md"]),
        watch(&["spec/SPEC.md", "docs/SPEC.md"]),
        Watch::default().with_file_name("SPEC.md").unwrap(),
    ] {
        let changes = repo.uncommitted_changes(&w, WorkSource::Staged).unwrap();
        assert_eq!(changes.len(), 1, "{w:?}: {changes:?}");
        assert_eq!(changes[0].kind, ChangeKind::Renamed);
        assert_eq!(changes[0].old_path.as_deref(), Some("spec/SPEC.md"));
        assert_eq!(changes[0].new_path.as_deref(), Some("docs/SPEC.md"));
        assert_eq!(changes[0].old_bytes(), changes[0].new_bytes());
    }
}

#[test]
fn unmerged_paths_are_reported_not_guessed() {
    let (_tmp, dir) = fixture("conflict", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let err = repo
        .uncommitted_changes(&watch(&["docs/SPEC.md"]), WorkSource::Staged)
        .err()
        .unwrap();
    assert!(matches!(err, GitError::Unmerged { .. }), "{err}");
    assert!(err.to_string().contains("resolve them"));
}

#[test]
fn no_documents_means_no_changes() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let tip = repo.head_commit().unwrap();
    let (items, end) = walk_all(
        &repo,
        WalkOptions::new(tip, None, watch(&["nowhere/SPEC.md"])),
    );
    assert!(items.is_empty());
    assert_eq!(end, Some(WalkEnd::Root));
    let (items, _) = walk_all(&repo, WalkOptions::new(tip, None, Watch::default()));
    assert!(items.is_empty());
}

#[test]
fn progress_counter_is_shared() {
    let (_tmp, dir) = fixture("history", &[]);
    let repo = Repo::discover(&dir).unwrap();
    let mut walk = repo
        .walk(WalkOptions::new(
            repo.head_commit().unwrap(),
            None,
            watch(&["README.md"]),
        ))
        .unwrap();
    let counter = walk.progress_counter();
    assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 0);
    let first = walk.next().unwrap().unwrap();
    assert_eq!(first.commit.id, rev(&dir, "c2-readme"));
    assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 8);
    assert!(walk.next().unwrap().is_ok());
    assert!(walk.next().is_none());
    assert_eq!(walk.end(), Some(WalkEnd::Root));
}

#[test]
fn bare_repository_has_history_but_no_uncommitted_changes() {
    let (tmp, dir) = fixture("history", &[]);
    let bare = tmp.path().join("bare.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let repo = Repo::discover(&bare).unwrap();
    assert!(repo.workdir().is_none());
    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    let err = repo
        .uncommitted_changes(&w, WorkSource::Staged)
        .err()
        .unwrap();
    assert!(matches!(err, GitError::BareRepository), "{err}");
    let (items, _) = walk_all(
        &repo,
        WalkOptions::new(repo.head_commit().unwrap(), None, w),
    );
    assert_eq!(summarize(&dir, &items), expected_history());
}

#[test]
fn ranges_across_the_end_of_the_commit_graph() {
    let (_tmp, dir) = fixture("history", &[]);
    git(
        &dir,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    for i in 0..4 {
        std::fs::write(dir.join("spec/SPEC.md"), format!("after the graph {i}\n")).unwrap();
        git(&dir, &["commit", "-qam", &format!("after {i}")]);
    }
    let repo = Repo::discover(&dir).unwrap();
    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    for (base, tip) in [
        ("c7-move", "HEAD"),
        ("HEAD~2", "HEAD"),
        ("f1-feature", "HEAD"),
        ("c3-decided", "HEAD~3"),
    ] {
        let expected = ids(&git(
            &dir,
            &[
                "log",
                "--first-parent",
                "--format=%H",
                &format!("{base}..{tip}"),
                "--",
                "spec/SPEC.md",
                "docs/SPEC.md",
                "docs/DECISION_LOG.md",
            ],
        ));
        let r = repo
            .range_changes(Some(rev(&dir, base)), rev(&dir, tip), &w)
            .unwrap();
        let got: Vec<_> = r.commits.iter().map(|c| c.commit.id).collect();
        assert_eq!(got, expected, "{base}..{tip}");
    }
}

#[test]
fn unrelated_base_walks_to_the_root() {
    let (_tmp, dir) = fixture("history", &[]);
    git(&dir, &["checkout", "-q", "--orphan", "island"]);
    git(&dir, &["rm", "-q", "-rf", "."]);
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/SPEC.md"), "island\n").unwrap();
    git(&dir, &["add", "docs/SPEC.md"]);
    git(&dir, &["commit", "-qm", "island root"]);
    let repo = Repo::discover(&dir).unwrap();
    let island = rev(&dir, "island");
    let w = watch(&["spec/SPEC.md", "docs/DECISION_LOG.md"]);
    let (items, end) = walk_all(&repo, WalkOptions::new(rev(&dir, "main"), Some(island), w));
    assert_eq!(summarize(&dir, &items), expected_history());
    assert_eq!(end, Some(WalkEnd::Root));
}

#[test]
fn index_checksum_is_not_verified_but_a_damaged_index_is_an_error() {
    let (_tmp, dir) = fixture("history", &[]);
    std::fs::write(dir.join("spec/SPEC.md"), "staged\n").unwrap();
    git(&dir, &["add", "spec/SPEC.md"]);
    let w = watch(&["spec/SPEC.md"]);
    let index_path = dir.join(".git/index");
    let good = std::fs::read(&index_path).unwrap();

    // A wrong trailing checksum alone: the entries are read as they are (git's index.skipHash).
    let mut wrong_sum = good.clone();
    let last = wrong_sum.len() - 1;
    wrong_sum[last] ^= 0xff;
    std::fs::write(&index_path, &wrong_sum).unwrap();
    let repo = Repo::discover(&dir).unwrap();
    let staged = repo.uncommitted_changes(&w, WorkSource::Staged).unwrap();
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].new_bytes(), b"staged\n");

    // Cut in the middle of its entries: an error naming the index, not a panic.
    std::fs::write(&index_path, &good[..good.len() / 2]).unwrap();
    let repo = Repo::discover(&dir).unwrap();
    let err = repo
        .uncommitted_changes(&w, WorkSource::Staged)
        .unwrap_err()
        .to_string();
    assert!(err.contains("index"), "{err}");

    // Not an index at all.
    std::fs::write(&index_path, b"this is not an index").unwrap();
    let repo = Repo::discover(&dir).unwrap();
    assert!(repo.uncommitted_changes(&w, WorkSource::Staged).is_err());
}
