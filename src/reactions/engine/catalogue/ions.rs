//! Splits salts, acids and bases into their cation and anion (e.g. `Al2(SO4)3`
//! → 2 Al³⁺ + 3 SO₄²⁻) from the formula text, so the reaction rules can swap
//! partners and the thermodynamics of dissolved compounds can be summed from
//! tabulated ions. The cation's charge follows from electroneutrality, which
//! tells Fe²⁺ in `FeCl2` from Fe³⁺ in `FeCl3`.

use super::super::elements::element;
use super::super::formula::charge_suffix;
use super::{CompoundClass, Entry, IonPair};

/// (formula fragment, canonical ion formula, charge)
const ANIONS: [(&str, &str, i64); 31] = [
    ("OH", "OH-", -1),
    ("IO3", "IO3-", -1),
    ("BrO3", "BrO3-", -1),
    ("BrO", "BrO-", -1),
    ("S4O6", "S4O6^2-", -2),
    ("F", "F-", -1),
    ("Cl", "Cl-", -1),
    ("Br", "Br-", -1),
    ("I", "I-", -1),
    ("S", "S^2-", -2),
    ("HS", "HS-", -1),
    ("NO3", "NO3-", -1),
    ("NO2", "NO2-", -1),
    ("SO4", "SO4^2-", -2),
    ("HSO4", "HSO4-", -1),
    ("SO3", "SO3^2-", -2),
    ("S2O3", "S2O3^2-", -2),
    ("CO3", "CO3^2-", -2),
    ("HCO3", "HCO3-", -1),
    ("PO4", "PO4^3-", -3),
    ("HPO4", "HPO4^2-", -2),
    ("H2PO4", "H2PO4-", -1),
    ("CH3COO", "CH3COO-", -1),
    ("HCOO", "HCOO-", -1),
    ("ClO", "ClO-", -1),
    ("ClO3", "ClO3-", -1),
    ("ClO4", "ClO4-", -1),
    ("MnO4", "MnO4-", -1),
    ("CrO4", "CrO4^2-", -2),
    ("Cr2O7", "Cr2O7^2-", -2),
    ("CN", "CN-", -1),
];

pub(super) fn derive_ions(entry: &Entry, ion: impl Fn(&str) -> Option<usize>) -> Option<IonPair> {
    let class = entry.compound.class;
    let formula = entry.compound.formula;
    if !matches!(
        class,
        CompoundClass::Salt | CompoundClass::Acid | CompoundClass::Base
    ) || formula.contains('·')
    {
        return None;
    }
    let (cation_fragment, cation_count, rest) = split_cation(formula, class)?;
    let (anion_fragment, anion_count) = split_anion(rest)?;
    let &(_, anion_formula, anion_charge) = ANIONS
        .iter()
        .find(|(fragment, ..)| *fragment == anion_fragment)?;
    let negative = -anion_charge * anion_count;
    if negative % cation_count != 0 {
        return None;
    }
    let cation_charge = i32::try_from(negative / cation_count).ok()?;
    let cation_formula = format!("{cation_fragment}{}", charge_suffix(cation_charge));
    Some(IonPair {
        cation: ion(&cation_formula)?,
        cation_count,
        anion: ion(anion_formula)?,
        anion_count,
    })
}

/// Leading cation fragment, its count, and the remaining anion text.
fn split_cation(formula: &str, class: CompoundClass) -> Option<(&str, i64, &str)> {
    if let Some(rest) = formula.strip_prefix("(NH4)") {
        let (count, rest) = leading_count(rest);
        return Some(("NH4", count, rest));
    }
    if let Some(rest) = formula.strip_prefix("NH4") {
        return Some(("NH4", 1, rest));
    }
    if class == CompoundClass::Acid && formula.ends_with("COOH") {
        return Some(("H", 1, &formula[..formula.len() - 1]));
    }
    let symbol_len = leading_symbol_len(formula)?;
    let symbol = &formula[..symbol_len];
    let is_cation = element(symbol).is_some_and(|el| el.category.is_metal())
        || (symbol == "H" && class == CompoundClass::Acid);
    if !is_cation {
        return None;
    }
    let (count, rest) = leading_count(&formula[symbol_len..]);
    Some((symbol, count, rest))
}

fn leading_symbol_len(formula: &str) -> Option<usize> {
    let bytes = formula.as_bytes();
    if !bytes.first()?.is_ascii_uppercase() {
        return None;
    }
    let two_letters =
        bytes.get(1).is_some_and(u8::is_ascii_lowercase) && element(formula.get(..2)?).is_some();
    Some(if two_letters { 2 } else { 1 })
}

/// Digits at the start of `text` (1 when absent) and what follows.
fn leading_count(text: &str) -> (i64, &str) {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let count = text[..digits].parse().unwrap_or(1);
    (count.max(1), &text[digits..])
}

/// `(SO4)3` → (`SO4`, 3); `Cl2` → (`Cl`, 2); `CO3` → (`CO3`, 1).
fn split_anion(rest: &str) -> Option<(&str, i64)> {
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner.find(')')?;
        let (count, tail) = leading_count(&inner[close + 1..]);
        return tail.is_empty().then_some((&inner[..close], count));
    }
    if ANIONS.iter().any(|(fragment, ..)| *fragment == rest) {
        return Some((rest, 1));
    }
    let digits = rest.bytes().rev().take_while(u8::is_ascii_digit).count();
    let fragment = &rest[..rest.len() - digits];
    let count = rest[fragment.len()..].parse().ok()?;
    Some((fragment, count))
}
