//! Errors returned by the engine's public functions, each with a message a
//! person can read.

use serde::Serialize;
use std::fmt;

use super::balance::BalanceError;
use super::formula::FormulaError;

pub const MIN_REACTANTS: usize = 1;
pub const MAX_REACTANTS: usize = 6;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EngineError {
    /// No catalogue entry matches; `suggestions` are close names/formulas.
    UnknownChemical {
        query: String,
        suggestions: Vec<String>,
    },
    InvalidFormula {
        formula: String,
        error: FormulaError,
    },
    /// Fewer than 1 or more than 6 reactants.
    ReactantCount { count: usize },
    /// Amounts must be finite and positive.
    InvalidAmount { chemical: String, amount: f64 },
    /// The rules chose products but no balanced equation exists (a bug in a
    /// rule or in the data, reported rather than hidden).
    Unbalanceable {
        equation: String,
        error: BalanceError,
    },
}

impl EngineError {
    pub fn message(&self) -> String {
        match self {
            EngineError::UnknownChemical { query, suggestions } if suggestions.is_empty() => {
                format!("unknown chemical '{query}'")
            }
            EngineError::UnknownChemical { query, suggestions } => {
                format!("unknown chemical '{query}'; did you mean {}?", suggestions.join(", "))
            }
            EngineError::InvalidFormula { formula, error } => {
                format!("invalid formula '{formula}': {error}")
            }
            EngineError::ReactantCount { count } => format!(
                "a reaction needs between {MIN_REACTANTS} and {MAX_REACTANTS} reactants, got {count}"
            ),
            EngineError::InvalidAmount { chemical, amount } => {
                format!("amount {amount} for '{chemical}' must be a positive, finite number of moles")
            }
            EngineError::Unbalanceable { equation, error } => {
                format!("the predicted equation {equation} {error}")
            }
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for EngineError {}
