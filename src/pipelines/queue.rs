//! The job queue: runs are rows of `pipeline_runs`. Workers claim with `FOR UPDATE SKIP LOCKED`
//! under a lease they renew; a run whose lease lapsed, or that a stopping worker handed back, is
//! claimed again. Only the lease holder can append progress or finish a run, so every run
//! finishes exactly once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Double, Jsonb, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{NewRun, PipelineRun, RunEvent, RunEventKind, RunStatus};
use crate::{
    auth::{authz::ProjectRole, project_roles},
    db::{
        schema::{pipeline_run_events, pipeline_run_output, pipeline_runs},
        statement::{Bind, Statement},
    },
    error::AppResult,
};

pub async fn enqueue(connection: &mut AsyncPgConnection, run: NewRun) -> AppResult<PipelineRun> {
    Ok(diesel::insert_into(pipeline_runs::table)
        .values(run)
        .returning(PipelineRun::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn find_run(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
) -> AppResult<Option<PipelineRun>> {
    Ok(pipeline_runs::table
        .find(run_id)
        .select(PipelineRun::as_select())
        .first(connection)
        .await
        .optional()?)
}

/// The run and the user's role in its project (`None` when not a member).
pub async fn find_with_role(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(PipelineRun, Option<ProjectRole>)>> {
    let Some(run) = find_run(connection, run_id).await? else {
        return Ok(None);
    };
    let role = project_roles::role_of(connection, run.project_id, user_id).await?;
    Ok(Some((run, role)))
}

pub type RunCursor = (DateTime<Utc>, Uuid);

/// A page of each of many pipelines' runs, newest first (`limit` runs and one more when there
/// are more, after the cursor when given), in one statement: per pipeline a range scan of
/// `(pipeline_id, queued_at DESC, id DESC)` limited to the page. Runs come pipelines
/// interleaved, each pipeline's newest first.
pub async fn run_pages(
    connection: &mut AsyncPgConnection,
    pipeline_ids: &[Uuid],
    after: Option<RunCursor>,
    limit: i64,
) -> AppResult<Vec<PipelineRun>> {
    Ok(run_pages_statement(pipeline_ids, after, limit)
        .load(connection)
        .await?)
}

/// The plan of the statement `run_pages` runs.
pub async fn explain_run_pages(
    connection: &mut AsyncPgConnection,
    pipeline_ids: &[Uuid],
    after: Option<RunCursor>,
    limit: i64,
) -> AppResult<serde_json::Value> {
    Ok(run_pages_statement(pipeline_ids, after, limit)
        .explain_analyze(connection)
        .await?)
}

fn run_pages_statement(pipeline_ids: &[Uuid], after: Option<RunCursor>, limit: i64) -> Statement {
    let mut statement = Statement::new();
    statement
        .sql("SELECT r.* FROM unnest(")
        .bind(Bind::Uuids(pipeline_ids.to_vec()))
        .sql("::uuid[]) AS p(id) CROSS JOIN LATERAL (SELECT * FROM pipeline_runs WHERE pipeline_id = p.id");
    if let Some((queued_at, id)) = after {
        statement
            .sql(" AND (queued_at, id) < (")
            .bind(Bind::Time(queued_at))
            .sql(", ")
            .bind(Bind::Uuid(id))
            .sql(")");
    }
    statement
        .sql(" ORDER BY queued_at DESC, id DESC LIMIT ")
        .bind(Bind::BigInt(limit + 1))
        .sql(") r");
    statement
}

/// Claims the oldest queued run, or one whose worker's lease lapsed, for `lease_owner`.
/// Concurrent claimers skip each other's locked rows, so no run is claimed twice at once.
pub async fn claim_next_job(
    connection: &mut AsyncPgConnection,
    lease_owner: Uuid,
    lease: Duration,
) -> AppResult<Option<PipelineRun>> {
    Ok(diesel::sql_query(
        "UPDATE pipeline_runs SET status = 'RUNNING', lease_owner = $1,
             lease_expires_at = now() + make_interval(secs => $2),
             started_at = COALESCE(started_at, now()), attempts = attempts + 1,
             cancel_requested = cancel_requested
         WHERE id = (
             SELECT id FROM pipeline_runs
             WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_expires_at < now())
             ORDER BY queued_at, id
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING *",
    )
    .bind::<SqlUuid, _>(lease_owner)
    .bind::<Double, _>(lease.as_secs_f64())
    .get_result::<PipelineRun>(connection)
    .await
    .optional()?)
}

/// Puts the runs `lease_owners` still hold back in the queue, for any worker to claim at once
/// rather than after the lease; returns their ids. Clearing the owner is what keeps a stopped
/// worker's statements still on the wire from writing to a run after this: every progress,
/// heartbeat and finish statement checks it. `attempts` keeps counting, so the next claim
/// closes the nodes this attempt left open (NODE_ABANDONED).
pub async fn hand_back(
    connection: &mut AsyncPgConnection,
    lease_owners: &[Uuid],
) -> AppResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct HandedBack {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    Ok(diesel::sql_query(
        "UPDATE pipeline_runs SET status = 'QUEUED', lease_owner = NULL, lease_expires_at = NULL
         WHERE status = 'RUNNING' AND lease_owner = ANY($1)
         RETURNING id",
    )
    .bind::<Array<SqlUuid>, _>(lease_owners)
    .load::<HandedBack>(connection)
    .await?
    .into_iter()
    .map(|run| run.id)
    .collect())
}

/// Renews the lease. `None`: the lease is no longer ours (lapsed and reclaimed, or the run
/// ended); otherwise whether cancellation was requested.
pub async fn heartbeat(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    lease_owner: Uuid,
    lease: Duration,
) -> AppResult<Option<bool>> {
    #[derive(QueryableByName)]
    struct Renewed {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        cancel_requested: bool,
    }
    Ok(diesel::sql_query(
        "UPDATE pipeline_runs SET lease_expires_at = now() + make_interval(secs => $3)
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'
         RETURNING cancel_requested",
    )
    .bind::<SqlUuid, _>(run_id)
    .bind::<SqlUuid, _>(lease_owner)
    .bind::<Double, _>(lease.as_secs_f64())
    .get_result::<Renewed>(connection)
    .await
    .optional()?
    .map(|renewed| renewed.cancel_requested))
}

/// Appends a progress event (and, when given, the nodes' results so far); with `lease_owner`,
/// only while that lease holds the run.
pub async fn append_event(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    lease_owner: Option<Uuid>,
    kind: RunEventKind,
    payload: serde_json::Value,
    node_results: Option<serde_json::Value>,
) -> AppResult<Option<RunEvent>> {
    Ok(diesel::sql_query(
        "WITH next AS (
             UPDATE pipeline_runs SET event_seq = event_seq + 1,
                 node_results = COALESCE($5, node_results)
             WHERE id = $1 AND ($2::uuid IS NULL OR lease_owner = $2)
             RETURNING event_seq)
         INSERT INTO pipeline_run_events (run_id, seq, kind, payload)
         SELECT $1, event_seq, $3, $4 FROM next
         RETURNING *",
    )
    .bind::<SqlUuid, _>(run_id)
    .bind::<Nullable<SqlUuid>, _>(lease_owner)
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(payload)
    .bind::<Nullable<Jsonb>, _>(node_results)
    .get_result::<RunEvent>(connection)
    .await
    .optional()?)
}

/// The terminal write of a run.
pub struct Finish<'a> {
    pub status: RunStatus,
    pub node_results: serde_json::Value,
    pub error: Option<&'a str>,
    pub output_rows: i64,
    /// The stored (capped) output, as a JSON array.
    pub output: serde_json::Value,
    pub output_stored: i64,
}

/// Finishes the run if `lease_owner` still holds it; `false` when it does not (nothing
/// written). Call inside a transaction with whatever else the finish writes.
pub async fn finish(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    lease_owner: Uuid,
    finish: Finish<'_>,
) -> AppResult<bool> {
    let updated = diesel::sql_query(
        "UPDATE pipeline_runs SET status = $3, finished_at = now(), lease_owner = NULL,
             lease_expires_at = NULL, node_results = $4, error = $5, output_rows = $6,
             output_stored = $7
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
    )
    .bind::<SqlUuid, _>(run_id)
    .bind::<SqlUuid, _>(lease_owner)
    .bind::<Text, _>(finish.status)
    .bind::<Jsonb, _>(finish.node_results)
    .bind::<Nullable<Text>, _>(finish.error)
    .bind::<BigInt, _>(finish.output_rows)
    .bind::<BigInt, _>(finish.output_stored)
    .execute(connection)
    .await?;
    if updated == 0 {
        return Ok(false);
    }
    diesel::sql_query(
        "INSERT INTO pipeline_run_output (run_id, ordinal, data)
         SELECT $1, (ordinality - 1)::int, value FROM jsonb_array_elements($2) WITH ORDINALITY",
    )
    .bind::<SqlUuid, _>(run_id)
    .bind::<Jsonb, _>(finish.output)
    .execute(connection)
    .await?;
    Ok(true)
}

/// Ends a run no worker holds (queued, or past its attempts), if it is still in `from`.
pub async fn finish_unclaimed(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    from: RunStatus,
    status: RunStatus,
    error: Option<&str>,
) -> AppResult<Option<PipelineRun>> {
    Ok(diesel::update(
        pipeline_runs::table
            .find(run_id)
            .filter(pipeline_runs::status.eq(from)),
    )
    .set((
        pipeline_runs::status.eq(status),
        pipeline_runs::finished_at.eq(Some(Utc::now())),
        pipeline_runs::lease_owner.eq(None::<Uuid>),
        pipeline_runs::lease_expires_at.eq(None::<DateTime<Utc>>),
        pipeline_runs::error.eq(error),
    ))
    .returning(PipelineRun::as_returning())
    .get_result(connection)
    .await
    .optional()?)
}

pub async fn request_cancel(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
) -> AppResult<Option<PipelineRun>> {
    Ok(diesel::update(
        pipeline_runs::table
            .find(run_id)
            .filter(pipeline_runs::status.eq(RunStatus::Running)),
    )
    .set(pipeline_runs::cancel_requested.eq(true))
    .returning(PipelineRun::as_returning())
    .get_result(connection)
    .await
    .optional()?)
}

pub async fn events_after(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    after_seq: i32,
    limit: i64,
) -> AppResult<Vec<RunEvent>> {
    Ok(pipeline_run_events::table
        .filter(pipeline_run_events::run_id.eq(run_id))
        .filter(pipeline_run_events::seq.gt(after_seq))
        .order(pipeline_run_events::seq.asc())
        .limit(limit)
        .select(RunEvent::as_select())
        .load(connection)
        .await?)
}

/// A page of stored output rows in order; `limit + 1` to detect a next page.
pub async fn output_page(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
    after_ordinal: Option<i32>,
    limit: i64,
) -> AppResult<Vec<(i32, serde_json::Value)>> {
    Ok(pipeline_run_output::table
        .filter(pipeline_run_output::run_id.eq(run_id))
        .filter(pipeline_run_output::ordinal.gt(after_ordinal.unwrap_or(-1)))
        .order(pipeline_run_output::ordinal.asc())
        .limit(limit + 1)
        .select((pipeline_run_output::ordinal, pipeline_run_output::data))
        .load(connection)
        .await?)
}

/// Every stored output row of a run (for a `previousRunOutput` source).
pub async fn all_output(
    connection: &mut AsyncPgConnection,
    run_id: Uuid,
) -> AppResult<Vec<serde_json::Value>> {
    Ok(pipeline_run_output::table
        .filter(pipeline_run_output::run_id.eq(run_id))
        .order(pipeline_run_output::ordinal.asc())
        .select(pipeline_run_output::data)
        .load(connection)
        .await?)
}
