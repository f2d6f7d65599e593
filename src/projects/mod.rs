//! Projects and their members: the collaboration space that tasks (and later pipelines) live in.

pub mod api;
pub mod model;
pub mod store;
