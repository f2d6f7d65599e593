//! A line diff in unified format (`diff -u`), so a test comparing a committed file with what
//! the code generates can show what changed instead of only that something did.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Keep,
    Remove,
    Add,
}

/// Above this many cells the middle of the two texts (after their common start and end) is
/// shown as removed and re-added rather than aligned: the table would cost too much memory.
const MAX_TABLE_CELLS: usize = 50_000_000;

/// `old` and `new` as a unified diff with `context` unchanged lines around each change; empty
/// when they have the same lines.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str, context: usize) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let edits = edit_script(&old_lines, &new_lines);
    if edits.iter().all(|edit| *edit == Edit::Keep) {
        return String::new();
    }
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    for hunk in hunks(&edits, context) {
        write_hunk(
            &mut out,
            &edits[hunk.clone()],
            position(&edits, hunk.start),
            &old_lines,
            &new_lines,
        );
    }
    out
}

/// The edits turning `old` into `new`: the common start and end are kept, the middle is
/// aligned on a longest common subsequence of lines.
fn edit_script(old: &[&str], new: &[&str]) -> Vec<Edit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_middle, new_middle) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut edits = vec![Edit::Keep; prefix];
    edits.extend(align(old_middle, new_middle));
    edits.extend(vec![Edit::Keep; suffix]);
    edits
}

fn align(old: &[&str], new: &[&str]) -> Vec<Edit> {
    let (n, m) = (old.len(), new.len());
    if (n + 1).saturating_mul(m + 1) > MAX_TABLE_CELLS {
        let mut edits = vec![Edit::Remove; n];
        edits.extend(vec![Edit::Add; m]);
        return edits;
    }
    // common[i][j]: the longest common subsequence of old[i..] and new[j..].
    let width = m + 1;
    let mut common = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i * width + j] = if old[i] == new[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut edits = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            edits.push(Edit::Keep);
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || common[(i + 1) * width + j] >= common[i * width + j + 1]) {
            // Removals before additions, as `diff -u` prints a changed line.
            edits.push(Edit::Remove);
            i += 1;
        } else {
            edits.push(Edit::Add);
            j += 1;
        }
    }
    edits
}

/// Ranges of `edits` to print: each change with up to `context` kept lines either side,
/// changes closer than twice that merged into one hunk.
fn hunks(edits: &[Edit], context: usize) -> Vec<std::ops::Range<usize>> {
    let mut hunks: Vec<std::ops::Range<usize>> = Vec::new();
    for (index, _) in edits
        .iter()
        .enumerate()
        .filter(|(_, edit)| **edit != Edit::Keep)
    {
        let start = index.saturating_sub(context);
        let end = (index + 1 + context).min(edits.len());
        match hunks.last_mut() {
            Some(last) if start <= last.end => last.end = end,
            _ => hunks.push(start..end),
        }
    }
    hunks
}

/// The (old, new) line indexes at which the edit at `index` applies.
fn position(edits: &[Edit], index: usize) -> (usize, usize) {
    edits[..index]
        .iter()
        .fold((0, 0), |(old, new), edit| match edit {
            Edit::Keep => (old + 1, new + 1),
            Edit::Remove => (old + 1, new),
            Edit::Add => (old, new + 1),
        })
}

fn write_hunk(
    out: &mut String,
    edits: &[Edit],
    (old_at, new_at): (usize, usize),
    old: &[&str],
    new: &[&str],
) {
    let old_count = edits.iter().filter(|edit| **edit != Edit::Add).count();
    let new_count = edits.iter().filter(|edit| **edit != Edit::Remove).count();
    // As `diff -u` numbers them: from 1, and an empty range names the line before it.
    let start = |at: usize, count: usize| if count == 0 { at } else { at + 1 };
    let _ = writeln!(
        out,
        "@@ -{},{old_count} +{},{new_count} @@",
        start(old_at, old_count),
        start(new_at, new_count)
    );
    let (mut i, mut j) = (old_at, new_at);
    for edit in edits {
        let _ = match edit {
            Edit::Keep => {
                (i, j) = (i + 1, j + 1);
                writeln!(out, " {}", old[i - 1])
            }
            Edit::Remove => {
                i += 1;
                writeln!(out, "-{}", old[i - 1])
            }
            Edit::Add => {
                j += 1;
                writeln!(out, "+{}", new[j - 1])
            }
        };
    }
}
