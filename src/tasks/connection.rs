//! A project's task connection (`project.tasks`): its arguments, resolved through the page
//! loader so that the same page of many projects is one statement.

use std::sync::Arc;

use async_graphql::{connection::Connection, Context, InputObject, ID};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectAccess,
    error::AppResult,
    graphql::{
        ids::decode_id,
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    tasks::{
        loaders::{SubtaskLoader, TaskPageLoader},
        model::{normalize_labels, TaskStatus},
        store::{TaskCursor, TaskFilter, TaskOrder, TaskPageQuery, TaskPrefetch},
        views::TaskNode,
    },
    users::{loaders::UserLoader, model::USER_TYPE},
};

/// Which tasks `project.tasks` lists; every given condition must hold.
#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    /// Only tasks in this status.
    status: Option<TaskStatus>,
    /// Only tasks assigned to this user (a `User` id, else `BAD_USER_INPUT`).
    assignee_id: Option<ID>,
    /// Only tasks with this label, normalized like task labels (lower case, hyphens for spaces,
    /// at most 50 characters).
    label: Option<String>,
    /// Matches title or description, case-insensitively.
    search: Option<String>,
}

/// The arguments of `project.tasks`, resolved through the page loader so that the same page of
/// many projects is one statement.
pub struct TaskConnectionArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub filter: Option<TaskFilterInput>,
    pub order_by: TaskOrder,
}

impl TaskConnectionArgs {
    pub async fn load(
        self,
        ctx: &Context<'_>,
        project_id: Uuid,
        access: ProjectAccess,
    ) -> AppResult<Connection<String, TaskNode>> {
        let limit = page_size(self.first)?;
        let after: Option<TaskCursor> = self
            .after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let filter = self.filter.unwrap_or_default();
        let filter = TaskFilter {
            status: filter.status,
            assignee_id: filter
                .assignee_id
                .as_ref()
                .map(|id| decode_id(USER_TYPE, "filter.assigneeId", id))
                .transpose()?,
            label: filter
                .label
                .map(|label| normalize_labels("filter.label", &[label]))
                .transpose()?
                .and_then(|labels| labels.into_iter().next()),
            search: filter.search.filter(|text| !text.trim().is_empty()),
        };
        let has_previous = after.is_some();
        let node = ctx.look_ahead().field("edges").field("node");
        let query = Arc::new(TaskPageQuery {
            filter,
            order: self.order_by,
            after,
            fetch: limit + 1,
            prefetch: TaskPrefetch {
                assignees: node.field("assignee").exists(),
                subtasks: node.field("subtasks").exists(),
            },
        });
        let page = Loaders::get::<TaskPageLoader>(ctx)
            .load_one((project_id, query))
            .await?
            .unwrap_or_default();
        Loaders::get::<UserLoader>(ctx)
            .feed_many(page.assignees.into_iter().map(|user| (user.id, user)))
            .await;
        Loaders::get::<SubtaskLoader>(ctx)
            .feed_many(page.subtasks)
            .await;
        let order = self.order_by;
        let nodes = page
            .tasks
            .into_iter()
            .map(|task| TaskNode { task, access })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            has_previous,
            |node: &TaskNode| (order.sort_key(&node.task), node.task.id),
        ))
    }
}
