//! Lookup indexes over the catalogue (names, formulas, Hill formulas, ion
//! pairs) and the resolution of user queries to entries. Built once, lazily;
//! the hash maps are only probed, never iterated, so output stays
//! deterministic.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::super::elements::{element, molar_mass};
use super::super::error::EngineError;
use super::super::formula::{parse_formula, FormulaError, ParsedFormula};
use super::data_phase::{PhasePoints, PHASE_POINTS};
use super::formation::gibbs_of_formation;
use super::ions::derive_ions;
use super::{all_compounds, Compound, CompoundClass, Source, State, Thermo, ThermoData};

pub(crate) static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::build);

const MAX_QUERY_CHARS: usize = 200;

/// A dissolved ionic compound: `cation_count` cations + `anion_count` anions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IonPair {
    pub cation: usize,
    pub cation_count: i64,
    pub anion: usize,
    pub anion_count: i64,
}

pub(crate) struct Entry {
    pub compound: &'static Compound,
    pub parsed: ParsedFormula,
    pub molar_mass: f64,
    pub ions: Option<IonPair>,
    pub thermo: Option<Thermo>,
    /// Thermodynamics of the compound dissolved in water (sum of its ions).
    pub dissolved_thermo: Option<Thermo>,
    /// State at 25 °C of this formula (the state of its first entry).
    pub natural_state: State,
    /// Melting and boiling points of this formula, when tabulated.
    pub phase: Option<&'static PhasePoints>,
    /// `sibling_in_state` for each state (by `State as usize`), resolved once the index is
    /// complete: products and reagents at temperature ask for it on every prediction.
    siblings: [Option<usize>; 4],
    /// The formula holds both carbon and hydrogen: what the organic rules look for first,
    /// in every mixture.
    pub carbon_and_hydrogen: bool,
}

/// A query resolved to an entry and the state the caller asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub entry: usize,
    pub state: State,
    pub explicit_state: bool,
}

pub(crate) struct Catalogue {
    pub entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    by_formula: HashMap<String, Vec<usize>>,
    by_folded_formula: HashMap<String, Vec<usize>>,
    by_hill: HashMap<String, Vec<usize>>,
    by_ion_pair: HashMap<(usize, usize), usize>,
}

pub(crate) fn normalize_name(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text `normalize_name` would return unchanged, checked without allocating: lower-case
/// ASCII words separated by single spaces (most queries are already written so).
fn is_normalized_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && bytes
            .iter()
            .all(|&b| b == b' ' || (b.is_ascii_graphic() && !b.is_ascii_uppercase()))
        && !text.contains("  ")
}

fn split_state_suffix(text: &str) -> (&str, Option<State>) {
    for (suffix, state) in [
        ("(aq)", State::Aqueous),
        ("(s)", State::Solid),
        ("(l)", State::Liquid),
        ("(g)", State::Gas),
    ] {
        if let Some(stem) = text.strip_suffix(suffix) {
            return (stem.trim_end(), Some(state));
        }
    }
    (text, None)
}

impl Catalogue {
    fn build() -> Catalogue {
        let mut catalogue = Catalogue {
            entries: Vec::new(),
            by_name: HashMap::new(),
            by_formula: HashMap::new(),
            by_folded_formula: HashMap::new(),
            by_hill: HashMap::new(),
            by_ion_pair: HashMap::new(),
        };
        for compound in all_compounds() {
            catalogue.add_entry(compound);
        }
        catalogue.index_synonym_formulas();
        catalogue.attach_ions();
        catalogue.attach_thermo();
        catalogue.attach_phase_points();
        catalogue.attach_siblings();
        catalogue
    }

    fn attach_phase_points(&mut self) {
        for points in PHASE_POINTS {
            let Ok(parsed) = parse_formula(points.formula) else {
                continue;
            };
            for &index in self.by_formula.get(&parsed.canonical).into_iter().flatten() {
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.phase = Some(points);
                }
            }
        }
    }

    fn attach_siblings(&mut self) {
        for index in 0..self.entries.len() {
            for state in [State::Solid, State::Liquid, State::Gas, State::Aqueous] {
                self.entries[index].siblings[state as usize] = self.find_sibling(index, state);
            }
        }
    }

    /// The state a pure (undissolved) substance takes at this temperature, from its melting
    /// and boiling points; `None` when they are not tabulated.
    pub(crate) fn state_at(&self, index: usize, celsius: f64) -> Option<State> {
        let points = self.entries.get(index)?.phase?;
        if points.boiling.is_some_and(|bp| celsius >= bp) {
            return Some(State::Gas);
        }
        match points.melting {
            Some(mp) if celsius >= mp => Some(State::Liquid),
            Some(_) => Some(State::Solid),
            // Sublimes or decomposes before melting: solid below its boiling/sublimation point.
            None => Some(State::Solid),
        }
    }

    fn add_entry(&mut self, compound: &'static Compound) {
        let Ok(parsed) = parse_formula(compound.formula) else {
            return;
        };
        let index = self.entries.len();
        let formula_entries = self.by_formula.entry(parsed.canonical.clone()).or_default();
        formula_entries.push(index);
        let natural_state = formula_entries
            .first()
            .and_then(|&first| self.entries.get(first))
            .map_or(compound.state, |first| first.compound.state);
        self.by_folded_formula
            .entry(parsed.canonical.to_lowercase())
            .or_default()
            .push(index);
        self.by_hill
            .entry(parsed.hill.clone())
            .or_default()
            .push(index);
        for name in std::iter::once(&compound.name).chain(compound.synonyms) {
            self.by_name.entry(normalize_name(name)).or_insert(index);
        }
        let carbon_and_hydrogen =
            parsed.elements.contains_key("C") && parsed.elements.contains_key("H");
        self.entries.push(Entry {
            compound,
            molar_mass: molar_mass(&parsed.elements),
            carbon_and_hydrogen,
            parsed,
            ions: None,
            thermo: None,
            dissolved_thermo: None,
            natural_state,
            phase: None,
            siblings: [None; 4],
        });
    }

    /// Alternative formulas listed as synonyms (`CH3CH2OH`, `P`) also resolve.
    fn index_synonym_formulas(&mut self) {
        for index in 0..self.entries.len() {
            for synonym in self.entries[index].compound.synonyms {
                let Ok(parsed) = parse_formula(synonym) else {
                    continue;
                };
                let listed = self.by_formula.entry(parsed.canonical).or_default();
                if !listed.contains(&index) {
                    listed.push(index);
                }
            }
        }
    }

    fn attach_ions(&mut self) {
        for index in 0..self.entries.len() {
            let ions = derive_ions(&self.entries[index], |canonical| self.ion(canonical));
            self.entries[index].ions = ions;
            let is_ionic_compound = matches!(
                self.entries[index].compound.class,
                CompoundClass::Salt | CompoundClass::Acid | CompoundClass::Base
            );
            if let (Some(pair), true) = (ions, is_ionic_compound) {
                self.by_ion_pair
                    .entry((pair.cation, pair.anion))
                    .or_insert(index);
            }
        }
    }

    fn attach_thermo(&mut self) {
        for index in 0..self.entries.len() {
            let entry = &self.entries[index];
            let dissolved = entry.ions.and_then(|pair| self.ion_sum(pair));
            let thermo = match entry.compound.thermo {
                ThermoData::Tabulated(thermo) => Some(thermo),
                ThermoData::EnthalpyEntropy {
                    enthalpy,
                    entropy,
                    source,
                } => computed_gibbs(&entry.parsed, enthalpy, entropy, source),
                ThermoData::StandardElement => standard_element(entry),
                ThermoData::SumOfIons => dissolved,
                ThermoData::Unavailable => None,
            };
            let dissolved = if entry.compound.state == State::Aqueous {
                thermo
            } else {
                dissolved
            };
            let entry = &mut self.entries[index];
            entry.thermo = thermo;
            entry.dissolved_thermo = dissolved;
        }
    }

    fn ion_sum(&self, pair: IonPair) -> Option<Thermo> {
        let cation = self.tabulated(pair.cation)?;
        let anion = self.tabulated(pair.anion)?;
        let (m, n) = (pair.cation_count as f64, pair.anion_count as f64);
        Some(Thermo {
            enthalpy: m * cation.enthalpy + n * anion.enthalpy,
            gibbs: m * cation.gibbs + n * anion.gibbs,
            entropy: m * cation.entropy + n * anion.entropy,
            source: Source::IonSum,
            gibbs_computed: false,
        })
    }

    fn tabulated(&self, index: usize) -> Option<Thermo> {
        match self.entries.get(index)?.compound.thermo {
            ThermoData::Tabulated(thermo) => Some(thermo),
            _ => None,
        }
    }

    pub(crate) fn entry_of(&self, compound: &Compound) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| std::ptr::eq(entry.compound, compound))
    }

    /// The aqueous ion entry with this canonical formula, e.g. `Cu^2+`.
    pub(crate) fn ion(&self, canonical: &str) -> Option<usize> {
        self.by_formula.get(canonical)?.iter().copied().find(|&i| {
            matches!(
                self.entries[i].compound.class,
                CompoundClass::Cation | CompoundClass::Anion
            )
        })
    }

    /// The first entry with this canonical formula.
    pub(crate) fn formula(&self, canonical: &str) -> Option<usize> {
        self.by_formula.get(canonical)?.first().copied()
    }

    pub(crate) fn ion_pair(&self, cation: usize, anion: usize) -> Option<usize> {
        self.by_ion_pair.get(&(cation, anion)).copied()
    }

    /// The entry with the same formula as `index` in the given state.
    pub(crate) fn sibling_in_state(&self, index: usize, state: State) -> Option<usize> {
        self.entries.get(index)?.siblings[state as usize]
    }

    fn find_sibling(&self, index: usize, state: State) -> Option<usize> {
        let canonical = &self.entries.get(index)?.parsed.canonical;
        self.by_formula
            .get(canonical)?
            .iter()
            .copied()
            .find(|&i| self.entries[i].compound.state == state)
    }

    pub(crate) fn name_lookup(&self, text: &str) -> Option<usize> {
        if is_normalized_ascii(text) {
            return self.by_name.get(text).copied();
        }
        self.by_name.get(&normalize_name(text)).copied()
    }

    pub(crate) fn resolve(&self, query: &str) -> Result<Resolved, EngineError> {
        let trimmed = query.trim();
        if trimmed.is_empty() || trimmed.chars().count() > MAX_QUERY_CHARS {
            return Err(self.unknown(trimmed));
        }
        if let Some(index) = self.name_lookup(trimmed) {
            return Ok(self.natural(index));
        }
        let (stem, state) = split_state_suffix(trimmed);
        if let (Some(index), Some(state)) = (self.name_lookup(stem), state) {
            return self
                .with_state(index, state)
                .ok_or_else(|| self.unknown(trimmed));
        }
        match parse_formula(trimmed) {
            Ok(parsed) => self
                .resolve_formula(&parsed)
                .ok_or_else(|| self.unknown(trimmed)),
            Err(error) => self
                .resolve_folded(stem, state)
                .ok_or_else(|| self.unknown_or_malformed(trimmed, error)),
        }
    }

    /// A formula-looking query that does not parse gets the parser's error,
    /// unless a close name or formula can be suggested.
    fn unknown_or_malformed(&self, query: &str, error: FormulaError) -> EngineError {
        let unknown = self.unknown(query);
        let looks_like_formula = query
            .starts_with(|c: char| c.is_ascii_uppercase() || c == '(' || c == '[')
            && !query.contains(char::is_whitespace)
            && query.contains(|c: char| c.is_ascii_digit() || "()[]^+-·*".contains(c));
        match unknown {
            EngineError::UnknownChemical {
                ref suggestions, ..
            } if suggestions.is_empty() && looks_like_formula => EngineError::InvalidFormula {
                formula: query.to_string(),
                error,
            },
            other => other,
        }
    }

    fn natural(&self, index: usize) -> Resolved {
        Resolved {
            entry: index,
            state: self.entries[index].compound.state,
            explicit_state: false,
        }
    }

    fn resolve_formula(&self, parsed: &ParsedFormula) -> Option<Resolved> {
        let candidates = self
            .by_formula
            .get(&parsed.canonical)
            .or_else(|| self.by_hill.get(&parsed.hill))?;
        self.pick_state(candidates, parsed.state)
    }

    /// Case-insensitive formula match (`nacl`), only when unambiguous.
    fn resolve_folded(&self, stem: &str, state: Option<State>) -> Option<Resolved> {
        let key: String = stem
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        let candidates = self.by_folded_formula.get(&key)?;
        let first = &self.entries[*candidates.first()?].parsed.canonical;
        if candidates
            .iter()
            .any(|&i| self.entries[i].parsed.canonical != *first)
        {
            return None;
        }
        self.pick_state(candidates, state)
    }

    fn pick_state(&self, candidates: &[usize], state: Option<State>) -> Option<Resolved> {
        let first = *candidates.first()?;
        let Some(state) = state else {
            return Some(self.natural(first));
        };
        match candidates
            .iter()
            .find(|&&i| self.entries[i].compound.state == state)
        {
            Some(&entry) => Some(explicit(entry, state)),
            None => self.with_state(first, state),
        }
    }

    /// The entry itself, its sibling in that state, or its dissolved form.
    fn with_state(&self, index: usize, state: State) -> Option<Resolved> {
        if self.entries.get(index)?.compound.state == state {
            return Some(explicit(index, state));
        }
        if let Some(sibling) = self.sibling_in_state(index, state) {
            return Some(explicit(sibling, state));
        }
        let dissolvable = state == State::Aqueous && self.entries[index].dissolved_thermo.is_some();
        dissolvable.then_some(explicit(index, state))
    }

    fn unknown(&self, query: &str) -> EngineError {
        EngineError::UnknownChemical {
            query: query.to_string(),
            suggestions: self.suggestions(query),
        }
    }
}

fn explicit(entry: usize, state: State) -> Resolved {
    Resolved {
        entry,
        state,
        explicit_state: true,
    }
}

fn computed_gibbs(
    parsed: &ParsedFormula,
    enthalpy: f64,
    entropy: f64,
    source: Source,
) -> Option<Thermo> {
    Some(Thermo {
        enthalpy,
        gibbs: gibbs_of_formation(parsed, enthalpy, entropy)?,
        entropy,
        source,
        gibbs_computed: true,
    })
}

/// An element's reference substance, from the element table; `None` when the row is not that
/// substance in that state (a catalogue mistake the tests catch).
fn standard_element(entry: &Entry) -> Option<Thermo> {
    let mut symbols = entry.parsed.elements.keys();
    let (Some(symbol), None) = (symbols.next(), symbols.next()) else {
        return None;
    };
    let standard = element(symbol)?.standard_state.as_ref()?;
    let matches =
        standard.formula == entry.compound.formula && standard.state == entry.compound.state;
    matches.then_some(Thermo {
        enthalpy: 0.0,
        gibbs: 0.0,
        entropy: standard.entropy,
        source: standard.source,
        gibbs_computed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::{is_normalized_ascii, normalize_name};

    #[test]
    fn the_normalized_check_agrees_with_normalize_name() {
        for text in [
            "sodium chloride",
            "water",
            "",
            "iron(iii) oxide",
            "h2o",
            "Sodium chloride",
            " water",
            "water ",
            "sodium  chloride",
            "sodium\tchloride",
            "sodium\u{b}chloride",
            "eau\u{a0}douce",
            "éthanol",
            "NaCl",
        ] {
            if is_normalized_ascii(text) {
                assert_eq!(normalize_name(text), text, "{text:?}");
            }
        }
        assert!(is_normalized_ascii("silver nitrate"));
        assert!(!is_normalized_ascii("Silver nitrate"));
        assert!(!is_normalized_ascii("silver\u{b}nitrate"));
    }
}
