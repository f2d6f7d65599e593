//! Reaction thermodynamics from standard formation data: ΔH° and ΔS° for the
//! balanced equation as written, and ΔG = ΔH° − TΔS° at the environment's
//! temperature (ΔH° and ΔS° are taken as temperature-independent).

use super::catalogue::Catalogue;
use super::rules::{thermo_of, Substance};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ReactionThermo {
    pub enthalpy_kj: f64,
    pub entropy_j_per_k: f64,
    pub gibbs_kj: f64,
}

/// `None` when any species lacks tabulated data.
pub(crate) fn reaction_thermo(
    cat: &Catalogue,
    reactants: &[(Substance, u32)],
    products: &[(Substance, u32)],
    temperature_k: f64,
) -> Option<ReactionThermo> {
    let (product_h, product_s) = side_totals(cat, products)?;
    let (reactant_h, reactant_s) = side_totals(cat, reactants)?;
    let enthalpy = product_h - reactant_h;
    let entropy = product_s - reactant_s;
    Some(ReactionThermo {
        enthalpy_kj: round2(enthalpy),
        entropy_j_per_k: round2(entropy),
        gibbs_kj: round2(enthalpy - temperature_k * entropy / 1000.0),
    })
}

fn side_totals(cat: &Catalogue, side: &[(Substance, u32)]) -> Option<(f64, f64)> {
    side.iter()
        .try_fold((0.0, 0.0), |(h, s), &(substance, coefficient)| {
            let thermo = thermo_of(cat, substance)?;
            let n = f64::from(coefficient);
            Some((h + n * thermo.enthalpy, s + n * thermo.entropy))
        })
}

/// Two decimals, and never `-0.0` (which would serialise differently).
pub(crate) fn round2(value: f64) -> f64 {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded == 0.0 {
        0.0
    } else {
        rounded
    }
}
