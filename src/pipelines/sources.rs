//! The rows of database-backed sources, fetched for the engine before a run: the project's
//! tasks, the runner's bookmarks, a previous run's stored output.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    engine::{validate::contributing_nodes, Graph, Row},
    model::{PipelineRun, RUN_TYPE},
    queue,
};
use crate::{
    bookmarks::{self, model::Bookmark},
    db::schema::tasks,
    error::AppResult,
    graphql::ids::decode_id,
    tasks::model::Task,
};

/// Why a source could not be read; the run fails with this message.
pub struct SourceFailure {
    pub node_id: String,
    pub message: String,
}

/// The runner's own bookmarks, oldest first: private ones included, since the runner is
/// their owner; nobody else's.
async fn bookmark_rows(
    connection: &mut AsyncPgConnection,
    runner: Option<Uuid>,
    limit: i64,
) -> AppResult<Result<Vec<Row>, String>> {
    let Some(runner) = runner else {
        return Ok(Err(
            "this run has no runner whose bookmarks could be read".into()
        ));
    };
    let bookmarks = bookmarks::store::oldest_of_owner(connection, runner, limit).await?;
    Ok(Ok(bookmarks.into_iter().map(bookmark_row).collect()))
}

fn bookmark_row(bookmark: Bookmark) -> Row {
    let row = json!({
        "id": bookmark.id.to_string(),
        "url": bookmark.url,
        "title": bookmark.title,
        "tags": bookmark.tags,
        "createdAt": bookmark.created_at.to_rfc3339(),
    });
    match row {
        Value::Object(row) => row,
        _ => Row::new(),
    }
}

fn task_row(task: Task) -> Row {
    let row = json!({
        "id": task.id.to_string(),
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority,
        "labels": task.labels,
        "assigneeId": task.assignee_id.map(|id| id.to_string()),
        "parentId": task.parent_id.map(|id| id.to_string()),
        "dueAt": task.due_at.map(|due| due.to_rfc3339()),
        "createdAt": task.created_at.to_rfc3339(),
    });
    match row {
        Value::Object(row) => row,
        _ => Row::new(),
    }
}

async fn project_tasks(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    limit: i64,
) -> AppResult<Vec<Row>> {
    let tasks: Vec<Task> = tasks::table
        .filter(tasks::project_id.eq(project_id))
        .order((tasks::created_at.asc(), tasks::id.asc()))
        .limit(limit)
        .select(Task::as_select())
        .load(connection)
        .await?;
    Ok(tasks.into_iter().map(task_row).collect())
}

async fn previous_output(
    connection: &mut AsyncPgConnection,
    run: &PipelineRun,
    config: &Value,
) -> AppResult<Result<Vec<Row>, String>> {
    let not_found = || {
        Ok(Err(
            "the run named by runId is not a run of this project".to_string()
        ))
    };
    let Some(raw) = config["runId"].as_str() else {
        return not_found();
    };
    let Ok(run_id) = decode_id(RUN_TYPE, "runId", &async_graphql::ID(raw.to_string())) else {
        return not_found();
    };
    match queue::find_run(connection, run_id).await? {
        Some(earlier) if earlier.project_id == run.project_id => {}
        _ => return not_found(),
    }
    let rows = queue::all_output(connection, run_id).await?;
    Ok(Ok(rows
        .into_iter()
        .filter_map(|row| match row {
            Value::Object(row) => Some(row),
            _ => None,
        })
        .collect()))
}

/// Rows for every database-backed source on a source-to-sink path of `graph`.
pub async fn fetch_source_rows(
    connection: &mut AsyncPgConnection,
    run: &PipelineRun,
    graph: &Graph,
    max_rows: usize,
) -> AppResult<Result<HashMap<String, Vec<Row>>, SourceFailure>> {
    let contributing = contributing_nodes(graph);
    let mut fetched = HashMap::new();
    for node in graph
        .nodes
        .iter()
        .filter(|node| contributing.contains(&node.id))
    {
        let rows = match node.component.as_str() {
            "projectTasks" => {
                Ok(project_tasks(connection, run.project_id, max_rows as i64 + 1).await?)
            }
            "myBookmarks" => {
                bookmark_rows(connection, run.requested_by, max_rows as i64 + 1).await?
            }
            "previousRunOutput" => previous_output(connection, run, &node.config).await?,
            _ => continue,
        };
        match rows {
            Ok(rows) => {
                fetched.insert(node.id.clone(), rows);
            }
            Err(message) => {
                return Ok(Err(SourceFailure {
                    node_id: node.id.clone(),
                    message,
                }))
            }
        }
    }
    Ok(Ok(fetched))
}
