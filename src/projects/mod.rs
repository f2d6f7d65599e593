//! Projects and their members: the collaboration space that tasks and pipelines live in, and
//! the project's typed activity log that every change to its data is recorded in, and who is
//! viewing a project right now (`presence`, ephemeral).

pub mod activity;
pub mod api;
pub mod loaders;
pub mod model;
pub mod presence;
pub mod store;
pub mod views;
pub mod watch;
