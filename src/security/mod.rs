//! Account security over GraphQL: TOTP enrollment and the MFA step of signing in, the
//! password sign-in sequence with its per-account lock, the user's sessions and API keys.
//! Algorithms and credential lookups live in `auth`; this module wires them into transactions
//! with their audit rows.

pub mod api;
pub mod login;
pub mod model;
pub mod store;
