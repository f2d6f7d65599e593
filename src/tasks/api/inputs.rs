//! Input objects of the task mutations.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};

use crate::tasks::model::{TaskPriority, TaskStatus};

#[derive(InputObject)]
pub struct CreateTaskInput {
    pub(crate) project_id: ID,
    /// 1 to 200 characters.
    pub(crate) title: String,
    /// Markdown, at most 10,000 characters.
    #[graphql(default)]
    pub(crate) description: String,
    #[graphql(default_with = "TaskStatus::Todo")]
    pub(crate) status: TaskStatus,
    #[graphql(default_with = "TaskPriority::Medium")]
    pub(crate) priority: TaskPriority,
    /// Must be a member of the project.
    pub(crate) assignee_id: Option<ID>,
    pub(crate) due_at: Option<DateTime<Utc>>,
    /// At most 20; normalized to lower case with hyphens for spaces.
    #[graphql(default)]
    pub(crate) labels: Vec<String>,
    /// Makes this a subtask of a task in the same project.
    pub(crate) parent_id: Option<ID>,
}

/// Fields to change; omitted fields stay, `null` clears the nullable ones.
#[derive(InputObject, Default)]
pub struct TaskChangesInput {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    /// Changing the status moves the task to the end of its new column.
    pub(crate) status: Option<TaskStatus>,
    pub(crate) priority: Option<TaskPriority>,
    pub(crate) assignee_id: MaybeUndefined<ID>,
    pub(crate) due_at: MaybeUndefined<DateTime<Utc>>,
    pub(crate) labels: Option<Vec<String>>,
    pub(crate) parent_id: MaybeUndefined<ID>,
}
