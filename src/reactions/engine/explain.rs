//! Plain-language explanation of an outcome: the rule's chemistry, where
//! supplied reactants came from, catalysts and spectators, the limiting
//! reactant, and what the thermodynamic numbers mean.

use super::catalogue::State;
use super::rules::{capitalize, join_names, Context, Plan, Substance};
use super::thermo::ReactionThermo;

pub(crate) struct Explanation<'a> {
    pub ctx: &'a Context<'a>,
    /// Reactant ratios, aligned with `ctx.reagents`.
    pub ratios: &'a [Option<u64>],
}

impl Explanation<'_> {
    pub(crate) fn for_reaction(
        &self,
        plan: &Plan,
        reactants: &[(Substance, u32)],
        thermo: Option<&ReactionThermo>,
    ) -> String {
        let mut sentences = vec![plan.story.clone()];
        sentences.extend(plan.supplied.clone());
        sentences.extend(self.unused_catalyst(plan.catalyst));
        sentences.extend(self.unused_light(plan.initiated_by_light));
        sentences.extend(self.spectators(plan));
        sentences.extend(self.states_at_temperature(reactants, plan));
        sentences.extend(self.limiting(reactants));
        sentences.push(match thermo {
            Some(thermo) => self.energetics(thermo),
            None => "Standard thermodynamic data are not available for every species, so ΔH°, ΔS° and ΔG are not reported.".to_string(),
        });
        sentences.join(" ")
    }

    pub(crate) fn for_no_reaction(&self, reason: &str) -> String {
        let mut sentences = vec![reason.to_string()];
        sentences.extend(self.unused_catalyst(None));
        sentences.extend(self.unused_light(false));
        sentences.join(" ")
    }

    fn unused_light(&self, used: bool) -> Option<String> {
        (self.ctx.light && !used).then(|| {
            "Light was offered as an initiator but this reaction does not need it.".to_string()
        })
    }

    /// Species shown in a state the catalogue has no row for: which standard data stand in.
    fn states_at_temperature(&self, reactants: &[(Substance, u32)], plan: &Plan) -> Option<String> {
        let stand_ins: Vec<String> = reactants
            .iter()
            .map(|&(s, _)| s)
            .chain(plan.products.iter().copied())
            .filter(|s| {
                let row = self.ctx.entry(*s).compound;
                s.state != row.state && s.state != State::Aqueous
            })
            .map(|s| {
                let row = self.ctx.entry(s);
                let points = row.phase.map_or_else(String::new, |p| {
                    let mut parts = Vec::new();
                    if let Some(mp) = p.melting {
                        parts.push(format!("mp {mp} °C"));
                    }
                    if let Some(bp) = p.boiling {
                        parts.push(format!("bp {bp} °C"));
                    }
                    format!(" ({})", parts.join(", "))
                });
                format!(
                    "{} is {}{points}, and its tabulated {} data stand in",
                    row.compound.name,
                    s.state.word(),
                    row.compound.state.word()
                )
            })
            .collect();
        (!stand_ins.is_empty()).then(|| {
            format!(
                "At {:.0} °C {}.",
                self.ctx.env.temperature_celsius(),
                join_names(stand_ins.iter().map(String::as_str))
            )
        })
    }

    fn unused_catalyst(&self, used: Option<Substance>) -> Option<String> {
        let offered = self.ctx.catalyst?;
        (used.map(|u| u.entry) != Some(offered.entry)).then(|| {
            format!(
                "{} was offered as a catalyst but has no effect here.",
                capitalize(self.ctx.name(offered))
            )
        })
    }

    fn spectators(&self, plan: &Plan) -> Option<String> {
        let idle: Vec<&str> = self
            .ctx
            .reagents
            .iter()
            .map(|r| r.substance)
            .filter(|s| {
                !plan.reactants.iter().any(|r| r.entry == s.entry)
                    && !plan.via_ions.iter().any(|r| r.entry == s.entry)
                    && plan.catalyst.map(|c| c.entry) != Some(s.entry)
            })
            .map(|s| self.ctx.name(s))
            .collect();
        match idle.len() {
            0 => None,
            1 => Some(format!(
                "{} does not take part in the reaction.",
                capitalize(idle[0])
            )),
            _ => Some(format!(
                "{} do not take part in the reaction.",
                capitalize(&join_names(idle.into_iter()))
            )),
        }
    }

    /// Compares the given mole ratios with the balanced coefficients.
    fn limiting(&self, reactants: &[(Substance, u32)]) -> Option<String> {
        let shares: Vec<(Substance, f64)> = reactants
            .iter()
            .filter_map(|&(substance, coefficient)| {
                let index = self
                    .ctx
                    .reagents
                    .iter()
                    .position(|r| r.substance.entry == substance.entry)?;
                let ratio = (*self.ratios.get(index)?)?;
                Some((substance, ratio as f64 / f64::from(coefficient)))
            })
            .collect();
        if shares.len() < 2 {
            return None;
        }
        let smallest = shares
            .iter()
            .map(|&(_, share)| share)
            .fold(f64::INFINITY, f64::min);
        let limiting: Vec<&str> = shares
            .iter()
            .filter(|&&(_, share)| share <= smallest * (1.0 + 1e-9))
            .map(|&(s, _)| self.ctx.name(s))
            .collect();
        if limiting.len() == shares.len() {
            return Some("The amounts given are in the exact stoichiometric ratio.".to_string());
        }
        let excess: Vec<&str> = shares
            .iter()
            .filter(|&&(_, share)| share > smallest * (1.0 + 1e-9))
            .map(|&(s, _)| self.ctx.name(s))
            .collect();
        Some(format!(
            "With the amounts given, {} is the limiting reactant; {} is left over.",
            join_names(limiting.into_iter()),
            join_names(excess.into_iter())
        ))
    }

    fn energetics(&self, thermo: &ReactionThermo) -> String {
        let celsius = self.ctx.env.temperature_celsius();
        let kelvin = self.ctx.env.temperature_kelvin();
        let heat = if thermo.enthalpy_kj < 0.0 {
            "exothermic: it releases heat"
        } else {
            "endothermic: it absorbs heat"
        };
        let verdict = if thermo.gibbs_kj < 0.0 {
            "so it is spontaneous (thermodynamically favourable) under standard conditions"
                .to_string()
        } else {
            "so it is not spontaneous under standard conditions at this temperature; it proceeds only while products escape or energy is supplied".to_string()
        };
        format!(
            "ΔH° = {:.1} kJ for the equation as written, so the reaction is {heat}. ΔS° = {:.1} J/K. At {celsius:.0} °C ({kelvin:.2} K), ΔG = ΔH° − TΔS° = {:.1} kJ, {verdict}.",
            thermo.enthalpy_kj, thermo.entropy_j_per_k, thermo.gibbs_kj
        )
    }
}
