//! Input objects of the project mutations and queries.

use async_graphql::InputObject;

#[derive(InputObject)]
pub struct CreateProjectInput {
    pub(crate) name: String,
    #[graphql(default)]
    pub(crate) description: String,
}

#[derive(InputObject)]
pub struct UpdateProjectInput {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// true: only archived; false: only active; omitted: both.
    pub(crate) archived: Option<bool>,
    /// Matches name or description, case-insensitively.
    pub(crate) search: Option<String>,
}
