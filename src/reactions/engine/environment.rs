//! Reaction environments: temperature, pressure, what the surroundings supply
//! (oxygen from air, H⁺ in acidic solution, OH⁻ in basic solution).

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Environment {
    /// Air at 25 °C and 1 atm.
    #[default]
    Normal,
    /// No gas at all, 25 °C.
    Vacuum,
    /// Pure O₂ at 1 atm, 25 °C.
    PureOxygen,
    /// Argon/nitrogen blanket at 1 atm, 25 °C.
    InertGas,
    /// Dilute aqueous acid (supplies H⁺), 25 °C.
    Acidic,
    /// Dilute aqueous alkali (supplies OH⁻), 25 °C.
    Basic,
    /// A furnace: air at 800 °C.
    HighTemperature,
}

/// How much oxygen the surroundings provide for burning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OxygenSupply {
    None,
    Air,
    Pure,
}

impl Environment {
    pub fn temperature_celsius(self) -> f64 {
        match self {
            Environment::HighTemperature => 800.0,
            _ => 25.0,
        }
    }

    pub fn temperature_kelvin(self) -> f64 {
        self.temperature_celsius() + 273.15
    }

    pub fn pressure_atm(self) -> f64 {
        match self {
            Environment::Vacuum => 0.0,
            _ => 1.0,
        }
    }

    /// Stable upper-case name, used in cache keys.
    pub fn key(self) -> &'static str {
        match self {
            Environment::Normal => "NORMAL",
            Environment::Vacuum => "VACUUM",
            Environment::PureOxygen => "PURE_OXYGEN",
            Environment::InertGas => "INERT_GAS",
            Environment::Acidic => "ACIDIC",
            Environment::Basic => "BASIC",
            Environment::HighTemperature => "HIGH_TEMPERATURE",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Environment::Normal => "air at 25 °C and 1 atm",
            Environment::Vacuum => "a vacuum at 25 °C",
            Environment::PureOxygen => "pure oxygen at 25 °C",
            Environment::InertGas => "an inert gas atmosphere at 25 °C",
            Environment::Acidic => "acidic aqueous solution at 25 °C",
            Environment::Basic => "basic aqueous solution at 25 °C",
            Environment::HighTemperature => "air heated to 800 °C",
        }
    }

    /// Solutions hold little dissolved O₂ and cannot sustain a flame.
    pub(crate) fn oxygen(self) -> OxygenSupply {
        match self {
            Environment::Normal | Environment::HighTemperature => OxygenSupply::Air,
            Environment::PureOxygen => OxygenSupply::Pure,
            Environment::Vacuum
            | Environment::InertGas
            | Environment::Acidic
            | Environment::Basic => OxygenSupply::None,
        }
    }

    pub(crate) fn is_solution(self) -> bool {
        matches!(self, Environment::Acidic | Environment::Basic)
    }

    /// Hot enough for strongly heated oxidations and reductions.
    pub(crate) fn is_hot(self) -> bool {
        self.temperature_celsius() >= 500.0
    }
}
