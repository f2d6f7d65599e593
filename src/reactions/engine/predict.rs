//! The prediction pipeline: resolve reactants → decide whether the mixture is
//! a solution → run the rules → balance → thermodynamics → effects →
//! explanation. Also the cache key, which normalises exactly what the
//! pipeline depends on.

use super::arithmetic::gcd;
use super::balance::{balance_refs, conserves};
use super::catalogue::{Catalogue, CompoundClass, State, CATALOGUE};
use super::error::{EngineError, MAX_REACTANTS, MIN_REACTANTS};
use super::explain::Explanation;
use super::model::{ReactantInput, ReactionClass, ReactionInput, ReactionOutcome, Species};
use super::rules::{apply_rules, Context, Plan, Reagent, Substance, Verdict};
use super::thermo::reaction_thermo;

const MAX_AMOUNT_MOL: f64 = 1e12;
/// Ratios are kept to nine significant digits of the largest amount.
const RATIO_RESOLUTION: f64 = 1e9;
/// Bumped whenever the same input would give a different outcome (v2: the catalogue's
/// thermodynamic corrections of issue 18; v3: redox, hydrolysis and organic rules, states
/// from melting and boiling points), so stored outcomes of older data are not served.
const KEY_VERSION: &str = "catalyst-engine/v3";
/// What a caller may write in the catalyst slot to mean light as the initiator of a radical
/// chain (normalised: lower case, single spaces).
const LIGHT_WORDS: [&str; 7] = [
    "light",
    "uv",
    "uv light",
    "ultraviolet light",
    "sunlight",
    "hv",
    "hν",
];

/// The engine's outcome, and whether a rule decided it. An undecided outcome is the engine's
/// best guess ("no reaction is expected") for a combination none of its rules covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub outcome: ReactionOutcome,
    pub decided_by_rule: bool,
}

pub fn predict_reaction(input: &ReactionInput) -> Result<ReactionOutcome, EngineError> {
    assess_reaction(input).map(|prediction| prediction.outcome)
}

pub fn assess_reaction(input: &ReactionInput) -> Result<Prediction, EngineError> {
    let cat: &'static Catalogue = &CATALOGUE;
    let prepared = prepare(cat, input)?;
    let ctx = prepared.context(cat, input.environment);
    let explanation = Explanation {
        ctx: &ctx,
        ratios: &prepared.ratios,
    };
    let (outcome, decided_by_rule) = match apply_rules(&ctx) {
        Verdict::Reacts(plan) => (reaction_outcome(&ctx, &explanation, plan)?, true),
        Verdict::NoReaction(reason) => (no_reaction_outcome(&ctx, &explanation, &reason), true),
        Verdict::Needs(reason) | Verdict::Unlikely(reason) => {
            (no_reaction_outcome(&ctx, &explanation, &reason), true)
        }
        Verdict::Undecided(reason) => (no_reaction_outcome(&ctx, &explanation, &reason), false),
        Verdict::NotApplicable => (
            no_reaction_outcome(&ctx, &explanation, "No reaction."),
            false,
        ),
    };
    Ok(Prediction {
        outcome,
        decided_by_rule,
    })
}

/// A stable string identifying everything the prediction depends on:
/// resolved reactants (canonical formula + state, sorted), their amounts as a
/// reduced integer ratio, the environment and the catalyst.
pub fn canonical_key(input: &ReactionInput) -> Result<String, EngineError> {
    let cat: &'static Catalogue = &CATALOGUE;
    let prepared = prepare(cat, input)?;
    let catalyst = match prepared.catalyst {
        Some(c) => substance_id(cat, c),
        None if prepared.light => "light".to_string(),
        None => "-".to_string(),
    };
    let reactants: Vec<String> = prepared
        .reagents
        .iter()
        .zip(&prepared.ratios)
        .map(|(reagent, ratio)| {
            let ratio = ratio.map_or_else(|| "?".to_string(), |r| r.to_string());
            let explicit = if reagent.explicit_state { "!" } else { "" };
            format!("{}{explicit}={ratio}", substance_id(cat, reagent.substance))
        })
        .collect();
    Ok(format!(
        "{KEY_VERSION}|env={}|catalyst={catalyst}|{}",
        input.environment.key(),
        reactants.join("|")
    ))
}

pub(crate) struct Prepared {
    pub reagents: Vec<Reagent>,
    pub ratios: Vec<Option<u64>>,
    pub catalyst: Option<Substance>,
    pub aqueous: bool,
    pub light: bool,
}

impl Prepared {
    /// What the rules see of this mixture.
    pub(crate) fn context<'a>(
        &'a self,
        cat: &'a Catalogue,
        env: super::environment::Environment,
    ) -> Context<'a> {
        Context {
            cat,
            reagents: &self.reagents,
            env,
            catalyst: self.catalyst,
            aqueous: self.aqueous,
            light: self.light,
        }
    }
}

pub(crate) fn prepare(cat: &Catalogue, input: &ReactionInput) -> Result<Prepared, EngineError> {
    let count = input.reactants.len();
    if !(MIN_REACTANTS..=MAX_REACTANTS).contains(&count) {
        return Err(EngineError::ReactantCount { count });
    }
    let resolved = input
        .reactants
        .iter()
        .map(|r| resolve_reactant(cat, r))
        .collect::<Result<Vec<_>, _>>()?;
    let offered = input
        .catalyst
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let light = offered.is_some_and(|query| {
        LIGHT_WORDS.contains(&super::catalogue::normalize_name(query).as_str())
    });
    let catalyst = match offered.filter(|_| !light) {
        Some(query) => {
            let found = cat.resolve(query)?;
            Some(Substance {
                entry: found.entry,
                state: found.state,
            })
        }
        None => None,
    };
    let aqueous = is_solution(cat, &resolved, input.environment);
    let reagents = dissolve(cat, resolved, aqueous);
    let reagents = if aqueous {
        reagents
    } else {
        at_temperature(cat, reagents, input.environment.temperature_celsius())
    };
    let reagents = merge(cat, reagents);
    let ratios = reduced_ratios(&reagents);
    Ok(Prepared {
        reagents,
        ratios,
        catalyst,
        aqueous,
        light,
    })
}

/// Reagents named without a state, outside a solution, take the state their melting and
/// boiling points give at the environment's temperature (water put into the furnace is
/// steam). A row picked by name in another state ("steam", "bromine vapour") stays as chosen.
fn at_temperature(cat: &Catalogue, reagents: Vec<Reagent>, celsius: f64) -> Vec<Reagent> {
    reagents
        .into_iter()
        .map(|mut reagent| {
            let entry = reagent.substance.entry;
            if reagent.explicit_state {
                return reagent;
            }
            let Some(state) = cat.state_at(entry, celsius) else {
                return reagent;
            };
            // A row already in the state it takes stays (were it the formula's first row, its
            // sibling in that state would be itself): the usual case, checked before the
            // formula lookup.
            let row_state = cat.entries[entry].compound.state;
            if reagent.substance.state == state && row_state == state {
                return reagent;
            }
            if cat.formula(&cat.entries[entry].parsed.canonical) == Some(entry) {
                let row = cat.sibling_in_state(entry, state).unwrap_or(entry);
                reagent.substance = Substance { entry: row, state };
            }
            reagent
        })
        .collect()
}

fn resolve_reactant(cat: &Catalogue, input: &ReactantInput) -> Result<Reagent, EngineError> {
    if let Some(amount) = input.amount {
        if !amount.is_finite() || amount <= 0.0 || amount > MAX_AMOUNT_MOL {
            return Err(EngineError::InvalidAmount {
                chemical: input.chemical.clone(),
                amount,
            });
        }
    }
    let found = cat.resolve(&input.chemical)?;
    Ok(Reagent {
        substance: Substance {
            entry: found.entry,
            state: found.state,
        },
        amount: input.amount,
        explicit_state: found.explicit_state,
    })
}

/// A soluble ionic solid whose state the caller did not fix.
fn is_dissolvable(cat: &Catalogue, reagent: &Reagent) -> bool {
    let entry = &cat.entries[reagent.substance.entry];
    !reagent.explicit_state
        && reagent.substance.state == State::Solid
        && entry.ions.is_some()
        && entry.compound.solubility.is_soluble()
        && matches!(
            entry.compound.class,
            CompoundClass::Salt | CompoundClass::Acid | CompoundClass::Base
        )
}

/// Water, a dissolved reactant or an acidic/basic environment make the
/// mixture a solution; so does mixing a soluble salt with something else at
/// room temperature (people mean solutions when they mix salts).
fn is_solution(
    cat: &Catalogue,
    reagents: &[Reagent],
    env: super::environment::Environment,
) -> bool {
    // Water named without a state boils in a hot environment: it is steam, not a solvent.
    let water = reagents.iter().any(|r| {
        r.substance.state == State::Liquid
            && cat.entries[r.substance.entry].parsed.canonical == "H2O"
            && (r.explicit_state || !env.is_hot())
    });
    let dissolved = reagents.iter().any(|r| r.substance.state == State::Aqueous);
    let dissolvable = reagents.iter().any(|r| is_dissolvable(cat, r));
    env.is_solution() || water || dissolved || (dissolvable && reagents.len() >= 2 && !env.is_hot())
}

fn dissolve(cat: &Catalogue, reagents: Vec<Reagent>, aqueous: bool) -> Vec<Reagent> {
    reagents
        .into_iter()
        .map(|mut reagent| {
            if aqueous && is_dissolvable(cat, &reagent) {
                reagent.substance.state = State::Aqueous;
            }
            reagent
        })
        .collect()
}

/// Same substance given twice: amounts add up. Sorted by formula and state so
/// the input order never matters.
fn merge(cat: &Catalogue, reagents: Vec<Reagent>) -> Vec<Reagent> {
    let mut merged: Vec<Reagent> = Vec::with_capacity(reagents.len());
    for reagent in reagents {
        match merged.iter_mut().find(|m| m.substance == reagent.substance) {
            Some(existing) => {
                existing.amount = existing.amount.zip(reagent.amount).map(|(a, b)| a + b);
                existing.explicit_state |= reagent.explicit_state;
            }
            None => merged.push(reagent),
        }
    }
    merged.sort_by(|a, b| {
        let key = |r: &Reagent| {
            (
                cat.entries[r.substance.entry].compound.formula,
                r.substance.state,
                r.substance.entry,
            )
        };
        key(a).cmp(&key(b))
    });
    merged
}

/// Amounts scaled to the largest and reduced to smallest integers, so only
/// the ratio between reactants matters.
fn reduced_ratios(reagents: &[Reagent]) -> Vec<Option<u64>> {
    let largest = reagents
        .iter()
        .filter_map(|r| r.amount)
        .fold(0.0_f64, f64::max);
    if largest <= 0.0 {
        return vec![None; reagents.len()];
    }
    let scaled: Vec<Option<i64>> = reagents
        .iter()
        .map(|r| {
            r.amount
                .map(|a| ((a / largest * RATIO_RESOLUTION).round() as i64).max(1))
        })
        .collect();
    let divisor = scaled
        .iter()
        .flatten()
        .fold(0, |acc, &v| gcd(acc, v))
        .max(1);
    scaled
        .into_iter()
        .map(|v| v.and_then(|v| u64::try_from(v / divisor).ok()))
        .collect()
}

fn substance_id(cat: &Catalogue, substance: Substance) -> String {
    format!(
        "{}({})",
        cat.entries[substance.entry].parsed.canonical,
        substance.state.symbol()
    )
}

fn species(cat: &Catalogue, substance: Substance, coefficient: u32) -> Species {
    let compound = cat.entries[substance.entry].compound;
    Species {
        formula: compound.formula.to_string(),
        name: compound.name.to_string(),
        state: substance.state,
        coefficient,
    }
}

pub(crate) fn side_text(list: &[Species]) -> String {
    list.iter()
        .map(|s| {
            let coefficient = if s.coefficient > 1 {
                format!("{} ", s.coefficient)
            } else {
                String::new()
            };
            format!("{coefficient}{}({})", s.formula, s.state.symbol())
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

pub(crate) fn reaction_outcome(
    ctx: &Context,
    explanation: &Explanation,
    plan: Plan,
) -> Result<ReactionOutcome, EngineError> {
    let parsed = |list: &[Substance]| {
        list.iter()
            .map(|s| &ctx.cat.entries[s.entry].parsed)
            .collect::<Vec<_>>()
    };
    let (left, right) = (parsed(&plan.reactants), parsed(&plan.products));
    let by_halves = plan
        .coefficients
        .clone()
        .filter(|c| conserves(&left, &right, c));
    let balanced = match by_halves {
        Some(coefficients) => Ok(coefficients),
        None => balance_refs(&left, &right),
    };
    let coefficients = balanced.map_err(|error| {
        let unbalanced = |list: &[Substance]| {
            side_text(
                &list
                    .iter()
                    .map(|&s| species(ctx.cat, s, 1))
                    .collect::<Vec<_>>(),
            )
        };
        EngineError::Unbalanceable {
            equation: format!(
                "{} → {}",
                unbalanced(&plan.reactants),
                unbalanced(&plan.products)
            ),
            error,
        }
    })?;
    let (reactant_coefficients, product_coefficients) = coefficients.split_at(plan.reactants.len());
    let reactants: Vec<(Substance, u32)> = plan
        .reactants
        .iter()
        .copied()
        .zip(reactant_coefficients.iter().copied())
        .collect();
    let products: Vec<(Substance, u32)> = plan
        .products
        .iter()
        .copied()
        .zip(product_coefficients.iter().copied())
        .collect();
    let temperature_k = ctx.env.temperature_kelvin();
    let thermo = reaction_thermo(ctx.cat, &reactants, &products, temperature_k);
    let effects = super::effects::derive_effects(ctx, &plan, &products, thermo.as_ref());
    let reactant_species: Vec<Species> = reactants
        .iter()
        .map(|&(s, n)| species(ctx.cat, s, n))
        .collect();
    let product_species: Vec<Species> = products
        .iter()
        .map(|&(s, n)| species(ctx.cat, s, n))
        .collect();
    Ok(ReactionOutcome {
        equation: format!(
            "{} → {}",
            side_text(&reactant_species),
            side_text(&product_species)
        ),
        reaction_class: plan.class,
        explanation: explanation.for_reaction(&plan, &reactants, thermo.as_ref()),
        reactants: reactant_species,
        products: product_species,
        catalyst: plan
            .catalyst
            .map(|c| ctx.cat.entries[c.entry].compound.formula.to_string()),
        effects,
        enthalpy_kj: thermo.map(|t| t.enthalpy_kj),
        entropy_j_per_k: thermo.map(|t| t.entropy_j_per_k),
        gibbs_kj: thermo.map(|t| t.gibbs_kj),
        temperature_k,
        exothermic: thermo.map(|t| t.enthalpy_kj < 0.0),
        spontaneous: thermo.map(|t| t.gibbs_kj < 0.0),
    })
}

fn no_reaction_outcome(ctx: &Context, explanation: &Explanation, reason: &str) -> ReactionOutcome {
    let reactants: Vec<Species> = ctx
        .reagents
        .iter()
        .map(|r| species(ctx.cat, r.substance, 1))
        .collect();
    ReactionOutcome {
        equation: format!("{} → no reaction", side_text(&reactants)),
        reaction_class: ReactionClass::NoReaction,
        reactants,
        products: Vec::new(),
        catalyst: None,
        effects: Vec::new(),
        enthalpy_kj: None,
        entropy_j_per_k: None,
        gibbs_kj: None,
        temperature_k: ctx.env.temperature_kelvin(),
        exothermic: None,
        spontaneous: None,
        explanation: explanation.for_no_reaction(reason),
    }
}
