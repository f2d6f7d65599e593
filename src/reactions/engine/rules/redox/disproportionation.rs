//! Disproportionation: one species is both reduced and oxidised. Halogens in alkali (cold:
//! hypohalite; hot: halate; iodine gives iodate even cold), copper(I) in water or acid, and
//! nitrogen dioxide in alkali. The equation is the sum of the two half-equations of the same
//! species, balanced as in `half`. (H₂O₂ → H₂O + O₂ is the decomposition rule's, which
//! names the disproportionation in its explanation.)

use std::sync::LazyLock;

use super::super::super::model::ReactionClass;
use super::super::{capitalize, Context, Hints, Plan, Substance};
use super::half::{combine, reduction, Medium};
use super::{
    agreed_coefficients, find_present, half_text, row, sides, state_change, Present, SOLVENT,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// Alkali at room temperature.
    ColdAlkali,
    /// Alkali in the hot environment.
    HotAlkali,
    Alkali,
    /// Neutral or acidic water.
    NotBasic,
}

struct Splitting {
    species: &'static str,
    reduced: &'static str,
    oxidized: &'static str,
    condition: Condition,
    /// Where a textbook describes it.
    note: &'static str,
}

#[rustfmt::skip]
static SPLITTINGS: [Splitting; 7] = [
    Splitting { species: "Cl2", reduced: "Cl-", oxidized: "ClO-", condition: Condition::ColdAlkali, note: "cold dilute alkali gives chloride and hypochlorite (this is how bleach is made)" },
    Splitting { species: "Cl2", reduced: "Cl-", oxidized: "ClO3-", condition: Condition::HotAlkali, note: "hot concentrated alkali gives chloride and chlorate" },
    Splitting { species: "Br2", reduced: "Br-", oxidized: "BrO-", condition: Condition::ColdAlkali, note: "cold alkali gives bromide and hypobromite" },
    Splitting { species: "Br2", reduced: "Br-", oxidized: "BrO3-", condition: Condition::HotAlkali, note: "hot alkali gives bromide and bromate" },
    Splitting { species: "I2", reduced: "I-", oxidized: "IO3-", condition: Condition::Alkali, note: "hypoiodite is unstable even in the cold, so iodide and iodate form" },
    Splitting { species: "Cu2O", reduced: "Cu", oxidized: "Cu^2+", condition: Condition::NotBasic, note: "copper(I) is unstable in solution: dilute acid turns red copper(I) oxide into copper metal and blue copper(II) ions" },
    Splitting { species: "NO2", reduced: "NO2-", oxidized: "NO3-", condition: Condition::Alkali, note: "nitrogen dioxide in alkali gives nitrite and nitrate" },
];

/// Copper(I) ions on their own in water: 2 Cu⁺ → Cu + Cu²⁺.
static COPPER_ION: Splitting = Splitting {
    species: "Cu+",
    reduced: "Cu",
    oxidized: "Cu^2+",
    condition: Condition::NotBasic,
    note:
        "copper(I) ions are unstable in water (E°(Cu+/Cu) = 0.52 V exceeds E°(Cu2+/Cu+) = 0.15 V)",
};

/// A splitting with its three catalogue rows, resolved once like the couples: parsing the
/// formulas for every aqueous mixture cost more than the rest of the rule.
struct ResolvedSplitting {
    splitting: &'static Splitting,
    species: usize,
    reduced: usize,
    oxidized: usize,
}

static RESOLVED: LazyLock<Vec<ResolvedSplitting>> = LazyLock::new(|| {
    SPLITTINGS
        .iter()
        .chain(std::iter::once(&COPPER_ION))
        .filter_map(|splitting| {
            Some(ResolvedSplitting {
                splitting,
                species: row(splitting.species)?,
                reduced: row(splitting.reduced)?,
                oxidized: row(splitting.oxidized)?,
            })
        })
        .collect()
});

fn holds(condition: Condition, medium: Medium, hot: bool) -> bool {
    match condition {
        Condition::ColdAlkali => medium == Medium::Basic && !hot,
        Condition::HotAlkali => medium == Medium::Basic && hot,
        Condition::Alkali => medium == Medium::Basic,
        Condition::NotBasic => medium != Medium::Basic,
    }
}

/// The plan when a present species splits in this medium. Only ever a reaction or nothing:
/// `super::apply` runs the couples when this finds none.
pub(super) fn plan(
    ctx: &Context,
    medium: Medium,
    source: Option<Substance>,
    present: &[Present],
) -> Option<Plan> {
    let hot = ctx.env.is_hot();
    let (resolved, species) = RESOLVED
        .iter()
        .filter(|r| holds(r.splitting.condition, medium, hot))
        .find_map(|r| Some((r, find_present(ctx, present, r.species)?)))?;
    let splitting = resolved.splitting;
    if splitting.species == "Cu2O" && medium != Medium::Acidic {
        return None;
    }
    let solvent = (*SOLVENT)?;
    let (reduced, oxidized) = (resolved.reduced, resolved.oxidized);
    let entry = species.species.entry;
    let down = reduction(ctx.cat, solvent, entry, reduced, medium)?;
    let up = reduction(ctx.cat, solvent, oxidized, entry, medium)?;
    let overall = combine(&down, &up)?;
    let (reactants, products, mut via_ions) = sides(ctx, present, &overall.terms);
    let coefficients = agreed_coefficients(ctx, &overall.terms, &reactants, &products)?;
    if let Some(source) = source {
        via_ions.push(source);
    }
    let name = capitalize(ctx.name(species.species));
    let story = format!(
        "{name} disproportionates: {}. Reduction half-equation: {} ({}). Oxidation half-equation: {} ({}). The same species is oxidizer and reducer: {} electrons pass from one {} to another per equation as written.",
        splitting.note,
        half_text(ctx, &down, false),
        state_change(ctx, &down, entry, reduced),
        half_text(ctx, &up, true),
        state_change(ctx, &up, entry, oxidized),
        overall.electrons,
        ctx.name(species.species)
    );
    let mut plan = Plan::new(
        ReactionClass::Disproportionation,
        reactants,
        products,
        story,
    )
    .with_hints(Hints {
        vigor: 0.25,
        ..Hints::default()
    });
    plan.via_ions = via_ions;
    plan.coefficients = Some(coefficients);
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::{RESOLVED, SPLITTINGS};

    /// A splitting whose formulas the catalogue lacks would silently never apply.
    #[test]
    fn every_splitting_is_in_the_catalogue() {
        assert_eq!(RESOLVED.len(), SPLITTINGS.len() + 1);
    }
}
