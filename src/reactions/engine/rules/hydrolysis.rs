//! Hydrolysis: water splits ionic nitrides, carbides, phosphides and hydrides (the anion
//! takes H⁺ from water, leaving the metal hydroxide), covalent chlorides such as SiCl₄, and
//! — as an equilibrium that lies to the left but sets the pH — the ion of a weak acid or a
//! weak base in a salt solution.

use std::sync::LazyLock;

use super::super::catalogue::{State, CATALOGUE};
use super::super::model::ReactionClass;
use super::redox::half::Terms;
use super::redox::{find_present, present_species, sides, standard_gibbs};
use super::{capitalize, join_names, Context, Hints, Plan, Substance, Verdict};

/// (compound, products, what the book says is seen).
#[rustfmt::skip]
const BY_WATER: [(&str, &[&str], &str); 10] = [
    ("Mg3N2", &["Mg(OH)2", "NH3"], "the nitride ion N3- takes protons from water: ammonia is given off (the smell of burnt magnesium ribbon when wetted)"),
    ("Li3N", &["LiOH", "NH3"], "the nitride ion takes protons from water and ammonia is given off"),
    ("Al4C3", &["Al(OH)3", "CH4"], "the methanide ion C4- takes protons from water and methane is given off"),
    ("CaC2", &["Ca(OH)2", "C2H2"], "the acetylide ion C2^2- takes protons from water and ethyne (acetylene) is given off, as in a carbide lamp"),
    ("Ca3P2", &["Ca(OH)2", "PH3"], "the phosphide ion P3- takes protons from water and toxic phosphine is given off"),
    ("NaH", &["NaOH", "H2"], "the hydride ion H- reduces water: hydrogen is given off (hydrogen −1 and +1 meet at 0)"),
    ("LiH", &["LiOH", "H2"], "the hydride ion H- reduces water: hydrogen is given off"),
    ("CaH2", &["Ca(OH)2", "H2"], "the hydride ion H- reduces water: hydrogen is given off"),
    ("SiCl4", &["SiO2", "HCl"], "water attacks the silicon–chlorine bonds: silica and hydrochloric acid form (it fumes in moist air)"),
    ("TiCl4", &["TiO2", "HCl"], "water attacks the titanium–chlorine bonds: titanium dioxide and hydrochloric acid form (it fumes in moist air)"),
];

/// Ions of weak acids and bases: (ion, conjugate, OH⁻ or H⁺ formed, what it does to the pH).
#[rustfmt::skip]
const WEAK_IONS: [(&str, &str, &str); 6] = [
    ("CH3COO-", "CH3COOH", "OH-"),
    ("CO3^2-", "HCO3-", "OH-"),
    ("S^2-", "HS-", "OH-"),
    ("PO4^3-", "HPO4^2-", "OH-"),
    ("CN-", "HCN", "OH-"),
    ("NH4+", "NH3", "H+"),
];

/// `WEAK_IONS` as catalogue rows (ion, conjugate, formed), looked up once rather than for
/// every salt solution.
static WEAK_ION_ROWS: LazyLock<Vec<(usize, usize, usize)>> = LazyLock::new(|| {
    WEAK_IONS
        .iter()
        .filter_map(|&(ion, conjugate, formed)| {
            let conjugate = CATALOGUE
                .formula(conjugate)
                .or_else(|| CATALOGUE.ion(conjugate))?;
            Some((CATALOGUE.ion(ion)?, conjugate, CATALOGUE.ion(formed)?))
        })
        .collect()
});

const GAS_CONSTANT_KJ: f64 = 0.008_314_462;
/// The concentration the pH estimate is quoted for, mol/L.
const QUOTED_CONCENTRATION: f64 = 0.1;

pub(super) fn apply(ctx: &Context) -> Verdict {
    // Without water among the reagents the compound must be the only one, which is checked
    // before looking the solvent up: most solutions mix two reagents.
    let supplied_by_solution = ctx.aqueous && !ctx.env.is_solution() && ctx.reagents.len() == 1;
    let Some(water) = ctx
        .water_reagent()
        .or_else(|| supplied_by_solution.then(|| ctx.natural("H2O")).flatten())
    else {
        return Verdict::NotApplicable;
    };
    let others: Vec<Substance> = ctx
        .reagents
        .iter()
        .map(|r| r.substance)
        .filter(|&s| s != water)
        .collect();
    let [compound] = others.as_slice() else {
        return Verdict::NotApplicable;
    };
    if let Some(&(_, products, note)) = BY_WATER
        .iter()
        .find(|(formula, ..)| ctx.is_formula(*compound, formula))
    {
        return by_water(ctx, *compound, water, products, note);
    }
    weak_ion(ctx)
}

fn by_water(
    ctx: &Context,
    compound: Substance,
    water: Substance,
    products: &[&str],
    note: &str,
) -> Verdict {
    let Some(products) = products
        .iter()
        .map(|f| ctx.product(f))
        .collect::<Option<Vec<_>>>()
    else {
        return Verdict::NotApplicable;
    };
    let story = format!(
        "{} is hydrolysed by water: {note}. {} form.",
        capitalize(ctx.name(compound)),
        capitalize(&join_names(products.iter().map(|p| ctx.name(*p))))
    );
    let vigor = if ctx.is_formula(compound, "NaH") || ctx.is_formula(compound, "CaC2") {
        0.7
    } else {
        0.5
    };
    Verdict::Reacts(
        Plan::new(
            ReactionClass::Hydrolysis,
            vec![compound, water],
            products,
            story,
        )
        .with_hints(Hints {
            vigor,
            ..Hints::default()
        }),
    )
}

/// A dissolved salt whose ion is a weak base (acetate) or weak acid (ammonium).
fn weak_ion(ctx: &Context) -> Verdict {
    if !ctx.aqueous {
        return Verdict::NotApplicable;
    }
    let present = present_species(ctx);
    let found = WEAK_ION_ROWS.iter().find_map(|&(ion, conjugate, formed)| {
        Some((find_present(ctx, &present, ion)?, conjugate, formed))
    });
    let (Some((ion, conjugate, formed)), Some(water)) = (found, ctx.cat.formula("H2O")) else {
        return Verdict::NotApplicable;
    };
    let basic = ctx.cat.entries[formed].parsed.canonical == "OH-";
    // A weak base takes H+ from water; a weak acid just gives up H+ (written H+, not H3O+).
    let terms = Terms(if basic {
        vec![
            (ion.species.entry, 1),
            (water, 1),
            (conjugate, -1),
            (formed, -1),
        ]
    } else {
        vec![(ion.species.entry, 1), (conjugate, -1), (formed, -1)]
    });
    let (reactants, mut products, via_ions) = sides(ctx, &present, &terms);
    // The conjugate acid or base stays dissolved.
    if let Some(first) = products.first_mut() {
        if let Some(dissolved) = ctx.cat.sibling_in_state(first.entry, State::Aqueous) {
            *first = Substance {
                entry: dissolved,
                state: State::Aqueous,
            };
        }
    }
    let equilibrium = standard_gibbs(ctx, &terms.0).map(|gibbs| {
        let k = (-gibbs / (GAS_CONSTANT_KJ * 298.15)).exp();
        let produced = (k * QUOTED_CONCENTRATION).sqrt();
        let ph = if basic {
            14.0 + produced.log10()
        } else {
            -produced.log10()
        };
        format!(
            " The equilibrium lies far to the left (K = {k:.1e} from the standard Gibbs energies), yet a {QUOTED_CONCENTRATION} mol/L solution reaches pH ≈ {ph:.1}."
        )
    });
    let story = format!(
        "{} is the conjugate {} of a weak {}, so it reacts with water: {} and {} form and the solution turns {}.{}",
        capitalize(ctx.name(ion.species)),
        if basic { "base" } else { "acid" },
        if basic { "acid" } else { "base" },
        ctx.name(products[0]),
        ctx.cat.entries[formed].compound.name,
        if basic { "basic" } else { "acidic" },
        equilibrium.unwrap_or_default()
    );
    let mut plan = Plan::new(ReactionClass::Hydrolysis, reactants, products, story);
    plan.via_ions = via_ions;
    Verdict::Reacts(plan)
}
