//! Catalyst: one GraphQL schema over HTTP and WebSocket, backed by PostgreSQL (and Redis when
//! configured). `Application` assembles it; `main.rs` only parses the command line.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bookmarks;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod limits;
pub mod memo;
pub mod pipelines;
pub mod projects;
pub mod reactions;
pub mod schema;
pub mod security;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod traces;
pub mod users;
pub mod work;

pub use app::Application;
