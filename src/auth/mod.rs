//! Who is asking and what they may do: passwords, tokens, refresh sessions, TOTP, API keys,
//! the per-account login lock, the request's `Viewer`, and `authz`, the one permission table.
//! Nothing outside `authz` decides access.

pub mod account;
pub mod api_keys;
pub mod authz;
pub mod client;
pub mod live;
pub mod login_throttle;
pub mod passwords;
pub mod project_roles;
pub mod session_memo;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod viewer;
