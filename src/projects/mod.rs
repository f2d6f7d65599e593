//! Projects and their members: the collaboration space that tasks and pipelines live in, and
//! the project's typed activity log that every change to its data is recorded in.

pub mod activity;
pub mod api;
pub mod loaders;
pub mod model;
pub mod store;
pub mod views;
pub mod watch;
