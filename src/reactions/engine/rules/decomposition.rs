//! Thermal and catalysed decomposition of a single substance (carbonates,
//! hydrogen carbonates, chlorates, nitrates, hydroxides, hydrates, HgO, H₂O₂
//! with MnO₂/KI). Runs only when the environment is hot enough or a listed
//! catalyst is present.

use super::super::chemistry::{decomposition_of, Decomposition};
use super::super::model::ReactionClass;
use super::{capitalize, Context, Hints, Plan, Substance, Verdict};

pub(super) fn apply(ctx: &Context) -> Verdict {
    let Some((reactant, rule)) = ctx
        .reagents
        .iter()
        .find_map(|r| decomposition_of(ctx.formula(r.substance)).map(|rule| (r.substance, rule)))
    else {
        return Verdict::NotApplicable;
    };
    let catalyst = chosen_catalyst(ctx, reactant, rule);
    // In acid, iodide is oxidised by the peroxide instead of catalysing its decomposition.
    let iodide_in_acid = rule.reactant == "H2O2"
        && ctx.env == super::super::environment::Environment::Acidic
        && catalyst.is_some_and(|(c, _)| ctx.is_formula(c, "KI"));
    if iodide_in_acid {
        return Verdict::NotApplicable;
    }
    let others_are_catalysts = ctx
        .reagents
        .iter()
        .all(|r| r.substance == reactant || Some(r.substance) == catalyst.map(|(s, _)| s));
    if !others_are_catalysts {
        return Verdict::NotApplicable;
    }
    let needed = catalyst.map_or(rule.min_celsius, |(_, celsius)| {
        celsius.min(rule.min_celsius)
    });
    if ctx.temperature() < needed {
        return Verdict::NoReaction(too_cold(ctx, reactant, rule, catalyst.is_some()));
    }
    let Some(products) = rule
        .products
        .iter()
        .map(|f| ctx.product(f))
        .collect::<Option<Vec<_>>>()
    else {
        return Verdict::NotApplicable;
    };
    let mut plan = Plan::new(
        ReactionClass::Decomposition,
        vec![reactant],
        products,
        story(ctx, reactant, rule, catalyst.map(|(s, _)| s)),
    )
    .with_hints(hints(ctx, rule, catalyst.map(|(s, _)| s)));
    plan.catalyst = catalyst.map(|(s, _)| s);
    Verdict::Reacts(plan)
}

/// A catalyst for this decomposition, from the catalyst slot or the reagents.
fn chosen_catalyst(
    ctx: &Context,
    reactant: Substance,
    rule: &Decomposition,
) -> Option<(Substance, f64)> {
    let listed = |s: Substance| {
        rule.catalysts
            .iter()
            .find(|(formula, _)| ctx.is_formula(s, formula))
            .map(|&(_, celsius)| (s, celsius))
    };
    ctx.catalyst.and_then(listed).or_else(|| {
        ctx.reagents
            .iter()
            .filter(|r| r.substance != reactant)
            .find_map(|r| listed(r.substance))
    })
}

fn too_cold(ctx: &Context, reactant: Substance, rule: &Decomposition, catalysed: bool) -> String {
    let name = capitalize(ctx.name(reactant));
    let suggestion = match rule.catalysts.first() {
        Some((formula, _)) if !catalysed => {
            format!(" A catalyst such as {formula} lets it proceed at lower temperature.")
        }
        _ => String::new(),
    };
    format!(
        "{name} is stable at {:.0} °C; it decomposes only above about {:.0} °C{}.{suggestion}",
        ctx.temperature(),
        rule.min_celsius,
        if catalysed {
            " even with the catalyst"
        } else {
            ""
        },
    )
}

fn story(
    ctx: &Context,
    reactant: Substance,
    rule: &Decomposition,
    catalyst: Option<Substance>,
) -> String {
    let name = capitalize(ctx.name(reactant));
    match catalyst {
        Some(catalyst) => format!(
            "{name} decomposes: {}. {} catalyses the reaction, providing a lower-energy pathway; it is not used up.",
            rule.note,
            capitalize(ctx.name(catalyst))
        ),
        None if rule.min_celsius <= 25.0 => format!("{name} decomposes on its own: {}.", rule.note),
        None => format!(
            "{name} decomposes when heated above about {:.0} °C: {}.",
            rule.min_celsius, rule.note
        ),
    }
}

fn hints(ctx: &Context, rule: &Decomposition, catalyst: Option<Substance>) -> Hints {
    let fast_foam = catalyst.is_some() && rule.reactant == "H2O2";
    let vigor = match catalyst {
        Some(c) if ctx.is_formula(c, "KI") => 0.9,
        Some(_) => 0.75,
        None => 0.4,
    };
    Hints {
        vigor,
        foam: fast_foam,
        smoke: (rule.reactant == "NH4Cl").then_some("white"),
        ..Hints::default()
    }
}
