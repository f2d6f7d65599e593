//! Additions across a C=C (or C≡C) bond: hydrogen on a nickel or platinum catalyst,
//! halogens at room temperature (bromine is decolourised: the test for unsaturation),
//! hydrogen halides (Markovnikov: H goes to the carbon that already has more H), and water
//! with an acid catalyst (industrially steam over phosphoric acid at about 300 °C).

use super::super::super::environment::Environment;
use super::super::super::model::ReactionClass;
use super::super::{capitalize, Context, Hints, Plan, Substance, Verdict};
use super::{catalyst_among, organic_product, reagent};

/// (unsaturated compound, reagent, product, H2 molecules it takes).
#[rustfmt::skip]
const ADDITIONS: [(&str, &str, &str, u8); 11] = [
    ("C2H4", "H2", "C2H6", 1),
    ("C3H6", "H2", "C3H8", 1),
    ("C2H2", "H2", "C2H6", 2),
    ("C2H4", "Br2", "CH2BrCH2Br", 0),
    ("C2H4", "Cl2", "CH2ClCH2Cl", 0),
    ("C2H4", "HBr", "C2H5Br", 0),
    ("C2H4", "HCl", "C2H5Cl", 0),
    ("C3H6", "HBr", "CH3CHBrCH3", 0),
    ("C2H4", "H2O", "C2H5OH", 0),
    ("C3H6", "H2O", "(CH3)2CHOH", 0),
    ("C3H6", "Br2", "CH3CHBrCH2Br", 0),
];

const HYDROGENATION_CATALYSTS: [&str; 2] = ["Ni", "Pt"];
const HYDRATION_CATALYSTS: [&str; 2] = ["H3PO4", "H2SO4"];

pub(super) fn apply(ctx: &Context) -> Verdict {
    let Some((alkene, partner, product)) =
        ADDITIONS.iter().find_map(|&(alkene, partner, product, _)| {
            Some((reagent(ctx, alkene)?, reagent(ctx, partner)?, product))
        })
    else {
        return Verdict::NotApplicable;
    };
    let partner_formula = ctx.formula(partner).to_string();
    let catalyst = match partner_formula.as_str() {
        "H2" => match catalyst_among(ctx, &HYDROGENATION_CATALYSTS) {
            Some(catalyst) => Some(catalyst),
            None => {
                return Verdict::Needs(format!(
                    "{} adds hydrogen only on a metal catalyst: nickel at about 150 °C, or platinum or palladium at room temperature (put it in the catalyst slot). Without one the mixture does not react.",
                    capitalize(ctx.name(alkene))
                ))
            }
        },
        "H2O" => match catalyst_among(ctx, &HYDRATION_CATALYSTS) {
            Some(catalyst) => Some(catalyst),
            None if ctx.env == Environment::Acidic => None,
            None => {
                return Verdict::Needs(format!(
                    "{} adds water only with an acid catalyst: steam over phosphoric acid at about 300 °C and 60–70 atm, or an acidic solution. Water alone does not react.",
                    capitalize(ctx.name(alkene))
                ))
            }
        },
        _ => None,
    };
    let Some(product) = organic_product(ctx, product) else {
        return Verdict::NotApplicable;
    };
    let story = story(ctx, alkene, partner, product, catalyst);
    let mut plan = Plan::new(
        ReactionClass::Addition,
        vec![alkene, partner],
        vec![product],
        story,
    )
    .with_hints(Hints {
        vigor: 0.2,
        ..Hints::default()
    });
    plan.catalyst = catalyst;
    Verdict::Reacts(plan)
}

fn story(
    ctx: &Context,
    alkene: Substance,
    partner: Substance,
    product: Substance,
    catalyst: Option<Substance>,
) -> String {
    let alkene_name = capitalize(ctx.name(alkene));
    let product_name = ctx.name(product);
    let catalysed = |c: Option<Substance>| {
        c.map_or_else(
            || "the H+ ions of the acidic solution".to_string(),
            |c| ctx.name(c).to_string(),
        )
    };
    match ctx.formula(partner) {
        "H2" => format!(
            "Hydrogenation: {alkene_name} adds hydrogen across its multiple bond on the surface of the {} catalyst, giving the saturated {product_name}. The catalyst adsorbs both gases and is not used up.",
            catalysed(catalyst)
        ),
        "H2O" => format!(
            "Acid-catalysed hydration, catalysed by {}: H+ adds to the double bond (to the carbon with more hydrogens, Markovnikov's rule), water attacks the carbocation, and {product_name} forms.",
            catalysed(catalyst)
        ),
        "Br2" | "Cl2" => format!(
            "Electrophilic addition at room temperature: the halogen molecule adds across the C=C bond of {}, giving {product_name}. No catalyst is needed; the halogen's colour disappears (decolourising bromine is the test for a C=C bond).",
            ctx.name(alkene)
        ),
        _ => format!(
            "Electrophilic addition of {} across the C=C bond of {}: H goes to the carbon that already has more hydrogens (Markovnikov's rule), giving {product_name}. No catalyst is needed.",
            ctx.name(partner),
            ctx.name(alkene)
        ),
    }
}
