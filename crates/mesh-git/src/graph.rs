//! The commit-graph, with its changed-path Bloom filters.
//!
//! gix reads the commit-graph (parents, root tree, generation, commit time without decoding
//! commit objects) but not the changed-path Bloom filters (`BIDX`/`BDAT` chunks) that
//! `git commit-graph write --changed-paths` adds. This module loads the same graph files in the
//! same order as gix, builds the gix [`Graph`] from them, and reads the Bloom filters of each file
//! itself, following the documented format (gitformat-commit-graph(5)): a filter tells, for one
//! commit and its first parent, that a path was certainly *not* changed, or may have been.
//!
//! Any problem with the filters (absent, unknown version, truncated) only turns them off: the
//! walk then reads trees for every commit, which is slower but gives the same answers.

use std::fs::File as FsFile;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use gix::commitgraph::{File, Graph, Position};

/// A loaded commit-graph plus the Bloom filters of its files, if every file has them.
pub(crate) struct CommitGraph {
    pub(crate) graph: Graph,
    blooms: Option<Vec<BloomFile>>,
    /// First global position of each file, in chain order.
    starts: Vec<u32>,
}

/// The Bloom filter chunks of one commit-graph file.
struct BloomFile {
    version: u32,
    num_hashes: u32,
    /// `BIDX`: for each commit (in the file's lexicographic order), the end offset of its filter.
    index: Vec<u8>,
    /// `BDAT` without its 12-byte header.
    data: Vec<u8>,
}

/// What a Bloom filter says about one path at one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Maybe {
    /// Certainly unchanged with respect to the first parent.
    No,
    /// Possibly changed, or no filter to ask.
    Maybe,
}

/// The keys of one watched path: the path itself and each leading directory, as git checks them.
#[derive(Debug, Clone)]
pub(crate) struct BloomKeys {
    /// `(hash1, hash2)` pairs per key and per filter version (index 0: v1, 1: v2).
    keys: Vec<[(u32, u32); 2]>,
}

impl BloomKeys {
    pub(crate) fn new(path: &str) -> Self {
        let mut keys = Vec::new();
        let bytes = path.as_bytes();
        let mut push = |k: &[u8]| {
            keys.push([
                (
                    murmur3(0x293a_e76f, k, false),
                    murmur3(0x7e64_6e2c, k, false),
                ),
                (murmur3(0x293a_e76f, k, true), murmur3(0x7e64_6e2c, k, true)),
            ]);
        };
        push(bytes);
        for (i, b) in bytes.iter().enumerate().rev() {
            if *b == b'/' && i > 0 {
                push(&bytes[..i]);
            }
        }
        BloomKeys { keys }
    }
}

impl CommitGraph {
    /// Load the commit-graph under `objects_dir/info`, or `None` when there is none (or it cannot
    /// be read: the walk then decodes commit objects instead).
    pub(crate) fn load(objects_dir: &Path) -> Option<CommitGraph> {
        let info = objects_dir.join("info");
        let paths = graph_file_paths(&info)?;
        let mut files = Vec::with_capacity(paths.len());
        let mut blooms = Some(Vec::with_capacity(paths.len()));
        for p in &paths {
            let file = File::at(p).ok()?;
            if let Some(list) = blooms.as_mut() {
                match read_bloom(p, file.num_commits()) {
                    Some(b) => list.push(b),
                    None => blooms = None,
                }
            }
            files.push(file);
        }
        let mut starts = Vec::with_capacity(files.len());
        let mut total = 0u32;
        for f in &files {
            starts.push(total);
            total = total.checked_add(f.num_commits())?;
        }
        let graph = Graph::new(files).ok()?;
        Some(CommitGraph {
            graph,
            blooms,
            starts,
        })
    }

    /// Whether changed-path Bloom filters are available for the whole graph.
    pub(crate) fn has_bloom(&self) -> bool {
        self.blooms.is_some()
    }

    /// Ask the filter of the commit at `pos` whether any of `paths` may have changed.
    pub(crate) fn maybe_changed<'a>(
        &self,
        pos: Position,
        paths: impl IntoIterator<Item = &'a BloomKeys>,
    ) -> Maybe {
        let Some(blooms) = &self.blooms else {
            return Maybe::Maybe;
        };
        let file_idx = match self.starts.binary_search(&pos.0) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (Some(bloom), Some(start)) = (blooms.get(file_idx), self.starts.get(file_idx)) else {
            return Maybe::Maybe;
        };
        let local = (pos.0 - start) as usize;
        let Some(filter) = bloom.filter(local) else {
            return Maybe::Maybe;
        };
        if filter.is_empty() {
            return Maybe::Maybe;
        }
        let v = usize::from(bloom.version == 2);
        let bits = filter.len() as u64 * 8;
        let any = paths.into_iter().any(|p| {
            p.keys.iter().all(|k| {
                let (h1, h2) = k[v];
                (0..bloom.num_hashes).all(|i| {
                    let h = h1.wrapping_add(i.wrapping_mul(h2)) as u64 % bits;
                    filter
                        .get((h / 8) as usize)
                        .is_some_and(|byte| byte & (1u8 << (h % 8)) != 0)
                })
            })
        });
        if any { Maybe::Maybe } else { Maybe::No }
    }
}

impl BloomFile {
    fn filter(&self, local: usize) -> Option<&[u8]> {
        let end = be_u32(&self.index, local * 4)? as usize;
        let start = if local == 0 {
            0
        } else {
            be_u32(&self.index, (local - 1) * 4)? as usize
        };
        self.data.get(start..end)
    }
}

/// The graph files in chain order (base first), as git and gix find them.
fn graph_file_paths(info: &Path) -> Option<Vec<PathBuf>> {
    let single = info.join("commit-graph");
    if single.is_file() {
        return Some(vec![single]);
    }
    let dir = info.join("commit-graphs");
    let chain = std::fs::read_to_string(dir.join("commit-graph-chain")).ok()?;
    let paths: Vec<PathBuf> = chain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|h| dir.join(format!("graph-{h}.graph")))
        .collect();
    (!paths.is_empty()).then_some(paths)
}

const CHUNK_BIDX: &[u8; 4] = b"BIDX";
const CHUNK_BDAT: &[u8; 4] = b"BDAT";

/// Read the Bloom chunks of one graph file, if present and well-formed.
fn read_bloom(path: &Path, num_commits: u32) -> Option<BloomFile> {
    let mut f = FsFile::open(path).ok()?;
    let mut header = [0u8; 8];
    f.read_exact(&mut header).ok()?;
    if &header[0..4] != b"CGPH" || header[4] != 1 {
        return None;
    }
    let num_chunks = usize::from(header[6]);
    let mut table = vec![0u8; (num_chunks + 1) * 12];
    f.read_exact(&mut table).ok()?;
    let mut bidx = None;
    let mut bdat = None;
    for i in 0..num_chunks {
        let entry = table.get(i * 12..i * 12 + 12)?;
        let next = table.get((i + 1) * 12..(i + 1) * 12 + 12)?;
        let start = be_u64(entry, 4)?;
        let end = be_u64(next, 4)?;
        let range = (start, end.checked_sub(start)?);
        match &entry[0..4] {
            id if id == CHUNK_BIDX => bidx = Some(range),
            id if id == CHUNK_BDAT => bdat = Some(range),
            _ => {}
        }
    }
    let (bidx_off, bidx_len) = bidx?;
    let (bdat_off, bdat_len) = bdat?;
    if bidx_len != u64::from(num_commits) * 4 || bdat_len < 12 {
        return None;
    }
    let mut index = vec![0u8; usize::try_from(bidx_len).ok()?];
    f.seek(SeekFrom::Start(bidx_off)).ok()?;
    f.read_exact(&mut index).ok()?;
    let mut bdat_header = [0u8; 12];
    f.seek(SeekFrom::Start(bdat_off)).ok()?;
    f.read_exact(&mut bdat_header).ok()?;
    let version = be_u32(&bdat_header, 0)?;
    let num_hashes = be_u32(&bdat_header, 4)?;
    if !(version == 1 || version == 2) || num_hashes == 0 || num_hashes > 32 {
        return None;
    }
    let mut data = vec![0u8; usize::try_from(bdat_len - 12).ok()?];
    f.read_exact(&mut data).ok()?;
    Some(BloomFile {
        version,
        num_hashes,
        index,
        data,
    })
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Seeded 32-bit MurmurHash3 as git's Bloom filters use it. Version 1 filters were written with
/// the bytes read as signed `char` (sign-extended), version 2 as unsigned; the two differ only
/// for bytes >= 0x80.
fn murmur3(mut seed: u32, data: &[u8], unsigned: bool) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let byte = |b: u8| -> u32 {
        if unsigned {
            u32::from(b)
        } else {
            i32::from(b as i8) as u32
        }
    };
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = byte(c[0]) | (byte(c[1]) << 8) | (byte(c[2]) << 16) | (byte(c[3]) << 24);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed ^= k;
        seed = seed
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k1 = 0u32;
        if tail.len() >= 3 {
            k1 ^= byte(tail[2]) << 16;
        }
        if tail.len() >= 2 {
            k1 ^= byte(tail[1]) << 8;
        }
        k1 ^= byte(tail[0]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        seed ^= k1;
    }
    seed ^= data.len() as u32;
    seed ^= seed >> 16;
    seed = seed.wrapping_mul(0x85eb_ca6b);
    seed ^= seed >> 13;
    seed = seed.wrapping_mul(0xc2b2_ae35);
    seed ^= seed >> 16;
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_reference_values() {
        // Reference values of MurmurHash3_x86_32 (seed 0 and seed 1).
        assert_eq!(murmur3(0, b"", true), 0);
        assert_eq!(murmur3(1, b"", true), 0x514e_28b7);
        assert_eq!(murmur3(0, b"Hello, world!", true), 0xc036_3e43);
        assert_eq!(
            murmur3(
                0x9747_b28c,
                b"The quick brown fox jumps over the lazy dog",
                true
            ),
            0x2fa8_26cd
        );
        // Signed reading differs only for high bytes.
        assert_eq!(
            murmur3(7, b"docs/SPEC.md", false),
            murmur3(7, b"docs/SPEC.md", true)
        );
        assert_ne!(
            murmur3(7, "dé".as_bytes(), false),
            murmur3(7, "dé".as_bytes(), true)
        );
    }

    #[test]
    fn keys_include_leading_directories() {
        assert_eq!(BloomKeys::new("a/b/c.md").keys.len(), 3);
        assert_eq!(BloomKeys::new("c.md").keys.len(), 1);
    }
}
