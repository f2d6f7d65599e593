//! `Chemical`: one entry of the engine's built-in catalogue as the API shows it (names,
//! class, state, molar mass, standard thermodynamic data and the table it comes from).

use async_graphql::Object;

use super::types::MatterState;
use crate::reactions::engine::{self, Compound};

/// A chemical of the built-in catalogue (with its position in a search result, for cursors).
pub struct Chemical(pub(super) &'static Compound, pub(super) usize);

#[Object]
impl Chemical {
    async fn formula(&self) -> &str {
        self.0.formula
    }

    async fn name(&self) -> &str {
        self.0.name
    }

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

    /// Where the thermodynamic values come from (OS2e: OpenStax Chemistry 2e Appendix G,
    /// NBS82: NBS tables, CRC: CRC Handbook, ION_SUM: summed from its ions).
    async fn data_source(&self) -> Option<&'static str> {
        self.0.standard_thermo().map(|thermo| thermo.source.code())
    }

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
