//! Tasks on a project's board: status columns with fractional positions, subtasks, labels,
//! assignees and optimistic concurrency through `version`.

pub mod api;
pub mod connection;
pub mod loaders;
pub mod model;
pub mod pages;
pub mod position;
pub mod store;
pub mod views;
