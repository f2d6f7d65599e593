//! The pure pipeline engine: the component catalogue, graph validation and execution over rows
//! of JSON objects. It does no I/O, reads no clock and uses no randomness: rows that live in the
//! database (project tasks, bookmarks, a previous run's output) are fetched by the caller and
//! handed in, and the caller timestamps the progress events the engine reports.

pub mod catalogue;
pub mod csv;
pub mod execute;
pub mod expression;
pub mod graph;
pub mod json_schema;
mod operators;
pub mod rows;
pub mod validate;

#[cfg(test)]
mod tests;

pub use catalogue::{component, components, Component, ComponentKind, PortSpec};
pub use execute::{execute, ExecutionEvent, ExecutionLimits, RunInputs, RunResult};
pub use graph::{Connection, Graph, Node, PortRef};
pub use rows::Row;
pub use validate::{validate, Issue, IssueSeverity, ValidationReport, ValidationStatus};
