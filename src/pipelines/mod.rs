//! Pipelines: a project's data pipelines edited live on a canvas, validated after every edit,
//! and run on a PostgreSQL job queue by workers on any instance, with live progress.

pub mod engine;
