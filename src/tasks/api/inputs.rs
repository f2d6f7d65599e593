//! Input objects of the task mutations.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};

use crate::tasks::model::{TaskPriority, TaskStatus};

/// A new task, placed at the end of its status column.
#[derive(InputObject)]
pub struct CreateTaskInput {
    /// The project to add it to; needs EDITOR or above there.
    pub(crate) project_id: ID,
    /// 1 to 200 characters, no control characters.
    pub(crate) title: String,
    /// Markdown, at most 10,000 characters.
    #[graphql(default)]
    pub(crate) description: String,
    /// The column to start in; TODO by default.
    #[graphql(default_with = "TaskStatus::Todo")]
    pub(crate) status: TaskStatus,
    /// MEDIUM by default.
    #[graphql(default_with = "TaskPriority::Medium")]
    pub(crate) priority: TaskPriority,
    /// Must be a member of the project.
    pub(crate) assignee_id: Option<ID>,
    /// When the task is due; none by default.
    pub(crate) due_at: Option<DateTime<Utc>>,
    /// At most 20, each at most 50 characters; normalized to lower case with hyphens for spaces.
    #[graphql(default)]
    pub(crate) labels: Vec<String>,
    /// Makes this a subtask of a task in the same project.
    pub(crate) parent_id: Option<ID>,
}

/// Fields to change; omitted fields stay, `null` clears the nullable ones.
#[derive(InputObject, Default)]
pub struct TaskChangesInput {
    /// 1 to 200 characters, no control characters.
    pub(crate) title: Option<String>,
    /// Markdown, at most 10,000 characters; an empty string clears it.
    pub(crate) description: Option<String>,
    /// Changing the status moves the task to the end of its new column.
    pub(crate) status: Option<TaskStatus>,
    /// The new priority.
    pub(crate) priority: Option<TaskPriority>,
    /// A member of the project to assign; `null` unassigns.
    pub(crate) assignee_id: MaybeUndefined<ID>,
    /// The new due time; `null` clears it.
    pub(crate) due_at: MaybeUndefined<DateTime<Utc>>,
    /// Replaces every label: at most 20, each at most 50 characters, normalized to lower case
    /// with hyphens for spaces.
    pub(crate) labels: Option<Vec<String>>,
    /// Makes it a subtask of a task in the same project; `null` makes it a top-level task.
    pub(crate) parent_id: MaybeUndefined<ID>,
}
