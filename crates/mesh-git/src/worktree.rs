//! Uncommitted changes against HEAD, for the pre-commit mode.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use gix::objs::tree::EntryMode;

use crate::error::{GitError, GixContext, Result};
use crate::repo::Repo;
use crate::walk::{ChangeKind, DiffEntry, DiffSide, FileChange, pick_counterpart};
use crate::watch::{Watch, file_name};

/// Which side of the uncommitted work to compare with HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkSource {
    /// The index: exactly what `git commit` would record. The pre-commit mode uses this (with
    /// `git commit -a` or `git commit <paths>` git points `GIT_INDEX_FILE` at a temporary index,
    /// which [`Repo::discover`] honors).
    Staged,
    /// The files on disk, staged or not (for `mesh check` run by hand). Untracked files count
    /// only for exact watched paths.
    WorkingTree,
}

/// One file's state on the new side.
enum NewSide {
    Absent,
    Blob(ObjectId, EntryMode),
    Bytes(ObjectId, Arc<[u8]>),
}

impl NewSide {
    fn id(&self) -> Option<ObjectId> {
        match self {
            NewSide::Absent => None,
            NewSide::Blob(id, _) | NewSide::Bytes(id, _) => Some(*id),
        }
    }
}

impl Repo {
    /// The watched files that differ between HEAD (the empty tree in a repository without
    /// commits) and the index or the working tree. A move of a watched file (`git mv
    /// docs/SPEC.md spec/SPEC.md`) is one [`ChangeKind::Renamed`] change.
    ///
    /// A bare repository has neither: [`GitError::BareRepository`].
    pub fn uncommitted_changes(
        &self,
        watch: &Watch,
        source: WorkSource,
    ) -> Result<Vec<FileChange>> {
        if self.workdir().is_none() {
            return Err(GitError::BareRepository);
        }
        let head_tree = match self.head()?.commit() {
            Some(c) => Some(self.commit_tree(c)?),
            None => None,
        };
        let index = self.load_index()?;
        let mut candidates: Vec<String> = watch.exact_paths().to_vec();
        let mut head_files: Option<Vec<(String, ObjectId, EntryMode)>> = None;
        if !watch.file_names().is_empty() {
            if let Some(index) = &index {
                for e in index.entries() {
                    let p = e.path(index).to_str_lossy();
                    if watch.matches_name(&p) && !candidates.iter().any(|c| *c == p) {
                        candidates.push(p.into_owned());
                    }
                }
            }
            let files = self.list_files(head_tree)?;
            for (p, ..) in &files {
                if watch.matches_name(p) && !candidates.contains(p) {
                    candidates.push(p.clone());
                }
            }
            head_files = Some(files);
        }

        let blob_mode = EntryMode::from(gix::objs::tree::EntryKind::Blob);
        let mut entries = Vec::new();
        let mut contents: Vec<(ObjectId, Arc<[u8]>)> = Vec::new();
        let mut buf = Vec::new();
        let mut dirs = HashMap::new();
        for path in &candidates {
            let old = match head_tree {
                Some(t) => self
                    .lookup_path_in_dirs(t, path, &mut buf, &mut dirs)?
                    .filter(|(_, m)| m.is_blob_or_symlink()),
                None => None,
            };
            let new = self.new_side(path, source, index.as_ref())?;
            if let NewSide::Bytes(id, bytes) = &new {
                contents.push((*id, Arc::clone(bytes)));
            }
            let side = match (old, new.id()) {
                (None, None) => continue,
                (Some((a, _)), Some(b)) if a == b => continue,
                (Some(_), Some(_)) => DiffSide::Modified,
                (None, Some(_)) => DiffSide::Added,
                (Some(_), None) => DiffSide::Deleted,
            };
            let new_entry = match new {
                NewSide::Absent => None,
                NewSide::Blob(id, mode) => Some((id, mode)),
                NewSide::Bytes(id, _) => Some((id, blob_mode)),
            };
            entries.push(DiffEntry {
                path: path.clone(),
                side,
                old,
                new: new_entry,
            });
        }

        // Renames: pair a watched file that appears with one that disappears.
        let needs_pairing = entries.iter().any(|e| e.side != DiffSide::Modified);
        let mut others = Vec::new();
        if needs_pairing {
            let files = match head_files {
                Some(f) => f,
                None => self.list_files(head_tree)?,
            };
            let names: HashSet<&str> = entries.iter().map(|e| file_name(&e.path)).collect();
            let ids: HashSet<ObjectId> = entries
                .iter()
                .filter_map(|e| e.old.or(e.new).map(|x| x.0))
                .collect();
            let head_paths: HashSet<&str> = files.iter().map(|(p, ..)| p.as_str()).collect();
            for (p, id, mode) in &files {
                if candidates.contains(p) || !(names.contains(file_name(p)) || ids.contains(id)) {
                    continue;
                }
                if matches!(self.new_side(p, source, index.as_ref())?, NewSide::Absent) {
                    others.push(DiffEntry {
                        path: p.clone(),
                        side: DiffSide::Deleted,
                        old: Some((*id, *mode)),
                        new: None,
                    });
                }
            }
            if let Some(index) = &index {
                for e in index.entries() {
                    let p = e.path(index).to_str_lossy();
                    if candidates.iter().any(|c| *c == p) || head_paths.contains(p.as_ref()) {
                        continue;
                    }
                    if names.contains(file_name(&p)) || ids.contains(&e.id) {
                        let p = p.into_owned();
                        if let NewSide::Bytes(id, bytes) = self.new_side(&p, source, Some(index))? {
                            contents.push((id, bytes));
                            others.push(DiffEntry {
                                path: p,
                                side: DiffSide::Added,
                                old: None,
                                new: Some((id, e.mode.to_tree_entry_mode().unwrap_or(blob_mode))),
                            });
                        } else if source == WorkSource::Staged {
                            others.push(DiffEntry {
                                path: p,
                                side: DiffSide::Added,
                                old: None,
                                new: Some((e.id, e.mode.to_tree_entry_mode().unwrap_or(blob_mode))),
                            });
                        }
                    }
                }
            }
        }

        let all: Vec<DiffEntry> = entries.iter().chain(others.iter()).cloned().collect();
        let mut consumed: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for e in &entries {
            if consumed.contains(&e.path) {
                continue;
            }
            let (kind, old, new) = match e.side {
                DiffSide::Modified => (
                    ChangeKind::Modified,
                    e.old.map(|o| (e.path.clone(), o.0)),
                    e.new.map(|n| (e.path.clone(), n.0)),
                ),
                DiffSide::Added => {
                    let new_id = e
                        .new
                        .map(|n| n.0)
                        .unwrap_or_else(|| ObjectId::null(self.repo.object_hash()));
                    match pick_counterpart(&all, &e.path, new_id, DiffSide::Deleted, &consumed) {
                        Some((op, oid, _)) => {
                            consumed.push(op.clone());
                            consumed.push(e.path.clone());
                            (
                                ChangeKind::Renamed,
                                Some((op, oid)),
                                Some((e.path.clone(), new_id)),
                            )
                        }
                        None => (ChangeKind::Added, None, Some((e.path.clone(), new_id))),
                    }
                }
                DiffSide::Deleted => {
                    let old_id = e
                        .old
                        .map(|o| o.0)
                        .unwrap_or_else(|| ObjectId::null(self.repo.object_hash()));
                    match pick_counterpart(&all, &e.path, old_id, DiffSide::Added, &consumed) {
                        Some((np, nid, _)) => {
                            consumed.push(np.clone());
                            consumed.push(e.path.clone());
                            (
                                ChangeKind::Renamed,
                                Some((e.path.clone(), old_id)),
                                Some((np, nid)),
                            )
                        }
                        None => (ChangeKind::Deleted, Some((e.path.clone(), old_id)), None),
                    }
                }
            };
            let load = |side: &Option<(String, ObjectId)>| -> Result<Option<Arc<[u8]>>> {
                match side {
                    None => Ok(None),
                    Some((_, id)) => match contents.iter().find(|(cid, _)| cid == id) {
                        Some((_, b)) => Ok(Some(Arc::clone(b))),
                        None => self.read_blob(*id).map(Some),
                    },
                }
            };
            out.push(FileChange {
                kind,
                old: load(&old)?,
                new: load(&new)?,
                old_id: old.as_ref().map(|o| o.1),
                new_id: new.as_ref().map(|n| n.1),
                old_path: old.map(|o| o.0),
                new_path: new.map(|n| n.0),
            });
        }
        out.sort_by(|a, b| a.path().cmp(b.path()));
        Ok(out)
    }

    /// The index, or `None` when there is none yet.
    fn load_index(&self) -> Result<Option<gix::index::File>> {
        if !self.repo.index_path().is_file() {
            return Ok(None);
        }
        // The index's trailing checksum is not verified (as with git's `index.skipHash`): hashing
        // it with collision detection was a quarter of a check in a repository of 100,000 files
        // (an 8.8 MB index, about 11 ms), to read two entries. The index is written atomically by
        // git, which verifies it itself whenever it reads it; a damaged one still fails to decode.
        gix::index::File::at(
            self.repo.index_path(),
            self.repo.object_hash(),
            true,
            gix::index::decode::Options::default(),
        )
        .map(Some)
        .ctx(|| format!("cannot read the index {}", self.repo.index_path().display()))
    }

    fn new_side(
        &self,
        path: &str,
        source: WorkSource,
        index: Option<&gix::index::File>,
    ) -> Result<NewSide> {
        let staged = match index {
            Some(index) => {
                let key: &BStr = path.as_bytes().as_bstr();
                if index
                    .entry_range(key)
                    .is_some_and(|r| index.entries()[r].iter().any(|e| e.stage_raw() != 0))
                {
                    return Err(GitError::Unmerged { path: path.into() });
                }
                index
                    .entry_by_path_and_stage(key, gix::index::entry::Stage::Unconflicted)
                    .and_then(|e| e.mode.to_tree_entry_mode().map(|m| (e.id, m)))
            }
            None => None,
        };
        match source {
            WorkSource::Staged => Ok(match staged {
                Some((id, mode)) if mode.is_blob_or_symlink() => NewSide::Blob(id, mode),
                _ => NewSide::Absent,
            }),
            WorkSource::WorkingTree => match self.worktree_file(path)? {
                Some(bytes) => {
                    let id = gix::objs::compute_hash(
                        self.repo.object_hash(),
                        gix::objs::Kind::Blob,
                        &bytes,
                    )
                    .ctx(|| format!("cannot hash {path}"))?;
                    Ok(NewSide::Bytes(id, Arc::from(bytes)))
                }
                None => Ok(NewSide::Absent),
            },
        }
    }

    /// Every file (blob or symlink) below `tree`, recursively.
    fn list_files(&self, tree: Option<ObjectId>) -> Result<Vec<(String, ObjectId, EntryMode)>> {
        let mut out = Vec::new();
        let Some(tree) = tree else {
            return Ok(out);
        };
        let mut stack = vec![(String::new(), tree)];
        let mut buf = Vec::new();
        while let Some((prefix, id)) = stack.pop() {
            let iter = self.tree_iter(id, &mut buf)?;
            for entry in iter {
                let entry = entry.ctx(|| format!("cannot parse tree {id}"))?;
                let path = if prefix.is_empty() {
                    entry.filename.to_str_lossy().into_owned()
                } else {
                    format!("{prefix}/{}", entry.filename.to_str_lossy())
                };
                if entry.mode.is_tree() {
                    stack.push((path, entry.oid.to_owned()));
                } else if entry.mode.is_blob_or_symlink() {
                    out.push((path, entry.oid.to_owned(), entry.mode));
                }
            }
        }
        Ok(out)
    }
}
