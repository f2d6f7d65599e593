//! Catalyst's chemistry engine: a pure, deterministic reaction predictor.
//!
//! Given up to six reactants (names, synonyms or formulas), an environment
//! and an optional catalyst, the engine decides what happens, balances the
//! equation exactly, computes ΔH°, ΔS° and ΔG, and describes effects a game
//! can render, with an explanation in plain sentences. It does no I/O, reads
//! no clock, uses no randomness and keeps no mutable global state (lookup
//! indexes are built once behind `LazyLock`); the same input always yields
//! byte-identical JSON.
//!
//! # Public API
//!
//! * [`predict_reaction`] — `ReactionInput` → `ReactionOutcome` (equation,
//!   class, species, effects, thermodynamics, explanation).
//! * [`assess_reaction`] — the same, saying whether a rule decided the outcome or no rule
//!   covers the mixture (the engine's "no reaction" is then a best guess).
//! * [`accept_proposal`] — checks a reaction proposed from outside (an external model):
//!   catalogue species only, supplied reactants only, conserving coefficients; an accepted
//!   proposal goes through the same balancing, thermodynamics and effects.
//! * [`canonical_key`] — normalised input (canonical formulas + states,
//!   sorted; amounts as reduced integer ratios; environment; catalyst) as a
//!   stable string for the caller to hash as a cache key. Outcomes depend on
//!   nothing else.
//! * [`lookup_chemical`] — name/synonym (case-insensitive) or formula
//!   (exact, Hill composition, or case-insensitive when unambiguous) →
//!   `&'static Compound`; unknown queries get "did you mean" suggestions.
//! * [`search_chemicals`] — substring search, exact matches first.
//! * [`parse_formula`] — formula text → canonical form, Hill formula,
//!   element counts, charge, state.
//! * [`balance`] — smallest positive integer coefficients by exact rational
//!   nullspace computation; refuses unbalanceable or ambiguous equations.
//! * [`reaction_amounts`], [`net_ionic_equation`], [`spontaneity`] — what an
//!   outcome means for real amounts (limiting reactant, excess, theoretical
//!   yield), in solution (spectator ions removed) and at the environment's
//!   temperature (ΔG, K, where ΔG changes sign). Pure functions of the outcome
//!   (and the supplied amounts), so cached outcomes need not change.
//!
//! # Conventions
//!
//! * Amounts are moles; only their ratio matters to the outcome (it decides the
//!   limiting reactant mentioned in the explanation); `reaction_amounts` uses
//!   the absolute amounts.
//! * Soluble ionic compounds mixed with something else at room temperature,
//!   or put into water or an ACIDIC/BASIC environment, are taken to be in
//!   solution; an explicit state suffix such as `NaCl(s)` overrides this.
//! * Self-sustaining exothermic reactions (combustion, metal + non-metal,
//!   thermite) are assumed to be ignited; decompositions, reductions and
//!   reactions with steam need HIGH_TEMPERATURE (800 °C) or a catalyst.
//! * ΔH° and ΔS° come from standard formation data at 298.15 K and are taken
//!   as temperature-independent; ΔG = ΔH° − TΔS° at the environment's T.
//!   Every value names its published source (`sources`); element entropies and
//!   atomic weights come from the one element table (`elements`).
//! * Effects use a nominal 0.05 mol of reaction heating 100 g of water for
//!   `TEMPERATURE_CHANGE`, so they never depend on absolute amounts.
//!
//! # Module map
//!
//! `formula` parses, `balance` + `rational` balance, `elements` and
//! `catalogue` hold the data (`sources` says where it comes from), `chemistry` the descriptive chemistry tables,
//! `rules` decide products, `thermo`, `effects` and `explain` describe the
//! result, and `predict` ties the pipeline together.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod amounts;
mod arithmetic;
mod balance;
mod catalogue;
mod chemistry;
mod effects;
mod elements;
mod environment;
mod error;
mod explain;
mod formula;
mod model;
mod net_ionic;
mod predict;
mod proposal;
mod rules;
mod sources;
mod spontaneity;
mod thermo;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_solution;

pub use amounts::{reaction_amounts, ProductAmount, ReactantAmount, ReactionAmounts};
pub use balance::{balance, BalanceError};
pub use catalogue::{
    lookup_chemical, search_chemicals, Compound, CompoundClass, PhasePoints, Solubility, Thermo,
    ThermoData,
};
pub use elements::{element, Element, ElementCategory, StandardState, ELEMENTS};
pub use environment::Environment;
pub use error::{EngineError, MAX_REACTANTS, MIN_REACTANTS};
pub use formula::{parse_formula, FormulaError, ParsedFormula, MAX_FORMULA_CHARS};
pub use model::{
    Effect, ReactantInput, ReactionClass, ReactionInput, ReactionOutcome, Species, State,
};
pub use net_ionic::net_ionic_equation;
pub use predict::{assess_reaction, canonical_key, predict_reaction, Prediction};
pub use proposal::{
    accept_proposal, ProposalRejected, ProposalVerdict, ProposedReaction, ProposedSpecies,
    MAX_PROPOSAL_EXPLANATION_CHARS,
};
pub use sources::Source;
pub use spontaneity::{spontaneity, Spontaneity};
