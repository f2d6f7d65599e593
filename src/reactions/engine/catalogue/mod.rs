//! The compound catalogue compiled into the binary: elemental substances,
//! inorganic compounds, salts, organics and aqueous ions, each with names,
//! class, state, colour, water solubility and standard thermodynamic data.
//!
//! Data live in `data_*.rs` as static arrays; `index.rs` builds the lookup
//! indexes once (behind a `LazyLock`). Molar masses and the thermodynamics of
//! elements in their standard states come from the element table in
//! `elements.rs`, never stored twice.
//!
//! Values are ΔH°f (kJ/mol), ΔG°f (kJ/mol) and S° (J/(mol·K)) at 298.15 K and
//! 1 bar, each row naming its published source (`Source`, see `sources.rs`).
//! Where the source gives only ΔH°f and S°, or where its own ΔG°f disagrees
//! with its ΔH°f and S° by more than 1 kJ/mol, the row is `hs(ΔH°f, S°)` and
//! ΔG°f is computed as ΔH°f − T·ΔS°f from the element table (`formation.rs`),
//! with `gibbs_computed` set. `tests.rs` holds every tabulated row to that
//! relation; `cross_check/` compares the catalogue with the CRC table.

mod data_elements;
mod data_inorganic;
mod data_ions;
mod data_organic;
mod data_phase;
mod data_salts;
mod formation;
mod index;
mod ions;
mod search;

#[cfg(test)]
mod cross_check;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use super::model::State;
pub use super::sources::Source;
pub use data_phase::PhasePoints;
pub(crate) use index::{normalize_name, Catalogue, Entry, IonPair, CATALOGUE};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompoundClass {
    Metal,
    Nonmetal,
    Metalloid,
    NobleGas,
    Acid,
    Base,
    Salt,
    Oxide,
    Peroxide,
    Hydride,
    Nitride,
    Carbide,
    Phosphide,
    Hydrocarbon,
    Alcohol,
    Carbohydrate,
    Organic,
    Organohalide,
    Ester,
    Molecular,
    Cation,
    Anion,
}

/// Solubility in water near room temperature.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Solubility {
    Soluble,
    SlightlySoluble,
    Insoluble,
    Miscible,
    ReactsWithWater,
    /// Grams per 100 mL of water at 20–25 °C.
    GramsPer100Ml(f64),
}

impl Solubility {
    /// Dissolves readily (≥ 1 g/100 mL).
    pub fn is_soluble(self) -> bool {
        match self {
            Solubility::Soluble | Solubility::Miscible => true,
            Solubility::GramsPer100Ml(grams) => grams >= 1.0,
            _ => false,
        }
    }

    /// Forms a precipitate at ordinary lab concentrations.
    pub fn precipitates(self) -> bool {
        match self {
            Solubility::Insoluble | Solubility::SlightlySoluble => true,
            Solubility::GramsPer100Ml(grams) => grams < 1.0,
            _ => false,
        }
    }
}

/// Standard molar properties at 298.15 K.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Thermo {
    /// ΔH°f, kJ/mol.
    pub enthalpy: f64,
    /// ΔG°f, kJ/mol.
    pub gibbs: f64,
    /// S°, J/(mol·K).
    pub entropy: f64,
    pub source: Source,
    pub gibbs_computed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum ThermoData {
    Tabulated(Thermo),
    /// Only ΔH°f and S° tabulated; ΔG°f is computed at index time.
    EnthalpyEntropy {
        enthalpy: f64,
        entropy: f64,
        source: Source,
    },
    /// An element in its standard state: ΔH°f = ΔG°f = 0, S° from the element table.
    StandardElement,
    /// Exists only in solution: the sum of its ions.
    SumOfIons,
    Unavailable,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Compound {
    /// Display formula; always parseable by `parse_formula`.
    pub formula: &'static str,
    pub name: &'static str,
    pub synonyms: &'static [&'static str],
    pub class: CompoundClass,
    /// State of this entry (the first entry of a formula is its state at 25 °C).
    pub state: State,
    pub color: &'static str,
    pub solubility: Solubility,
    pub thermo: ThermoData,
}

impl Compound {
    /// g/mol, from IUPAC atomic weights.
    pub fn molar_mass(&self) -> f64 {
        CATALOGUE
            .entry_of(self)
            .map_or(0.0, |entry| entry.molar_mass)
    }

    /// Resolved standard data (ion sums and computed ΔG°f included).
    pub fn standard_thermo(&self) -> Option<Thermo> {
        CATALOGUE.entry_of(self).and_then(|entry| entry.thermo)
    }

    /// The published table this row's thermodynamic values come from; `None` when the row
    /// has none.
    pub fn thermo_source(&self) -> Option<Source> {
        self.standard_thermo().map(|thermo| thermo.source)
    }

    /// Normal melting and boiling points, when tabulated.
    pub fn phase_points(&self) -> Option<&'static PhasePoints> {
        CATALOGUE.entry_of(self).and_then(|entry| entry.phase)
    }

    /// Stable identifier: formula plus state, e.g. `H2O(l)`.
    pub fn id(&self) -> String {
        format!("{}({})", self.formula, self.state.symbol())
    }
}

const fn t(enthalpy: f64, gibbs: f64, entropy: f64, source: Source) -> ThermoData {
    ThermoData::Tabulated(Thermo {
        enthalpy,
        gibbs,
        entropy,
        source,
        gibbs_computed: false,
    })
}

const fn hs(enthalpy: f64, entropy: f64, source: Source) -> ThermoData {
    ThermoData::EnthalpyEntropy {
        enthalpy,
        entropy,
        source,
    }
}

const fn g(grams_per_100_ml: f64) -> Solubility {
    Solubility::GramsPer100Ml(grams_per_100_ml)
}

/// `c!(formula, name, [synonyms], Class, State, color, solubility, thermo)`.
macro_rules! c {
    ($formula:literal, $name:literal, [$($synonym:literal),* $(,)?], $class:ident, $state:ident, $color:literal, $solubility:expr, $thermo:expr $(,)?) => {
        super::Compound {
            formula: $formula,
            name: $name,
            synonyms: &[$($synonym),*],
            class: super::CompoundClass::$class,
            state: super::State::$state,
            color: $color,
            solubility: $solubility,
            thermo: $thermo,
        }
    };
}
pub(crate) use c;

/// Every compound, in lookup priority order.
pub(crate) fn all_compounds() -> impl Iterator<Item = &'static Compound> {
    data_inorganic::WATER_AND_ACIDS
        .iter()
        .chain(data_elements::ELEMENTAL.iter())
        .chain(data_inorganic::BASES.iter())
        .chain(data_inorganic::OXIDES.iter())
        .chain(data_inorganic::MOLECULAR.iter())
        .chain(data_salts::HALIDES.iter())
        .chain(data_salts::OXOSALTS.iter())
        .chain(data_salts::OTHER_SALTS.iter())
        .chain(data_organic::ORGANIC.iter())
        .chain(data_ions::IONS.iter())
}

pub use search::{lookup_chemical, search_chemicals};
