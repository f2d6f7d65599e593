//! Catalyst: one GraphQL schema over HTTP and WebSocket, backed by PostgreSQL (and Redis when
//! configured). `Application` assembles it; `main.rs` only parses the command line.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod pipelines;
pub mod projects;
pub mod reactions;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod users;

pub use app::Application;
