//! Redox in solution: an oxidizer couple present in the mixture (permanganate, dichromate,
//! hydrogen peroxide, nitrate in acid, halogens, iron(III), iodate, hypochlorite…) meets a
//! reducer couple (halides, iron(II), sulfite, thiosulfate, H₂S, metals, alcohols). The pair
//! with the largest E°cell reacts when E°cell > 0; the equation comes from the two balanced
//! half-equations, which the explanation shows with the oxidation states that change. When
//! one element ends in one intermediate state the reaction is a comproportionation.
//! Halogen + halide and metal + nitric acid stay with the displacement rules.
//! `disproportionation` covers one species going both ways (halogens in alkali, Cu⁺, NO₂).

mod couples;
mod disproportionation;
pub(crate) mod half;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use super::super::balance::{balance_refs, conserves, BalanceError};
use super::super::catalogue::{CompoundClass, State, CATALOGUE};
use super::super::environment::Environment;
use super::super::formula::parse_formula;
use super::super::model::ReactionClass;
use super::{capitalize, join_names, thermo_of, Context, Hints, Plan, Substance, Verdict};
use couples::{
    is_halogen_couple, ph, Couple, Potential, COUPLES, FARADAY_KJ_PER_VOLT, NERNST_SLOPE_V,
};
use half::{
    combine, oxidation_state, reduction, signed_state, HalfEquation, Medium, Overall, Solvent,
};

/// A couple with its catalogue rows.
pub(crate) struct KnownCouple {
    pub couple: &'static Couple,
    pub oxidized: usize,
    pub reduced: usize,
}

/// Resolved once: formulas parsed and looked up when the catalogue is first used.
pub(crate) static KNOWN_COUPLES: LazyLock<Vec<KnownCouple>> = LazyLock::new(|| {
    COUPLES
        .iter()
        .filter_map(|couple| {
            Some(KnownCouple {
                couple,
                oxidized: row(couple.oxidized)?,
                reduced: row(couple.reduced)?,
            })
        })
        .collect()
});

// Bit sets over `KNOWN_COUPLES` (`Membership`) hold one bit per couple.
const _: () = assert!(COUPLES.len() <= u64::BITS as usize);

/// For each catalogue row, the couples it is the oxidized and the reduced form of (bit `i`:
/// `KNOWN_COUPLES[i]`), matched by canonical formula as `find_present` matches: the rule
/// ORs the bits of the species present instead of searching them for every couple.
struct Membership {
    oxidized: Vec<u64>,
    reduced: Vec<u64>,
}

static MEMBERSHIP: LazyLock<Membership> = LazyLock::new(|| {
    let bits = |form: fn(&KnownCouple) -> usize| {
        CATALOGUE
            .entries
            .iter()
            .map(|entry| {
                KNOWN_COUPLES
                    .iter()
                    .enumerate()
                    .filter(|(_, known)| {
                        CATALOGUE.entries[form(known)].parsed.canonical == entry.parsed.canonical
                    })
                    .fold(0, |bits, (i, _)| bits | 1 << i)
            })
            .collect()
    };
    Membership {
        oxidized: bits(|known| known.oxidized),
        reduced: bits(|known| known.reduced),
    }
});

/// The couples whose oxidized form and whose reduced form some present species is.
fn present_forms(present: &[Present]) -> (u64, u64) {
    present.iter().fold((0, 0), |(oxidized, reduced), p| {
        (
            oxidized | MEMBERSHIP.oxidized[p.species.entry],
            reduced | MEMBERSHIP.reduced[p.species.entry],
        )
    })
}

/// The couples that may act as the oxidizer (not `reducer_only`).
static OXIDIZING_COUPLES: LazyLock<u64> = LazyLock::new(|| {
    KNOWN_COUPLES
        .iter()
        .enumerate()
        .filter(|(_, known)| !known.couple.reducer_only)
        .fold(0, |bits, (i, _)| bits | 1 << i)
});

/// The couples of a bit set, in `KNOWN_COUPLES` order.
fn couples_in(mut bits: u64) -> impl Iterator<Item = &'static KnownCouple> {
    std::iter::from_fn(move || {
        let index = bits.trailing_zeros() as usize;
        let known = KNOWN_COUPLES.get(index)?;
        bits &= bits - 1;
        Some(known)
    })
}

/// The species the half-reaction method adds, looked up once rather than per mixture.
pub(crate) static SOLVENT: LazyLock<Option<Solvent>> = LazyLock::new(|| Solvent::of(&CATALOGUE));

/// The catalogue row of a formula: the aqueous ion for charged species.
pub(crate) fn row(formula: &str) -> Option<usize> {
    let parsed = parse_formula(formula).ok()?;
    if parsed.charge != 0 {
        CATALOGUE.ion(&parsed.canonical)
    } else {
        CATALOGUE.formula(&parsed.canonical)
    }
}

/// A species some reagent puts into the solution.
#[derive(Clone, Copy)]
pub(crate) struct Present {
    pub reagent: Substance,
    /// The species as it appears in the equation.
    pub species: Substance,
    /// The reagent takes part through this ion only.
    pub via_ion: bool,
}

/// The species a reagent provides: itself, and its ions when dissolved.
pub(crate) fn present_species(ctx: &Context) -> Vec<Present> {
    let mut present = Vec::new();
    for reagent in ctx.reagents.iter().map(|r| r.substance) {
        present.push(Present {
            reagent,
            species: reagent,
            via_ion: false,
        });
        let ionic = !matches!(
            ctx.compound(reagent).class,
            CompoundClass::Cation | CompoundClass::Anion
        );
        if ionic && reagent.state == State::Aqueous {
            let (cation, anion) = ctx.ions_of(reagent);
            for ion in [cation, anion].into_iter().flatten() {
                present.push(Present {
                    reagent,
                    species: Substance {
                        entry: ion,
                        state: State::Aqueous,
                    },
                    via_ion: true,
                });
            }
        }
    }
    present
}

pub(crate) fn find_present(ctx: &Context, present: &[Present], entry: usize) -> Option<Present> {
    let canonical = &ctx.cat.entries[entry].parsed.canonical;
    present
        .iter()
        .find(|p| &ctx.entry(p.species).parsed.canonical == canonical)
        .copied()
}

/// The medium, and the reagent that makes it acidic or basic (none: the environment).
pub(crate) fn medium(ctx: &Context) -> Option<(Medium, Option<Substance>)> {
    if !ctx.aqueous {
        return None;
    }
    let acid = ctx.find(|s| {
        let compound = ctx.compound(s);
        compound.class == CompoundClass::Acid
            && s.state == State::Aqueous
            && ctx
                .ions_of(s)
                .0
                .is_some_and(|c| ctx.cat.entries[c].parsed.canonical == "H+")
    });
    let alkali = ctx.find(|s| {
        ctx.compound(s).class == CompoundClass::Base
            && s.state == State::Aqueous
            && ctx
                .ions_of(s)
                .1
                .is_some_and(|a| ctx.cat.entries[a].parsed.canonical == "OH-")
    });
    Some(match (acid, alkali, ctx.env) {
        (Some(acid), None, _) => (Medium::Acidic, Some(acid)),
        (None, Some(alkali), _) => (Medium::Basic, Some(alkali)),
        (None, None, Environment::Acidic) => (Medium::Acidic, None),
        (None, None, Environment::Basic) => (Medium::Basic, None),
        (None, None, _) => (Medium::Neutral, None),
        // Acid and alkali together neutralise each other first.
        (Some(_), Some(_), _) => return None,
    })
}

/// E° of a couple in a medium, volts.
fn potential(
    ctx: &Context,
    known: &KnownCouple,
    half: &HalfEquation,
    medium: Medium,
) -> Option<f64> {
    let per_electron = half.protons_in_acid as f64 / half.electrons as f64;
    let in_acid = match known.couple.potential {
        Potential::Tabulated {
            volts,
            in_acid: true,
        } => volts,
        Potential::Tabulated {
            volts,
            in_acid: false,
        } => volts + NERNST_SLOPE_V * ph(Medium::Basic) * per_electron,
        Potential::FromFormationData => {
            let solvent = (*SOLVENT)?;
            let acidic = reduction(
                ctx.cat,
                solvent,
                known.oxidized,
                known.reduced,
                Medium::Acidic,
            )?;
            -standard_gibbs(ctx, &acidic.terms.0)? / (acidic.electrons as f64 * FARADAY_KJ_PER_VOLT)
        }
    };
    Some(in_acid - NERNST_SLOPE_V * ph(medium) * per_electron)
}

/// ΔG° (kJ) of signed terms (positive = reactant) at 298 K, each row in its own state.
pub(crate) fn standard_gibbs(ctx: &Context, terms: &[(usize, i64)]) -> Option<f64> {
    terms.iter().try_fold(0.0, |sum, &(entry, n)| {
        let state = ctx.cat.entries[entry].compound.state;
        let thermo = thermo_of(ctx.cat, Substance { entry, state })?;
        Some(sum - n as f64 * thermo.gibbs)
    })
}

/// ΔG = ΔH° − TΔS° (kJ) of signed terms at the environment's temperature.
pub(crate) fn standard_gibbs_at(ctx: &Context, terms: &[(usize, i64)]) -> Option<f64> {
    let kelvin = ctx.env.temperature_kelvin();
    terms.iter().try_fold(0.0, |sum, &(entry, n)| {
        let state = ctx.cat.entries[entry].compound.state;
        let thermo = thermo_of(ctx.cat, Substance { entry, state })?;
        Some(sum - n as f64 * (thermo.enthalpy - kelvin * thermo.entropy / 1000.0))
    })
}

/// The half-reaction method's coefficients for these sides, when the matrix balancer
/// agrees: the same coefficients when it finds one solution, or a conserving one when it
/// finds the species ambiguous (H₂O₂ could also just decompose). Anything else (never seen,
/// but cheap to rule out) drops the plan rather than show two different equations.
pub(crate) fn agreed_coefficients(
    ctx: &Context,
    terms: &half::Terms,
    reactants: &[Substance],
    products: &[Substance],
) -> Option<Vec<u32>> {
    let parsed = |list: &[Substance]| {
        list.iter()
            .map(|s| &ctx.cat.entries[s.entry].parsed)
            .collect::<Vec<_>>()
    };
    let (left, right) = (parsed(reactants), parsed(products));
    let by_halves = terms
        .left()
        .chain(terms.right())
        .map(|(_, n)| u32::try_from(n).ok())
        .collect::<Option<Vec<u32>>>()?;
    match balance_refs(&left, &right) {
        Ok(matrix) => (matrix == by_halves).then_some(by_halves),
        Err(BalanceError::Ambiguous { .. }) => {
            conserves(&left, &right, &by_halves).then_some(by_halves)
        }
        Err(_) => None,
    }
}

struct Candidate<'c> {
    oxidizer: &'c KnownCouple,
    reducer: &'c KnownCouple,
    reduction: HalfEquation,
    oxidation: HalfEquation,
    overall: Overall,
    cell: f64,
    e_ox: f64,
    e_red: f64,
}

/// Redox in water: a species that disproportionates in this medium, else the best pair of
/// couples. One rule, so that both share the medium and the species present.
pub(super) fn apply(ctx: &Context) -> Verdict {
    let Some((medium, medium_source)) = medium(ctx) else {
        return Verdict::NotApplicable;
    };
    let present = present_species(ctx);
    match disproportionation::plan(ctx, medium, medium_source, &present) {
        Some(plan) => Verdict::Reacts(plan),
        None => in_solution(ctx, medium, medium_source, &present),
    }
}

fn in_solution(
    ctx: &Context,
    medium: Medium,
    medium_source: Option<Substance>,
    present: &[Present],
) -> Verdict {
    let (oxidized_present, reduced_present) = present_forms(present);
    let oxidizers = oxidized_present & *OXIDIZING_COUPLES;
    if oxidizers == 0 {
        return Verdict::NotApplicable;
    }
    let Some(solvent) = *SOLVENT else {
        return Verdict::NotApplicable;
    };
    let mut best: Option<Candidate> = None;
    let mut needs_acid = None;
    for oxidizer in couples_in(oxidizers) {
        if !oxidizer.couple.media.allows(medium) {
            if oxidizer.couple.oxidized == "Cr2O7^2-" {
                needs_acid.get_or_insert(oxidizer);
            }
            continue;
        }
        for reducer in couples_in(reduced_present) {
            if std::ptr::eq(oxidizer, reducer)
                || !reducer.couple.media.allows(medium)
                || excluded(ctx, oxidizer, reducer)
            {
                continue;
            }
            let Some(candidate) = candidate(ctx, solvent, oxidizer, reducer, medium) else {
                continue;
            };
            if best.as_ref().is_none_or(|b| candidate.cell > b.cell) {
                best = Some(candidate);
            }
        }
    }
    match best {
        Some(best) if best.cell > 0.0 => plan(ctx, present, medium, medium_source, &best),
        Some(best) => Verdict::Unlikely(format!(
            "{} cannot oxidise {} in {} solution: E°cell = {:.2} − ({:.2}) = {:.2} V is negative, so electrons do not flow that way.",
            capitalize(ctx.cat.entries[best.oxidizer.oxidized].compound.name),
            ctx.cat.entries[best.reducer.reduced].compound.name,
            medium.word(),
            best.e_ox,
            best.e_red,
            best.cell
        )),
        None => match needs_acid {
            Some(oxidizer) => Verdict::Unlikely(format!(
                "{} oxidises as {} only in acidified solution; add an acid (e.g. dilute sulfuric acid) or use an ACIDIC environment.",
                capitalize(ctx.cat.entries[oxidizer.oxidized].compound.name),
                ctx.cat.entries[oxidizer.reduced].compound.name
            )),
            None => Verdict::NotApplicable,
        },
    }
}

/// Pairs other rules own, and a species against itself.
fn excluded(ctx: &Context, oxidizer: &KnownCouple, reducer: &KnownCouple) -> bool {
    let same_species = ctx.cat.entries[oxidizer.oxidized].parsed.canonical
        == ctx.cat.entries[reducer.reduced].parsed.canonical;
    let halogens = is_halogen_couple(oxidizer.couple) && is_halogen_couple(reducer.couple);
    let metal_in_nitric = oxidizer.couple.oxidized == "NO3-"
        && reducer.couple.reducer_only
        && ctx
            .compound(Substance {
                entry: reducer.reduced,
                state: State::Solid,
            })
            .class
            == CompoundClass::Metal;
    same_species || halogens || metal_in_nitric
}

fn candidate<'c>(
    ctx: &Context,
    solvent: Solvent,
    oxidizer: &'c KnownCouple,
    reducer: &'c KnownCouple,
    medium: Medium,
) -> Option<Candidate<'c>> {
    let halves = |form: Medium| {
        let down = reduction(ctx.cat, solvent, oxidizer.oxidized, oxidizer.reduced, form)?;
        let up = reduction(ctx.cat, solvent, reducer.oxidized, reducer.reduced, form)?;
        let overall = combine(&down, &up)?;
        Some((down, up, overall))
    };
    // Neutral water supplies neither H+ nor OH-: write the equation in whichever form only
    // produces them (acid form unless it consumes H+).
    let (reduction_half, oxidation_half, overall) = match medium {
        Medium::Neutral => {
            let acid_form = halves(Medium::Acidic)?;
            let consumes_protons = acid_form.2.terms.coefficient(solvent.proton) > 0;
            if consumes_protons {
                halves(Medium::Basic)?
            } else {
                acid_form
            }
        }
        _ => halves(medium)?,
    };
    let e_ox = potential(ctx, oxidizer, &reduction_half, medium)?;
    let e_red = potential(ctx, reducer, &oxidation_half, medium)?;
    Some(Candidate {
        oxidizer,
        reducer,
        reduction: reduction_half,
        oxidation: oxidation_half,
        overall,
        cell: e_ox - e_red,
        e_ox,
        e_red,
    })
}

/// A product or solvent species as it appears in a solution equation: dissolved gases
/// that bubble off stay gases, soluble molecular products (Br₂, I₂) are dissolved.
pub(crate) fn in_solution_species(ctx: &Context, entry: usize) -> Substance {
    let row = &ctx.cat.entries[entry];
    if row.compound.state == State::Aqueous
        || matches!(
            row.compound.class,
            CompoundClass::Cation | CompoundClass::Anion
        )
    {
        return Substance {
            entry,
            state: State::Aqueous,
        };
    }
    if row.compound.state != State::Gas {
        if let Some(dissolved) = ctx.cat.sibling_in_state(entry, State::Aqueous) {
            return Substance {
                entry: dissolved,
                state: State::Aqueous,
            };
        }
    }
    ctx.as_product(entry)
}

/// Turns signed terms into plan sides: present species come from their reagents.
pub(crate) fn sides(
    ctx: &Context,
    present: &[Present],
    terms: &half::Terms,
) -> (Vec<Substance>, Vec<Substance>, Vec<Substance>) {
    let mut via_ions = Vec::new();
    let reactants = terms
        .left()
        .map(|(entry, _)| match find_present(ctx, present, entry) {
            Some(p) => {
                if p.via_ion {
                    via_ions.push(p.reagent);
                }
                p.species
            }
            None => in_solution_species(ctx, entry),
        })
        .collect();
    let products = terms
        .right()
        .map(|(entry, _)| in_solution_species(ctx, entry))
        .collect();
    (reactants, products, via_ions)
}

/// `2 MnO4-(aq) + 8 H+(aq) + 5 e- → …` for a half-equation (`oxidation` reverses it).
pub(crate) fn half_text(ctx: &Context, half: &HalfEquation, oxidation: bool) -> String {
    let term = |entry: usize, n: i64| {
        let row = &ctx.cat.entries[entry];
        let state = in_solution_species(ctx, entry).state;
        let coefficient = if n > 1 {
            format!("{n} ")
        } else {
            String::new()
        };
        format!("{coefficient}{}({})", row.compound.formula, state.symbol())
    };
    let electrons = if half.electrons > 1 {
        format!("{} e-", half.electrons)
    } else {
        "e-".to_string()
    };
    let mut left: Vec<String> = half.terms.left().map(|(e, n)| term(e, n)).collect();
    let mut right: Vec<String> = half.terms.right().map(|(e, n)| term(e, n)).collect();
    left.push(electrons);
    if oxidation {
        std::mem::swap(&mut left, &mut right);
    }
    format!("{} → {}", left.join(" + "), right.join(" + "))
}

/// "Mn +7 → +2" for a couple's key element.
pub(crate) fn state_change(ctx: &Context, half: &HalfEquation, from: usize, to: usize) -> String {
    let state = |entry: usize| {
        oxidation_state(&ctx.cat.entries[entry].parsed, half.key_element)
            .map_or_else(|| "?".to_string(), signed_state)
    };
    format!("{} {} → {}", half.key_element, state(from), state(to))
}

fn plan(
    ctx: &Context,
    present: &[Present],
    medium: Medium,
    medium_source: Option<Substance>,
    best: &Candidate,
) -> Verdict {
    let (reactants, products, mut via_ions) = sides(ctx, present, &best.overall.terms);
    let Some(coefficients) = agreed_coefficients(ctx, &best.overall.terms, &reactants, &products)
    else {
        return Verdict::NotApplicable;
    };
    let name = |entry: usize| ctx.cat.entries[entry].compound.name;
    let formula = |entry: usize| ctx.cat.entries[entry].compound.formula;
    let oxidizer = best.oxidizer;
    let reducer = best.reducer;
    let comproportionation = best.reduction.key_element == best.oxidation.key_element
        && best
            .overall
            .terms
            .right()
            .filter(|(e, _)| {
                ctx.cat.entries[*e]
                    .parsed
                    .elements
                    .contains_key(best.reduction.key_element)
            })
            .count()
            == 1;
    let acid_note = match (medium, medium_source) {
        (Medium::Acidic, Some(acid)) => {
            format!(" {} supplies the H+ ions.", capitalize(ctx.name(acid)))
        }
        (Medium::Basic, Some(alkali)) => {
            format!(" {} supplies the OH- ions.", capitalize(ctx.name(alkali)))
        }
        (Medium::Acidic, None) => " The acidic solution supplies the H+ ions.".to_string(),
        (Medium::Basic, None) => " The basic solution supplies the OH- ions.".to_string(),
        (Medium::Neutral, _) => String::new(),
    };
    if let Some(source) = medium_source {
        if best
            .overall
            .terms
            .0
            .iter()
            .any(|&(e, _)| matches!(ctx.cat.entries[e].parsed.canonical.as_str(), "H+" | "OH-"))
        {
            via_ions.push(source);
        }
    }
    let (m, n) = best.overall.factors;
    let lead = if comproportionation {
        format!(
            "Comproportionation: {} in two oxidation states meets in one, {}.",
            best.reduction.key_element,
            join_names(
                best.overall
                    .terms
                    .right()
                    .filter(|(e, _)| ctx.cat.entries[*e]
                        .parsed
                        .elements
                        .contains_key(best.reduction.key_element))
                    .map(|(e, _)| name(e))
            )
        )
    } else {
        format!(
            "In {} solution {} oxidises {}.",
            medium.word(),
            name(oxidizer.oxidized),
            name(reducer.reduced)
        )
    };
    let story = format!(
        "{lead} Reduction half-equation: {} ({}). Oxidation half-equation: {} ({}). Multiplying the reduction by {m} and the oxidation by {n} balances the electrons: {} electrons move from {} (the reducer) to {} (the oxidizer) per equation as written. E°cell = E°({}/{}) − E°({}/{}) = {:.2} − ({:.2}) = +{:.2} V > 0, so the reaction goes.{acid_note}",
        half_text(ctx, &best.reduction, false),
        state_change(ctx, &best.reduction, oxidizer.oxidized, oxidizer.reduced),
        half_text(ctx, &best.oxidation, true),
        state_change(ctx, &best.oxidation, reducer.reduced, reducer.oxidized),
        best.overall.electrons,
        name(reducer.reduced),
        name(oxidizer.oxidized),
        formula(oxidizer.oxidized),
        formula(oxidizer.reduced),
        formula(reducer.oxidized),
        formula(reducer.reduced),
        best.e_ox,
        best.e_red,
        best.cell,
    );
    let class = if comproportionation {
        ReactionClass::Comproportionation
    } else {
        ReactionClass::Redox
    };
    let mut plan = Plan::new(class, reactants, products, story).with_hints(Hints {
        vigor: 0.3,
        ..Hints::default()
    });
    plan.via_ions = via_ions;
    plan.coefficients = Some(coefficients);
    Verdict::Reacts(plan)
}
