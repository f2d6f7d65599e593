//! The GraphQL `Task` type.

use std::borrow::Cow;

use async_graphql::{
    parser::types::Field, registry::Registry, resolver_utils::enum_value, ContainerType, Context,
    ContextSelectionSet, Object, OutputType, Positioned, ScalarType, ServerResult, Value, ID,
};
use chrono::{DateTime, Utc};

use crate::{
    error::{not_found, AppResult},
    graphql::{
        ids::encode_id,
        loaders::Loaders,
        plain::{resolve_object, Plain, PlainFields, PlainValue},
    },
    projects::{loaders::ProjectLoader, views::ProjectNode},
    tasks::{
        loaders::{SubtaskLoader, TaskLoader},
        model::{TaskPriority, TaskStatus},
        views::{BoardTask, TaskNode, TASK_TYPE},
    },
    users::{self, model::User},
};

/// A unit of work on a project's board, possibly a subtask of another task. Visible to the
/// project's members (and platform admins); changed by EDITOR and above.
#[Object(name = "Task")]
impl TaskNode {
    /// Opaque global id; also accepted by `node(id:)`.
    pub async fn id(&self) -> ID {
        encode_id(TASK_TYPE, self.task.id)
    }

    /// The project the task belongs to.
    async fn project(&self, ctx: &Context<'_>) -> AppResult<ProjectNode> {
        let project = Loaders::get::<ProjectLoader>(ctx)
            .load_one(self.task.project_id)
            .await?
            .ok_or_else(|| not_found("project"))?;
        Ok(ProjectNode {
            project,
            access: self.access,
        })
    }

    /// 1 to 200 characters.
    async fn title(&self) -> &str {
        &self.task.title
    }

    /// Markdown, at most 10,000 characters; empty when not set.
    async fn description(&self) -> &str {
        &self.task.description
    }

    /// The task's column on the board.
    async fn status(&self) -> TaskStatus {
        self.task.status
    }

    /// How urgent it is.
    async fn priority(&self) -> TaskPriority {
        self.task.priority
    }

    /// The member it is assigned to; null when unassigned or the account is deleted.
    async fn assignee(&self, ctx: &Context<'_>) -> AppResult<Option<Plain<User>>> {
        Ok(users::loaders::user(ctx, self.task.assignee_id)
            .await?
            .map(Plain))
    }

    /// When it is due; null when no due date is set.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.task.due_at
    }

    /// Up to 20 labels, lower case with hyphens for spaces, in the order given.
    async fn labels(&self) -> &[String] {
        &self.task.labels
    }

    /// The task this is a subtask of; null for a top-level task.
    async fn parent(&self, ctx: &Context<'_>) -> AppResult<Option<TaskNode>> {
        let Some(parent_id) = self.task.parent_id else {
            return Ok(None);
        };
        let parent = Loaders::get::<TaskLoader>(ctx).load_one(parent_id).await?;
        Ok(parent.map(|task| TaskNode {
            task,
            access: self.access,
        }))
    }

    /// Direct subtasks, in board order.
    #[graphql(complexity = "crate::limits::cost::unpaged_list(child_complexity)")]
    async fn subtasks(&self, ctx: &Context<'_>) -> AppResult<Vec<Plain<TaskNode>>> {
        let subtasks = Loaders::get::<SubtaskLoader>(ctx)
            .load_one(self.task.id)
            .await?
            .unwrap_or_default();
        Ok(subtasks
            .into_iter()
            .map(|task| {
                Plain(TaskNode {
                    task,
                    access: self.access,
                })
            })
            .collect())
    }

    /// Opaque, sortable key of the task's place in its status column.
    async fn position(&self) -> &str {
        &self.task.position
    }

    /// Incremented by every change; pass it as `expectedVersion` to `updateTask`.
    async fn version(&self) -> i32 {
        self.task.version
    }

    /// Who created the task; null once that account is deleted.
    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.task.created_by).await
    }

    /// When the task was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.task.created_at
    }

    /// When the task last changed (any field, including a move).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.task.updated_at
    }
}

/// Every field but the related objects (project, assignee, parent, subtasks, creator): a board
/// page's tasks resolve these without a future each.
impl PlainFields for TaskNode {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        let task = &self.task;
        let text = |text: &str| Value::String(text.to_owned());
        Some(PlainValue::Value(match name {
            "id" => Value::String(encode_id(TASK_TYPE, task.id).0),
            "title" => text(&task.title),
            "description" => text(&task.description),
            "status" => enum_value(task.status),
            "priority" => enum_value(task.priority),
            "dueAt" => task.due_at.map_or(Value::Null, |due| due.to_value()),
            "labels" => Value::List(task.labels.iter().map(|label| text(label)).collect()),
            "position" => text(&task.position),
            "version" => Value::from(task.version),
            "createdAt" => task.created_at.to_value(),
            "updatedAt" => task.updated_at.to_value(),
            _ => return None,
        }))
    }
}

/// `BoardTask` is the GraphQL `Task`; every field but a read assignee is `TaskNode`'s.
impl OutputType for BoardTask {
    fn type_name() -> Cow<'static, str> {
        TaskNode::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        TaskNode::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        resolve_object(ctx, self).await
    }
}

impl ContainerType for BoardTask {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        self.node.resolve_field(ctx).await
    }
}

impl PlainFields for BoardTask {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        match (name, self.node.task.assignee_id, &self.assignee) {
            ("assignee", None, _) => Some(PlainValue::Value(Value::Null)),
            ("assignee", Some(_), Some(user)) => Some(PlainValue::Object(user.as_ref())),
            ("assignee", Some(_), None) => None,
            _ => self.node.plain_field(name),
        }
    }
}
