//! What a balanced equation makes of real amounts: given how many moles of each reactant were
//! put in, the limiting reactant, how much of each other reactant is left, and the theoretical
//! (100 %) yield of each product in moles and grams. Computed from an outcome after the fact,
//! so the cached outcome (which depends only on the amounts' ratio) stays as it is.
//!
//! Reactants the player gave no amount for, and those the environment supplies (oxygen from
//! air, H⁺ in acid), are taken to be in excess. Supplied chemicals the equation does not use
//! (a spectator of a three-reactant mix) are not listed.

use std::collections::HashMap;

use serde::Serialize;

use super::catalogue::{Catalogue, CATALOGUE};
use super::elements::molar_mass;
use super::formula::parse_formula;
use super::model::{ReactantInput, ReactionClass, ReactionOutcome, Species, State};

/// Amounts are reported to six significant digits: more than any balance in a lab reads, and
/// few enough that the output does not depend on the order of floating-point sums.
const SIGNIFICANT_DIGITS: i32 = 6;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReactionAmounts {
    /// How many times the equation as written runs, mol.
    pub extent_mol: f64,
    /// Formula of the reactant that runs out first (the first in the equation on a tie).
    pub limiting_reactant: String,
    pub reactants: Vec<ReactantAmount>,
    pub products: Vec<ProductAmount>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReactantAmount {
    pub formula: String,
    pub state: State,
    /// `None`: no amount given, or supplied by the environment; taken to be in excess.
    pub supplied_mol: Option<f64>,
    pub consumed_mol: f64,
    pub consumed_g: f64,
    pub left_mol: Option<f64>,
    pub left_g: Option<f64>,
    pub limiting: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProductAmount {
    pub formula: String,
    pub state: State,
    pub mol: f64,
    /// Theoretical yield.
    pub grams: f64,
}

/// `None` when nothing reacts or no reactant of the equation was given an amount.
pub fn reaction_amounts(
    outcome: &ReactionOutcome,
    supplied: &[ReactantInput],
) -> Option<ReactionAmounts> {
    if outcome.reaction_class == ReactionClass::NoReaction {
        return None;
    }
    let cat: &Catalogue = &CATALOGUE;
    let moles = supplied_moles(cat, supplied);
    let supplied_of = |species: &Species| {
        parse_formula(&species.formula)
            .ok()
            .and_then(|parsed| moles.get(&parsed.canonical).copied())
    };
    let (limiting, extent) = outcome
        .reactants
        .iter()
        .enumerate()
        .filter_map(|(index, species)| {
            let available = supplied_of(species)?;
            Some((index, available / f64::from(species.coefficient.max(1))))
        })
        .fold(
            None,
            |best: Option<(usize, f64)>, (index, extent)| match best {
                Some((_, least)) if least <= extent => best,
                _ => Some((index, extent)),
            },
        )?;
    let reactants = outcome
        .reactants
        .iter()
        .enumerate()
        .map(|(index, species)| {
            let mass = grams_per_mol(&species.formula);
            let consumed = extent * f64::from(species.coefficient);
            let supplied = supplied_of(species);
            let left = supplied.map(|available| (available - consumed).max(0.0));
            ReactantAmount {
                formula: species.formula.clone(),
                state: species.state,
                supplied_mol: supplied.map(significant),
                consumed_mol: significant(consumed),
                consumed_g: significant(consumed * mass),
                left_mol: left.map(significant),
                left_g: left.map(|left| significant(left * mass)),
                limiting: index == limiting,
            }
        })
        .collect();
    let products = outcome
        .products
        .iter()
        .map(|species| {
            let mol = extent * f64::from(species.coefficient);
            ProductAmount {
                formula: species.formula.clone(),
                state: species.state,
                mol: significant(mol),
                grams: significant(mol * grams_per_mol(&species.formula)),
            }
        })
        .collect();
    Some(ReactionAmounts {
        extent_mol: significant(extent),
        limiting_reactant: outcome.reactants[limiting].formula.clone(),
        reactants,
        products,
    })
}

/// Moles per canonical formula; the same chemical named twice ("NaCl", "table salt") adds up.
fn supplied_moles(cat: &Catalogue, supplied: &[ReactantInput]) -> HashMap<String, f64> {
    let mut moles = HashMap::new();
    for input in supplied {
        let (Some(amount), Ok(found)) = (input.amount, cat.resolve(&input.chemical)) else {
            continue;
        };
        let canonical = cat.entries[found.entry].parsed.canonical.clone();
        *moles.entry(canonical).or_insert(0.0) += amount;
    }
    moles
}

fn grams_per_mol(formula: &str) -> f64 {
    parse_formula(formula).map_or(0.0, |parsed| molar_mass(&parsed.elements))
}

fn significant(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return 0.0;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let scale = 10f64.powi(SIGNIFICANT_DIGITS - 1 - magnitude);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::super::{predict_reaction, Environment, ReactantInput, ReactionInput};
    use super::*;

    fn run(mix: &[(&str, Option<f64>)]) -> (ReactionOutcome, Vec<ReactantInput>) {
        let reactants: Vec<ReactantInput> = mix
            .iter()
            .map(|&(chemical, amount)| ReactantInput {
                chemical: chemical.to_string(),
                amount,
            })
            .collect();
        let input = ReactionInput {
            reactants: reactants.clone(),
            environment: Environment::Normal,
            catalyst: None,
        };
        (predict_reaction(&input).unwrap(), reactants)
    }

    #[test]
    fn the_reactant_that_runs_out_first_limits_the_yield_and_the_rest_is_left() {
        let (outcome, supplied) = run(&[("H2", Some(2.0)), ("O2", Some(2.0))]);
        let amounts = reaction_amounts(&outcome, &supplied).unwrap();
        assert_eq!(amounts.limiting_reactant, "H2");
        assert_eq!(amounts.extent_mol, 1.0);
        let oxygen = amounts
            .reactants
            .iter()
            .find(|r| r.formula == "O2")
            .unwrap();
        assert_eq!((oxygen.left_mol, oxygen.limiting), (Some(1.0), false));
        assert_eq!(oxygen.left_g, Some(31.998));
        let water = &amounts.products[0];
        assert_eq!((water.formula.as_str(), water.mol), ("H2O", 2.0));
        assert_eq!(water.grams, 36.03);
    }

    #[test]
    fn a_precipitate_is_weighed_from_the_limiting_solution() {
        let (outcome, supplied) = run(&[("silver nitrate", Some(0.1)), ("NaCl", Some(0.05))]);
        let amounts = reaction_amounts(&outcome, &supplied).unwrap();
        assert_eq!(amounts.limiting_reactant, "NaCl");
        let silver_chloride = amounts
            .products
            .iter()
            .find(|p| p.formula == "AgCl")
            .unwrap();
        // 0.05 mol × 143.32 g/mol.
        assert!(
            (silver_chloride.grams - 7.166).abs() < 0.001,
            "{silver_chloride:?}"
        );
        let nitrate = amounts
            .reactants
            .iter()
            .find(|r| r.formula == "AgNO3")
            .unwrap();
        assert_eq!(nitrate.left_mol, Some(0.05));
    }

    #[test]
    fn reactants_without_an_amount_are_in_excess() {
        let (outcome, supplied) = run(&[("methane", Some(0.5)), ("oxygen", None)]);
        let amounts = reaction_amounts(&outcome, &supplied).unwrap();
        assert_eq!(amounts.limiting_reactant, "CH4");
        let oxygen = amounts
            .reactants
            .iter()
            .find(|r| r.formula == "O2")
            .unwrap();
        assert_eq!((oxygen.supplied_mol, oxygen.consumed_mol), (None, 1.0));
        let (outcome, supplied) = run(&[("methane", None), ("oxygen", None)]);
        assert_eq!(reaction_amounts(&outcome, &supplied), None);
        let (outcome, supplied) = run(&[("NaCl", Some(1.0)), ("KNO3", Some(1.0))]);
        assert_eq!(reaction_amounts(&outcome, &supplied), None, "no reaction");
    }
}
