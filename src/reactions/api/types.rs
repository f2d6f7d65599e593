//! GraphQL enums and value types the chemistry sandbox's objects share: environments,
//! reaction classes, states of matter, species and effects, each mapped from the engine's
//! own type. No resolver logic lives here.

use async_graphql::{Enum, SimpleObject};

use crate::reactions::{
    engine::{self, Effect},
    model::Environment,
};

/// What a reactant's `amount` counts.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmountUnit {
    /// Moles, as given.
    #[default]
    Moles,
    /// Converted to moles with the chemical's molar mass.
    Grams,
}

impl Environment {
    pub(super) fn engine(self) -> engine::Environment {
        match self {
            Environment::Normal => engine::Environment::Normal,
            Environment::Vacuum => engine::Environment::Vacuum,
            Environment::PureOxygen => engine::Environment::PureOxygen,
            Environment::InertGas => engine::Environment::InertGas,
            Environment::Acidic => engine::Environment::Acidic,
            Environment::Basic => engine::Environment::Basic,
            Environment::HighTemperature => engine::Environment::HighTemperature,
        }
    }
}

/// The kind of reaction the engine recognised.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ReactionClass")]
pub enum ReactionClassKind {
    /// A fuel burning in oxygen.
    Combustion,
    /// An acid and a base giving a salt and water.
    Neutralization,
    /// An element taking another's place in a compound (A + BC → AC + B).
    SingleDisplacement,
    /// Two compounds exchanging partners (AB + CD → AD + CB), e.g. a precipitation.
    DoubleDisplacement,
    /// A gas given off, e.g. a carbonate with an acid.
    GasEvolution,
    /// Simpler substances combining into one compound.
    Synthesis,
    /// One compound breaking into simpler substances.
    Decomposition,
    /// Electrons move from a reducer to an oxidizer in solution (e.g. permanganate with
    /// iron(II)); the explanation gives both half-equations.
    Redox,
    /// One element in one oxidation state is both oxidised and reduced (chlorine in alkali).
    Disproportionation,
    /// The same element in two oxidation states gives one intermediate state (iodate with
    /// iodide).
    Comproportionation,
    /// Water splits a compound: ionic carbides, nitrides, phosphides and hydrides, or the ion
    /// of a weak acid or base.
    Hydrolysis,
    /// A carboxylic acid and an alcohol give an ester and water, with an acid catalyst.
    Esterification,
    /// An ester and water give back the carboxylic acid and alcohol, with an acid catalyst.
    EsterHydrolysis,
    /// An ester and an alkali give a carboxylate salt (a soap, for fats) and an alcohol.
    Saponification,
    /// A molecule (H2, a halogen, a hydrogen halide, water) adds across a C=C double bond.
    Addition,
    /// A halogen replaces a hydrogen atom of an alkane, a radical chain started by light.
    Substitution,
    /// Nothing happens under these conditions; `explanation` says why.
    NoReaction,
}

impl From<engine::ReactionClass> for ReactionClassKind {
    fn from(class: engine::ReactionClass) -> Self {
        use engine::ReactionClass as C;
        match class {
            C::Combustion => ReactionClassKind::Combustion,
            C::Neutralization => ReactionClassKind::Neutralization,
            C::SingleDisplacement => ReactionClassKind::SingleDisplacement,
            C::DoubleDisplacement => ReactionClassKind::DoubleDisplacement,
            C::GasEvolution => ReactionClassKind::GasEvolution,
            C::Synthesis => ReactionClassKind::Synthesis,
            C::Decomposition => ReactionClassKind::Decomposition,
            C::Redox => ReactionClassKind::Redox,
            C::Disproportionation => ReactionClassKind::Disproportionation,
            C::Comproportionation => ReactionClassKind::Comproportionation,
            C::Hydrolysis => ReactionClassKind::Hydrolysis,
            C::Esterification => ReactionClassKind::Esterification,
            C::EsterHydrolysis => ReactionClassKind::EsterHydrolysis,
            C::Saponification => ReactionClassKind::Saponification,
            C::Addition => ReactionClassKind::Addition,
            C::Substitution => ReactionClassKind::Substitution,
            C::NoReaction => ReactionClassKind::NoReaction,
        }
    }
}

/// A substance's physical state, as the (s), (l), (g) and (aq) of an equation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MatterState")]
pub enum MatterState {
    /// (s)
    Solid,
    /// (l)
    Liquid,
    /// (g)
    Gas,
    /// (aq): dissolved in water.
    Aqueous,
}

impl From<engine::State> for MatterState {
    fn from(state: engine::State) -> Self {
        match state {
            engine::State::Solid => MatterState::Solid,
            engine::State::Liquid => MatterState::Liquid,
            engine::State::Gas => MatterState::Gas,
            engine::State::Aqueous => MatterState::Aqueous,
        }
    }
}

/// One substance of a balanced equation.
#[derive(SimpleObject)]
pub struct Species {
    /// Its formula, e.g. `H2O`.
    formula: String,
    /// Its common name, e.g. "water".
    name: String,
    /// Its state in this reaction.
    state: MatterState,
    /// Its stoichiometric coefficient in the balanced equation (at least 1).
    coefficient: u32,
}

/// What a reaction visibly does; each kind sets its own `Effect` parameters.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EffectKind {
    /// Bubbles of gas: `gas`, `color`, `intensity`.
    GasProduction,
    /// A solid forming in solution: `compound`, `color`.
    Precipitate,
    /// Flames: `color`, `intensity`.
    Fire,
    /// A bang: `intensity`.
    Explosion,
    /// Light given off: `color`, `intensity`.
    LightEmission,
    /// Heating or cooling: `deltaCelsius`.
    TemperatureChange,
    /// The mixture changing colour: `from`, `to`.
    ColorChange,
    /// Foam: `intensity`.
    Foam,
    /// Smoke: `color`.
    Smoke,
    /// A product melting, boiling or freezing: `compound`, `to`.
    StateChange,
}

/// Something a game can render; which parameters are set depends on `kind`.
#[derive(SimpleObject)]
#[graphql(name = "Effect")]
pub struct EffectView {
    /// What happens; says which of the other fields are set.
    kind: EffectKind,
    /// GAS_PRODUCTION: the gas's formula.
    gas: Option<String>,
    /// PRECIPITATE, STATE_CHANGE: the compound's formula.
    compound: Option<String>,
    /// GAS_PRODUCTION, PRECIPITATE, FIRE, LIGHT_EMISSION, SMOKE: a colour word ("white",
    /// "colorless", ...).
    color: Option<String>,
    /// 0 to 1.
    intensity: Option<f64>,
    /// TEMPERATURE_CHANGE.
    delta_celsius: Option<f64>,
    /// COLOR_CHANGE: the colour before.
    from: Option<String>,
    /// COLOR_CHANGE: the colour after; STATE_CHANGE: the new state.
    to: Option<String>,
}

impl EffectView {
    fn of(kind: EffectKind) -> Self {
        EffectView {
            kind,
            gas: None,
            compound: None,
            color: None,
            intensity: None,
            delta_celsius: None,
            from: None,
            to: None,
        }
    }
}

impl From<&Effect> for EffectView {
    fn from(effect: &Effect) -> Self {
        let mut view = EffectView::of(EffectKind::GasProduction);
        match effect {
            Effect::GasProduction {
                gas,
                color,
                intensity,
            } => {
                view.kind = EffectKind::GasProduction;
                view.gas = Some(gas.clone());
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::Precipitate { compound, color } => {
                view.kind = EffectKind::Precipitate;
                view.compound = Some(compound.clone());
                view.color = Some(color.clone());
            }
            Effect::Fire { color, intensity } => {
                view.kind = EffectKind::Fire;
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::Explosion { intensity } => {
                view.kind = EffectKind::Explosion;
                view.intensity = Some(*intensity);
            }
            Effect::LightEmission { color, intensity } => {
                view.kind = EffectKind::LightEmission;
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::TemperatureChange { delta_celsius } => {
                view.kind = EffectKind::TemperatureChange;
                view.delta_celsius = Some(*delta_celsius);
            }
            Effect::ColorChange { from, to } => {
                view.kind = EffectKind::ColorChange;
                view.from = Some(from.clone());
                view.to = Some(to.clone());
            }
            Effect::Foam { intensity } => {
                view.kind = EffectKind::Foam;
                view.intensity = Some(*intensity);
            }
            Effect::Smoke { color } => {
                view.kind = EffectKind::Smoke;
                view.color = Some(color.clone());
            }
            Effect::StateChange { compound, to } => {
                view.kind = EffectKind::StateChange;
                view.compound = Some(compound.clone());
                view.to = Some(to.word().to_string());
            }
        }
        view
    }
}

pub(super) fn species(list: &[engine::Species]) -> Vec<Species> {
    list.iter()
        .map(|species| Species {
            formula: species.formula.clone(),
            name: species.name.clone(),
            state: species.state.into(),
            coefficient: species.coefficient,
        })
        .collect()
}
