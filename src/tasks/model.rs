//! Task rows, their enums, and the validated values that may become one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    db::schema::tasks,
    error::{bad_input, AppResult},
};

#[derive(
    Debug,
    Clone,
    PartialEq,
    Serialize,
    Deserialize,
    Queryable,
    QueryableByName,
    Selectable,
    Identifiable,
)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
pub struct Task {
    pub id: Uuid,
    pub project_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: TaskPriority,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub position: String,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tasks)]
pub struct NewTask {
    pub id: Uuid,
    pub project_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: TaskPriority,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub position: String,
    pub created_by: Option<Uuid>,
}

/// A partial update; `Some(None)` clears a nullable field.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = tasks)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TaskStatus>,
    pub priority: Option<TaskPriority>,
    pub assignee_id: Option<Option<Uuid>>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub labels: Option<Vec<String>>,
    pub parent_id: Option<Option<Uuid>>,
    pub position: Option<String>,
}

impl TaskChanges {
    /// GraphQL names of the fields this change touches, for `changedFields` in events.
    pub fn changed_fields(&self) -> Vec<&'static str> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_some()),
            ("status", self.status.is_some()),
            ("priority", self.priority.is_some()),
            ("assignee", self.assignee_id.is_some()),
            ("dueAt", self.due_at.is_some()),
            ("labels", self.labels.is_some()),
            ("parent", self.parent_id.is_some()),
            ("position", self.position.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

/// Where a task stands: its column on the board, in this order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    async_graphql::Enum,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TaskStatus {
    /// Not started.
    Todo,
    /// Being worked on.
    InProgress,
    /// Waiting on something else.
    Blocked,
    /// Finished.
    Done,
}

crate::stored_as_text!(TaskStatus {
    Todo => "TODO",
    InProgress => "IN_PROGRESS",
    Blocked => "BLOCKED",
    Done => "DONE",
});

impl TaskStatus {
    /// Board column order, used to sort tasks by position across columns.
    pub fn column_rank(self) -> char {
        match self {
            TaskStatus::Todo => '0',
            TaskStatus::InProgress => '1',
            TaskStatus::Blocked => '2',
            TaskStatus::Done => '3',
        }
    }

    /// The same order as stored in `tasks.status_rank`, which the board index sorts by.
    pub fn board_rank(self) -> i16 {
        match self {
            TaskStatus::Todo => 0,
            TaskStatus::InProgress => 1,
            TaskStatus::Blocked => 2,
            TaskStatus::Done => 3,
        }
    }
}

/// How urgent a task is, least urgent first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    async_graphql::Enum,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TaskPriority {
    /// Can wait.
    Low,
    /// The default.
    Medium,
    /// Soon.
    High,
    /// Before anything else.
    Urgent,
}

crate::stored_as_text!(TaskPriority {
    Low => "LOW",
    Medium => "MEDIUM",
    High => "HIGH",
    Urgent => "URGENT",
});

impl TaskPriority {
    /// Sort rank, most urgent first.
    pub fn urgency_rank(self) -> i64 {
        match self {
            TaskPriority::Urgent => 0,
            TaskPriority::High => 1,
            TaskPriority::Medium => 2,
            TaskPriority::Low => 3,
        }
    }
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 50;

pub fn parse_title(field: &str, raw: &str) -> AppResult<String> {
    let title = raw.trim();
    let length = title.chars().count();
    if length == 0 || length > MAX_TITLE_CHARS {
        return Err(bad_input(
            field,
            format!("title must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(bad_input(
            field,
            "title must not contain control characters",
        ));
    }
    Ok(title.to_string())
}

pub fn parse_description(field: &str, raw: &str) -> AppResult<String> {
    if raw.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(bad_input(
            field,
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(raw.to_string())
}

/// Normalizes labels: trimmed, lower-cased, inner whitespace collapsed to one hyphen, duplicates
/// dropped (first occurrence kept), at most `MAX_LABELS`.
pub fn normalize_labels(field: &str, raw: &[String]) -> AppResult<Vec<String>> {
    let mut labels: Vec<String> = Vec::new();
    for label in raw {
        let normalized = label
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_lowercase();
        if normalized.is_empty() {
            return Err(bad_input(field, "labels must not be empty"));
        }
        if normalized.chars().count() > MAX_LABEL_CHARS || normalized.chars().any(char::is_control)
        {
            return Err(bad_input(
                field,
                format!("each label must be at most {MAX_LABEL_CHARS} printable characters"),
            ));
        }
        if !labels.contains(&normalized) {
            labels.push(normalized);
        }
    }
    if labels.len() > MAX_LABELS {
        return Err(bad_input(
            field,
            format!("a task has at most {MAX_LABELS} labels"),
        ));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_normalized_and_deduplicated() {
        let labels = normalize_labels(
            "labels",
            &["  Bug ".into(), "bug".into(), "Needs   Review".into()],
        )
        .unwrap();
        assert_eq!(labels, ["bug", "needs-review"]);
        let too_many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
        assert!(normalize_labels("labels", &too_many).is_err());
        assert!(normalize_labels("labels", &["   ".into()]).is_err());
    }

    #[test]
    fn titles_are_bounded() {
        assert_eq!(parse_title("title", "  Fix it ").unwrap(), "Fix it");
        assert!(parse_title("title", "").is_err());
        assert!(parse_title("title", &"x".repeat(201)).is_err());
    }
}
