//! Esters: carboxylic acid + alcohol ⇌ ester + water with an acid catalyst (Fischer
//! esterification); the reverse, acid-catalysed hydrolysis; and saponification, the
//! irreversible hydrolysis by an alkali to the carboxylate salt and the alcohol.

use super::super::super::catalogue::{CompoundClass, State};
use super::super::super::model::ReactionClass;
use super::super::{capitalize, Context, Hints, Plan, Substance, Verdict};
use super::{catalyst_among, organic_product, reagent};

/// (carboxylic acid, alcohol, ester, carboxylate ion).
#[rustfmt::skip]
const ESTERS: [(&str, &str, &str, &str); 4] = [
    ("CH3COOH", "C2H5OH", "CH3COOC2H5", "CH3COO-"),
    ("CH3COOH", "CH3OH", "CH3COOCH3", "CH3COO-"),
    ("HCOOH", "CH3OH", "HCOOCH3", "HCOO-"),
    ("HCOOH", "C2H5OH", "HCOOC2H5", "HCOO-"),
];

/// Strong acids that catalyse esterification and ester hydrolysis.
const ACID_CATALYSTS: [&str; 3] = ["H2SO4", "HCl", "H3PO4"];

pub(super) fn apply(ctx: &Context) -> Verdict {
    for &(acid, alcohol, ester, carboxylate) in &ESTERS {
        if let (Some(acid), Some(alcohol)) = (reagent(ctx, acid), reagent(ctx, alcohol)) {
            return esterification(ctx, acid, alcohol, ester);
        }
        if let Some(ester) = reagent(ctx, ester) {
            return hydrolysis(ctx, ester, acid, alcohol, carboxylate);
        }
    }
    Verdict::NotApplicable
}

fn acid_catalyst(ctx: &Context) -> Option<Substance> {
    catalyst_among(ctx, &ACID_CATALYSTS)
}

fn esterification(ctx: &Context, acid: Substance, alcohol: Substance, ester: &str) -> Verdict {
    let catalyst = acid_catalyst(ctx);
    if catalyst.is_none() && ctx.env != super::super::super::environment::Environment::Acidic {
        return Verdict::Needs(format!(
            "{} and {} form an ester only with an acid catalyst: add a few drops of concentrated sulfuric acid (catalyst slot or reagent) and warm the mixture (Fischer esterification). Without it the reaction is far too slow to see.",
            capitalize(ctx.name(acid)),
            ctx.name(alcohol)
        ));
    }
    let (Some(ester), Some(water)) = (organic_product(ctx, ester), ctx.water()) else {
        return Verdict::NotApplicable;
    };
    let by = catalyst.map_or_else(
        || "the H+ ions of the acidic solution".to_string(),
        |c| ctx.name(c).to_string(),
    );
    let story = format!(
        "Fischer esterification, catalysed by {by}: the protonated carboxylic acid is attacked by the alcohol's oxygen, and water is eliminated. {} and {} give {}, which smells fruity. The reaction is an equilibrium (K ≈ 4 for ethyl ethanoate); excess alcohol or removing water raises the yield.",
        capitalize(ctx.name(acid)),
        ctx.name(alcohol),
        ctx.name(ester)
    );
    let mut plan = Plan::new(
        ReactionClass::Esterification,
        vec![acid, alcohol],
        vec![ester, water],
        story,
    )
    .with_hints(Hints {
        vigor: 0.1,
        ..Hints::default()
    });
    plan.catalyst = catalyst;
    Verdict::Reacts(plan)
}

fn alkali(ctx: &Context) -> Option<Substance> {
    ctx.find(|s| {
        ctx.compound(s).class == CompoundClass::Base
            && ctx
                .ions_of(s)
                .1
                .is_some_and(|a| ctx.cat.entries[a].parsed.canonical == "OH-")
    })
}

fn hydrolysis(
    ctx: &Context,
    ester: Substance,
    acid: &str,
    alcohol: &str,
    carboxylate: &str,
) -> Verdict {
    let alcohol = organic_product(ctx, alcohol);
    if let Some(base) = alkali(ctx) {
        return saponification(ctx, ester, base, alcohol, carboxylate);
    }
    let water = ctx
        .water_reagent()
        .or_else(|| ctx.env.is_solution().then(|| ctx.natural("H2O")).flatten());
    let Some(water) = water else {
        return Verdict::NotApplicable;
    };
    if ctx.env == super::super::super::environment::Environment::Basic {
        let hydroxide = ctx.natural("OH-");
        let (Some(hydroxide), Some(alcohol), Some(ion)) =
            (hydroxide, alcohol, ctx.ion(carboxylate))
        else {
            return Verdict::NotApplicable;
        };
        let story = format!(
            "Saponification: the basic solution's hydroxide ions attack {} and split it irreversibly into {} and {}.",
            ctx.name(ester),
            ctx.name(ion),
            ctx.name(alcohol)
        );
        return Verdict::Reacts(
            Plan::new(
                ReactionClass::Saponification,
                vec![ester, hydroxide],
                vec![ion, alcohol],
                story,
            )
            .supplied_by(Some(
                "The hydroxide ions come from the basic solution.".to_string(),
            )),
        );
    }
    let catalyst = acid_catalyst(ctx);
    if catalyst.is_none() && ctx.env != super::super::super::environment::Environment::Acidic {
        return Verdict::Needs(format!(
            "{} is hydrolysed by pure water only extremely slowly: it needs an acid catalyst (dilute sulfuric or hydrochloric acid, heated under reflux) or an alkali (sodium hydroxide: saponification).",
            capitalize(ctx.name(ester))
        ));
    }
    let (Some(acid), Some(alcohol)) = (organic_product(ctx, acid), alcohol) else {
        return Verdict::NotApplicable;
    };
    let by = catalyst.map_or_else(
        || "the H+ ions of the acidic solution".to_string(),
        |c| ctx.name(c).to_string(),
    );
    let story = format!(
        "Acid-catalysed ester hydrolysis (catalysed by {by}), the reverse of esterification: {} and water give {} and {}. It is an equilibrium; a large excess of water drives it forward.",
        ctx.name(ester),
        ctx.name(acid),
        ctx.name(alcohol)
    );
    let mut plan = Plan::new(
        ReactionClass::EsterHydrolysis,
        vec![ester, water],
        vec![acid, alcohol],
        story,
    );
    plan.catalyst = catalyst;
    Verdict::Reacts(plan)
}

fn saponification(
    ctx: &Context,
    ester: Substance,
    base: Substance,
    alcohol: Option<Substance>,
    carboxylate: &str,
) -> Verdict {
    let cation = ctx.ions_of(base).0;
    let (Some(alcohol), Some(anion)) = (alcohol, ctx.cat.ion(carboxylate)) else {
        return Verdict::NotApplicable;
    };
    let Some(mut products) = ctx.combine(cation, Some(anion)) else {
        return Verdict::NotApplicable;
    };
    let salt = products.first().copied();
    products.push(alcohol);
    let story = format!(
        "Saponification: hydroxide ions from {} attack the ester's carbonyl carbon; {} splits irreversibly into {} and {} (with fats this makes soap).",
        ctx.name(base),
        ctx.name(ester),
        salt.map_or("the carboxylate salt", |s| ctx.name(s)),
        ctx.name(alcohol)
    );
    let _ = State::Aqueous;
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Saponification,
            vec![ester, base],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.1,
            ..Hints::default()
        }),
    )
}
