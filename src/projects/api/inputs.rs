//! Input objects of the project mutations and queries.

use async_graphql::InputObject;

/// A new project; the caller becomes its owner.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// 1 to 100 characters after trimming, no control characters (else `BAD_USER_INPUT`).
    pub(crate) name: String,
    /// Free text, at most 10,000 characters; empty by default.
    #[graphql(default)]
    pub(crate) description: String,
}

/// Changes to a project's name and description; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// 1 to 100 characters after trimming, no control characters (else `BAD_USER_INPUT`).
    pub(crate) name: Option<String>,
    /// Free text, at most 10,000 characters; an empty string clears it.
    pub(crate) description: Option<String>,
}

/// Which projects `projects` lists.
#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// true: only archived; false: only active; omitted: both.
    pub(crate) archived: Option<bool>,
    /// Matches name or description, case-insensitively.
    pub(crate) search: Option<String>,
}
