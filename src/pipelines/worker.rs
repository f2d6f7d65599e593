//! A pipeline run on a worker: it renews its lease while the engine executes on a blocking
//! thread, streams progress to the run's event table, and writes the result exactly once (a
//! finish that checks the lease owner). The claiming, and the hand-back of runs a stopping
//! process cannot finish, are the pool's (`pool.rs`); a worker that dies without a hand-back
//! leaves a lapsing lease, and another worker claims the run again.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Instant,
};

use serde_json::{json, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    engine::{self, execute::TaskToCreate, ExecutionEvent, ExecutionLimits, Graph, RunInputs},
    model::{nodes_left_open, NodeResult, PipelineRun, RunEvent, RunEventKind, RunStatus},
    queue::{self, Finish},
    sources,
};
use crate::{
    auth::{
        authz::{ProjectAccess, ProjectPermission},
        project_roles,
    },
    error::{internal, AppError, AppResult},
    events::{bus::BusMessage, BusEvent, Topic},
    projects::activity::{Activity, TaskSnapshot},
    state::AppState,
    tasks::{
        model::{parse_title, NewTask, TaskPriority, TaskStatus},
        position::key_between,
        store as task_store,
    },
    work::{self, Actor, ProjectChange},
};

fn notify(state: &AppState, run_id: Uuid) {
    state
        .events
        .publish(BusEvent::PipelineRunChanged { run_id });
}

/// Why the engine was interrupted, as the worker saw it.
#[derive(Default)]
struct Interruption {
    cancelled: bool,
    timed_out: bool,
    lease_lost: bool,
}

/// Progress of one run as this worker tracks it.
struct Progress {
    run_id: Uuid,
    lease_owner: Uuid,
    nodes: Vec<NodeResult>,
    started: Vec<(String, Instant)>,
}

impl Progress {
    fn node(&mut self, node_id: &str) -> Option<&mut NodeResult> {
        self.nodes.iter_mut().find(|node| node.node_id == node_id)
    }

    /// Records an engine event; returns the progress event to store.
    fn observe(&mut self, event: ExecutionEvent) -> (RunEventKind, Value) {
        match event {
            ExecutionEvent::NodeStarted { node_id } => {
                self.started.push((node_id.clone(), Instant::now()));
                if let Some(node) = self.node(&node_id) {
                    node.status = RunStatus::Running;
                }
                (RunEventKind::NodeStarted, json!({ "nodeId": node_id }))
            }
            ExecutionEvent::NodeFinished {
                node_id,
                rows_in,
                rows_out,
            } => {
                let duration_ms = self.elapsed_ms(&node_id);
                if let Some(node) = self.node(&node_id) {
                    node.status = RunStatus::Succeeded;
                    node.rows_in = rows_in;
                    node.rows_out = rows_out;
                    node.duration_ms = duration_ms;
                }
                let payload = json!({ "nodeId": node_id, "status": "SUCCEEDED", "rowsIn": rows_in,
                                      "rowsOut": rows_out, "durationMs": duration_ms });
                (RunEventKind::NodeFinished, payload)
            }
            ExecutionEvent::NodeFailed {
                node_id,
                rows_in,
                error,
            } => {
                let duration_ms = self.elapsed_ms(&node_id);
                if let Some(node) = self.node(&node_id) {
                    node.status = RunStatus::Failed;
                    node.rows_in = rows_in;
                    node.duration_ms = duration_ms;
                    node.error = Some(error.clone());
                }
                let payload = json!({ "nodeId": node_id, "status": "FAILED", "rowsIn": rows_in,
                                      "rowsOut": 0, "durationMs": duration_ms, "error": error });
                (RunEventKind::NodeFinished, payload)
            }
        }
    }

    fn elapsed_ms(&self, node_id: &str) -> u64 {
        self.started
            .iter()
            .rev()
            .find(|(id, _)| id == node_id)
            .map_or(0, |(_, at)| at.elapsed().as_millis() as u64)
    }

    fn results_json(&self) -> Value {
        serde_json::to_value(&self.nodes).unwrap_or_else(|_| json!([]))
    }

    /// Nodes still running when the run ended take the run's final status, except when another
    /// node failed: rows stream, so its neighbours were stopped mid-stream, not at fault.
    fn close(&mut self, status: RunStatus) {
        let stopped = match status {
            RunStatus::Failed => RunStatus::Cancelled,
            other => other,
        };
        for node in &mut self.nodes {
            if node.status == RunStatus::Running {
                node.status = stopped;
            }
        }
    }
}

/// Appends a progress event while our lease holds; `false` when it no longer does.
async fn record(
    state: &AppState,
    progress: &Progress,
    kind: RunEventKind,
    payload: Value,
) -> AppResult<bool> {
    let mut connection = state.pool.get().await?;
    let stored = queue::append_event(
        &mut connection,
        progress.run_id,
        Some(progress.lease_owner),
        kind,
        payload,
        Some(progress.results_json()),
    )
    .await?;
    if stored.is_some() {
        notify(state, progress.run_id);
    }
    Ok(stored.is_some())
}

/// The outcome the worker will write.
struct Outcome {
    status: RunStatus,
    error: Option<String>,
    result: engine::RunResult,
}

impl Outcome {
    fn failed(message: impl Into<String>) -> Self {
        Outcome {
            status: RunStatus::Failed,
            error: Some(message.into()),
            result: engine::RunResult::default(),
        }
    }
}

pub(super) async fn process_run(state: &AppState, run: PipelineRun) -> AppResult<()> {
    let settings = &state.settings.pipelines;
    let lease_owner = run
        .lease_owner
        .ok_or_else(|| internal(anyhow::anyhow!("claimed run {} has no lease owner", run.id)))?;
    let graph: Option<Graph> = serde_json::from_value(run.graph.clone()).ok();
    let mut progress = Progress {
        run_id: run.id,
        lease_owner,
        nodes: graph
            .iter()
            .flat_map(|graph| &graph.nodes)
            .filter(|node| {
                graph.as_ref().is_some_and(|graph| {
                    engine::validate::contributing_nodes(graph).contains(&node.id)
                })
            })
            .map(|node| NodeResult {
                node_id: node.id.clone(),
                status: RunStatus::Queued,
                rows_in: 0,
                rows_out: 0,
                duration_ms: 0,
                error: None,
            })
            .collect(),
        started: Vec::new(),
    };
    if run.attempts > 1 && !close_abandoned_nodes(state, &progress).await? {
        return Ok(());
    }
    let started = json!({ "attempt": run.attempts });
    if !record(state, &progress, RunEventKind::RunStarted, started).await? {
        return Ok(());
    }
    let outcome = match graph {
        None => Outcome::failed("the run's graph could not be read"),
        Some(_) if run.attempts > settings.max_attempts => Outcome::failed(format!(
            "the run was started {} times and its worker stopped each time",
            run.attempts - 1
        )),
        Some(graph) => match execute_run(state, &run, graph, &mut progress).await? {
            Some(outcome) => outcome,
            // The lease is gone: another worker owns the run now, or it ended.
            None => return Ok(()),
        },
    };
    finish_run(state, &run, &mut progress, outcome).await
}

/// A reclaimed run: the nodes the dead attempt had started get NODE_ABANDONED, so no progress
/// view shows them running for ever; `false` when our lease was lost on the way.
async fn close_abandoned_nodes(state: &AppState, progress: &Progress) -> AppResult<bool> {
    const PAGE: i64 = 1_000;
    let mut events = Vec::new();
    {
        let mut connection = state.pool.get().await?;
        loop {
            let after = events.last().map_or(0, |event: &RunEvent| event.seq);
            let page = queue::events_after(&mut connection, progress.run_id, after, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            events.extend(page);
            if !full {
                break;
            }
        }
    }
    for (node_id, attempt) in nodes_left_open(&events) {
        let abandoned = json!({ "nodeId": node_id, "attempt": attempt });
        if !record(state, progress, RunEventKind::NodeAbandoned, abandoned).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Executes the graph, with heartbeats, cancellation and the timeout around it; `None` when
/// the lease was lost on the way.
async fn execute_run(
    state: &AppState,
    run: &PipelineRun,
    graph: Graph,
    progress: &mut Progress,
) -> AppResult<Option<Outcome>> {
    let settings = &state.settings.pipelines;
    let inputs = {
        let mut connection = state.pool.get().await?;
        match sources::fetch_source_rows(&mut connection, run, &graph, settings.max_rows_per_run)
            .await?
        {
            Ok(source_rows) => RunInputs {
                parameters: run.parameters.as_object().cloned().unwrap_or_default(),
                source_rows,
            },
            Err(failure) => {
                return Ok(Some(Outcome::failed(format!(
                    "node {}: {}",
                    failure.node_id, failure.message
                ))))
            }
        }
    };
    let mut notices = state.events.subscribe(Topic::PipelineRun(run.id));
    let interrupt = Arc::new(AtomicBool::new(false));
    let (sender, mut events) = mpsc::channel(2 * graph.nodes.len() + 8);
    let limits = ExecutionLimits {
        max_rows: settings.max_rows_per_run,
        max_stored_output_rows: settings.output_row_cap,
    };
    let engine_interrupt = interrupt.clone();
    let engine = tokio::task::spawn_blocking(move || {
        // A closed channel means the worker is gone: stop computing for nobody.
        let interrupted = || engine_interrupt.load(Ordering::Relaxed) || sender.is_closed();
        engine::execute(&graph, inputs, limits, &interrupted, &mut |event| {
            let _ = sender.blocking_send(event);
        })
    });
    let mut why = Interruption::default();
    let deadline = tokio::time::sleep(settings.run_timeout);
    tokio::pin!(deadline);
    let mut heartbeat = tokio::time::interval(settings.lease / 3);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let (kind, payload) = progress.observe(event);
                if !record(state, progress, kind, payload).await? {
                    why.lease_lost = true;
                    interrupt.store(true, Ordering::Relaxed);
                }
            }
            _ = heartbeat.tick() => renew(state, run, &mut why, &interrupt).await?,
            notice = notices.recv() => {
                // While Redis is down the bus sends resyncs instead of notices from elsewhere:
                // the lease row says whether someone asked to cancel.
                if is_cancel_request(&notice) || matches!(notice, Ok(BusMessage::Resync)) {
                    renew(state, run, &mut why, &interrupt).await?;
                }
            }
            _ = &mut deadline, if !why.timed_out => {
                why.timed_out = true;
                interrupt.store(true, Ordering::Relaxed);
            }
        }
    }
    let result = match engine.await {
        Ok(result) => result,
        Err(error) => {
            // A panic in the engine is a bug: fail this run rather than crash the worker or
            // let the run be reclaimed into the same panic.
            tracing::error!(run_id = %run.id, %error, "the pipeline engine panicked");
            return Ok(
                (!why.lease_lost).then(|| Outcome::failed("internal error in the pipeline engine"))
            );
        }
    };
    if why.lease_lost {
        return Ok(None);
    }
    Ok(Some(match result {
        Ok(result) => Outcome {
            status: RunStatus::Succeeded,
            error: None,
            result,
        },
        Err(engine::execute::RunFailure::Interrupted) if why.timed_out => Outcome {
            status: RunStatus::TimedOut,
            error: Some(format!(
                "the run took longer than {} seconds",
                settings.run_timeout.as_secs()
            )),
            result: engine::RunResult::default(),
        },
        Err(engine::execute::RunFailure::Interrupted) => Outcome {
            status: RunStatus::Cancelled,
            error: Some("the run was cancelled".into()),
            result: engine::RunResult::default(),
        },
        Err(failure) => Outcome::failed(failure.message()),
    }))
}

fn is_cancel_request(
    notice: &Result<BusMessage, tokio::sync::broadcast::error::RecvError>,
) -> bool {
    matches!(notice, Ok(BusMessage::Event(event))
        if matches!(event.as_ref(), BusEvent::PipelineRunCancelRequested { .. }))
}

/// Renews the lease, learning of cancellation on the way.
async fn renew(
    state: &AppState,
    run: &PipelineRun,
    why: &mut Interruption,
    interrupt: &AtomicBool,
) -> AppResult<()> {
    let Some(lease_owner) = run.lease_owner else {
        return Ok(());
    };
    let mut connection = state.pool.get().await?;
    match queue::heartbeat(
        &mut connection,
        run.id,
        lease_owner,
        state.settings.pipelines.lease,
    )
    .await?
    {
        None => why.lease_lost = true,
        Some(true) => why.cancelled = true,
        Some(false) => return Ok(()),
    }
    interrupt.store(true, Ordering::Relaxed);
    Ok(())
}

/// Writes the outcome, its stored output and any tasks in one transaction, if our lease holds.
async fn finish_run(
    state: &AppState,
    run: &PipelineRun,
    progress: &mut Progress,
    mut outcome: Outcome,
) -> AppResult<()> {
    let settings = &state.settings.pipelines;
    let tasks = std::mem::take(&mut outcome.result.tasks_to_create);
    if tasks.len() > settings.max_tasks_per_run {
        outcome = Outcome::failed(format!(
            "the run would create {} tasks; at most {} are allowed per run",
            tasks.len(),
            settings.max_tasks_per_run
        ));
    }
    let task_titles = match validated_titles(&tasks) {
        Ok(titles) => titles,
        Err(message) => {
            outcome = Outcome::failed(message);
            Vec::new()
        }
    };
    let output_rows = outcome.result.output_total;
    // The engine keeps at most the cap; the rest were only counted.
    let stored: Vec<Value> = std::mem::take(&mut outcome.result.output)
        .into_iter()
        .map(Value::Object)
        .collect();
    let actor = Actor::System {
        on_behalf_of: run.requested_by,
    };
    let written = work::run_in_project(state, actor, run.project_id, async |change| {
        let mut outcome_status = outcome.status;
        let mut error = outcome.error.clone();
        let creates_tasks = outcome_status == RunStatus::Succeeded && !task_titles.is_empty();
        if creates_tasks {
            if let Err(message) = may_create_tasks(change, run).await? {
                outcome_status = RunStatus::Failed;
                error = Some(message);
            }
        }
        progress.close(outcome_status);
        let succeeded = outcome_status == RunStatus::Succeeded;
        let (output, stored_count, output_total) = if succeeded {
            (stored.clone(), stored.len(), output_rows)
        } else {
            (Vec::new(), 0, 0)
        };
        let finished = queue::finish(
            &mut change.db,
            run.id,
            progress.lease_owner,
            Finish {
                status: outcome_status,
                node_results: progress.results_json(),
                error: error.as_deref(),
                output_rows: output_total as i64,
                output: Value::Array(output),
                output_stored: stored_count as i64,
            },
        )
        .await?;
        if !finished {
            // Our lease lapsed and nothing was written: whoever holds the run finishes it.
            return Ok(false);
        }
        if creates_tasks && succeeded {
            create_tasks(change, run, &task_titles).await?;
        }
        queue::append_event(
            &mut change.db,
            run.id,
            None,
            RunEventKind::RunFinished,
            json!({ "status": outcome_status, "error": error, "outputRows": output_total,
                    "outputStored": stored_count, "outputCap": settings.output_row_cap }),
            None,
        )
        .await?;
        Ok(true)
    })
    .await;
    match written {
        Ok(true) => notify(state, run.id),
        // The project (and with it the run) was deleted while the run went on.
        Ok(false) | Err(AppError::NotFound(_)) => {}
        Err(error) => return Err(error),
    }
    Ok(())
}

fn validated_titles(tasks: &[TaskToCreate]) -> Result<Vec<(String, String)>, String> {
    tasks
        .iter()
        .enumerate()
        .map(|(position, task)| {
            let title = parse_title("title", &task.title).map_err(|error| {
                format!(
                    "node {}: row {}: {}",
                    task.node_id,
                    position + 1,
                    error.client_message()
                )
            })?;
            Ok((title, task.description.clone()))
        })
        .collect()
}

/// The runner must still be allowed to create tasks in the project (checked under the project's
/// lock, which the unit of work holds).
async fn may_create_tasks(
    change: &mut ProjectChange,
    run: &PipelineRun,
) -> AppResult<Result<(), String>> {
    let Some(runner) = run.requested_by else {
        return Ok(Err("the user who ran the pipeline no longer exists".into()));
    };
    let role = project_roles::role_of(&mut change.db, run.project_id, runner).await?;
    let access = role.map_or(ProjectAccess::NonMember, ProjectAccess::Member);
    if !access.allows(ProjectPermission::CreateTask) {
        return Ok(Err(
            "the user who ran the pipeline may not create tasks in this project".into(),
        ));
    }
    Ok(Ok(()))
}

/// Creates the tasks as the runner (checked by `may_create_tasks` in this change).
async fn create_tasks(
    change: &mut ProjectChange,
    run: &PipelineRun,
    titles: &[(String, String)],
) -> AppResult<()> {
    let (mut last, _) = task_store::neighbour_positions(
        &mut change.db,
        run.project_id,
        TaskStatus::Todo,
        None,
        None,
    )
    .await?;
    for (title, description) in titles {
        let position = key_between(last.as_deref(), None);
        let task = task_store::insert_task(
            &mut change.db,
            NewTask {
                id: Uuid::now_v7(),
                project_id: run.project_id,
                parent_id: None,
                title: title.clone(),
                description: description.clone(),
                status: TaskStatus::Todo,
                priority: TaskPriority::Medium,
                assignee_id: None,
                due_at: None,
                labels: Vec::new(),
                position: position.clone(),
                created_by: run.requested_by,
            },
        )
        .await?;
        last = Some(position);
        change.record(Activity::TaskCreated(TaskSnapshot {
            task,
            changed_fields: Vec::new(),
            pipeline_run_id: Some(run.id),
        }))?;
    }
    Ok(())
}
