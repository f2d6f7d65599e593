//! Checks a reaction proposed by someone other than the rules (an external model) and, when
//! it holds up, turns it into an outcome through the same balancing, thermodynamics, effects
//! and explanation as the engine's own. A proposal is only as trusted as this check: every
//! species must be in the catalogue, every reactant must have been supplied (or come from the
//! environment), and the proposed coefficients must conserve every element and the charge.

use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, CATALOGUE};
use super::environment::OxygenSupply;
use super::error::EngineError;
use super::explain::Explanation;
use super::model::{ReactionClass, ReactionInput, ReactionOutcome};
use super::predict::{prepare, reaction_outcome};
use super::rules::{Context, Plan, Substance};

/// The longest explanation kept from a proposal; the engine adds its own sentences after it.
pub const MAX_PROPOSAL_EXPLANATION_CHARS: usize = 600;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedReaction {
    pub reaction_class: ReactionClass,
    pub reactants: Vec<ProposedSpecies>,
    pub products: Vec<ProposedSpecies>,
    #[serde(default)]
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposedSpecies {
    /// A formula or name the catalogue knows.
    pub formula: String,
    pub coefficient: u32,
}

/// Why a proposal was discarded, in words fit for a log line.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProposalRejected {
    #[error("the input itself is invalid: {0}")]
    InvalidInput(EngineError),
    #[error("a reaction needs reactants and products")]
    EmptySide,
    #[error("`{0}` is not in the catalogue")]
    UnknownSpecies(String),
    #[error("`{0}` was neither supplied nor provided by the environment")]
    UnsuppliedReactant(String),
    #[error("coefficient of `{0}` must be a positive whole number")]
    BadCoefficient(String),
    #[error("the proposed coefficients do not conserve {0}")]
    NotConserved(String),
    #[error("the proposed species cannot be balanced: {0}")]
    Unbalanceable(String),
}

/// What the engine makes of a proposal: an outcome it stands behind, or "no reaction" when
/// the proposal itself says nothing happens (the engine's own answer then stands).
pub enum ProposalVerdict {
    Accepted(Box<ReactionOutcome>),
    NoReaction,
}

pub fn accept_proposal(
    input: &ReactionInput,
    proposal: &ProposedReaction,
) -> Result<ProposalVerdict, ProposalRejected> {
    if proposal.reaction_class == ReactionClass::NoReaction {
        return Ok(ProposalVerdict::NoReaction);
    }
    if proposal.reactants.is_empty() || proposal.products.is_empty() {
        return Err(ProposalRejected::EmptySide);
    }
    let cat: &'static Catalogue = &CATALOGUE;
    let prepared = prepare(cat, input).map_err(ProposalRejected::InvalidInput)?;
    let ctx = prepared.context(cat, input.environment);
    let reactants = proposal
        .reactants
        .iter()
        .map(|species| supplied_reactant(&ctx, &species.formula))
        .collect::<Result<Vec<_>, _>>()?;
    let products = proposal
        .products
        .iter()
        .map(|species| product(&ctx, &species.formula))
        .collect::<Result<Vec<_>, _>>()?;
    check_conservation(&ctx, proposal, &reactants, &products)?;
    let plan = Plan::new(
        proposal.reaction_class,
        reactants,
        products,
        plain_sentences(&proposal.explanation),
    );
    let explanation = Explanation {
        ctx: &ctx,
        ratios: &prepared.ratios,
    };
    let outcome = reaction_outcome(&ctx, &explanation, plan)
        .map_err(|error| ProposalRejected::Unbalanceable(error.message()))?;
    Ok(ProposalVerdict::Accepted(Box::new(outcome)))
}

fn resolve_entry(ctx: &Context, formula: &str) -> Result<usize, ProposalRejected> {
    ctx.cat
        .resolve(formula)
        .map(|found| found.entry)
        .map_err(|_| ProposalRejected::UnknownSpecies(formula.to_string()))
}

/// A reactant must be one the player put in, or oxygen from the air, or the water of a solution.
fn supplied_reactant(ctx: &Context, formula: &str) -> Result<Substance, ProposalRejected> {
    let entry = resolve_entry(ctx, formula)?;
    if let Some(reagent) = ctx.reagents.iter().find(|r| r.substance.entry == entry) {
        return Ok(reagent.substance);
    }
    let canonical = ctx.cat.entries[entry].parsed.canonical.as_str();
    let from_environment = match canonical {
        "O2" => ctx.env.oxygen() != OxygenSupply::None,
        "H2O" => ctx.aqueous,
        _ => false,
    };
    if from_environment {
        if let Some(substance) = ctx.product(canonical) {
            return Ok(substance);
        }
    }
    Err(ProposalRejected::UnsuppliedReactant(formula.to_string()))
}

fn product(ctx: &Context, formula: &str) -> Result<Substance, ProposalRejected> {
    let entry = resolve_entry(ctx, formula)?;
    Ok(ctx.as_product(entry))
}

/// The proposer's own coefficients must already balance: a proposal that needs correcting is
/// a proposal that did not understand the reaction.
fn check_conservation(
    ctx: &Context,
    proposal: &ProposedReaction,
    reactants: &[Substance],
    products: &[Substance],
) -> Result<(), ProposalRejected> {
    let mut elements: std::collections::BTreeMap<&'static str, i64> = Default::default();
    let mut charge: i64 = 0;
    let sides = [
        (&proposal.reactants, reactants, 1_i64),
        (&proposal.products, products, -1_i64),
    ];
    for (species, substances, sign) in sides {
        for (proposed, substance) in species.iter().zip(substances) {
            if proposed.coefficient == 0 || proposed.coefficient > 1_000 {
                return Err(ProposalRejected::BadCoefficient(proposed.formula.clone()));
            }
            let coefficient = i64::from(proposed.coefficient) * sign;
            let parsed = &ctx.entry(*substance).parsed;
            for (element, count) in &parsed.elements {
                *elements.entry(element).or_default() += coefficient * count;
            }
            charge += coefficient * i64::from(parsed.charge);
        }
    }
    if let Some((element, _)) = elements.iter().find(|(_, balance)| **balance != 0) {
        return Err(ProposalRejected::NotConserved((*element).to_string()));
    }
    if charge != 0 {
        return Err(ProposalRejected::NotConserved("charge".into()));
    }
    Ok(())
}

/// Keeps the proposer's prose readable and bounded: no control characters, no runaway length.
fn plain_sentences(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut kept: String = cleaned
        .chars()
        .take(MAX_PROPOSAL_EXPLANATION_CHARS)
        .collect();
    if kept.is_empty() {
        kept = "An external model proposed this reaction; the engine checked its balance.".into();
    } else if !kept.ends_with(['.', '!', '?']) {
        kept.push('.');
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactions::engine::{assess_reaction, Environment, ReactantInput};

    fn input(chemicals: &[&str]) -> ReactionInput {
        ReactionInput {
            reactants: chemicals
                .iter()
                .map(|chemical| ReactantInput {
                    chemical: chemical.to_string(),
                    amount: None,
                })
                .collect(),
            environment: Environment::Normal,
            catalyst: None,
        }
    }

    fn species(formula: &str, coefficient: u32) -> ProposedSpecies {
        ProposedSpecies {
            formula: formula.into(),
            coefficient,
        }
    }

    fn calcium_oxide_and_carbon_dioxide() -> ProposedReaction {
        ProposedReaction {
            reaction_class: ReactionClass::Synthesis,
            reactants: vec![species("CaO", 1), species("CO2", 1)],
            products: vec![species("CaCO3", 1)],
            explanation: "Calcium oxide absorbs carbon dioxide\u{7} to form calcium carbonate"
                .into(),
        }
    }

    #[test]
    fn a_balanced_proposal_of_catalogue_species_becomes_an_outcome() {
        let verdict = accept_proposal(&input(&["CaO", "CO2"]), &calcium_oxide_and_carbon_dioxide())
            .expect("the proposal holds");
        let ProposalVerdict::Accepted(outcome) = verdict else {
            panic!("expected an accepted outcome");
        };
        assert_eq!(outcome.equation, "CaO(s) + CO2(g) → CaCO3(s)");
        assert_eq!(outcome.reaction_class, ReactionClass::Synthesis);
        let enthalpy = outcome.enthalpy_kj.expect("catalogue species have data");
        assert!((enthalpy - -178.3).abs() < 5.0, "ΔH° {enthalpy}");
        assert!(outcome
            .explanation
            .starts_with("Calcium oxide absorbs carbon dioxide to form calcium carbonate."));
    }

    #[test]
    fn proposals_that_do_not_conserve_or_invent_species_are_rejected() {
        let mut unbalanced = calcium_oxide_and_carbon_dioxide();
        unbalanced.reactants[1].coefficient = 2;
        assert_eq!(
            accept_proposal(&input(&["CaO", "CO2"]), &unbalanced).err(),
            Some(ProposalRejected::NotConserved("C".into()))
        );
        let mut invented = calcium_oxide_and_carbon_dioxide();
        invented.products[0].formula = "CaC9Xy".into();
        assert!(matches!(
            accept_proposal(&input(&["CaO", "CO2"]), &invented),
            Err(ProposalRejected::UnknownSpecies(_))
        ));
        let unsupplied = calcium_oxide_and_carbon_dioxide();
        assert_eq!(
            accept_proposal(&input(&["CaO", "NaCl"]), &unsupplied).err(),
            Some(ProposalRejected::UnsuppliedReactant("CO2".into()))
        );
        let mut zero = calcium_oxide_and_carbon_dioxide();
        zero.products[0].coefficient = 0;
        assert!(matches!(
            accept_proposal(&input(&["CaO", "CO2"]), &zero),
            Err(ProposalRejected::BadCoefficient(_))
        ));
    }

    #[test]
    fn oxygen_from_the_air_may_be_a_reactant_but_not_in_a_vacuum() {
        let proposal = ProposedReaction {
            reaction_class: ReactionClass::Combustion,
            reactants: vec![species("CH4", 1), species("O2", 2)],
            products: vec![species("CO2", 1), species("H2O", 2)],
            explanation: String::new(),
        };
        assert!(accept_proposal(&input(&["CH4"]), &proposal).is_ok());
        let mut vacuum = input(&["CH4"]);
        vacuum.environment = Environment::Vacuum;
        assert_eq!(
            accept_proposal(&vacuum, &proposal).err(),
            Some(ProposalRejected::UnsuppliedReactant("O2".into()))
        );
    }

    #[test]
    fn rules_decide_textbook_mixes_and_leave_unknown_combinations_undecided() {
        assert!(
            assess_reaction(&input(&["AgNO3", "NaCl"]))
                .expect("valid")
                .decided_by_rule
        );
        assert!(
            assess_reaction(&input(&["Au", "Ar"]))
                .expect("valid")
                .decided_by_rule,
            "a noble gas is an explained refusal"
        );
        let undecided = assess_reaction(&input(&["sucrose", "NaCl"])).expect("valid");
        assert!(!undecided.decided_by_rule);
        assert_eq!(undecided.outcome.reaction_class, ReactionClass::NoReaction);
    }
}
