//! Accounts: registration, login, profiles and platform administration.

pub mod api;
pub mod loaders;
pub mod model;
pub mod payload;
pub mod store;
