//! Whether a reaction runs by itself at the temperature its environment means, and how far:
//! ΔG(T) ≈ ΔH° − TΔS° (ΔH° and ΔS° taken as independent of temperature, as the engine does
//! throughout), the equilibrium constant K = exp(−ΔG/RT), and the temperature at which ΔG
//! changes sign when ΔH° and ΔS° have the same sign (T = ΔH°/ΔS°). The temperatures are
//! those of `Environment::temperature_kelvin`: 298.15 K for every environment but
//! HIGH_TEMPERATURE (1073.15 K, a furnace at 800 °C).

use serde::Serialize;

use super::model::ReactionOutcome;
use super::thermo::round2;

/// Molar gas constant, J/(mol·K) (CODATA 2018, exact since the 2019 SI).
const GAS_CONSTANT: f64 = 8.314_462_618;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spontaneity {
    pub temperature_k: f64,
    /// ΔH° − TΔS° at `temperature_k`, kJ.
    pub gibbs_kj: f64,
    pub spontaneous: bool,
    /// log₁₀ K; always finite.
    pub log10_equilibrium_constant: f64,
    /// K itself; `None` when it is beyond what a double holds (|log₁₀ K| > 300).
    pub equilibrium_constant: Option<f64>,
    /// Where ΔG = 0, when ΔH° and ΔS° have the same sign; `None` when the sign never changes.
    pub sign_change_temperature_k: Option<f64>,
    /// True: spontaneous above `sign_change_temperature_k` (ΔH°, ΔS° > 0); false: below it.
    pub spontaneous_above_sign_change: Option<bool>,
}

/// `None` when the outcome has no thermodynamics (no reaction, or a species without data).
pub fn spontaneity(outcome: &ReactionOutcome) -> Option<Spontaneity> {
    let enthalpy_kj = outcome.enthalpy_kj?;
    let entropy_j_per_k = outcome.entropy_j_per_k?;
    let gibbs_kj = outcome.gibbs_kj?;
    let temperature_k = outcome.temperature_k;
    let log10_k = -gibbs_kj * 1000.0 / (GAS_CONSTANT * temperature_k * std::f64::consts::LN_10);
    let equilibrium_constant = (log10_k.abs() <= 300.0).then(|| significant4(10f64.powf(log10_k)));
    let sign_change = enthalpy_kj * 1000.0 / entropy_j_per_k;
    let changes_sign = entropy_j_per_k != 0.0 && sign_change.is_finite() && sign_change > 0.0;
    Some(Spontaneity {
        temperature_k,
        gibbs_kj,
        spontaneous: gibbs_kj < 0.0,
        log10_equilibrium_constant: round2(log10_k),
        equilibrium_constant,
        sign_change_temperature_k: changes_sign.then(|| round2(sign_change)),
        spontaneous_above_sign_change: changes_sign.then_some(entropy_j_per_k > 0.0),
    })
}

/// K to four significant digits: ΔG is known to about 0.01 kJ, which is already ±0.4 % in K
/// at room temperature.
fn significant4(value: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let scale = 10f64.powi(3 - magnitude);
    let rounded = (value * scale).round() / scale;
    if rounded.is_finite() {
        rounded
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::super::{predict_reaction, Environment, ReactantInput, ReactionInput};
    use super::*;

    fn outcome(reactants: &[&str], environment: Environment) -> ReactionOutcome {
        predict_reaction(&ReactionInput {
            reactants: reactants
                .iter()
                .map(|chemical| ReactantInput {
                    chemical: chemical.to_string(),
                    amount: None,
                })
                .collect(),
            environment,
            catalyst: None,
        })
        .unwrap()
    }

    #[test]
    fn the_equilibrium_constant_follows_from_gibbs_energy_at_the_environments_temperature() {
        let burning = outcome(&["H2", "O2"], Environment::Normal);
        let found = spontaneity(&burning).unwrap();
        assert_eq!(found.temperature_k, 298.15);
        assert!(found.spontaneous);
        let expected = -found.gibbs_kj * 1000.0 / (GAS_CONSTANT * 298.15) / std::f64::consts::LN_10;
        assert!((found.log10_equilibrium_constant - expected).abs() < 0.01);
        let k = found.equilibrium_constant.unwrap();
        assert!((k.log10() - expected).abs() < 0.01, "{k}");
        // 2 H2 + O2 → 2 H2O(l): ΔH° = −571.7 kJ, ΔS° = −326.7 J/K, so spontaneous only below
        // ΔH°/ΔS° ≈ 1750 K (for liquid water as written; the engine keeps ΔH°, ΔS° constant).
        assert_eq!(found.spontaneous_above_sign_change, Some(false));
        let turning = found.sign_change_temperature_k.unwrap();
        assert!((1700.0..1800.0).contains(&turning), "{turning}");
    }

    #[test]
    fn limestone_decomposes_only_above_about_1100_k() {
        let lime = outcome(&["CaCO3"], Environment::HighTemperature);
        let found = spontaneity(&lime).unwrap();
        assert_eq!(found.temperature_k, 1073.15);
        let turning = found.sign_change_temperature_k.unwrap();
        assert!((1080.0..1140.0).contains(&turning), "{turning}");
        assert_eq!(found.spontaneous_above_sign_change, Some(true));
        assert_eq!(found.spontaneous, found.gibbs_kj < 0.0);
        assert!(spontaneity(&outcome(&["NaCl", "KNO3"], Environment::Normal)).is_none());
    }
}
