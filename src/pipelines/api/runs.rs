//! GraphQL surface of runs: `runPipeline` (validated, limited, queued for a worker),
//! `cancelPipelineRun`, run queries with paged output, and the `pipelineRunEvents` progress
//! stream, read from the run's event table so it is ordered and gap-free on every instance.

use async_graphql::{
    connection::Connection, Context, Json, Object, SimpleObject, Subscription, ID,
};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use futures_util::{stream::BoxStream, StreamExt};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, SignedIn},
        viewer::AuthenticatedUser,
    },
    error::{bad_input, conflict, forbidden, internal, not_found, AppError, AppResult},
    events::{BusEvent, Topic},
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
        resume::{resume_after, CursorMarks},
    },
    limits::{self, NamedLimit},
    pipelines::{
        engine,
        loaders::{PipelineLoader, RunPage, RunPageLoader},
        model::{
            engine_graph, NewRun, NodeResult, PipelineStatus, RunEvent, RunEventKind, RunStatus,
            PIPELINE_TYPE, RUN_TYPE,
        },
        queue, store,
        views::{PipelineView, RunView},
    },
    state::AppState,
    users,
    users::model::User,
    work,
};

/// Progress events read per query while a stream catches up.
const EVENT_PAGE: i64 = 500;

/// What one node did in a run.
#[derive(SimpleObject, Clone)]
#[graphql(name = "PipelineRunNode")]
pub struct RunNodeView {
    /// The node's `PipelineNode.id` (the node may since have been removed from the pipeline).
    node_id: ID,
    /// How the node ended, or RUNNING while it works.
    status: RunStatus,
    /// Rows it read from its inputs.
    rows_in: u64,
    /// Rows it wrote to its outputs.
    rows_out: u64,
    /// Wall time it took, in milliseconds.
    duration_ms: u64,
    /// Why it failed; null unless it failed.
    error: Option<String>,
}

impl From<NodeResult> for RunNodeView {
    fn from(node: NodeResult) -> Self {
        RunNodeView {
            node_id: ID(node.node_id),
            status: node.status,
            rows_in: node.rows_in,
            rows_out: node.rows_out,
            duration_ms: node.duration_ms,
            error: node.error,
        }
    }
}

/// One execution of a pipeline, on the graph as it was when queued. Visible to the project's
/// members.
#[Object(name = "PipelineRun")]
impl RunView {
    /// Opaque global id; also accepted by `node(id:)`.
    async fn id(&self) -> ID {
        encode_id(RUN_TYPE, self.run.id)
    }

    /// The pipeline that was run; null once it is deleted.
    async fn pipeline(&self, ctx: &Context<'_>) -> AppResult<Option<PipelineView>> {
        let pipeline = Loaders::get::<PipelineLoader>(ctx)
            .load_one(self.run.pipeline_id)
            .await?;
        Ok(pipeline.map(|pipeline| PipelineView {
            pipeline,
            access: self.access,
        }))
    }

    /// Where the run stands.
    async fn status(&self) -> RunStatus {
        self.run.status
    }

    /// The JSON object given to `runPipeline` (`{}` when none was), read by expressions as
    /// `params.<name>`.
    async fn parameters(&self) -> Json<Value> {
        Json(self.run.parameters.clone())
    }

    /// Who asked for the run; null once that account is deleted.
    async fn requested_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.run.requested_by).await
    }

    /// How many times a worker started this run (more than 1 after a worker died).
    async fn attempts(&self) -> i32 {
        self.run.attempts
    }

    /// When `runPipeline` queued it.
    async fn queued_at(&self) -> DateTime<Utc> {
        self.run.queued_at
    }

    /// When a worker first started it; null until then.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.run.started_at
    }

    /// When it reached a final status; null until then.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.run.finished_at
    }

    /// Each node on a source-to-sink path, in execution order, as far as the run got.
    async fn nodes(&self) -> AppResult<Vec<RunNodeView>> {
        let nodes: Vec<NodeResult> = serde_json::from_value(self.run.node_results.clone())
            .map_err(|error| internal(anyhow::anyhow!("stored node results: {error}")))?;
        Ok(nodes.into_iter().map(RunNodeView::from).collect())
    }

    /// Why the run failed, timed out or was cancelled; null otherwise.
    async fn error(&self) -> Option<&str> {
        self.run.error.as_deref()
    }

    /// Rows the run's sinks produced (stored or not).
    async fn output_row_count(&self) -> i64 {
        self.run.output_rows
    }

    /// Rows stored and readable through `output`: at most `outputCap`.
    async fn output_stored_count(&self) -> i64 {
        self.run.output_stored
    }

    /// The most output rows a run stores (10,000 by default, `PIPELINE_OUTPUT_ROW_CAP`).
    async fn output_cap(&self, ctx: &Context<'_>) -> i64 {
        AppState::from_ctx(ctx).settings.pipelines.output_row_cap as i64
    }

    /// True when the sinks produced more rows than were stored.
    async fn output_truncated(&self) -> bool {
        self.run.output_rows > self.run.output_stored
    }

    /// The stored output rows, in order, each a JSON object.
    async fn output(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, Json<Value>>> {
        let limit = page_size(first)?;
        let after_ordinal: Option<i32> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows = queue::output_page(&mut connection, self.run.id, after_ordinal, limit).await?;
        let has_next_page = rows.len() as i64 > limit;
        let mut output = Connection::new(after_ordinal.is_some(), has_next_page);
        output.edges.extend(
            rows.into_iter()
                .take(limit as usize)
                .map(|(ordinal, data)| {
                    async_graphql::connection::Edge::new(PageCursor::at(ordinal), Json(data))
                }),
        );
        Ok(output)
    }
}

/// One progress event of a run.
#[derive(Clone)]
pub struct RunEventView(pub RunEvent);

/// One progress event of a run, as `pipelineRunEvents` delivers it. Which fields are set
/// depends on `kind`.
#[Object(name = "PipelineRunEvent")]
impl RunEventView {
    /// Position in the run's progress, from 1; pass to `pipelineRunEvents(after:)` to resume.
    async fn seq(&self) -> i32 {
        self.0.seq
    }

    /// What happened.
    async fn kind(&self) -> RunEventKind {
        self.0.kind
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// For NODE_STARTED, NODE_FINISHED and NODE_ABANDONED: the node's `PipelineNode.id`.
    async fn node_id(&self) -> Option<ID> {
        self.0.payload["nodeId"]
            .as_str()
            .map(|id| ID(id.to_string()))
    }

    /// The node's status for NODE_FINISHED; the run's for RUN_FINISHED.
    async fn status(&self) -> Option<RunStatus> {
        serde_json::from_value(self.0.payload["status"].clone()).ok()
    }

    /// For NODE_FINISHED: rows the node read.
    async fn rows_in(&self) -> Option<u64> {
        self.0.payload["rowsIn"].as_u64()
    }

    /// For NODE_FINISHED: rows the node wrote.
    async fn rows_out(&self) -> Option<u64> {
        self.0.payload["rowsOut"].as_u64()
    }

    /// For NODE_FINISHED: the node's wall time, in milliseconds.
    async fn duration_ms(&self) -> Option<u64> {
        self.0.payload["durationMs"].as_u64()
    }

    /// For a failed node or run: why.
    async fn error(&self) -> Option<&str> {
        self.0.payload["error"].as_str()
    }

    /// For RUN_STARTED: which attempt this is; for NODE_ABANDONED: the attempt that started the
    /// node and stopped (its worker died) before finishing it.
    async fn attempt(&self) -> Option<i64> {
        self.0.payload["attempt"].as_i64()
    }

    /// For RUN_FINISHED: rows produced, and rows stored (capped at `outputCap`).
    async fn output_rows(&self) -> Option<i64> {
        self.0.payload["outputRows"].as_i64()
    }

    /// For RUN_FINISHED: rows stored and readable through `PipelineRun.output`.
    async fn output_stored(&self) -> Option<i64> {
        self.0.payload["outputStored"].as_i64()
    }

    /// For RUN_FINISHED: the cap on stored rows the run had.
    async fn output_cap(&self) -> Option<i64> {
        self.0.payload["outputCap"].as_i64()
    }
}

pub async fn list_runs(
    ctx: &Context<'_>,
    pipeline_id: Uuid,
    access: ProjectAccess,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<Connection<PageCursor, RunView>> {
    let limit = page_size(first)?;
    let after_position: Option<queue::RunCursor> = after
        .as_deref()
        .map(|cursor| decode_cursor("after", cursor))
        .transpose()?;
    let page = RunPage {
        after: after_position,
        limit,
    };
    let runs = Loaders::get::<RunPageLoader>(ctx)
        .load_one((pipeline_id, page))
        .await?
        .unwrap_or_default();
    let views = runs
        .into_iter()
        .map(|run| RunView { run, access })
        .collect();
    Ok(connection_from_rows(
        views,
        limit,
        after_position.is_some(),
        |view| (view.run.queued_at, view.run.id),
    ))
}

/// Refuses a run that cannot succeed: an invalid graph (with its issues), an archived
/// pipeline, or sinks the runner may not use.
fn check_runnable(
    status: PipelineStatus,
    graph: &engine::Graph,
    access: ProjectAccess,
) -> AppResult<()> {
    if status == PipelineStatus::Archived {
        return Err(bad_input(
            "pipelineId",
            "the pipeline is archived; set it ACTIVE or DRAFT to run it",
        ));
    }
    let report = engine::validate(graph);
    if report.errors().next().is_some() {
        let issues: Vec<async_graphql::Value> = report
            .issues
            .iter()
            .filter_map(|issue| async_graphql::to_value(issue).ok())
            .collect();
        return Err(AppError::BadUserInput {
            field: Some("pipelineId".into()),
            message: format!(
                "the pipeline is INVALID: {}",
                report
                    .errors()
                    .map(|issue| issue.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            details: vec![("issues", async_graphql::Value::List(issues))],
        });
    }
    let contributing = engine::validate::contributing_nodes(graph);
    let used = |name: &str| {
        graph
            .nodes
            .iter()
            .any(|node| node.component == name && contributing.contains(&node.id))
    };
    if used("createTasks") && !access.allows(ProjectPermission::CreateTask) {
        return Err(forbidden(
            "this pipeline creates tasks, which your role in the project does not allow",
        ));
    }
    Ok(())
}

#[derive(Default)]
pub struct RunQuery;

#[Object]
impl RunQuery {
    /// A run of a pipeline in a project the viewer belongs to. Signed-in callers only
    /// (`UNAUTHENTICATED`); a run the viewer may not see is `NOT_FOUND`.
    #[graphql(guard = "SignedIn")]
    async fn pipeline_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's id, as returned in `PipelineRun.id`.")] id: ID,
    ) -> AppResult<RunView> {
        let viewer = authz::signed_in(ctx)?;
        let run_id = decode_id(RUN_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        RunView::load(&mut connection, viewer, run_id).await
    }

    /// A pipeline's runs, newest first. `NOT_FOUND` for a pipeline the viewer may not see.
    #[graphql(guard = "SignedIn")]
    async fn pipeline_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline whose runs to list.")] pipeline_id: ID,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, RunView>> {
        let viewer = authz::signed_in(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let access = {
            let mut connection = AppState::from_ctx(ctx).pool.get().await?;
            PipelineView::load(&mut connection, viewer, pipeline_id)
                .await?
                .access
        };
        list_runs(ctx, pipeline_id, access, first, after).await
    }
}

#[derive(Default)]
pub struct RunMutation;

#[Object]
impl RunMutation {
    /// Queues a run of the pipeline as it is now (EXECUTOR and above; limited per hour). A
    /// pipeline with validation errors is refused with `BAD_USER_INPUT` and its `issues`, an
    /// ARCHIVED one with `BAD_USER_INPUT`; `FORBIDDEN` below EXECUTOR, or when the pipeline
    /// creates tasks and the caller is below EDITOR; `RATE_LIMITED` past 20 runs an hour per
    /// user (`PIPELINE_RUN_LIMIT_PER_HOUR`).
    #[graphql(guard = "SignedIn")]
    async fn run_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline to run.")] pipeline_id: ID,
        #[graphql(desc = "A JSON object; expressions read it as `params.<name>`.")]
        parameters: Option<Json<Value>>,
    ) -> AppResult<RunView> {
        let viewer = authz::signed_in(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let parameters = parameters.map_or_else(|| json!({}), |Json(value)| value);
        if !parameters.is_object() {
            return Err(bad_input("parameters", "must be a JSON object"));
        }
        let state = AppState::from_ctx(ctx);
        // The hourly limit waits on Redis: spent before the change opens, and only by someone
        // who may run the pipeline (re-checked inside it).
        may_run(state, viewer, pipeline_id).await?;
        limits::check(ctx, NamedLimit::PipelineRun).await?;
        work::run(state, async |change| {
            let view = may_run_in(&mut change.db, viewer, pipeline_id).await?;
            let nodes = store::nodes_of(&mut change.db, &[pipeline_id]).await?;
            let connections = store::connections_of(&mut change.db, &[pipeline_id]).await?;
            let graph = engine_graph(&nodes, &connections);
            check_runnable(view.pipeline.status, &graph, view.access)?;
            let run = queue::enqueue(
                &mut change.db,
                NewRun {
                    id: Uuid::now_v7(),
                    pipeline_id,
                    project_id: view.pipeline.project_id,
                    requested_by: Some(viewer.user_id()),
                    parameters,
                    graph: serde_json::to_value(&graph).map_err(internal)?,
                },
            )
            .await?;
            change.publish_after_commit(BusEvent::PipelineRunQueued);
            Ok(RunView {
                run,
                access: view.access,
            })
        })
        .await
    }

    /// Cancels a run (EXECUTOR and above): a queued run ends at once; a running one stops at
    /// its next checkpoint. A finished run cannot be cancelled (`CONFLICT`); `FORBIDDEN` below
    /// EXECUTOR.
    #[graphql(guard = "SignedIn")]
    async fn cancel_pipeline_run(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run to cancel.")] id: ID,
    ) -> AppResult<RunView> {
        let viewer = authz::signed_in(ctx)?;
        let run_id = decode_id(RUN_TYPE, "id", &id)?;
        work::run(AppState::from_ctx(ctx), async |change| {
            let RunView { run, access } = RunView::load(&mut change.db, viewer, run_id).await?;
            access.require(ProjectPermission::RunPipeline, "run")?;
            change.publish_after_commit(BusEvent::PipelineRunCancelRequested { run_id });
            change.publish_after_commit(BusEvent::PipelineRunChanged { run_id });
            if let Some(run) = queue::finish_unclaimed(
                &mut change.db,
                run_id,
                RunStatus::Queued,
                RunStatus::Cancelled,
                Some("the run was cancelled"),
            )
            .await?
            {
                queue::append_event(
                    &mut change.db,
                    run_id,
                    None,
                    RunEventKind::RunFinished,
                    json!({ "status": RunStatus::Cancelled, "error": "the run was cancelled" }),
                    None,
                )
                .await?;
                return Ok(RunView { run, access });
            }
            if let Some(run) = queue::request_cancel(&mut change.db, run_id).await? {
                return Ok(RunView { run, access });
            }
            Err(conflict(format!(
                "the run has already finished ({})",
                run.status.stored_name()
            )))
        })
        .await
    }
}

/// The pipeline, if the viewer may run it there.
async fn may_run(
    state: &AppState,
    viewer: &AuthenticatedUser,
    pipeline_id: Uuid,
) -> AppResult<PipelineView> {
    let mut connection = state.pool.get().await?;
    may_run_in(&mut connection, viewer, pipeline_id).await
}

async fn may_run_in(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    pipeline_id: Uuid,
) -> AppResult<PipelineView> {
    let view = PipelineView::load(connection, viewer, pipeline_id).await?;
    view.access
        .require(ProjectPermission::RunPipeline, "pipeline")?;
    Ok(view)
}

#[derive(Default)]
pub struct RunSubscription;

#[Subscription]
impl RunSubscription {
    /// A run's progress: RUN_STARTED (again after a worker died, preceded by NODE_ABANDONED for
    /// each node the dead attempt left running), NODE_STARTED and NODE_FINISHED with row
    /// counts, then RUN_FINISHED, after which the stream ends. Events come in order; with
    /// `after` (a `seq`), only later events. Project members only.
    async fn pipeline_run_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run to follow; `NOT_FOUND` when the viewer may not see it.")]
        run_id: ID,
        #[graphql(desc = "Only events with a greater `seq`; omitted: from the first event.")]
        after: Option<i32>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<RunEventView>>> {
        let viewer = authz::signed_in(ctx)?.clone();
        let run_id = decode_id(RUN_TYPE, "runId", &run_id)?;
        let after = resume_after(ctx, after.map(|seq| seq.to_string()))
            .map(|seq| seq.parse::<i32>())
            .transpose()
            .map_err(|_| bad_input("after", "is not a `seq` of this run"))?;
        let state = AppState::from_ctx(ctx).clone();
        let marks = CursorMarks::of(ctx);
        Ok(Box::pin(open_run_events(
            state,
            viewer,
            run_id,
            after.unwrap_or(0),
            marks,
        ))
        .await?)
    }
}

struct RunEventStream {
    state: AppState,
    viewer: AuthenticatedUser,
    run_id: Uuid,
    notices: tokio::sync::broadcast::Receiver<crate::events::bus::BusMessage>,
    last_seq: i32,
    backlog: std::collections::VecDeque<RunEvent>,
    finished: bool,
}

impl RunEventStream {
    async fn run_exists(&self) -> AppResult<bool> {
        let mut connection = self.state.pool.get().await?;
        Ok(queue::find_run(&mut connection, self.run_id)
            .await?
            .is_some())
    }

    async fn next_event(&mut self) -> Option<AppResult<RunEvent>> {
        // A notice only says "look again"; a missed one costs at most this long.
        const FALLBACK_POLL: std::time::Duration = std::time::Duration::from_secs(1);
        loop {
            if let Some(event) = self.backlog.pop_front() {
                self.last_seq = event.seq;
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            let read = async {
                let mut connection = self.state.pool.get().await?;
                let events =
                    queue::events_after(&mut connection, self.run_id, self.last_seq, EVENT_PAGE)
                        .await?;
                if !events.is_empty() {
                    // Only current members see a run's progress: asked again before each batch.
                    still_a_member(&mut connection, &self.viewer, self.run_id).await?;
                }
                Ok::<_, AppError>(events)
            };
            match Box::pin(read).await {
                Ok(events) if !events.is_empty() => {
                    self.finished = events
                        .iter()
                        .any(|event| event.kind == RunEventKind::RunFinished);
                    self.backlog.extend(events);
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
            let mut shutdown = self.state.shutdown.clone();
            let quiet = tokio::select! {
                _ = self.notices.recv() => false,
                _ = tokio::time::sleep(FALLBACK_POLL) => true,
                _ = shutdown.changed() => return None,
            };
            // Quiet for a while: make sure the run (or its project) was not deleted.
            if quiet {
                match Box::pin(self.run_exists()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        self.finished = true;
                        return Some(Err(not_found("run")));
                    }
                    Err(error) => return Some(Err(error)),
                }
            }
        }
    }
}

/// A subscriber removed from the run's project gets FORBIDDEN and the stream ends, as project
/// events do; failures other than access pass through unchanged.
async fn still_a_member(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    run_id: Uuid,
) -> AppResult<()> {
    match RunView::load(connection, viewer, run_id).await {
        Ok(_) => Ok(()),
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => Err(forbidden(
            "you are no longer a member of this run's project",
        )),
        Err(error) => Err(error),
    }
}

async fn open_run_events(
    state: AppState,
    viewer: AuthenticatedUser,
    run_id: Uuid,
    after: i32,
    marks: CursorMarks,
) -> AppResult<BoxStream<'static, async_graphql::Result<RunEventView>>> {
    // Subscribe before the first read, so nothing committed in between goes unnoticed.
    let notices = state.events.subscribe(Topic::PipelineRun(run_id));
    {
        let mut connection = state.pool.get().await?;
        RunView::load(&mut connection, &viewer, run_id).await?;
    }
    let stream = RunEventStream {
        state,
        viewer,
        run_id,
        notices,
        last_seq: after.max(0),
        backlog: std::collections::VecDeque::new(),
        finished: false,
    };
    Ok(
        futures_util::stream::unfold((stream, marks), |(mut stream, marks)| async move {
            let item = stream.next_event().await?;
            if let Ok(event) = &item {
                marks.mark(event.seq);
            }
            Some((
                item.map(RunEventView).map_err(async_graphql::Error::from),
                (stream, marks),
            ))
        })
        .boxed(),
    )
}
