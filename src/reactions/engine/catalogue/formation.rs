//! Formation quantities from the element table: ΔS°f of a species from its S° and the
//! standard-state entropies of its elements, and ΔG°f = ΔH°f − T·ΔS°f at 298.15 K.
//!
//! Ions follow the convention ΔH°f = ΔG°f = S° = 0 for H⁺(aq). The formation reaction of an
//! ion of charge z then also turns z H⁺(aq) into z/2 H₂(g) (Na + H⁺ → Na⁺ + ½ H₂;
//! ½ Cl₂ + ½ H₂ → Cl⁻ + H⁺), so ΔS°f gains z · S°(H₂)/2.

use super::super::elements::element;
use super::super::formula::ParsedFormula;

pub(crate) const STANDARD_TEMPERATURE_K: f64 = 298.15;

/// ΔS°f, J/(mol·K); `None` when an element has no standard state in the element table.
pub(crate) fn entropy_of_formation(parsed: &ParsedFormula, entropy: f64) -> Option<f64> {
    let mut elements_entropy = 0.0;
    for (symbol, &count) in &parsed.elements {
        elements_entropy += element(symbol)?.standard_entropy_per_atom()? * count as f64;
    }
    let hydrogen_per_atom = element("H")?.standard_entropy_per_atom()?;
    Some(entropy - elements_entropy + f64::from(parsed.charge) * hydrogen_per_atom)
}

/// ΔG°f = ΔH°f − T·ΔS°f at 298.15 K, kJ/mol.
pub(crate) fn gibbs_of_formation(
    parsed: &ParsedFormula,
    enthalpy: f64,
    entropy: f64,
) -> Option<f64> {
    let entropy_of_formation = entropy_of_formation(parsed, entropy)?;
    Some(enthalpy - STANDARD_TEMPERATURE_K * entropy_of_formation / 1000.0)
}
