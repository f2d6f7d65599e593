//! GraphQL surface of bookmarks: create/update/delete with duplicate detection, ranked and fuzzy
//! search, tags and folders, related bookmarks, export, and imports of browser files (in the
//! background, with live progress, when large). Every access decision goes through
//! `authz::BookmarkAccess`; every mutation is one unit of work. `nodes` holds the output types,
//! `access` the checks the roots share.

mod access;
mod mutations;
mod nodes;
mod queries;
mod subscriptions;

pub use mutations::BookmarkMutation;
// Named by the schema assembly, which describes its connection.
pub use nodes::BookmarkNode;
pub use queries::BookmarkQuery;
pub use subscriptions::BookmarkSubscription;
