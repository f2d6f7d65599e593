//! Single displacement driven by the activity series: metals with water or
//! steam, with acids (H₂, or NO with oxidising nitric acid), with salts of
//! less reactive metals; halogens with halides of less reactive halogens;
//! and reductions of metal oxides by more reactive metals (thermite), H₂,
//! carbon or CO.

use super::super::catalogue::{CompoundClass, State};
use super::super::chemistry::{
    halide_rank, halogen_rank, metal_profile, releases_hydrogen_with_metals, MetalProfile,
    WaterReaction, HALOGENS, HYDROGEN_ACTIVITY,
};
use super::super::formula::charge_suffix;
use super::super::model::ReactionClass;
use super::acid_base::{basic_oxide_cation, find_acid, supply_note};
use super::redox::standard_gibbs_at;
use super::{capitalize, join_names, Context, Hints, Plan, Substance, Verdict};

fn metal_reagent(ctx: &Context) -> Option<(Substance, &'static MetalProfile)> {
    ctx.reagents.iter().find_map(|r| {
        let entry = ctx.entry(r.substance);
        (entry.compound.class == CompoundClass::Metal)
            .then(|| metal_profile(&entry.parsed.canonical))
            .flatten()
            .map(|profile| (r.substance, profile))
    })
}

fn metal_ion(ctx: &Context, profile: &MetalProfile, charge: i32) -> Option<usize> {
    ctx.cat
        .ion(&format!("{}{}", profile.symbol, charge_suffix(charge)))
}

/// The metal profile behind a metal cation entry (`Cu^2+` → copper).
fn cation_metal(ctx: &Context, cation: usize) -> Option<&'static MetalProfile> {
    let elements = &ctx.cat.entries[cation].parsed.elements;
    if elements.len() != 1 {
        return None;
    }
    elements
        .keys()
        .next()
        .and_then(|symbol| metal_profile(symbol))
}

fn no_ion_data(ctx: &Context, metal: Substance) -> String {
    format!(
        "{} would react, but the catalogue has no data for the ions or salt it would form.",
        capitalize(ctx.name(metal))
    )
}

fn products_names(ctx: &Context, products: &[Substance]) -> String {
    join_names(products.iter().map(|p| ctx.name(*p)))
}

pub(super) fn metal_with_water(ctx: &Context) -> Verdict {
    let Some((metal, profile)) = metal_reagent(ctx) else {
        return Verdict::NotApplicable;
    };
    let water_reagent = ctx.water_reagent();
    let acid_present = find_acid(ctx, false).is_some();
    let water = match water_reagent {
        Some(water) => water,
        None if ctx.aqueous
            && !acid_present
            && matches!(profile.water, WaterReaction::Cold { .. }) =>
        {
            match ctx.natural("H2O") {
                Some(water) => water,
                None => return Verdict::NotApplicable,
            }
        }
        None => return Verdict::NotApplicable,
    };
    let steam = water.state == State::Gas || ctx.env.is_hot();
    let name = capitalize(ctx.name(metal));
    let plan = match profile.water {
        WaterReaction::Cold { vigor } => with_cold_water(ctx, metal, profile, water, vigor),
        WaterReaction::Steam if steam => with_steam(ctx, metal, profile, water),
        WaterReaction::Steam => {
            return Verdict::NoReaction(format!(
                "{name} reacts only very slowly with cold water; with steam (a hot environment) it forms its oxide and hydrogen."
            ))
        }
        WaterReaction::None => {
            return Verdict::NoReaction(format!(
                "{name} does not react with water{}.",
                if profile.activity > HYDROGEN_ACTIVITY { ": a protective oxide layer or low reactivity stops it" } else { " or steam" }
            ))
        }
    };
    match plan {
        Some(plan) => {
            let note = water_reagent
                .is_none()
                .then(|| "The water comes from the solution.".to_string());
            Verdict::Reacts(plan.supplied_by(note))
        }
        None => Verdict::NotApplicable,
    }
}

fn with_cold_water(
    ctx: &Context,
    metal: Substance,
    profile: &MetalProfile,
    water: Substance,
    vigor: f64,
) -> Option<Plan> {
    let mut products = ctx.combine(
        Some(metal_ion(ctx, profile, profile.charge)?),
        ctx.cat.ion("OH-"),
    )?;
    products.push(ctx.product("H2")?);
    let name = capitalize(ctx.name(metal));
    let group_note = if profile.charge == 1 {
        "Group 1 metals react more violently down the group (Li < Na < K < Rb < Cs)."
    } else {
        "Group 2 metals react more gently than group 1 metals."
    };
    let story = format!(
        "{name} displaces hydrogen from water, forming {} (the water becomes alkaline) and hydrogen gas. {group_note}",
        ctx.name(products[0])
    );
    let hints = Hints {
        vigor,
        fire: (vigor >= 0.9).then_some(profile.flame),
        light: (vigor >= 0.9).then_some((profile.flame, vigor)),
        explosion: vigor >= 1.0,
        melts: (profile.charge == 1 && vigor >= 0.7).then_some(Substance {
            entry: metal.entry,
            state: State::Liquid,
        }),
        ..Hints::default()
    };
    Some(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, water],
            products,
            story,
        )
        .with_hints(hints),
    )
}

fn with_steam(
    ctx: &Context,
    metal: Substance,
    profile: &MetalProfile,
    water: Substance,
) -> Option<Plan> {
    let products = vec![ctx.product(profile.oxide?)?, ctx.product("H2")?];
    let story = format!(
        "{} reacts with steam, forming {} and hydrogen gas.",
        capitalize(ctx.name(metal)),
        ctx.name(products[0])
    );
    let hints = Hints {
        vigor: 0.5,
        light: (profile.symbol == "Mg").then_some(("brilliant white", 0.8)),
        ..Hints::default()
    };
    Some(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, water],
            products,
            story,
        )
        .with_hints(hints),
    )
}

pub(super) fn metal_with_acid(ctx: &Context) -> Verdict {
    let Some((metal, profile)) = metal_reagent(ctx) else {
        return Verdict::NotApplicable;
    };
    let Some(acid) = find_acid(ctx, false) else {
        return Verdict::NotApplicable;
    };
    let acid_formula = ctx.formula(acid.substance);
    let name = capitalize(ctx.name(metal));
    let acid_name = ctx.name(acid.substance);
    let plan = if acid_formula == "HNO3" {
        if profile.activity <= 1 {
            return Verdict::NoReaction(format!(
                "{name} does not dissolve in nitric acid; only aqua regia (nitric + hydrochloric acid) attacks it."
            ));
        }
        with_nitric_acid(ctx, metal, profile, acid.substance)
    } else if releases_hydrogen_with_metals(acid_formula) {
        if profile.activity <= HYDROGEN_ACTIVITY {
            return Verdict::NoReaction(format!(
                "{name} is below hydrogen in the activity series, so it cannot displace hydrogen from {acid_name}."
            ));
        }
        with_hydrogen_release(ctx, metal, profile, acid.substance, acid.anion)
    } else {
        return Verdict::NotApplicable;
    };
    match plan {
        Some(plan) => Verdict::Reacts(plan.supplied_by(supply_note(acid.supplied, false))),
        None => Verdict::NoReaction(no_ion_data(ctx, metal)),
    }
}

fn with_hydrogen_release(
    ctx: &Context,
    metal: Substance,
    profile: &MetalProfile,
    acid: Substance,
    anion: Option<usize>,
) -> Option<Plan> {
    let mut products = ctx.combine(Some(metal_ion(ctx, profile, profile.charge)?), anion)?;
    products.push(ctx.product("H2")?);
    let weak = !super::super::chemistry::is_strong_acid(ctx.formula(acid));
    let vigor = (0.2 + 0.8 * f64::from(profile.activity - HYDROGEN_ACTIVITY) / 19.0)
        * if weak { 0.6 } else { 1.0 };
    let story = format!(
        "{} is above hydrogen in the activity series, so it displaces hydrogen from {}: {} forms and hydrogen gas bubbles off.",
        capitalize(ctx.name(metal)),
        ctx.name(acid),
        products_names(ctx, &products[..products.len() - 1])
    );
    let hints = Hints {
        vigor: vigor.min(1.0),
        explosion: vigor >= 0.85,
        fire: (vigor >= 0.85).then_some(profile.flame),
        ..Hints::default()
    };
    Some(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, acid],
            products,
            story,
        )
        .with_hints(hints),
    )
}

fn with_nitric_acid(
    ctx: &Context,
    metal: Substance,
    profile: &MetalProfile,
    acid: Substance,
) -> Option<Plan> {
    let concentrated = acid.state == State::Liquid;
    let gas = if concentrated { "NO2" } else { "NO" };
    let mut products = ctx.combine(
        Some(metal_ion(ctx, profile, profile.high_charge)?),
        ctx.cat.ion("NO3-"),
    )?;
    products.push(ctx.product(gas)?);
    products.push(ctx.water()?);
    let story = format!(
        "Nitric acid is an oxidising acid: instead of hydrogen it releases {}, and {} dissolves as {}.",
        if concentrated {
            "brown nitrogen dioxide"
        } else {
            "nitrogen monoxide (which turns brown in air as it forms NO₂)"
        },
        ctx.name(metal),
        ctx.name(products[0])
    );
    let hints = Hints {
        vigor: if concentrated { 0.8 } else { 0.5 },
        ..Hints::default()
    };
    Some(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, acid],
            products,
            story,
        )
        .with_hints(hints),
    )
}

pub(super) fn apply(ctx: &Context) -> Verdict {
    for rule in [metal_with_salt, halogen_with_halide, oxide_reduction] {
        match rule(ctx) {
            Verdict::NotApplicable => continue,
            verdict => return verdict,
        }
    }
    Verdict::NotApplicable
}

fn metal_with_salt(ctx: &Context) -> Verdict {
    let Some((metal, profile)) = metal_reagent(ctx) else {
        return Verdict::NotApplicable;
    };
    let Some((salt, salt_metal)) = ctx.reagents.iter().find_map(|r| {
        let class = ctx.compound(r.substance).class;
        if !matches!(class, CompoundClass::Salt | CompoundClass::Cation) {
            return None;
        }
        let cation_metal = cation_metal(ctx, ctx.ions_of(r.substance).0?)?;
        (cation_metal.symbol != profile.symbol).then_some((r.substance, cation_metal))
    }) else {
        return Verdict::NotApplicable;
    };
    let name = capitalize(ctx.name(metal));
    if salt.state != State::Aqueous {
        return Verdict::NoReaction(format!(
            "{} is not dissolved, so {} cannot exchange electrons with its ions.",
            capitalize(ctx.name(salt)),
            ctx.name(metal)
        ));
    }
    if profile.activity <= salt_metal.activity {
        return Verdict::NoReaction(format!(
            "{name} is less reactive than {}, so it cannot displace it from {}.",
            metal_name(ctx, salt_metal),
            ctx.name(salt)
        ));
    }
    let Some(mut products) = metal_ion(ctx, profile, profile.charge)
        .and_then(|ion| ctx.combine(Some(ion), ctx.ions_of(salt).1))
    else {
        return Verdict::NoReaction(no_ion_data(ctx, metal));
    };
    let Some(deposit) = ctx.product(salt_metal.symbol) else {
        return Verdict::NotApplicable;
    };
    products.push(deposit);
    let story = format!(
        "{name} is more reactive than {}, so it displaces it from {}: {} atoms give electrons to the {} ions, and {} deposits as a {} solid.",
        metal_name(ctx, salt_metal),
        ctx.name(salt),
        ctx.name(metal),
        metal_name(ctx, salt_metal),
        metal_name(ctx, salt_metal),
        ctx.compound(deposit).color
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, salt],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.3,
            ..Hints::default()
        }),
    )
}

fn metal_name(ctx: &Context, profile: &MetalProfile) -> &'static str {
    ctx.cat
        .formula(profile.symbol)
        .map_or(profile.symbol, |entry| ctx.cat.entries[entry].compound.name)
}

fn halogen_with_halide(ctx: &Context) -> Verdict {
    let Some((halogen, rank)) = ctx
        .reagents
        .iter()
        .find_map(|r| halogen_rank(ctx.formula(r.substance)).map(|rank| (r.substance, rank)))
    else {
        return Verdict::NotApplicable;
    };
    let Some((source, halide_rank)) = ctx.reagents.iter().find_map(|r| {
        let class = ctx.compound(r.substance).class;
        let anion = ctx.ions_of(r.substance).1?;
        let rank = halide_rank(&ctx.cat.entries[anion].parsed.canonical)?;
        matches!(
            class,
            CompoundClass::Salt | CompoundClass::Anion | CompoundClass::Acid
        )
        .then_some((r.substance, rank))
    }) else {
        return Verdict::NotApplicable;
    };
    if rank == halide_rank {
        return Verdict::NotApplicable;
    }
    if rank > halide_rank {
        return Verdict::NoReaction(format!(
            "{} is less reactive than {}, so it cannot displace {} ions from {}.",
            capitalize(HALOGENS[rank].2),
            HALOGENS[halide_rank].2,
            HALOGENS[halide_rank].1,
            ctx.name(source)
        ));
    }
    let Some(mut products) = ctx.combine(ctx.ions_of(source).0, ctx.cat.ion(HALOGENS[rank].1))
    else {
        return Verdict::NotApplicable;
    };
    let Some(freed) = freed_halogen(ctx, HALOGENS[halide_rank].0) else {
        return Verdict::NotApplicable;
    };
    products.push(freed);
    let story = format!(
        "{} is more reactive than {}, so it takes electrons from the {} ions in {}: {} is set free and the solution changes colour.",
        capitalize(HALOGENS[rank].2),
        HALOGENS[halide_rank].2,
        HALOGENS[halide_rank].1,
        ctx.name(source),
        HALOGENS[halide_rank].2
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![halogen, source],
            products,
            story,
        )
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    )
}

/// The displaced halogen stays dissolved in a solution.
fn freed_halogen(ctx: &Context, formula: &str) -> Option<Substance> {
    let product = ctx.product(formula)?;
    if !ctx.aqueous {
        return Some(product);
    }
    let dissolved = ctx.cat.sibling_in_state(product.entry, State::Aqueous)?;
    Some(Substance {
        entry: dissolved,
        state: State::Aqueous,
    })
}

/// Reducers other than metals: (formula, most reactive metal they reduce, product).
const REDUCERS: [(&str, u8, &str); 3] = [("C", 13, "CO2"), ("CO", 11, "CO2"), ("H2", 11, "H2O")];

fn oxide_reduction(ctx: &Context) -> Verdict {
    let Some((oxide, oxide_metal)) = ctx.reagents.iter().find_map(|r| {
        let cation = basic_oxide_cation(ctx, r.substance)?;
        cation_metal(ctx, cation).map(|profile| (r.substance, profile))
    }) else {
        return Verdict::NotApplicable;
    };
    if let Some((metal, profile)) =
        metal_reagent(ctx).filter(|(_, p)| p.symbol != oxide_metal.symbol)
    {
        return thermite(ctx, metal, profile, oxide, oxide_metal);
    }
    let Some((reducer, limit, waste)) = ctx.reagents.iter().find_map(|r| {
        REDUCERS
            .iter()
            .find(|(formula, ..)| ctx.is_formula(r.substance, formula))
            .map(|&(_, limit, waste)| (r.substance, limit, waste))
    }) else {
        return Verdict::NotApplicable;
    };
    let reducer_name = ctx.name(reducer);
    if oxide_metal.activity > limit {
        return Verdict::NoReaction(format!(
            "{} is too stable for {reducer_name} to remove its oxygen.",
            capitalize(ctx.name(oxide))
        ));
    }
    if !ctx.env.is_hot() {
        return Verdict::NoReaction(format!(
            "Reducing {} with {reducer_name} needs strong heating (a high-temperature environment).",
            ctx.name(oxide)
        ));
    }
    let carbon = ctx.is_formula(reducer, "C");
    let waste = if carbon && carbon_monoxide_is_stable(ctx) {
        "CO"
    } else {
        waste
    };
    let (Some(metal), Some(waste)) = (ctx.product(oxide_metal.symbol), ctx.product(waste)) else {
        return Verdict::NotApplicable;
    };
    let which_oxide = if !carbon {
        ""
    } else if ctx.is_formula(waste, "CO") {
        " At this temperature carbon monoxide, not the dioxide, is the stable oxide of carbon next to carbon (C + CO2 → 2 CO has ΔG < 0 above about 700 °C, the Boudouard equilibrium)."
    } else {
        " Below about 700 °C carbon dioxide is the stable oxide of carbon (C + CO2 → 2 CO has ΔG > 0)."
    };
    let story = format!(
        "Hot {reducer_name} removes oxygen from {}, reducing it to {}; the {reducer_name} is oxidised to {}.{which_oxide}",
        ctx.name(oxide),
        ctx.name(metal),
        ctx.name(waste)
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![oxide, reducer],
            vec![metal, waste],
            story,
        )
        .with_hints(Hints {
            vigor: 0.3,
            light: Some(("orange glow", 0.4)),
            ..Hints::default()
        }),
    )
}

/// Whether C + CO2 → 2 CO is downhill at the environment's temperature (from the
/// catalogue's ΔH° and S°), i.e. carbon burns to CO rather than CO2 in a reduction.
fn carbon_monoxide_is_stable(ctx: &Context) -> bool {
    let rows = (
        ctx.cat.formula("C"),
        ctx.cat.formula("CO2"),
        ctx.cat.formula("CO"),
    );
    let (Some(carbon), Some(dioxide), Some(monoxide)) = rows else {
        return false;
    };
    standard_gibbs_at(ctx, &[(carbon, 1), (dioxide, 1), (monoxide, -2)])
        .is_some_and(|gibbs| gibbs < 0.0)
}

fn thermite(
    ctx: &Context,
    metal: Substance,
    profile: &MetalProfile,
    oxide: Substance,
    oxide_metal: &MetalProfile,
) -> Verdict {
    let name = capitalize(ctx.name(metal));
    if profile.activity <= oxide_metal.activity {
        return Verdict::NoReaction(format!(
            "{name} is less reactive than {}, so it cannot take oxygen from {}.",
            metal_name(ctx, oxide_metal),
            ctx.name(oxide)
        ));
    }
    let self_sustaining = matches!(profile.symbol, "Al" | "Mg");
    if !self_sustaining && !ctx.env.is_hot() {
        return Verdict::NoReaction(format!(
            "{name} can reduce {} only when the mixture is strongly heated.",
            ctx.name(oxide)
        ));
    }
    let (Some(new_oxide), Some(freed)) = (
        profile.oxide.and_then(|f| ctx.product(f)),
        ctx.product(oxide_metal.symbol),
    ) else {
        return Verdict::NotApplicable;
    };
    let story = format!(
        "{name} is more reactive than {}, so it takes the oxygen from {}: {} and {} form{}.",
        metal_name(ctx, oxide_metal),
        ctx.name(oxide),
        ctx.name(new_oxide),
        ctx.name(freed),
        if self_sustaining {
            ", releasing enough heat to melt the metal (the thermite reaction)"
        } else {
            ""
        }
    );
    let hints = Hints {
        vigor: if self_sustaining { 1.0 } else { 0.5 },
        fire: self_sustaining.then_some("white"),
        light: Some(("brilliant white", if self_sustaining { 1.0 } else { 0.4 })),
        melts: self_sustaining.then_some(Substance {
            entry: freed.entry,
            state: State::Liquid,
        }),
        smoke: self_sustaining.then_some("white"),
        ..Hints::default()
    };
    Verdict::Reacts(
        Plan::new(
            ReactionClass::SingleDisplacement,
            vec![metal, oxide],
            vec![new_oxide, freed],
            story,
        )
        .with_hints(hints),
    )
}
