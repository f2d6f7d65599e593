//! Public lookup and substring search over the catalogue, plus "did you
//! mean" suggestions (Levenshtein distance) for unknown chemicals.

use super::super::error::EngineError;
use super::index::{normalize_name, Catalogue, Entry, CATALOGUE};
use super::Compound;

const MAX_SUGGESTIONS: usize = 5;
const MAX_SEARCH_RESULTS: usize = 50;
/// Longer keys are never close matches; bounding them bounds the work.
const MAX_COMPARED_CHARS: usize = 64;

/// Resolves a name, synonym or formula (case-insensitive on names; formulas
/// match exactly, by Hill composition, or case-insensitively when unambiguous).
pub fn lookup_chemical(query: &str) -> Result<&'static Compound, EngineError> {
    let catalogue: &'static Catalogue = &CATALOGUE;
    let resolved = catalogue.resolve(query)?;
    Ok(catalogue.entries[resolved.entry].compound)
}

/// Compounds whose name, synonym or formula contains `query`: exact matches
/// first, then prefixes, then other substrings; ties in catalogue order.
/// At most 50 results.
pub fn search_chemicals(query: &str) -> Vec<&'static Compound> {
    let catalogue: &'static Catalogue = &CATALOGUE;
    let needle = normalize_name(query);
    if needle.is_empty() {
        return Vec::new();
    }
    let mut ranked: Vec<(u8, usize)> = catalogue
        .entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| match_rank(entry, &needle).map(|rank| (rank, index)))
        .collect();
    ranked.sort_unstable();
    ranked
        .into_iter()
        .take(MAX_SEARCH_RESULTS)
        .map(|(_, index)| catalogue.entries[index].compound)
        .collect()
}

fn search_keys(entry: &Entry) -> impl Iterator<Item = String> + '_ {
    std::iter::once(entry.compound.name)
        .chain(entry.compound.synonyms.iter().copied())
        .chain(std::iter::once(entry.compound.formula))
        .map(normalize_name)
}

fn match_rank(entry: &Entry, needle: &str) -> Option<u8> {
    search_keys(entry)
        .filter_map(|key| {
            if key == needle {
                Some(0)
            } else if key.starts_with(needle) {
                Some(1)
            } else if key.contains(needle) {
                Some(2)
            } else {
                None
            }
        })
        .min()
}

impl Catalogue {
    /// Up to five "name (formula)" strings close to `query`.
    pub(crate) fn suggestions(&self, query: &str) -> Vec<String> {
        let needle: Vec<char> = normalize_name(query)
            .chars()
            .take(MAX_COMPARED_CHARS)
            .collect();
        if needle.is_empty() {
            return Vec::new();
        }
        let limit = (needle.len() / 3).clamp(1, 3);
        let mut close: Vec<(usize, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let distance = search_keys(entry)
                    .map(|key| edit_distance(&needle, &key))
                    .min()?;
                (distance <= limit).then_some((distance, index))
            })
            .collect();
        close.sort_unstable();
        let mut out: Vec<String> = Vec::new();
        for (_, index) in close {
            let compound = self.entries[index].compound;
            let label = format!("{} ({})", compound.name, compound.formula);
            if !out.contains(&label) {
                out.push(label);
            }
            if out.len() == MAX_SUGGESTIONS {
                break;
            }
        }
        out
    }
}

fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().take(MAX_COMPARED_CHARS).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(edit_distance(&chars("kitten"), "sitting"), 3);
        assert_eq!(edit_distance(&chars(""), "abc"), 3);
        assert_eq!(edit_distance(&chars("nacl"), "nacl"), 0);
    }
}
