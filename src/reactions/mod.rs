//! The chemistry sandbox: a pure engine that predicts reactions, a cache that makes every answer
//! permanent for its input, world-first discoveries and their live feed, and an optional
//! external predictor for mixtures the engine's rules do not cover.

pub mod api;
pub mod engine;
pub mod model;
pub mod predictor;
pub mod store;
