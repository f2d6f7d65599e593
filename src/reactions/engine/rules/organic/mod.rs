//! Organic functional-group reactions: esterification and ester hydrolysis
//! (`esters`), additions across C=C (`alkenes`) and radical halogenation of alkanes
//! (`alkanes`). Alcohol oxidation is redox in solution (`redox`). Each rule names the
//! catalyst or initiator its reaction needs and refuses with `Verdict::Needs` when neither
//! the catalyst slot, the reagents nor the environment supplies it.

mod alkanes;
mod alkenes;
mod esters;

use super::super::catalogue::State;
use super::{Context, Substance, Verdict};

pub(super) fn apply(ctx: &Context) -> Verdict {
    let organic = ctx
        .reagents
        .iter()
        .any(|r| ctx.entry(r.substance).carbon_and_hydrogen);
    if !organic {
        return Verdict::NotApplicable;
    }
    for rule in [esters::apply, alkenes::apply, alkanes::apply] {
        match rule(ctx) {
            Verdict::NotApplicable => continue,
            verdict => return verdict,
        }
    }
    Verdict::NotApplicable
}

/// A catalyst from the catalyst slot, or a reagent used as one, among these formulas.
fn catalyst_among(ctx: &Context, formulas: &[&str]) -> Option<Substance> {
    let listed = |s: Substance| formulas.iter().any(|f| ctx.is_formula(s, f));
    ctx.catalyst
        .filter(|&c| listed(c))
        .or_else(|| ctx.find(listed))
}

/// A reagent with this formula, in whatever state it was given.
fn reagent(ctx: &Context, formula: &str) -> Option<Substance> {
    ctx.find(|s| ctx.is_formula(s, formula))
}

/// An organic product in the state it takes here (liquids stay liquid in water).
fn organic_product(ctx: &Context, formula: &str) -> Option<Substance> {
    let entry = ctx.cat.formula(formula)?;
    let product = ctx.as_product(entry);
    if product.state == State::Aqueous && !ctx.aqueous {
        return None;
    }
    Some(product)
}
