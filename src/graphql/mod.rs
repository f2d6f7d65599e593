//! The GraphQL primitives every feature shares: ids, pagination, loaders, the operation
//! observer, request limits, credential scopes and persisted documents. It knows no feature;
//! the schema that merges them all is `crate::schema`.

pub mod connection;
pub mod credential_scopes;
pub mod document;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod observer;
pub mod pagination;
pub mod persisted;
pub mod resume;
pub mod system;
