//! Reaction rules: each rule inspects the reagents and environment and
//! either proposes reactants → products (coefficients come later from the
//! balancer), refuses with a chemical reason ("copper is below hydrogen"), or
//! does not apply. Rules run in a fixed order; the first proposal wins, else
//! the first refusal explains why nothing happens.
//!
//! Conventions: exothermic, self-sustaining reactions (combustion, metal +
//! non-metal, thermite) are assumed to be ignited; endothermic ones
//! (decompositions, reductions, reactions with steam) need the environment
//! to be hot enough.

mod acid_base;
mod combustion;
mod decomposition;
mod displacement;
mod gas_phase;
mod hydrolysis;
mod organic;
mod precipitation;
pub(crate) mod redox;
mod synthesis;

use super::catalogue::{Catalogue, Compound, CompoundClass, Entry, State, Thermo};
use super::chemistry::precipitates_by_rule;
use super::environment::Environment;
use super::model::ReactionClass;

/// A catalogue entry in a particular state (`Aqueous` may mean "dissolved").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Substance {
    pub entry: usize,
    pub state: State,
}

/// A chemical the caller put in, after resolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reagent {
    pub substance: Substance,
    pub amount: Option<f64>,
    pub explicit_state: bool,
}

pub(crate) struct Context<'a> {
    pub cat: &'a Catalogue,
    pub reagents: &'a [Reagent],
    pub env: Environment,
    pub catalyst: Option<Substance>,
    /// The reaction takes place in water.
    pub aqueous: bool,
    /// Light (UV or sunlight) was offered as the initiator in the catalyst slot.
    pub light: bool,
}

/// Rendering hints a rule knows better than generic derivation.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Hints {
    /// 0..=1: how violent the reaction looks.
    pub vigor: f64,
    pub fire: Option<&'static str>,
    pub light: Option<(&'static str, f64)>,
    pub explosion: bool,
    pub foam: bool,
    pub smoke: Option<&'static str>,
    /// A substance that melts from the heat of reaction.
    pub melts: Option<Substance>,
}

pub(crate) struct Plan {
    pub class: ReactionClass,
    pub reactants: Vec<Substance>,
    pub products: Vec<Substance>,
    /// Sentences explaining the chemistry.
    pub story: String,
    /// Where reactants not supplied by the caller came from.
    pub supplied: Option<String>,
    pub catalyst: Option<Substance>,
    pub hints: Hints,
    /// Coefficients found by the half-reaction method, used when the matrix balancer finds
    /// the species ambiguous (they are checked to conserve atoms and charge).
    pub coefficients: Option<Vec<u32>>,
    /// Light started the reaction (a radical chain).
    pub initiated_by_light: bool,
    /// Reagents that take part through some of their ions (the net ionic equation shows
    /// the ions, so these are not reported as bystanders).
    pub via_ions: Vec<Substance>,
}

impl Plan {
    pub(crate) fn new(
        class: ReactionClass,
        reactants: Vec<Substance>,
        products: Vec<Substance>,
        story: String,
    ) -> Plan {
        Plan {
            class,
            reactants,
            products,
            story,
            supplied: None,
            catalyst: None,
            hints: Hints::default(),
            via_ions: Vec::new(),
            initiated_by_light: false,
            coefficients: None,
        }
    }

    pub(crate) fn supplied_by(mut self, note: Option<String>) -> Plan {
        self.supplied = note;
        self
    }

    pub(crate) fn with_hints(mut self, hints: Hints) -> Plan {
        self.hints = hints;
        self
    }
}

// A verdict is returned by value from each rule and consumed at once; boxing the plan would
// add an allocation per prediction for no memory held.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Verdict {
    NotApplicable,
    NoReaction(String),
    Reacts(Plan),
    /// The mixture would react but something the environment cannot supply is missing (a
    /// catalyst, an initiator): nothing happens, and no later rule may claim the mixture
    /// (methane with chlorine must not "burn" because light is missing).
    Needs(String),
    /// A refusal that gives way to any other rule's refusal (a negative E°cell says less
    /// about a mixture than "these ions are spectators").
    Unlikely(String),
    /// No rule knows this combination; the reason is the engine's best guess that nothing
    /// happens, which an external predictor may overrule.
    Undecided(String),
}

type Rule = fn(&Context) -> Verdict;

const RULES: [Rule; 13] = [
    decomposition::apply,
    displacement::metal_with_water,
    hydrolysis::apply,
    redox::apply,
    gas_phase::apply,
    organic::apply,
    acid_base::gas_evolution,
    acid_base::neutralization,
    displacement::metal_with_acid,
    displacement::apply,
    precipitation::apply,
    synthesis::apply,
    combustion::apply,
];

pub(crate) fn apply_rules(ctx: &Context) -> Verdict {
    let mut first_refusal = None;
    let mut fallback = None;
    for rule in RULES {
        match rule(ctx) {
            Verdict::Reacts(plan) => return Verdict::Reacts(plan),
            Verdict::Needs(reason) => return Verdict::NoReaction(reason),
            Verdict::Unlikely(reason) => {
                fallback.get_or_insert(reason);
            }
            Verdict::NoReaction(reason) => {
                first_refusal.get_or_insert(reason);
            }
            Verdict::NotApplicable | Verdict::Undecided(_) => {}
        }
    }
    if let Some(reason) = first_refusal.or(fallback).or_else(|| inert_mixture(ctx)) {
        return Verdict::NoReaction(reason);
    }
    Verdict::Undecided(generic_refusal(ctx))
}

/// Mixtures where nothing can happen whatever the rules say: a noble gas, or one chemical alone.
fn inert_mixture(ctx: &Context) -> Option<String> {
    if let Some(noble) = ctx
        .reagents
        .iter()
        .find(|r| ctx.compound(r.substance).class == CompoundClass::NobleGas)
    {
        return Some(format!(
            "{} is a noble gas: its full outer electron shell makes it chemically inert.",
            capitalize(ctx.name(noble.substance))
        ));
    }
    (ctx.reagents.len() == 1).then(|| {
        format!(
            "{} is stable on its own in {}; there is nothing for it to react with.",
            capitalize(&ctx.reagent_names()),
            ctx.env.description()
        )
    })
}

fn generic_refusal(ctx: &Context) -> String {
    let names = ctx.reagent_names();
    if let Some(water) = ctx.water_reagent() {
        let others = join_names(
            ctx.reagents
                .iter()
                .filter(|r| r.substance != water)
                .map(|r| ctx.name(r.substance)),
        );
        return format!(
            "{} does not react with water; dissolving, where it happens, is a physical change and no new substance forms.",
            capitalize(&others)
        );
    }
    format!(
        "No reaction is expected between {names} in {}: no combination, displacement, precipitation, neutralization, gas-forming, decomposition or combustion applies.",
        ctx.env.description()
    )
}

pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl<'a> Context<'a> {
    pub(crate) fn entry(&self, substance: Substance) -> &'a Entry {
        &self.cat.entries[substance.entry]
    }

    pub(crate) fn compound(&self, substance: Substance) -> &'static Compound {
        self.cat.entries[substance.entry].compound
    }

    /// Canonical formula, e.g. `Cu^2+`.
    pub(crate) fn formula(&self, substance: Substance) -> &'a str {
        &self.entry(substance).parsed.canonical
    }

    pub(crate) fn name(&self, substance: Substance) -> &'static str {
        self.compound(substance).name
    }

    fn reagent_names(&self) -> String {
        join_names(self.reagents.iter().map(|r| self.name(r.substance)))
    }

    pub(crate) fn is_formula(&self, substance: Substance, formula: &str) -> bool {
        self.formula(substance) == formula
    }

    /// The first reagent satisfying `predicate`, by index.
    pub(crate) fn find(&self, predicate: impl Fn(Substance) -> bool) -> Option<Substance> {
        self.reagents
            .iter()
            .map(|r| r.substance)
            .find(|&s| predicate(s))
    }

    pub(crate) fn water_reagent(&self) -> Option<Substance> {
        self.find(|s| self.is_formula(s, "H2O"))
    }

    pub(crate) fn temperature(&self) -> f64 {
        self.env.temperature_celsius()
    }

    /// The dissolved ion with this canonical formula.
    pub(crate) fn ion(&self, formula: &str) -> Option<Substance> {
        self.cat.ion(formula).map(|entry| Substance {
            entry,
            state: State::Aqueous,
        })
    }

    /// A product by formula, in the state it takes under these conditions.
    pub(crate) fn product(&self, formula: &str) -> Option<Substance> {
        self.cat
            .formula(formula)
            .map(|entry| self.as_product(entry))
    }

    /// Water as a product: steam when hot and not in solution.
    pub(crate) fn water(&self) -> Option<Substance> {
        self.product("H2O")
    }

    pub(crate) fn as_product(&self, entry: usize) -> Substance {
        let compound = self.cat.entries[entry].compound;
        if compound.state == State::Aqueous && !self.aqueous {
            let pure = [State::Gas, State::Liquid, State::Solid]
                .into_iter()
                .find_map(|state| self.cat.sibling_in_state(entry, state));
            if let Some(pure) = pure {
                return self.as_product(pure);
            }
        }
        let dissolves = self.aqueous
            && self.cat.entries[entry].ions.is_some()
            && compound.solubility.is_soluble()
            && compound.state != State::Gas;
        if compound.state == State::Aqueous || dissolves {
            return Substance {
                entry,
                state: State::Aqueous,
            };
        }
        if !self.aqueous {
            if let Some(at_temperature) = self.at_temperature(entry) {
                return at_temperature;
            }
        }
        Substance {
            entry,
            state: compound.state,
        }
    }

    /// A pure substance in the state its melting and boiling points give at the
    /// environment's temperature: its catalogue row in that state when there is one, else
    /// this row shown in that state (its standard data then stand in for ΔH° and ΔS°).
    pub(crate) fn at_temperature(&self, entry: usize) -> Option<Substance> {
        let state = self.cat.state_at(entry, self.temperature())?;
        let entry = self.cat.sibling_in_state(entry, state).unwrap_or(entry);
        Some(Substance { entry, state })
    }

    /// The compound of a cation and an anion (either may be absent, leaving a
    /// lone ion). Falls back to separate ions for soluble pairs the catalogue
    /// lacks; `None` when an insoluble pair has no entry.
    pub(crate) fn combine(
        &self,
        cation: Option<usize>,
        anion: Option<usize>,
    ) -> Option<Vec<Substance>> {
        let ion = |entry| Substance {
            entry,
            state: State::Aqueous,
        };
        match (cation, anion) {
            (Some(c), Some(a)) => match self.cat.ion_pair(c, a) {
                Some(entry) => Some(vec![self.as_product(entry)]),
                None if self.aqueous && !self.pair_precipitates(c, a) => Some(vec![ion(c), ion(a)]),
                None => None,
            },
            (Some(single), None) | (None, Some(single)) => Some(vec![ion(single)]),
            (None, None) => Some(Vec::new()),
        }
    }

    /// Whether cation + anion form a precipitate in water.
    pub(crate) fn pair_precipitates(&self, cation: usize, anion: usize) -> bool {
        match self.cat.ion_pair(cation, anion) {
            Some(entry) => self.cat.entries[entry].compound.solubility.precipitates(),
            None => precipitates_by_rule(
                &self.cat.entries[cation].parsed.canonical,
                &self.cat.entries[anion].parsed.canonical,
            ),
        }
    }

    /// Cation and anion entries of an ionic reagent, or of a lone ion.
    pub(crate) fn ions_of(&self, substance: Substance) -> (Option<usize>, Option<usize>) {
        let entry = self.entry(substance);
        match entry.compound.class {
            CompoundClass::Cation => (Some(substance.entry), None),
            CompoundClass::Anion => (None, Some(substance.entry)),
            _ => entry
                .ions
                .map_or((None, None), |pair| (Some(pair.cation), Some(pair.anion))),
        }
    }

    /// Environment-supplied oxygen or ions, as a substance.
    pub(crate) fn natural(&self, formula: &str) -> Option<Substance> {
        let entry = self.cat.formula(formula)?;
        Some(Substance {
            entry,
            state: self.cat.entries[entry].compound.state,
        })
    }
}

pub(crate) fn join_names<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.as_slice() {
        [] => String::new(),
        [only] => (*only).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Thermodynamic data of a substance in its state (dissolved forms use the
/// sum of their ions).
pub(crate) fn thermo_of(cat: &Catalogue, substance: Substance) -> Option<Thermo> {
    let entry = cat.entries.get(substance.entry)?;
    if entry.compound.state == substance.state {
        entry.thermo
    } else if substance.state == State::Aqueous {
        entry.dissolved_thermo
    } else {
        // A state the catalogue has no row for (zinc melted at 800 °C): the tabulated
        // standard-state values stand in, and the explanation says so.
        entry.thermo
    }
}

/// Colour as seen: dissolved salts take the colour of their coloured ion.
pub(crate) fn color_of(cat: &Catalogue, substance: Substance) -> &'static str {
    let Some(entry) = cat.entries.get(substance.entry) else {
        return "colorless";
    };
    if substance.state != State::Aqueous || entry.compound.state == State::Aqueous {
        return entry.compound.color;
    }
    let Some(pair) = entry.ions else {
        return entry.compound.color;
    };
    [pair.cation, pair.anion]
        .into_iter()
        .map(|ion| cat.entries[ion].compound.color)
        .find(|&color| color != "colorless")
        .unwrap_or("colorless")
}
