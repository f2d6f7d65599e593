//! Pipeline, node and connection queries. Takes `&mut AsyncPgConnection`, so every function works
//! inside the caller's transaction; knows nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    engine::ValidationReport,
    model::{
        NewPipeline, NodeChanges, Pipeline, PipelineChanges, PipelineConnection, PipelineNode,
        ValidationStatusValue,
    },
};
use crate::{
    auth::authz::ProjectRole,
    db::schema::{pipeline_connections, pipeline_nodes, pipelines, project_members},
    error::{conflict, internal, AppError, AppResult},
};

pub async fn insert_pipeline(
    connection: &mut AsyncPgConnection,
    pipeline: NewPipeline,
) -> AppResult<Pipeline> {
    Ok(diesel::insert_into(pipelines::table)
        .values(pipeline)
        .returning(Pipeline::as_returning())
        .get_result(connection)
        .await?)
}

/// The pipeline and the user's role in its project (`None` when not a member).
pub async fn find_with_role(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(Pipeline, Option<ProjectRole>)>> {
    Ok(pipelines::table
        .left_join(
            project_members::table.on(project_members::project_id
                .eq(pipelines::project_id)
                .and(project_members::user_id.eq(user_id))),
        )
        .filter(pipelines::id.eq(pipeline_id))
        .select((Pipeline::as_select(), project_members::role.nullable()))
        .first(connection)
        .await
        .optional()?)
}

pub async fn find_by_ids(
    connection: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> AppResult<Vec<Pipeline>> {
    Ok(pipelines::table
        .filter(pipelines::id.eq_any(ids))
        .select(Pipeline::as_select())
        .load(connection)
        .await?)
}

/// The pipeline, locked until the transaction ends.
pub async fn lock_pipeline(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
) -> AppResult<Option<Pipeline>> {
    Ok(pipelines::table
        .find(pipeline_id)
        .select(Pipeline::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

/// A stale `expectedVersion` is a `CONFLICT` carrying the current version.
pub fn check_version(pipeline: &Pipeline, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(expected) if expected != pipeline.version => {
            let mut error = conflict(format!(
                "the pipeline was changed by someone else; it is now at version {}",
                pipeline.version
            ));
            if let AppError::Conflict { details, .. } = &mut error {
                details.push((
                    "currentVersion",
                    async_graphql::Value::from(pipeline.version),
                ));
            }
            Err(error)
        }
        _ => Ok(()),
    }
}

/// Applies `changes` (possibly none) and bumps the version: every edit is a new version.
pub async fn bump_version(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    changes: &PipelineChanges,
) -> AppResult<Pipeline> {
    let bump = diesel::update(pipelines::table.find(pipeline_id));
    let query = (
        pipelines::version.eq(pipelines::version + 1),
        pipelines::updated_at.eq(diesel::dsl::now),
    );
    let result =
        if changes.name.is_none() && changes.description.is_none() && changes.status.is_none() {
            bump.set(query)
                .returning(Pipeline::as_returning())
                .get_result(connection)
                .await
        } else {
            bump.set((changes.clone(), query))
                .returning(Pipeline::as_returning())
                .get_result(connection)
                .await
        };
    Ok(result?)
}

pub async fn save_validation(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    report: &ValidationReport,
) -> AppResult<Pipeline> {
    let issues = serde_json::to_value(&report.issues).map_err(internal)?;
    Ok(diesel::update(pipelines::table.find(pipeline_id))
        .set((
            pipelines::validation_status.eq(ValidationStatusValue::from(report.status)),
            pipelines::validation_issues.eq(issues),
        ))
        .returning(Pipeline::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn delete_pipeline(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
) -> AppResult<()> {
    diesel::delete(pipelines::table.find(pipeline_id))
        .execute(connection)
        .await?;
    Ok(())
}

pub type PipelineCursor = (DateTime<Utc>, Uuid);

/// A page of a project's pipelines, oldest first; `limit + 1` rows to detect a next page.
pub async fn list_pipelines(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    after: Option<PipelineCursor>,
    limit: i64,
) -> AppResult<Vec<Pipeline>> {
    let mut query = pipelines::table
        .filter(pipelines::project_id.eq(project_id))
        .order((pipelines::created_at.asc(), pipelines::id.asc()))
        .limit(limit + 1)
        .select(Pipeline::as_select())
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            pipelines::created_at
                .gt(created_at)
                .or(pipelines::created_at
                    .eq(created_at)
                    .and(pipelines::id.gt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

/// Nodes of the given pipelines, in the order they were added.
pub async fn nodes_of(
    connection: &mut AsyncPgConnection,
    pipeline_ids: &[Uuid],
) -> AppResult<Vec<PipelineNode>> {
    Ok(pipeline_nodes::table
        .filter(pipeline_nodes::pipeline_id.eq_any(pipeline_ids))
        .order((pipeline_nodes::created_at.asc(), pipeline_nodes::id.asc()))
        .select(PipelineNode::as_select())
        .load(connection)
        .await?)
}

pub async fn connections_of(
    connection: &mut AsyncPgConnection,
    pipeline_ids: &[Uuid],
) -> AppResult<Vec<PipelineConnection>> {
    Ok(pipeline_connections::table
        .filter(pipeline_connections::pipeline_id.eq_any(pipeline_ids))
        .order((
            pipeline_connections::created_at.asc(),
            pipeline_connections::id.asc(),
        ))
        .select(PipelineConnection::as_select())
        .load(connection)
        .await?)
}

pub async fn count_nodes(connection: &mut AsyncPgConnection, pipeline_id: Uuid) -> AppResult<i64> {
    Ok(pipeline_nodes::table
        .filter(pipeline_nodes::pipeline_id.eq(pipeline_id))
        .count()
        .get_result(connection)
        .await?)
}

pub async fn insert_nodes(
    connection: &mut AsyncPgConnection,
    nodes: &[PipelineNode],
) -> AppResult<Vec<PipelineNode>> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(pipeline_nodes::table)
        .values(nodes)
        .returning(PipelineNode::as_returning())
        .get_results(connection)
        .await?)
}

pub async fn find_node(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    node_id: Uuid,
) -> AppResult<Option<PipelineNode>> {
    Ok(pipeline_nodes::table
        .filter(pipeline_nodes::pipeline_id.eq(pipeline_id))
        .filter(pipeline_nodes::id.eq(node_id))
        .select(PipelineNode::as_select())
        .first(connection)
        .await
        .optional()?)
}

pub async fn update_node(
    connection: &mut AsyncPgConnection,
    node_id: Uuid,
    changes: &NodeChanges,
) -> AppResult<PipelineNode> {
    Ok(diesel::update(pipeline_nodes::table.find(node_id))
        .set(changes.clone())
        .returning(PipelineNode::as_returning())
        .get_result(connection)
        .await?)
}

/// Deletes a node; its connections go with it (foreign keys cascade). Returns those connections.
pub async fn delete_node(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    node_id: Uuid,
) -> AppResult<Vec<PipelineConnection>> {
    let attached: Vec<PipelineConnection> = pipeline_connections::table
        .filter(pipeline_connections::pipeline_id.eq(pipeline_id))
        .filter(
            pipeline_connections::from_node_id
                .eq(node_id)
                .or(pipeline_connections::to_node_id.eq(node_id)),
        )
        .select(PipelineConnection::as_select())
        .load(connection)
        .await?;
    diesel::delete(pipeline_nodes::table.find(node_id))
        .execute(connection)
        .await?;
    Ok(attached)
}

pub async fn insert_connections(
    connection: &mut AsyncPgConnection,
    connections: &[PipelineConnection],
) -> AppResult<Vec<PipelineConnection>> {
    if connections.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(pipeline_connections::table)
        .values(connections)
        .returning(PipelineConnection::as_returning())
        .get_results(connection)
        .await?)
}

pub async fn delete_connection(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    from: (Uuid, &str),
    to: (Uuid, &str),
) -> AppResult<Option<PipelineConnection>> {
    Ok(diesel::delete(
        pipeline_connections::table
            .filter(pipeline_connections::pipeline_id.eq(pipeline_id))
            .filter(pipeline_connections::from_node_id.eq(from.0))
            .filter(pipeline_connections::from_port.eq(from.1))
            .filter(pipeline_connections::to_node_id.eq(to.0))
            .filter(pipeline_connections::to_port.eq(to.1)),
    )
    .returning(PipelineConnection::as_returning())
    .get_result(connection)
    .await
    .optional()?)
}

/// Replaces the whole graph: nodes not in `keep` go (with their connections), kept nodes are
/// rewritten, new nodes and all connections inserted.
pub async fn replace_graph(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
    kept: &[PipelineNode],
    added: &[PipelineNode],
    connections: &[PipelineConnection],
) -> AppResult<()> {
    diesel::delete(
        pipeline_connections::table.filter(pipeline_connections::pipeline_id.eq(pipeline_id)),
    )
    .execute(connection)
    .await?;
    let kept_ids: Vec<Uuid> = kept.iter().map(|node| node.id).collect();
    diesel::delete(
        pipeline_nodes::table
            .filter(pipeline_nodes::pipeline_id.eq(pipeline_id))
            .filter(pipeline_nodes::id.ne_all(&kept_ids)),
    )
    .execute(connection)
    .await?;
    for node in kept {
        diesel::update(pipeline_nodes::table.find(node.id))
            .set((
                pipeline_nodes::component.eq(&node.component),
                pipeline_nodes::label.eq(&node.label),
                pipeline_nodes::position_x.eq(node.position_x),
                pipeline_nodes::position_y.eq(node.position_y),
                pipeline_nodes::config.eq(&node.config),
            ))
            .execute(connection)
            .await?;
    }
    insert_nodes(connection, added).await?;
    insert_connections(connection, connections).await?;
    Ok(())
}

/// The pipeline a node belongs to.
pub async fn pipeline_of_node(
    connection: &mut AsyncPgConnection,
    node_id: Uuid,
) -> AppResult<Option<Uuid>> {
    Ok(pipeline_nodes::table
        .find(node_id)
        .select(pipeline_nodes::pipeline_id)
        .first(connection)
        .await
        .optional()?)
}
