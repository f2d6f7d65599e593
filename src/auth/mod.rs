//! Who is asking and what they may do: passwords, tokens, refresh sessions, the request's
//! `Viewer`, and `authz`, the one permission table. Nothing outside `authz` decides access.

pub mod authz;
pub mod passwords;
pub mod sessions;
pub mod tokens;
pub mod viewer;
