//! Acid–base chemistry: neutralization (acid + hydroxide, ammonia, basic
//! oxide; base + acidic oxide) and gas-forming reactions (carbonates,
//! hydrogen carbonates, sulfides and sulfites with acids; ammonium salts
//! with hydroxides). In an ACIDIC or BASIC environment the solution supplies
//! H⁺ or OH⁻ when no acid or base is given.

use super::super::catalogue::CompoundClass;
use super::super::chemistry::{acidic_oxide_anion, is_acid_resistant_sulfide, is_strong_acid};
use super::super::elements::element;
use super::super::environment::Environment;
use super::super::formula::charge_suffix;
use super::super::model::ReactionClass;
use super::{capitalize, join_names, Context, Hints, Plan, Substance, Verdict};

pub(super) struct Acid {
    pub substance: Substance,
    pub anion: Option<usize>,
    pub supplied: bool,
    /// An acidic oxide such as CO₂ rather than a protic acid.
    pub oxide: bool,
}

enum BaseKind {
    Hydroxide { cation: Option<usize> },
    Ammonia,
    BasicOxide { cation: usize },
}

struct Base {
    substance: Substance,
    kind: BaseKind,
    supplied: bool,
}

/// Anions that release a gas with acid: (anion, gas, also forms water).
const GAS_ANIONS: [(&str, &str, bool); 5] = [
    ("CO3^2-", "CO2", true),
    ("HCO3-", "CO2", true),
    ("S^2-", "H2S", false),
    ("HS-", "H2S", false),
    ("SO3^2-", "SO2", true),
];

/// Too weak to drive off CO₂, H₂S or SO₂.
const FEEBLE_ACIDS: [&str; 3] = ["H2S", "HCN", "H2CO3"];

fn protic_acid(ctx: &Context, substance: Substance) -> Option<Acid> {
    let compound = ctx.compound(substance);
    let is_acid = (compound.class == CompoundClass::Acid && ctx.entry(substance).ions.is_some())
        || ctx.is_formula(substance, "H+");
    is_acid.then(|| Acid {
        substance,
        anion: ctx.ions_of(substance).1,
        supplied: false,
        oxide: false,
    })
}

fn acidic_oxide(ctx: &Context, substance: Substance) -> Option<Acid> {
    let anion = acidic_oxide_anion(ctx.formula(substance))?;
    Some(Acid {
        substance,
        anion: ctx.cat.ion(anion),
        supplied: false,
        oxide: true,
    })
}

/// The acid in the mixture, or H⁺ from an acidic environment.
pub(super) fn find_acid(ctx: &Context, allow_oxides: bool) -> Option<Acid> {
    let reagents = || ctx.reagents.iter().map(|r| r.substance);
    reagents()
        .find_map(|s| protic_acid(ctx, s))
        .or_else(|| {
            allow_oxides
                .then(|| reagents().find_map(|s| acidic_oxide(ctx, s)))
                .flatten()
        })
        .or_else(|| {
            supplied_ion(ctx, Environment::Acidic, "H+").map(|substance| Acid {
                substance,
                anion: None,
                supplied: true,
                oxide: false,
            })
        })
}

fn supplied_ion(ctx: &Context, env: Environment, formula: &str) -> Option<Substance> {
    (ctx.env == env).then(|| ctx.ion(formula)).flatten()
}

fn base_of(ctx: &Context, substance: Substance) -> Option<Base> {
    let entry = ctx.entry(substance);
    let formula = ctx.formula(substance);
    let kind = if formula == "NH3" {
        BaseKind::Ammonia
    } else if formula == "OH-" {
        BaseKind::Hydroxide { cation: None }
    } else if entry.compound.class == CompoundClass::Base
        && ctx
            .ions_of(substance)
            .1
            .is_some_and(|a| ctx.cat.entries[a].parsed.canonical == "OH-")
    {
        BaseKind::Hydroxide {
            cation: ctx.ions_of(substance).0,
        }
    } else {
        BaseKind::BasicOxide {
            cation: basic_oxide_cation(ctx, substance)?,
        }
    };
    Some(Base {
        substance,
        kind,
        supplied: false,
    })
}

/// `Fe2O3` → Fe³⁺: the metal ion of a binary metal oxide.
pub(super) fn basic_oxide_cation(ctx: &Context, substance: Substance) -> Option<usize> {
    let entry = ctx.entry(substance);
    if entry.compound.class != CompoundClass::Oxide || entry.parsed.elements.len() != 2 {
        return None;
    }
    let (&metal, &metal_count) = entry
        .parsed
        .elements
        .iter()
        .find(|(symbol, _)| **symbol != "O")?;
    let oxygen = *entry.parsed.elements.get("O")?;
    if !element(metal)?.category.is_metal() || (2 * oxygen) % metal_count != 0 {
        return None;
    }
    let charge = i32::try_from(2 * oxygen / metal_count).ok()?;
    ctx.cat.ion(&format!("{metal}{}", charge_suffix(charge)))
}

fn find_base(ctx: &Context) -> Option<Base> {
    ctx.reagents
        .iter()
        .find_map(|r| base_of(ctx, r.substance))
        .or_else(|| {
            supplied_ion(ctx, Environment::Basic, "OH-").map(|substance| Base {
                substance,
                kind: BaseKind::Hydroxide { cation: None },
                supplied: true,
            })
        })
}

pub(super) fn neutralization(ctx: &Context) -> Verdict {
    let (Some(acid), Some(base)) = (find_acid(ctx, true), find_base(ctx)) else {
        return Verdict::NotApplicable;
    };
    let oxide_pair =
        acid.oxide && matches!(base.kind, BaseKind::BasicOxide { .. } | BaseKind::Ammonia);
    if (acid.supplied && base.supplied) || oxide_pair || acid.substance == base.substance {
        return Verdict::NotApplicable;
    }
    let Some(products) = neutralization_products(ctx, &acid, &base) else {
        return Verdict::NotApplicable;
    };
    let story = neutralization_story(ctx, &acid, &base, &products);
    let gas_phase_salt = ctx.is_formula(base.substance, "NH3")
        && !ctx.aqueous
        && products.iter().any(|p| p.state == super::State::Solid);
    let hints = Hints {
        vigor: 0.2,
        smoke: gas_phase_salt.then_some("white"),
        ..Hints::default()
    };
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Neutralization,
            vec![acid.substance, base.substance],
            products,
            story,
        )
        .supplied_by(supply_note(acid.supplied, base.supplied))
        .with_hints(hints),
    )
}

fn neutralization_products(ctx: &Context, acid: &Acid, base: &Base) -> Option<Vec<Substance>> {
    match base.kind {
        BaseKind::Ammonia => ctx.combine(ctx.cat.ion("NH4+"), acid.anion),
        BaseKind::Hydroxide { cation } => with_water(ctx, ctx.combine(cation, acid.anion)?),
        BaseKind::BasicOxide { cation } => with_water(ctx, ctx.combine(Some(cation), acid.anion)?),
    }
}

fn with_water(ctx: &Context, mut products: Vec<Substance>) -> Option<Vec<Substance>> {
    products.push(ctx.water()?);
    Some(products)
}

fn neutralization_story(ctx: &Context, acid: &Acid, base: &Base, products: &[Substance]) -> String {
    let acid_name = capitalize(ctx.name(acid.substance));
    let base_name = ctx.name(base.substance);
    let salt_names = join_names(
        products
            .iter()
            .filter(|p| !ctx.is_formula(**p, "H2O"))
            .map(|p| ctx.name(*p)),
    );
    let mut story = match (&base.kind, acid.oxide) {
        (BaseKind::Ammonia, _) => format!(
            "{acid_name} gives H⁺ to ammonia, forming ammonium ions: the product is {salt_names}."
        ),
        (_, true) => format!(
            "{acid_name} is an acidic oxide: it reacts with {base_name} to form {salt_names} and water."
        ),
        (BaseKind::BasicOxide { .. }, false) => format!(
            "{acid_name} dissolves {base_name}, a basic oxide: the oxide ions take up H⁺ to form water, leaving {salt_names}."
        ),
        (BaseKind::Hydroxide { .. }, false) if salt_names.is_empty() => {
            "H⁺ and OH⁻ ions combine to form water: the net reaction of every strong acid–strong base neutralization.".to_string()
        }
        (BaseKind::Hydroxide { .. }, false) => format!(
            "{acid_name} neutralizes {base_name}: H⁺ ions from the acid and OH⁻ ions from the base combine to form water, leaving {salt_names}."
        ),
    };
    if !acid.oxide && !is_strong_acid(ctx.formula(acid.substance)) {
        story.push_str(&format!(
            " {acid_name} is a weak acid, so it is only partly ionised before it reacts."
        ));
    }
    if ctx.is_formula(acid.substance, "CO2") && products.iter().any(|p| ctx.is_formula(*p, "CaCO3"))
    {
        story.push_str(" This is the limewater test for carbon dioxide: the solution turns milky.");
    }
    story
}

pub(super) fn supply_note(acid_supplied: bool, base_supplied: bool) -> Option<String> {
    if acid_supplied {
        Some("The H⁺ ions come from the acidic solution.".to_string())
    } else if base_supplied {
        Some("The OH⁻ ions come from the basic solution.".to_string())
    } else {
        None
    }
}

pub(super) fn gas_evolution(ctx: &Context) -> Verdict {
    match gas_from_acid(ctx) {
        Verdict::NotApplicable => ammonia_from_base(ctx),
        verdict => verdict,
    }
}

fn gas_from_acid(ctx: &Context) -> Verdict {
    let Some((salt, (anion_formula, gas, makes_water))) = ctx.reagents.iter().find_map(|r| {
        let class = ctx.compound(r.substance).class;
        let anion = ctx.ions_of(r.substance).1?;
        let canonical = ctx.cat.entries[anion].parsed.canonical.as_str();
        let spec = GAS_ANIONS.iter().find(|(a, ..)| *a == canonical)?;
        matches!(class, CompoundClass::Salt | CompoundClass::Anion).then_some((r.substance, *spec))
    }) else {
        return Verdict::NotApplicable;
    };
    let salt_anion = ctx.ions_of(salt).1;
    let Some(acid) = find_acid(ctx, false).filter(|a| a.substance != salt && a.anion != salt_anion)
    else {
        return Verdict::NotApplicable;
    };
    let acid_formula = ctx.formula(acid.substance);
    if FEEBLE_ACIDS.contains(&acid_formula) {
        return Verdict::NotApplicable;
    }
    if is_acid_resistant_sulfide(ctx.formula(salt)) {
        return Verdict::NoReaction(format!(
            "{} is so insoluble that even {} cannot dissolve it, so no hydrogen sulfide forms.",
            capitalize(ctx.name(salt)),
            ctx.name(acid.substance)
        ));
    }
    let Some(mut products) = ctx.combine(ctx.ions_of(salt).0, acid.anion) else {
        return Verdict::NotApplicable;
    };
    products.push(match ctx.product(gas) {
        Some(gas) => gas,
        None => return Verdict::NotApplicable,
    });
    if makes_water {
        let Some(water) = ctx.water() else {
            return Verdict::NotApplicable;
        };
        products.push(water);
    }
    let weak = !is_strong_acid(acid_formula);
    let vigor = match anion_formula {
        "HCO3-" => 0.85,
        "CO3^2-" => 0.75,
        _ => 0.5,
    } * if weak { 0.8 } else { 1.0 };
    let story = gas_story(ctx, salt, acid.substance, anion_formula);
    Verdict::Reacts(
        Plan::new(
            ReactionClass::GasEvolution,
            vec![salt, acid.substance],
            products,
            story,
        )
        .supplied_by(supply_note(acid.supplied, false))
        .with_hints(Hints {
            vigor,
            ..Hints::default()
        }),
    )
}

fn gas_story(ctx: &Context, salt: Substance, acid: Substance, anion: &str) -> String {
    let salt_name = capitalize(ctx.name(salt));
    let acid_name = ctx.name(acid);
    match anion {
        "CO3^2-" | "HCO3-" => format!(
            "{salt_name} reacts with {acid_name}: H⁺ ions turn the carbonate into carbonic acid, which immediately breaks down into water and carbon dioxide gas (fizzing)."
        ),
        "SO3^2-" => format!(
            "{salt_name} reacts with {acid_name}: H⁺ ions turn the sulfite into sulfurous acid, which releases choking sulfur dioxide gas."
        ),
        _ => format!(
            "{salt_name} reacts with {acid_name}: H⁺ ions combine with sulfide ions to form hydrogen sulfide gas, which smells of rotten eggs."
        ),
    }
}

fn ammonia_from_base(ctx: &Context) -> Verdict {
    let ammonium = ctx.cat.ion("NH4+");
    let Some(salt) = ctx.find(|s| {
        matches!(
            ctx.compound(s).class,
            CompoundClass::Salt | CompoundClass::Cation
        ) && ctx.ions_of(s).0 == ammonium
            && ammonium.is_some()
    }) else {
        return Verdict::NotApplicable;
    };
    let is_metal_hydroxide = |b: &Base| match b.kind {
        BaseKind::Hydroxide { cation } => cation != ammonium,
        _ => false,
    };
    let Some(base) = find_base(ctx).filter(|b| is_metal_hydroxide(b) && b.substance != salt) else {
        return Verdict::NotApplicable;
    };
    let BaseKind::Hydroxide { cation } = base.kind else {
        return Verdict::NotApplicable;
    };
    let Some(mut products) = ctx.combine(cation, ctx.ions_of(salt).1) else {
        return Verdict::NotApplicable;
    };
    let (Some(ammonia), Some(water)) = (ctx.cat.formula("NH3"), ctx.water()) else {
        return Verdict::NotApplicable;
    };
    products.push(Substance {
        entry: ammonia,
        state: super::State::Gas,
    });
    products.push(water);
    let story = format!(
        "{} reacts with {}: hydroxide ions take H⁺ from ammonium ions, releasing ammonia gas (pungent smell; turns damp red litmus paper blue).",
        capitalize(ctx.name(salt)),
        ctx.name(base.substance)
    );
    Verdict::Reacts(
        Plan::new(
            ReactionClass::GasEvolution,
            vec![salt, base.substance],
            products,
            story,
        )
        .supplied_by(supply_note(false, base.supplied))
        .with_hints(Hints {
            vigor: 0.4,
            ..Hints::default()
        }),
    )
}
