//! The GraphQL primitives every feature shares: ids, pagination, loaders, the request hooks
//! (operation observer, request limits, subscription metering, credential scopes, the rule for text
//! PostgreSQL cannot store) and persisted documents. It knows no feature; the schema that merges them
//! all is `crate::schema`.

pub mod connection;
pub mod credential_scopes;
pub mod document;
pub mod document_memo;
pub mod hooks;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod metering;
pub mod observer;
pub mod pagination;
pub mod persisted;
pub mod plain;
pub mod resume;
pub mod storable_text;
pub mod system;
