//! Double displacement in solution: two dissolved ionic compounds (or ions)
//! swap partners, and the reaction happens only if a swapped pair is
//! insoluble (a precipitate). If every possible product is soluble the ions
//! stay in solution and nothing happens.

use super::super::catalogue::{CompoundClass, State};
use super::super::chemistry::is_strong_acid;
use super::super::model::ReactionClass;
use super::{capitalize, join_names, Context, Hints, Plan, Substance, Verdict};

fn is_ionic(ctx: &Context, substance: Substance) -> bool {
    let class = ctx.compound(substance).class;
    let ionic_class = matches!(
        class,
        CompoundClass::Salt
            | CompoundClass::Acid
            | CompoundClass::Base
            | CompoundClass::Cation
            | CompoundClass::Anion
    );
    // Weak acids are barely ionised, so they do not swap partners.
    let ionised = class != CompoundClass::Acid || is_strong_acid(ctx.formula(substance));
    let (cation, anion) = ctx.ions_of(substance);
    ionic_class && ionised && (cation.is_some() || anion.is_some())
}

pub(super) fn apply(ctx: &Context) -> Verdict {
    let ionic: Vec<Substance> = ctx
        .reagents
        .iter()
        .map(|r| r.substance)
        .filter(|&s| is_ionic(ctx, s))
        .collect();
    let [first, second, ..] = ionic.as_slice() else {
        return Verdict::NotApplicable;
    };
    let (a, b) = (*first, *second);
    if let Some(undissolved) = [a, b].into_iter().find(|s| s.state != State::Aqueous) {
        return Verdict::NoReaction(not_dissolved(ctx, undissolved));
    }
    let (cation_a, anion_a) = ctx.ions_of(a);
    let (cation_b, anion_b) = ctx.ions_of(b);
    if (cation_a.is_some() && cation_a == cation_b) || (anion_a.is_some() && anion_a == anion_b) {
        return Verdict::NoReaction(format!(
            "{} and {} share an ion, so swapping partners makes nothing new: no reaction.",
            capitalize(ctx.name(a)),
            ctx.name(b)
        ));
    }
    let swaps = [(cation_a, anion_b), (cation_b, anion_a)];
    let precipitate = swaps
        .iter()
        .find_map(|&(cation, anion)| match (cation, anion) {
            (Some(c), Some(a)) if ctx.pair_precipitates(c, a) => Some((c, a)),
            _ => None,
        });
    let Some((cation, anion)) = precipitate else {
        return Verdict::NoReaction(all_soluble(ctx, a, b));
    };
    let Some(products) = swap_products(ctx, swaps) else {
        return Verdict::NoReaction(format!(
            "A precipitate of {} and {} would form, but the catalogue has no data for it.",
            ctx.name(Substance {
                entry: cation,
                state: State::Aqueous
            }),
            ctx.name(Substance {
                entry: anion,
                state: State::Aqueous
            })
        ));
    };
    let solids = join_names(
        products
            .iter()
            .filter(|p| p.state == State::Solid)
            .map(|p| ctx.name(*p)),
    );
    let story = format!(
        "{} and {} exchange ions in solution; {solids} is insoluble in water and precipitates, while the other ions stay dissolved.",
        capitalize(ctx.name(a)),
        ctx.name(b)
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::DoubleDisplacement,
            vec![a, b],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    )
}

fn swap_products(
    ctx: &Context,
    swaps: [(Option<usize>, Option<usize>); 2],
) -> Option<Vec<Substance>> {
    let mut products = Vec::new();
    for (cation, anion) in swaps {
        for product in ctx.combine(cation, anion)? {
            if !products.contains(&product) {
                products.push(product);
            }
        }
    }
    Some(products)
}

fn not_dissolved(ctx: &Context, substance: Substance) -> String {
    let name = capitalize(ctx.name(substance));
    if ctx.compound(substance).solubility.precipitates() {
        format!("{name} is insoluble in water, so its ions are not free to exchange partners: no reaction.")
    } else {
        format!(
            "{name} is not dissolved here ({}); ionic compounds exchange partners only in solution.",
            substance.state.word()
        )
    }
}

fn all_soluble(ctx: &Context, a: Substance, b: Substance) -> String {
    format!(
        "Mixing {} and {} gives no reaction: every possible product is soluble, so all the ions simply stay in solution as spectator ions (no precipitate, gas or water forms).",
        ctx.name(a),
        ctx.name(b)
    )
}
