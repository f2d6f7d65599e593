//! Combustion: fuels (hydrocarbons, alcohols, carbohydrates, other organics,
//! H₂, CO, H₂S, NH₃, C, S, P₄) and metals burning in oxygen. Oxygen comes
//! from an O₂ reagent or from the environment (air, pure O₂); in vacuum,
//! inert gas or solution nothing burns. Products are the complete-combustion
//! oxides: C → CO₂, H → H₂O, S → SO₂, N → N₂, P → P₄O₁₀.

use super::super::catalogue::{CompoundClass, State};
use super::super::chemistry::{metal_profile, BurnCondition, MetalProfile};
use super::super::environment::OxygenSupply;
use super::super::model::ReactionClass;
use super::{capitalize, Context, Hints, Plan, Substance, Verdict};

enum Fuel {
    Metal(&'static MetalProfile),
    Other,
}

const FUEL_CLASSES: [CompoundClass; 5] = [
    CompoundClass::Hydrocarbon,
    CompoundClass::Alcohol,
    CompoundClass::Carbohydrate,
    CompoundClass::Organic,
    CompoundClass::Acid,
];
const INORGANIC_FUELS: [&str; 11] = [
    "H2", "C", "S", "P4", "CO", "H2S", "NH3", "N2H4", "PH3", "SiH4", "B2H6",
];
const BURNABLE_ELEMENTS: [&str; 7] = ["C", "H", "O", "N", "S", "P", "Si"];

pub(super) fn apply(ctx: &Context) -> Verdict {
    let Some((fuel, kind)) = ctx
        .reagents
        .iter()
        .find_map(|r| fuel_kind(ctx, r.substance).map(|k| (r.substance, k)))
    else {
        return Verdict::NotApplicable;
    };
    if ctx.aqueous {
        // Nothing burns in (or under) water.
        return Verdict::NotApplicable;
    }
    let explicit_oxygen = ctx.find(|s| ctx.is_formula(s, "O2"));
    let supply = if explicit_oxygen.is_some() {
        OxygenSupply::Pure
    } else {
        ctx.env.oxygen()
    };
    if supply == OxygenSupply::None {
        return Verdict::NoReaction(format!(
            "{} cannot burn: there is no oxygen in {}.",
            capitalize(ctx.name(fuel)),
            ctx.env.description()
        ));
    }
    if let Some(reason) = refusal(ctx, fuel, &kind, supply) {
        return Verdict::NoReaction(reason);
    }
    let Some(oxygen) = explicit_oxygen.or_else(|| ctx.natural("O2")) else {
        return Verdict::NotApplicable;
    };
    let Some(products) = products(ctx, fuel, &kind) else {
        return Verdict::NoReaction(format!(
            "{} would burn, but the catalogue has no data for its oxide.",
            capitalize(ctx.name(fuel))
        ));
    };
    let supplied = explicit_oxygen.is_none().then(|| match supply {
        OxygenSupply::Pure => "The oxygen comes from the pure-oxygen atmosphere.".to_string(),
        _ => "The oxygen comes from the surrounding air (about 21 % O₂).".to_string(),
    });
    let hints = hints(ctx, fuel, &kind, supply, explicit_oxygen.is_some());
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Combustion,
            vec![fuel, oxygen],
            products,
            story(ctx, fuel, &kind, supply),
        )
        .supplied_by(supplied)
        .with_hints(hints),
    )
}

fn atmosphere(ctx: &Context, supply: OxygenSupply) -> &'static str {
    if ctx.find(|s| ctx.is_formula(s, "O2")).is_some() {
        "oxygen"
    } else if supply == OxygenSupply::Pure {
        "pure oxygen"
    } else {
        "air"
    }
}

fn fuel_kind(ctx: &Context, substance: Substance) -> Option<Fuel> {
    let entry = ctx.entry(substance);
    let compound = entry.compound;
    if compound.class == CompoundClass::Metal {
        return metal_profile(&entry.parsed.canonical).map(Fuel::Metal);
    }
    if substance.state == State::Aqueous {
        return None;
    }
    let formula = entry.parsed.canonical.as_str();
    let organic = FUEL_CLASSES.contains(&compound.class) && entry.parsed.elements.contains_key("C");
    let burnable = entry
        .parsed
        .elements
        .keys()
        .all(|el| BURNABLE_ELEMENTS.contains(el));
    (burnable && (organic || INORGANIC_FUELS.contains(&formula))).then_some(Fuel::Other)
}

fn refusal(ctx: &Context, fuel: Substance, kind: &Fuel, supply: OxygenSupply) -> Option<String> {
    let name = capitalize(ctx.name(fuel));
    let hot = ctx.env.is_hot();
    match kind {
        Fuel::Metal(profile) => match profile.burns {
            BurnCondition::InAir => None,
            BurnCondition::PureOxygenOrHot if supply == OxygenSupply::Pure || hot => None,
            BurnCondition::HotOnly if hot => None,
            BurnCondition::Never => Some(format!(
                "{name} is a noble, unreactive metal: it does not combine with oxygen, even when heated."
            )),
            BurnCondition::PureOxygenOrHot => Some(format!(
                "A lump of {} does not burn in {}; it burns only in pure oxygen or oxidises when strongly heated.",
                ctx.name(fuel),
                ctx.env.description()
            )),
            BurnCondition::HotOnly => Some(format!(
                "{name} does not burn; it only forms an oxide layer when strongly heated in air."
            )),
        },
        Fuel::Other if ctx.is_formula(fuel, "NH3") && supply != OxygenSupply::Pure => Some(
            "Ammonia does not sustain a flame in air; it burns only in pure oxygen.".to_string(),
        ),
        Fuel::Other => None,
    }
}

fn products(ctx: &Context, fuel: Substance, kind: &Fuel) -> Option<Vec<Substance>> {
    if let Fuel::Metal(profile) = kind {
        return ctx.product(profile.oxide?).map(|oxide| vec![oxide]);
    }
    let elements = &ctx.entry(fuel).parsed.elements;
    let mut products = Vec::new();
    for (element, oxide) in [
        ("C", "CO2"),
        ("H", "H2O"),
        ("S", "SO2"),
        ("N", "N2"),
        ("P", "P4O10"),
        ("Si", "SiO2"),
    ] {
        if elements.contains_key(element) {
            products.push(if element == "H" {
                ctx.water()?
            } else {
                ctx.product(oxide)?
            });
        }
    }
    Some(products)
}

fn story(ctx: &Context, fuel: Substance, kind: &Fuel, supply: OxygenSupply) -> String {
    let name = capitalize(ctx.name(fuel));
    let atmosphere = atmosphere(ctx, supply);
    match kind {
        Fuel::Metal(profile) if profile.burns == BurnCondition::HotOnly => format!(
            "{name} is oxidised when strongly heated in {atmosphere}, forming a layer of its oxide."
        ),
        Fuel::Metal(_) => format!("{name} burns in {atmosphere}, combining with oxygen to form its oxide."),
        Fuel::Other if ctx.entry(fuel).parsed.elements.contains_key("C") => format!(
            "{name} burns in {atmosphere}: complete combustion turns its carbon into carbon dioxide{}.",
            if ctx.entry(fuel).parsed.elements.contains_key("H") { " and its hydrogen into water" } else { "" }
        ),
        Fuel::Other => format!("{name} burns in {atmosphere}, combining with oxygen."),
    }
}

fn hints(
    ctx: &Context,
    fuel: Substance,
    kind: &Fuel,
    supply: OxygenSupply,
    premixed: bool,
) -> Hints {
    let boost: f64 = if supply == OxygenSupply::Pure {
        1.5
    } else {
        1.0
    };
    let gas_fuel = ctx.compound(fuel).state == State::Gas;
    match kind {
        Fuel::Metal(profile) if profile.burns == BurnCondition::HotOnly => Hints {
            vigor: 0.1,
            light: Some(("red glow", 0.2)),
            ..Hints::default()
        },
        Fuel::Metal(profile) => {
            let brilliant = profile.flame == "brilliant white";
            Hints {
                vigor: (0.7 * boost).min(1.0),
                fire: Some(profile.flame),
                light: Some((
                    profile.flame,
                    if brilliant {
                        1.0
                    } else {
                        (0.6 * boost).min(1.0)
                    },
                )),
                smoke: Some("white"),
                ..Hints::default()
            }
        }
        Fuel::Other => Hints {
            vigor: (if premixed && gas_fuel { 1.0 } else { 0.6 } * boost).min(1.0),
            fire: Some(flame_color(ctx, fuel)),
            light: Some((flame_color(ctx, fuel), (0.5 * boost).min(1.0))),
            explosion: premixed && gas_fuel,
            smoke: is_sooty(ctx, fuel, supply).then_some("black"),
            ..Hints::default()
        },
    }
}

fn flame_color(ctx: &Context, fuel: Substance) -> &'static str {
    let elements = &ctx.entry(fuel).parsed.elements;
    let formula = ctx.formula(fuel);
    if formula == "H2" {
        "pale blue"
    } else if formula == "P4" {
        "dazzling white"
    } else if elements.contains_key("S")
        || ctx.compound(fuel).state == State::Gas
        || ctx.compound(fuel).class == CompoundClass::Alcohol
    {
        "blue"
    } else {
        "yellow"
    }
}

/// Carbon-rich fuels (C:H ≥ 3:4, e.g. benzene, ethyne) smoke in air.
fn is_sooty(ctx: &Context, fuel: Substance, supply: OxygenSupply) -> bool {
    let elements = &ctx.entry(fuel).parsed.elements;
    let carbon = elements.get("C").copied().unwrap_or(0);
    let hydrogen = elements.get("H").copied().unwrap_or(0);
    supply != OxygenSupply::Pure && carbon > 1 && 4 * carbon >= 3 * hydrogen
}
