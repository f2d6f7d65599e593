//! What an outcome means beyond its equation, as the API shows it: real amounts (limiting
//! reactant, excess, theoretical yield) and spontaneity at the environment's temperature.
//! The engine computes both; these are their GraphQL shapes.

use async_graphql::SimpleObject;

use super::types::MatterState;
use crate::reactions::engine;

/// The run's amounts through the balanced equation (100 % yield).
#[derive(SimpleObject)]
pub struct ReactionAmounts {
    /// How many times the equation as written runs, mol.
    extent_mol: f64,
    /// Formula of the reactant that runs out first.
    limiting_reactant: String,
    /// Each reactant of the equation: supplied, consumed and left over.
    reactants: Vec<ReactantAmount>,
    /// Each product of the equation, at 100 % yield.
    products: Vec<ProductAmount>,
}

/// One reactant's amounts in a run.
#[derive(SimpleObject)]
pub struct ReactantAmount {
    /// The reactant's formula.
    formula: String,
    /// Its state in the equation.
    state: MatterState,
    /// Null when no amount was given or the environment supplies it: taken to be in excess.
    supplied_mol: Option<f64>,
    /// What the reaction uses, mol.
    consumed_mol: f64,
    /// What the reaction uses, g.
    consumed_grams: f64,
    /// What is left over (zero for the limiting reactant); null when in excess.
    left_mol: Option<f64>,
    /// What is left over, g; null when in excess.
    left_grams: Option<f64>,
    /// True for the reactant that runs out first.
    limiting: bool,
}

/// One product's theoretical yield in a run.
#[derive(SimpleObject)]
pub struct ProductAmount {
    /// The product's formula.
    formula: String,
    /// Its state in the equation.
    state: MatterState,
    /// Theoretical yield, mol.
    mol: f64,
    /// Theoretical yield, g.
    grams: f64,
}

impl From<engine::ReactionAmounts> for ReactionAmounts {
    fn from(amounts: engine::ReactionAmounts) -> Self {
        ReactionAmounts {
            extent_mol: amounts.extent_mol,
            limiting_reactant: amounts.limiting_reactant,
            reactants: amounts
                .reactants
                .into_iter()
                .map(|r| ReactantAmount {
                    formula: r.formula,
                    state: r.state.into(),
                    supplied_mol: r.supplied_mol,
                    consumed_mol: r.consumed_mol,
                    consumed_grams: r.consumed_g,
                    left_mol: r.left_mol,
                    left_grams: r.left_g,
                    limiting: r.limiting,
                })
                .collect(),
            products: amounts
                .products
                .into_iter()
                .map(|p| ProductAmount {
                    formula: p.formula,
                    state: p.state.into(),
                    mol: p.mol,
                    grams: p.grams,
                })
                .collect(),
        }
    }
}

/// ΔG(T) ≈ ΔH° − TΔS° at the environment's temperature (ΔH°, ΔS° from 298.15 K data, taken as
/// independent of temperature) and what follows from it.
#[derive(SimpleObject)]
pub struct Spontaneity {
    /// The environment's temperature (see `Environment`).
    temperature_k: f64,
    /// ΔG at `temperatureK`, kJ.
    gibbs_kj: f64,
    /// True when ΔG < 0.
    spontaneous: bool,
    /// K = exp(−ΔG/RT); null when beyond a double's range (see `log10EquilibriumConstant`).
    equilibrium_constant: Option<f64>,
    /// log₁₀ K = −ΔG / (RT ln 10); always finite.
    log10_equilibrium_constant: f64,
    /// T = ΔH°/ΔS°, where ΔG changes sign; null when ΔH° and ΔS° differ in sign (never).
    sign_change_temperature_k: Option<f64>,
    /// True: spontaneous above `signChangeTemperatureK`; false: only below it.
    spontaneous_above_sign_change: Option<bool>,
}

impl From<engine::Spontaneity> for Spontaneity {
    fn from(found: engine::Spontaneity) -> Self {
        Spontaneity {
            temperature_k: found.temperature_k,
            gibbs_kj: found.gibbs_kj,
            spontaneous: found.spontaneous,
            equilibrium_constant: found.equilibrium_constant,
            log10_equilibrium_constant: found.log10_equilibrium_constant,
            sign_change_temperature_k: found.sign_change_temperature_k,
            spontaneous_above_sign_change: found.spontaneous_above_sign_change,
        }
    }
}
