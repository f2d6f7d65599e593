//! What one viewer sees of a task: the row paired with the viewer's access to its project.
//! Other features return and embed these; the GraphQL type is in `tasks::api`.

use std::sync::Arc;

use crate::{auth::authz::ProjectAccess, tasks::model::Task, users::model::User};

pub const TASK_TYPE: &str = "Task";

/// A task as one viewer sees it.
#[derive(Clone)]
pub struct TaskNode {
    pub task: Task,
    pub access: ProjectAccess,
}

/// A task of a board page with its assignee, read by the page's statement: `assignee` is then a
/// plain field too, where `TaskNode` asks the user loader for it (a future per task). The same
/// GraphQL `Task`.
pub struct BoardTask {
    pub node: TaskNode,
    /// `None` when the page did not read assignees (the query does not ask for them).
    pub assignee: Option<Arc<User>>,
}
