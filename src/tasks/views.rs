//! What one viewer sees of a task: the row paired with the viewer's access to its project.
//! Other features return and embed these; the GraphQL type is in `tasks::api`.

use crate::{auth::authz::ProjectAccess, tasks::model::Task};

pub const TASK_TYPE: &str = "Task";

/// A task as one viewer sees it.
#[derive(Clone)]
pub struct TaskNode {
    pub task: Task,
    pub access: ProjectAccess,
}
