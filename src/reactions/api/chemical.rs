//! `Chemical`: one entry of the engine's built-in catalogue as the API shows it (names,
//! class, state, molar mass, standard thermodynamic data and the table it comes from).

use async_graphql::{Enum, Object};

use super::types::MatterState;
use crate::reactions::engine::{self, Compound};

/// A published table of standard thermodynamic properties.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ThermoSource {
    /// OpenStax, Chemistry 2e (2019), Appendix G.
    OpenstaxChemistry2E,
    /// Wagman et al., The NBS Tables of Chemical Thermodynamic Properties (1982).
    NbsTables1982,
    /// CRC Handbook of Chemistry and Physics, 95th ed. (2014).
    CrcHandbook,
    /// Cox, Wagman, Medvedev, CODATA Key Values for Thermodynamics (1989).
    CodataKeyValues,
    /// Chase, NIST-JANAF Thermochemical Tables, 4th ed. (1998).
    NistJanaf,
    /// A dissolved strong electrolyte: the sum of its tabulated ions.
    SumOfIons,
}

impl From<engine::Source> for ThermoSource {
    fn from(source: engine::Source) -> Self {
        match source {
            engine::Source::OpenStax => ThermoSource::OpenstaxChemistry2E,
            engine::Source::Nbs => ThermoSource::NbsTables1982,
            engine::Source::Codata => ThermoSource::CodataKeyValues,
            engine::Source::Janaf => ThermoSource::NistJanaf,
            // Phase points come from the same handbook's physical-constants tables.
            engine::Source::Crc | engine::Source::CrcPhysical => ThermoSource::CrcHandbook,
            engine::Source::IonSum => ThermoSource::SumOfIons,
        }
    }
}

/// A chemical of the built-in catalogue (with its position in a search result, for cursors).
pub struct Chemical(pub(super) &'static Compound, pub(super) usize);

/// A chemical of the built-in catalogue, with its physical and thermodynamic data.
#[Object]
impl Chemical {
    /// Its formula as the catalogue writes it, e.g. `NaCl`; `chemical(formula:)` finds it by it.
    async fn formula(&self) -> &str {
        self.0.formula
    }

    /// Its common name, e.g. "sodium chloride".
    async fn name(&self) -> &str {
        self.0.name
    }

    /// Other names it is found by, e.g. "table salt"; may be empty.
    async fn synonyms(&self) -> &[&'static str] {
        self.0.synonyms
    }

    /// ACID, BASE, SALT, OXIDE, METAL, NONMETAL, HYDROCARBON, ALCOHOL, …
    async fn class(&self) -> String {
        serde_json::to_value(self.0.class)
            .ok()
            .and_then(|value| value.as_str().map(String::from))
            .unwrap_or_default()
    }

    /// State at 25 °C.
    async fn state(&self) -> MatterState {
        self.0.state.into()
    }

    /// Normal melting point, °C at 1 atm (CRC Handbook); null when not tabulated or when it
    /// sublimes or decomposes before melting.
    async fn melting_point_celsius(&self) -> Option<f64> {
        self.0.phase_points().and_then(|points| points.melting)
    }

    /// Normal boiling point, °C at 1 atm (the sublimation point for a substance that
    /// sublimes; CRC Handbook); null when not tabulated or when it decomposes first. With the
    /// melting point it decides the state the engine gives the substance at an environment's
    /// temperature.
    async fn boiling_point_celsius(&self) -> Option<f64> {
        self.0.phase_points().and_then(|points| points.boiling)
    }

    /// g/mol, from IUPAC atomic weights.
    async fn molar_mass(&self) -> f64 {
        self.0.molar_mass()
    }

    /// Standard enthalpy of formation ΔH°f, kJ/mol.
    async fn enthalpy_of_formation_kj(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.enthalpy)
    }

    /// Standard molar entropy S°, J/(mol·K).
    async fn standard_entropy_j_per_mol_k(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.entropy)
    }

    /// Standard Gibbs energy of formation ΔG°f, kJ/mol.
    async fn gibbs_of_formation_kj(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.gibbs)
    }

    /// Where the thermodynamic values come from (OS2e, NBS82, CRC, CODATA, JANAF, ION_SUM).
    #[graphql(deprecation = "Use thermoSource, which also gives the citation.")]
    async fn data_source(&self) -> Option<&'static str> {
        self.0.thermo_source().map(engine::Source::code)
    }

    /// The published table this chemical's ΔH°f, ΔG°f and S° come from; null without data.
    async fn thermo_source(&self) -> Option<ThermoSource> {
        self.0.thermo_source().map(Into::into)
    }

    /// The full reference of `thermoSource`, as a reader would look it up.
    async fn thermo_source_citation(&self) -> Option<&'static str> {
        self.0.thermo_source().map(engine::Source::citation)
    }

    /// True when the source gives no usable ΔG°f for this chemical and
    /// `gibbsOfFormationKj` is ΔH°f − 298.15 K·ΔS°f from the element entropies.
    async fn gibbs_of_formation_computed(&self) -> Option<bool> {
        self.0.standard_thermo().map(|thermo| thermo.gibbs_computed)
    }

    /// Its colour, as a word ("white", "colorless", ...).
    async fn color(&self) -> &str {
        self.0.color
    }

    /// SOLUBLE, SLIGHTLY_SOLUBLE, INSOLUBLE, MISCIBLE, REACTS_WITH_WATER or grams per 100 mL.
    async fn solubility(&self) -> String {
        match self.0.solubility {
            engine::Solubility::GramsPer100Ml(grams) => format!("{grams} g/100 mL"),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|value| value.as_str().map(String::from))
                .unwrap_or_default(),
        }
    }
}
