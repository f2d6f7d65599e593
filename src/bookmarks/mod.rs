//! Personal bookmarks with tags and folders, optionally shared into a project; import and export
//! of browser bookmark files; ranked full-text and fuzzy search.

pub mod api;
pub mod import;
pub mod model;
pub mod netscape;
pub mod record;
pub mod store;
pub mod transfer;
pub mod url;
