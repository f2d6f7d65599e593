//! Project and membership rows, and the validated values that may become one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectRole,
    db::schema::{project_members, projects},
    error::{bad_input, AppResult},
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Identifiable)]
#[diesel(table_name = projects, check_for_backend(diesel::pg::Pg))]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = projects)]
pub struct NewProject {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_by: Option<Uuid>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = projects)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub archived_at: Option<Option<DateTime<Utc>>>,
}

impl ProjectChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.archived_at.is_none()
    }

    /// GraphQL names of the fields this change touches, for `changedFields` in events.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.name.is_some() {
            fields.push("name");
        }
        if self.description.is_some() {
            fields.push("description");
        }
        if self.archived_at.is_some() {
            fields.push("archived");
        }
        fields
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable)]
#[diesel(table_name = project_members, check_for_backend(diesel::pg::Pg))]
pub struct ProjectMember {
    pub project_id: Uuid,
    pub user_id: Uuid,
    pub role: ProjectRole,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub const MAX_PROJECT_NAME_CHARS: usize = 100;
pub const MAX_PROJECT_DESCRIPTION_CHARS: usize = 10_000;

/// A trimmed project name of 1 to `MAX_PROJECT_NAME_CHARS` characters.
pub fn parse_project_name(field: &str, raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 {
        return Err(bad_input(field, "project name must not be empty"));
    }
    if length > MAX_PROJECT_NAME_CHARS {
        return Err(bad_input(
            field,
            format!("project name must be at most {MAX_PROJECT_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(bad_input(
            field,
            "project name must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

pub fn parse_project_description(field: &str, raw: &str) -> AppResult<String> {
    if raw.chars().count() > MAX_PROJECT_DESCRIPTION_CHARS {
        return Err(bad_input(
            field,
            format!("description must be at most {MAX_PROJECT_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(raw.trim().to_string())
}
