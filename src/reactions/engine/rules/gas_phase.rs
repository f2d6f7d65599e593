//! Gases that react as soon as they mix at room temperature: nitrogen monoxide with oxygen
//! (colourless → brown NO₂; air supplies the oxygen), and hydrogen sulfide with sulfur
//! dioxide (a comproportionation of sulfur, −2 and +4 meeting at 0). NH₃ + HCl, the white
//! smoke, is the acid–base rule's. Whether the product survives is decided by ΔG at the
//! environment's temperature (NO₂ falls apart again above about 500 °C).

use super::super::environment::OxygenSupply;
use super::super::model::ReactionClass;
use super::redox::standard_gibbs_at;
use super::{capitalize, Context, Hints, Plan, Verdict};

pub(super) fn apply(ctx: &Context) -> Verdict {
    if let Some(verdict) = nitric_oxide(ctx) {
        return verdict;
    }
    sulfur_gases(ctx).unwrap_or(Verdict::NotApplicable)
}

fn nitric_oxide(ctx: &Context) -> Option<Verdict> {
    let no = ctx.find(|s| ctx.is_formula(s, "NO"))?;
    let given = ctx.find(|s| ctx.is_formula(s, "O2"));
    let others = ctx
        .reagents
        .iter()
        .all(|r| r.substance == no || Some(r.substance) == given);
    if !others || ctx.aqueous {
        return None;
    }
    let oxygen = match given {
        Some(oxygen) => oxygen,
        None if ctx.env.oxygen() != OxygenSupply::None => ctx.natural("O2")?,
        None => {
            return Some(Verdict::NoReaction(
                "Nitrogen monoxide needs oxygen to turn into brown nitrogen dioxide; there is none here.".to_string(),
            ))
        }
    };
    let dioxide = ctx.product("NO2")?;
    let terms = [(no.entry, 2), (oxygen.entry, 1), (dioxide.entry, -2)];
    if standard_gibbs_at(ctx, &terms).is_some_and(|gibbs| gibbs >= 0.0) {
        return Some(Verdict::NoReaction(format!(
            "At {:.0} °C nitrogen dioxide is not stable (ΔG of 2 NO + O2 → 2 NO2 is positive above about 500 °C), so nitrogen monoxide stays as it is.",
            ctx.temperature()
        )));
    }
    let story = "Nitrogen monoxide combines with oxygen as soon as the gases mix, without ignition or catalyst: colourless NO turns into red-brown nitrogen dioxide (N +2 → +4; O 0 → −2, four electrons per O2).".to_string();
    let supplied = given
        .is_none()
        .then(|| "The oxygen comes from the surrounding air.".to_string());
    Some(Verdict::Reacts(
        Plan::new(
            ReactionClass::Synthesis,
            vec![no, oxygen],
            vec![dioxide],
            story,
        )
        .supplied_by(supplied)
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    ))
}

fn sulfur_gases(ctx: &Context) -> Option<Verdict> {
    let sulfide = ctx.find(|s| ctx.is_formula(s, "H2S"))?;
    let dioxide = ctx.find(|s| ctx.is_formula(s, "SO2"))?;
    let sulfur = ctx.product("S")?;
    let water = ctx.water()?;
    let story = format!(
        "{} and {} react on mixing (traces of moisture help): sulfur at −2 in H2S gives 2 electrons and sulfur at +4 in SO2 takes 4, so two H2S meet one SO2 and all the sulfur ends at 0 as a yellow deposit (comproportionation, as in the Claus process). Oxidizer: sulfur dioxide; reducer: hydrogen sulfide; 4 electrons move per equation as written.",
        capitalize(ctx.name(sulfide)),
        ctx.name(dioxide)
    );
    Some(Verdict::Reacts(
        Plan::new(
            ReactionClass::Comproportionation,
            vec![sulfide, dioxide],
            vec![sulfur, water],
            story,
        )
        .with_hints(Hints {
            vigor: 0.2,
            ..Hints::default()
        }),
    ))
}
