//! Radical halogenation of alkanes: with chlorine or bromine, a hydrogen atom is replaced
//! by a halogen atom once light (or strong heating) splits the halogen molecule and starts
//! the chain. In the dark at room temperature nothing happens, and the rule says so rather
//! than letting the alkane "burn" in the air.

use super::super::super::model::ReactionClass;
use super::super::{capitalize, Context, Hints, Plan, Verdict};
use super::{organic_product, reagent};

/// (alkane, halogen, monohalogenated product, hydrogen halide).
#[rustfmt::skip]
const HALOGENATIONS: [(&str, &str, &str, &str); 4] = [
    ("CH4", "Cl2", "CH3Cl", "HCl"),
    ("CH4", "Br2", "CH3Br", "HBr"),
    ("C2H6", "Cl2", "C2H5Cl", "HCl"),
    ("C2H6", "Br2", "C2H5Br", "HBr"),
];

pub(super) fn apply(ctx: &Context) -> Verdict {
    let Some((alkane, halogen, product, acid)) =
        HALOGENATIONS
            .iter()
            .find_map(|&(alkane, halogen, product, acid)| {
                Some((reagent(ctx, alkane)?, reagent(ctx, halogen)?, product, acid))
            })
    else {
        return Verdict::NotApplicable;
    };
    let heated = ctx.env.is_hot();
    if !ctx.light && !heated {
        return Verdict::Needs(format!(
            "{} and {} do not react in the dark at room temperature: the radical chain needs an initiator — ultraviolet light or sunlight (write \"light\" in the catalyst slot) or strong heating — to split the {} molecules into atoms.",
            capitalize(ctx.name(alkane)),
            ctx.name(halogen),
            ctx.name(halogen)
        ));
    }
    let (Some(product), Some(acid)) = (organic_product(ctx, product), ctx.product(acid)) else {
        return Verdict::NotApplicable;
    };
    let initiator = if ctx.light {
        "light splits"
    } else {
        "the heat of the furnace splits"
    };
    let story = format!(
        "Free-radical substitution: {initiator} {} molecules into atoms (initiation); a halogen atom takes a hydrogen atom from {}, and the alkyl radical takes a halogen atom from the next molecule (propagation), so {} and {} form. With more halogen, further hydrogens are replaced (a mixture of products).",
        ctx.name(halogen),
        ctx.name(alkane),
        ctx.name(product),
        ctx.name(acid)
    );
    let mut plan = Plan::new(
        ReactionClass::Substitution,
        vec![alkane, halogen],
        vec![product, acid],
        story,
    )
    .with_hints(Hints {
        vigor: 0.3,
        ..Hints::default()
    });
    plan.initiated_by_light = ctx.light;
    Verdict::Reacts(plan)
}
