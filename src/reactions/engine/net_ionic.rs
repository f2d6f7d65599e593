//! The net ionic equation of a reaction in solution: every dissolved strong electrolyte (a
//! soluble salt, a strong acid, a metal hydroxide) written as its ions, the ions that appear
//! unchanged on both sides (spectators) removed, and the coefficients reduced. Solids,
//! liquids, gases and weak electrolytes (acetic acid, ammonia, water) stay as molecules.
//! Computed from an outcome after the fact, like `amounts`.

use super::arithmetic::gcd;
use super::catalogue::{Catalogue, CompoundClass, CATALOGUE};
use super::chemistry::is_strong_acid;
use super::model::{ReactionClass, ReactionOutcome, Species, State};
use super::predict::side_text;

/// `None` when nothing reacts or no species dissolves into ions (not a reaction in solution),
/// and when cancelling spectators would leave a side empty.
pub fn net_ionic_equation(outcome: &ReactionOutcome) -> Option<String> {
    if outcome.reaction_class == ReactionClass::NoReaction {
        return None;
    }
    let cat: &Catalogue = &CATALOGUE;
    let (mut reactants, split_left) = ionic_side(cat, &outcome.reactants);
    let (mut products, split_right) = ionic_side(cat, &outcome.products);
    if !(split_left || split_right) {
        return None;
    }
    cancel_spectators(&mut reactants, &mut products);
    if reactants.is_empty() || products.is_empty() {
        return None;
    }
    let divisor = reactants
        .iter()
        .chain(&products)
        .fold(0, |d, s| gcd(d, i64::from(s.coefficient)))
        .max(1);
    for species in reactants.iter_mut().chain(products.iter_mut()) {
        species.coefficient =
            u32::try_from(i64::from(species.coefficient) / divisor).unwrap_or(species.coefficient);
    }
    Some(format!(
        "{} → {}",
        side_text(&reactants),
        side_text(&products)
    ))
}

/// The side with strong electrolytes written as ions (same ions merged), and whether any was.
fn ionic_side(cat: &Catalogue, side: &[Species]) -> (Vec<Species>, bool) {
    let mut written: Vec<Species> = Vec::new();
    let mut split = false;
    for species in side {
        match ions_of(cat, species) {
            Some(ions) => {
                split = true;
                for ion in ions {
                    add(&mut written, ion);
                }
            }
            None => add(&mut written, species.clone()),
        }
    }
    (written, split)
}

fn add(side: &mut Vec<Species>, species: Species) {
    match side
        .iter_mut()
        .find(|s| s.formula == species.formula && s.state == species.state)
    {
        Some(existing) => existing.coefficient += species.coefficient,
        None => side.push(species),
    }
}

/// The cation and anion of a dissolved strong electrolyte, with their coefficients.
fn ions_of(cat: &Catalogue, species: &Species) -> Option<[Species; 2]> {
    if species.state != State::Aqueous {
        return None;
    }
    let found = cat.resolve(&format!("{}(aq)", species.formula)).ok()?;
    let entry = &cat.entries[found.entry];
    let pair = entry.ions?;
    let cation = cat.entries[pair.cation].compound;
    let strong = match entry.compound.class {
        CompoundClass::Salt => true,
        CompoundClass::Acid => is_strong_acid(entry.compound.formula),
        // NH4OH is aqueous ammonia, a weak base; metal hydroxides in solution are strong.
        CompoundClass::Base => cation.formula != "NH4+",
        _ => false,
    };
    if !strong {
        return None;
    }
    let anion = cat.entries[pair.anion].compound;
    let ion = |formula: &str, name: &str, count: i64| Species {
        formula: formula.to_string(),
        name: name.to_string(),
        state: State::Aqueous,
        coefficient: species.coefficient * u32::try_from(count).unwrap_or(1),
    };
    Some([
        ion(cation.formula, cation.name, pair.cation_count),
        ion(anion.formula, anion.name, pair.anion_count),
    ])
}

fn cancel_spectators(reactants: &mut Vec<Species>, products: &mut Vec<Species>) {
    for reactant in reactants.iter_mut() {
        if let Some(product) = products
            .iter_mut()
            .find(|p| p.formula == reactant.formula && p.state == reactant.state)
        {
            let common = reactant.coefficient.min(product.coefficient);
            reactant.coefficient -= common;
            product.coefficient -= common;
        }
    }
    reactants.retain(|s| s.coefficient > 0);
    products.retain(|s| s.coefficient > 0);
}

#[cfg(test)]
mod tests {
    use super::super::{predict_reaction, Environment, ReactantInput, ReactionInput};
    use super::*;

    fn net(reactants: &[&str], environment: Environment) -> (String, Option<String>) {
        let input = ReactionInput {
            reactants: reactants
                .iter()
                .map(|chemical| ReactantInput {
                    chemical: chemical.to_string(),
                    amount: None,
                })
                .collect(),
            environment,
            catalyst: None,
        };
        let outcome = predict_reaction(&input).unwrap();
        (outcome.equation.clone(), net_ionic_equation(&outcome))
    }

    #[test]
    fn spectator_ions_leave_the_equation() {
        let cases = [
            (&["AgNO3", "NaCl"][..], "Ag+(aq) + Cl-(aq) → AgCl(s)"),
            (&["HCl", "NaOH"], "H+(aq) + OH-(aq) → H2O(l)"),
            (
                &["H2SO4", "Ba(OH)2"],
                "2 H+(aq) + SO4^2-(aq) + Ba^2+(aq) + 2 OH-(aq) → BaSO4(s) + 2 H2O(l)",
            ),
            (&["Zn", "CuSO4"], "Zn(s) + Cu^2+(aq) → Zn^2+(aq) + Cu(s)"),
        ];
        for (mix, expected) in cases {
            let (equation, net) = net(mix, Environment::Normal);
            assert_eq!(net.as_deref(), Some(expected), "{equation}");
        }
    }

    #[test]
    fn weak_electrolytes_stay_molecules_and_dry_reactions_have_none() {
        let (equation, vinegar) = net(&["CH3COOH", "NaOH"], Environment::Normal);
        let vinegar = vinegar.unwrap_or_default();
        assert!(
            vinegar.starts_with("CH3COOH(aq) + OH-(aq) →"),
            "{equation} / {vinegar}"
        );
        assert_eq!(net(&["methane", "oxygen"], Environment::Normal).1, None);
        assert_eq!(net(&["NaCl", "KNO3"], Environment::Normal).1, None);
    }
}
