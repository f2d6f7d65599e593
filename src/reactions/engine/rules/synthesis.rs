//! Synthesis (combination): metals with halogens, sulfur or nitrogen;
//! hydrogen with halogens; catalysed industrial syntheses (Haber, contact
//! process); oxides with water giving hydroxides or acids; basic with acidic
//! oxides giving salts; and anhydrous copper(II) sulfate taking up water to
//! form the blue hydrate.

use super::super::arithmetic::gcd;
use super::super::catalogue::{CompoundClass, State};
use super::super::chemistry::{
    acidic_oxide_anion, metal_profile, MetalProfile, HALOGENS, OXIDE_ACIDS,
};
use super::super::elements::{element, ElementCategory};
use super::super::model::ReactionClass;
use super::acid_base::basic_oxide_cation;
use super::{capitalize, join_names, Context, Hints, Plan, Substance, Verdict};

pub(super) fn apply(ctx: &Context) -> Verdict {
    for rule in [
        metal_with_nonmetal,
        hydrogen_with_halogen,
        catalysed_industrial,
        hydrate_formation,
        oxide_with_water,
        oxide_with_oxide,
    ] {
        match rule(ctx) {
            Verdict::NotApplicable => continue,
            verdict => return verdict,
        }
    }
    Verdict::NotApplicable
}

fn find_formula(ctx: &Context, formula: &str) -> Option<Substance> {
    ctx.find(|s| ctx.is_formula(s, formula))
}

/// `M` with charge `m` and `X` with charge `-x` → `M(x/g)X(m/g)`, e.g. Al2S3.
fn binary_formula(metal: &str, metal_charge: i32, nonmetal: &str, nonmetal_charge: i32) -> String {
    let divisor = i32::try_from(gcd(i64::from(metal_charge), i64::from(nonmetal_charge)))
        .unwrap_or(1)
        .max(1);
    let count = |n: i32| {
        if n / divisor > 1 {
            (n / divisor).to_string()
        } else {
            String::new()
        }
    };
    format!(
        "{metal}{}{nonmetal}{}",
        count(nonmetal_charge),
        count(metal_charge)
    )
}

fn product_names(ctx: &Context, products: &[Substance]) -> String {
    join_names(products.iter().map(|p| ctx.name(*p)))
}

fn metal_with_nonmetal(ctx: &Context) -> Verdict {
    let Some((metal, profile)) = ctx.reagents.iter().find_map(|r| {
        let entry = ctx.entry(r.substance);
        (entry.compound.class == CompoundClass::Metal)
            .then(|| metal_profile(&entry.parsed.canonical))
            .flatten()
            .map(|p| (r.substance, p))
    }) else {
        return Verdict::NotApplicable;
    };
    let partner = HALOGENS
        .iter()
        .find_map(|(formula, ..)| {
            find_formula(ctx, formula)
                .map(|s| (s, &formula[..formula.len() - 1], 1, profile.high_charge))
        })
        .or_else(|| find_formula(ctx, "S").map(|s| (s, "S", 2, profile.sulfide_charge)))
        .or_else(|| find_formula(ctx, "N2").map(|s| (s, "N", 3, profile.charge)));
    let Some((nonmetal, symbol, nonmetal_charge, metal_charge)) = partner else {
        return Verdict::NotApplicable;
    };
    let name = capitalize(ctx.name(metal));
    if profile.activity <= 1 {
        return Verdict::NoReaction(format!(
            "{name} is too unreactive to combine with {}.",
            ctx.name(nonmetal)
        ));
    }
    if symbol == "N" && !nitride_forms(ctx, profile) {
        return Verdict::NotApplicable;
    }
    let formula = binary_formula(profile.symbol, metal_charge, symbol, nonmetal_charge);
    let Some(product) = ctx.product(&formula) else {
        return Verdict::NoReaction(format!(
            "{name} would combine with {}, but the catalogue has no data for {formula}.",
            ctx.name(nonmetal)
        ));
    };
    let story = format!(
        "{name} combines directly with {}: the metal atoms give electrons to the non-metal, forming ionic {}.",
        ctx.name(nonmetal),
        ctx.name(product)
    );
    let violent = profile.activity >= 15;
    let hints = Hints {
        vigor: if violent { 0.8 } else { 0.5 },
        fire: violent.then_some(profile.flame),
        light: Some((
            if violent {
                profile.flame
            } else {
                "orange glow"
            },
            if violent { 0.8 } else { 0.5 },
        )),
        smoke: (ctx.compound(product).state == State::Solid && violent)
            .then_some(ctx.compound(product).color),
        ..Hints::default()
    };
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![metal, nonmetal],
            vec![product],
            story,
        )
        .with_hints(hints),
    )
}

/// Lithium reacts with nitrogen at room temperature; magnesium when burning.
fn nitride_forms(ctx: &Context, profile: &MetalProfile) -> bool {
    profile.symbol == "Li" || (profile.symbol == "Mg" && ctx.env.is_hot())
}

fn hydrogen_with_halogen(ctx: &Context) -> Verdict {
    let Some(hydrogen) = find_formula(ctx, "H2") else {
        return Verdict::NotApplicable;
    };
    let Some((halogen, (formula, _, halogen_name))) = HALOGENS
        .iter()
        .find_map(|h| find_formula(ctx, h.0).map(|s| (s, h)))
    else {
        return Verdict::NotApplicable;
    };
    let explosive = matches!(*formula, "F2" | "Cl2");
    if !explosive && !ctx.env.is_hot() {
        return Verdict::NoReaction(format!(
            "Hydrogen and {halogen_name} react only when heated."
        ));
    }
    let acid = format!("H{}", &formula[..formula.len() - 1]);
    let Some(product) = ctx
        .cat
        .formula(&acid)
        .and_then(|entry| ctx.cat.sibling_in_state(entry, State::Gas))
    else {
        return Verdict::NotApplicable;
    };
    let product = Substance {
        entry: product,
        state: State::Gas,
    };
    let story = format!(
        "Hydrogen combines with {halogen_name} to form {}{}.",
        ctx.name(product),
        if explosive {
            "; the mixture explodes when ignited or exposed to light"
        } else {
            ""
        }
    );
    let hints = Hints {
        vigor: if explosive { 1.0 } else { 0.4 },
        explosion: explosive,
        fire: explosive.then_some("white"),
        light: explosive.then_some(("white", 0.7)),
        ..Hints::default()
    };
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![hydrogen, halogen],
            vec![product],
            story,
        )
        .with_hints(hints),
    )
}

/// (reactant, reactant, product, catalyst, process name)
const INDUSTRIAL: [(&str, &str, &str, &str, &str); 2] = [
    ("N2", "H2", "NH3", "Fe", "the Haber process"),
    ("SO2", "O2", "SO3", "V2O5", "the contact process"),
];

fn catalysed_industrial(ctx: &Context) -> Verdict {
    for (a, b, product, catalyst, process) in INDUSTRIAL {
        let (Some(first), Some(second)) = (find_formula(ctx, a), find_formula(ctx, b)) else {
            continue;
        };
        let has_catalyst = ctx.catalyst.is_some_and(|c| ctx.is_formula(c, catalyst))
            || find_formula(ctx, catalyst).is_some();
        if !has_catalyst || !ctx.env.is_hot() {
            return Verdict::NoReaction(format!(
                "{} and {} combine only at high temperature over a {catalyst} catalyst ({process}).",
                capitalize(ctx.name(first)),
                ctx.name(second)
            ));
        }
        let Some(product) = ctx.product(product) else {
            return Verdict::NotApplicable;
        };
        let mut plan = Plan::new(
            ReactionClass::Synthesis,
            vec![first, second],
            vec![product],
            format!(
                "{} and {} combine over the {catalyst} catalyst to form {} ({process}).",
                capitalize(ctx.name(first)),
                ctx.name(second),
                ctx.name(product)
            ),
        );
        plan.catalyst = ctx
            .catalyst
            .filter(|c| ctx.is_formula(*c, catalyst))
            .or_else(|| find_formula(ctx, catalyst));
        return Verdict::Reacts(plan.with_hints(Hints {
            vigor: 0.1,
            ..Hints::default()
        }));
    }
    Verdict::NotApplicable
}

fn hydrate_formation(ctx: &Context) -> Verdict {
    let (Some(salt), Some(water)) = (
        ctx.reagents
            .iter()
            .find(|r| ctx.is_formula(r.substance, "CuSO4") && !r.explicit_state)
            .map(|r| r.substance),
        ctx.water_reagent(),
    ) else {
        return Verdict::NotApplicable;
    };
    let Some(hydrate) = ctx.cat.formula("CuSO4·5H2O").map(|entry| Substance {
        entry,
        state: State::Solid,
    }) else {
        return Verdict::NotApplicable;
    };
    let salt = Substance {
        entry: salt.entry,
        state: State::Solid,
    };
    let story = "White anhydrous copper(II) sulfate takes up water of crystallisation and turns blue, forming the pentahydrate: the classic test for water.".to_string();
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![salt, water],
            vec![hydrate],
            story,
        )
        .with_hints(Hints {
            vigor: 0.1,
            ..Hints::default()
        }),
    )
}

fn oxide_with_water(ctx: &Context) -> Verdict {
    let Some(water) = ctx.water_reagent() else {
        return Verdict::NotApplicable;
    };
    let Some(oxide) = ctx.find(|s| ctx.compound(s).class == CompoundClass::Oxide) else {
        return Verdict::NotApplicable;
    };
    let name = capitalize(ctx.name(oxide));
    if let Some(cation) = basic_oxide_cation(ctx, oxide) {
        if !ctx.compound(oxide).solubility.precipitates() || ctx.is_formula(oxide, "MgO") {
            return hydroxide_from_oxide(ctx, oxide, water, cation);
        }
        return Verdict::NoReaction(format!(
            "{name} is insoluble and does not react with water."
        ));
    }
    let Some((_, acids)) = OXIDE_ACIDS
        .iter()
        .find(|(formula, _)| ctx.is_formula(oxide, formula))
    else {
        return Verdict::NoReaction(format!(
            "{name} is a neutral or insoluble oxide and does not react with water."
        ));
    };
    let Some(products) = acids
        .iter()
        .map(|acid| ctx.product(acid))
        .collect::<Option<Vec<_>>>()
    else {
        return Verdict::NotApplicable;
    };
    let story = format!(
        "{name} is an acidic (non-metal) oxide: it dissolves in water to form {}, so the solution turns acidic.",
        product_names(ctx, &products)
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![oxide, water],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    )
}

fn hydroxide_from_oxide(
    ctx: &Context,
    oxide: Substance,
    water: Substance,
    cation: usize,
) -> Verdict {
    let Some(products) = ctx.combine(Some(cation), ctx.cat.ion("OH-")) else {
        return Verdict::NotApplicable;
    };
    let story = format!(
        "{} is a basic (metal) oxide: it reacts with water to form {}, so the solution turns alkaline.",
        capitalize(ctx.name(oxide)),
        product_names(ctx, &products)
    );
    let slaking = ctx.is_formula(oxide, "CaO");
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![oxide, water],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: if slaking { 0.6 } else { 0.3 },
            ..Hints::default()
        }),
    )
}

fn oxide_with_oxide(ctx: &Context) -> Verdict {
    let Some((basic, cation)) = ctx
        .reagents
        .iter()
        .find_map(|r| basic_oxide_cation(ctx, r.substance).map(|c| (r.substance, c)))
    else {
        return Verdict::NotApplicable;
    };
    let Some((acidic, anion)) = ctx
        .reagents
        .iter()
        .find_map(|r| acidic_oxide_anion(ctx.formula(r.substance)).map(|a| (r.substance, a)))
    else {
        return Verdict::NotApplicable;
    };
    let metal_symbol = ctx.cat.entries[cation]
        .parsed
        .elements
        .keys()
        .next()
        .copied()
        .unwrap_or("");
    let reactive = element(metal_symbol).is_some_and(|el| {
        matches!(
            el.category,
            ElementCategory::AlkaliMetal | ElementCategory::AlkalineEarthMetal
        )
    });
    if !reactive {
        return Verdict::NotApplicable;
    }
    let Some(products) = ctx.combine(Some(cation), ctx.cat.ion(anion)) else {
        return Verdict::NotApplicable;
    };
    let story = format!(
        "{} (a basic oxide) combines with {} (an acidic oxide) to form {}.",
        capitalize(ctx.name(basic)),
        ctx.name(acidic),
        product_names(ctx, &products)
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![basic, acidic],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    )
}
