//! The security audit log: who did what to which account, from where, and when. Rows are
//! written inside the transaction of the change they record; only platform admins read them.

pub mod api;
pub mod model;
pub mod store;
