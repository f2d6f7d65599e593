//! Observable effects for a game to render, derived from the rule's hints,
//! the product states and the reaction enthalpy.
//!
//! Temperature change model: the heat of a nominal 0.05 mol of reaction (as
//! written) goes into 100 g of water-like surroundings (418.4 J/K). This is
//! the classic coffee-cup calorimeter: 50 mL of 1 M HCl + 50 mL of 1 M NaOH
//! warms by about 6.7 °C. Amounts never change it, so outcomes depend only on
//! reactant ratios.

use super::catalogue::State;
use super::model::{Effect, ReactionClass};
use super::rules::{color_of, Context, Plan, Substance};
use super::thermo::ReactionThermo;

const NOMINAL_EXTENT_MOL: f64 = 0.05;
const SURROUNDINGS_HEAT_CAPACITY_J_PER_K: f64 = 418.4;
const MAX_TEMPERATURE_CHANGE: f64 = 3000.0;
const MIN_REPORTED_TEMPERATURE_CHANGE: f64 = 0.5;
const COLORLESS: &str = "colorless";

pub(crate) fn derive_effects(
    ctx: &Context,
    plan: &Plan,
    products: &[(Substance, u32)],
    thermo: Option<&ReactionThermo>,
) -> Vec<Effect> {
    let hints = &plan.hints;
    let vigor = round2(hints.vigor.clamp(0.0, 1.0));
    let mut effects = Vec::new();
    if hints.explosion {
        effects.push(Effect::Explosion { intensity: vigor });
    }
    if let Some(color) = hints.fire {
        effects.push(Effect::Fire {
            color: color.to_string(),
            intensity: vigor,
        });
    }
    if let Some((color, intensity)) = hints.light {
        effects.push(Effect::LightEmission {
            color: color.to_string(),
            intensity: round2(intensity.clamp(0.0, 1.0)),
        });
    }
    effects.extend(gas_effects(ctx, plan, products, vigor));
    effects.extend(precipitates(ctx, plan, products));
    if hints.foam || (ctx.aqueous && vigor >= 0.6 && has_new_gas(plan, products)) {
        effects.push(Effect::Foam { intensity: vigor });
    }
    if let Some(color) = hints.smoke {
        effects.push(Effect::Smoke {
            color: color.to_string(),
        });
    }
    effects.extend(color_change(ctx, plan));
    effects.extend(state_changes(ctx, plan, products));
    effects.extend(thermo.and_then(temperature_change));
    effects
}

fn round2(value: f64) -> f64 {
    super::thermo::round2(value)
}

fn is_new(plan: &Plan, product: Substance) -> bool {
    !plan.reactants.iter().any(|r| r.entry == product.entry)
}

fn has_new_gas(plan: &Plan, products: &[(Substance, u32)]) -> bool {
    products
        .iter()
        .any(|&(p, _)| p.state == State::Gas && is_new(plan, p))
}

fn gas_effects<'a>(
    ctx: &'a Context,
    plan: &'a Plan,
    products: &'a [(Substance, u32)],
    vigor: f64,
) -> impl Iterator<Item = Effect> + 'a {
    products
        .iter()
        .filter(move |&&(p, _)| p.state == State::Gas && is_new(plan, p))
        .map(move |&(p, _)| Effect::GasProduction {
            gas: ctx.compound(p).formula.to_string(),
            color: color_of(ctx.cat, p).to_string(),
            intensity: vigor.max(0.2),
        })
}

fn precipitates<'a>(
    ctx: &'a Context,
    plan: &'a Plan,
    products: &'a [(Substance, u32)],
) -> impl Iterator<Item = Effect> + 'a {
    let in_solution = ctx.aqueous && plan.class != ReactionClass::Combustion;
    products
        .iter()
        .filter(move |&&(p, _)| in_solution && p.state == State::Solid && is_new(plan, p))
        .map(move |&(p, _)| Effect::Precipitate {
            compound: ctx.compound(p).formula.to_string(),
            color: color_of(ctx.cat, p).to_string(),
        })
}

/// What the mixture looks like: the solution colour in water, otherwise the
/// colour of the solids and liquids.
fn appearance(ctx: &Context, substances: &[Substance]) -> Option<&'static str> {
    let visible = |s: &&Substance| {
        if ctx.aqueous {
            s.state == State::Aqueous
        } else {
            matches!(s.state, State::Solid | State::Liquid)
        }
    };
    substances
        .iter()
        .filter(visible)
        .map(|&s| color_of(ctx.cat, s))
        .find(|&color| color != COLORLESS)
}

fn color_change(ctx: &Context, plan: &Plan) -> Option<Effect> {
    let before = appearance(ctx, &plan.reactants);
    let after = appearance(ctx, &plan.products);
    (before != after).then(|| Effect::ColorChange {
        from: before.unwrap_or(COLORLESS).to_string(),
        to: after.unwrap_or(COLORLESS).to_string(),
    })
}

fn state_changes(ctx: &Context, plan: &Plan, products: &[(Substance, u32)]) -> Vec<Effect> {
    let mut changes: Vec<Effect> = plan
        .hints
        .melts
        .iter()
        .map(|m| Effect::StateChange {
            compound: ctx.compound(*m).formula.to_string(),
            to: m.state,
        })
        .collect();
    for &(product, _) in products {
        let natural = ctx.entry(product).natural_state;
        if product.state != natural && product.state != State::Aqueous && natural != State::Aqueous
        {
            changes.push(Effect::StateChange {
                compound: ctx.compound(product).formula.to_string(),
                to: product.state,
            });
        }
    }
    changes
}

fn temperature_change(thermo: &ReactionThermo) -> Option<Effect> {
    let heat_j = -thermo.enthalpy_kj * 1000.0 * NOMINAL_EXTENT_MOL;
    let delta = (heat_j / SURROUNDINGS_HEAT_CAPACITY_J_PER_K)
        .clamp(-MAX_TEMPERATURE_CHANGE, MAX_TEMPERATURE_CHANGE);
    let delta = (delta * 10.0).round() / 10.0;
    (delta.abs() >= MIN_REPORTED_TEMPERATURE_CHANGE).then_some(Effect::TemperatureChange {
        delta_celsius: delta,
    })
}
