//! Public request and response types of the engine. Everything that leaves the
//! engine is serde-serialisable because outcomes are cached as JSON; field
//! order and enum spellings are part of that cache format.

use serde::{Deserialize, Serialize};

use super::environment::Environment;

/// Physical state of a species, written `(s)`, `(l)`, `(g)`, `(aq)` in equations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Solid,
    Liquid,
    Gas,
    Aqueous,
}

impl State {
    /// The suffix used in equations, e.g. `aq`.
    pub fn symbol(self) -> &'static str {
        match self {
            State::Solid => "s",
            State::Liquid => "l",
            State::Gas => "g",
            State::Aqueous => "aq",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            State::Solid => "solid",
            State::Liquid => "liquid",
            State::Gas => "gas",
            State::Aqueous => "aqueous solution",
        }
    }
}

/// One chemical put into the reaction vessel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReactantInput {
    /// A name ("table salt"), synonym or formula ("NaCl", "HCl(aq)", "SO4^2-").
    pub chemical: String,
    /// Amount in moles. Only the ratio between reactants matters.
    pub amount: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReactionInput {
    pub reactants: Vec<ReactantInput>,
    pub environment: Environment,
    pub catalyst: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReactionClass {
    Combustion,
    Neutralization,
    SingleDisplacement,
    DoubleDisplacement,
    GasEvolution,
    Synthesis,
    Decomposition,
    /// Electron transfer between an oxidizer and a reducer in solution.
    Redox,
    /// One element in one oxidation state is both oxidised and reduced.
    Disproportionation,
    /// The same element in two oxidation states meets in one intermediate state.
    Comproportionation,
    /// Water splits a compound (ionic carbides, nitrides, phosphides, hydrides, salts of
    /// weak acids or bases).
    Hydrolysis,
    /// Carboxylic acid + alcohol → ester + water (acid catalysed).
    Esterification,
    /// Ester + water → carboxylic acid + alcohol (acid catalysed).
    EsterHydrolysis,
    /// Ester + alkali → carboxylate salt + alcohol.
    Saponification,
    /// A molecule adds across a C=C double bond.
    Addition,
    /// A hydrogen atom of an alkane replaced by a halogen (radical chain, initiated by light).
    Substitution,
    NoReaction,
}

impl ReactionClass {
    pub fn label(self) -> &'static str {
        match self {
            ReactionClass::Combustion => "combustion",
            ReactionClass::Neutralization => "neutralization",
            ReactionClass::SingleDisplacement => "single displacement",
            ReactionClass::DoubleDisplacement => "double displacement (precipitation)",
            ReactionClass::GasEvolution => "gas evolution",
            ReactionClass::Synthesis => "synthesis",
            ReactionClass::Decomposition => "decomposition",
            ReactionClass::Redox => "redox (electron transfer)",
            ReactionClass::Disproportionation => "disproportionation",
            ReactionClass::Comproportionation => "comproportionation",
            ReactionClass::Hydrolysis => "hydrolysis",
            ReactionClass::Esterification => "esterification",
            ReactionClass::EsterHydrolysis => "ester hydrolysis",
            ReactionClass::Saponification => "saponification",
            ReactionClass::Addition => "addition",
            ReactionClass::Substitution => "substitution",
            ReactionClass::NoReaction => "no reaction",
        }
    }
}

/// A species in the balanced equation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Species {
    pub formula: String,
    pub name: String,
    pub state: State,
    pub coefficient: u32,
}

/// Something a game can render. Intensities are in `0.0..=1.0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Effect {
    GasProduction {
        gas: String,
        color: String,
        intensity: f64,
    },
    Precipitate {
        compound: String,
        color: String,
    },
    Fire {
        color: String,
        intensity: f64,
    },
    Explosion {
        intensity: f64,
    },
    LightEmission {
        color: String,
        intensity: f64,
    },
    TemperatureChange {
        delta_celsius: f64,
    },
    ColorChange {
        from: String,
        to: String,
    },
    Foam {
        intensity: f64,
    },
    Smoke {
        color: String,
    },
    StateChange {
        compound: String,
        to: State,
    },
}

/// The engine's prediction. Thermodynamic fields are `None` when the reaction
/// does not happen or a species has no tabulated data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReactionOutcome {
    /// e.g. `2 H2(g) + O2(g) → 2 H2O(l)`.
    pub equation: String,
    pub reaction_class: ReactionClass,
    pub reactants: Vec<Species>,
    pub products: Vec<Species>,
    /// Formula of the catalyst, if one was used.
    pub catalyst: Option<String>,
    pub effects: Vec<Effect>,
    /// ΔH° for the equation as written, kJ.
    pub enthalpy_kj: Option<f64>,
    /// ΔS° for the equation as written, J/K.
    pub entropy_j_per_k: Option<f64>,
    /// ΔG = ΔH° − TΔS° at the environment's temperature, kJ.
    pub gibbs_kj: Option<f64>,
    pub temperature_k: f64,
    pub exothermic: Option<bool>,
    pub spontaneous: Option<bool>,
    pub explanation: String,
}
