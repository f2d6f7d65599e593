//! Pipelines: a project's data pipelines edited live on a canvas, validated after every edit,
//! and run on a PostgreSQL job queue by workers on any instance, with live progress.

pub mod api;
pub mod engine;
pub mod loaders;
pub mod model;
pub mod pool;
pub mod queue;
pub mod sources;
pub mod store;
pub mod views;
pub mod worker;
