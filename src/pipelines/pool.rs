//! This process's pipeline workers as one pool: each loops claiming one run at a time and hands
//! it to `worker::process_run`; the pool remembers the leases they hold so that a shutdown that
//! cannot wait for their runs puts them back in the queue, for any worker to claim at once,
//! instead of leaving them to lapse.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use tokio::task::JoinSet;
use tracing::Instrument;
use uuid::Uuid;

use super::{model::PipelineRun, queue, worker::process_run};
use crate::{
    error::AppResult,
    events::{BusEvent, Topic},
    state::AppState,
};

/// How long a stopping process may spend handing its runs back. The deploy manifests leave 5 s
/// past drain + grace for the exit; past this bound the runs are left to their leases instead.
const HAND_BACK_WITHIN: Duration = Duration::from_secs(2);

/// This process's workers, started together and stopped together.
pub struct WorkerPool {
    state: AppState,
    workers: JoinSet<()>,
    leases: HeldLeases,
}

impl WorkerPool {
    /// Starts `count` workers. They claim runs until the state's shutdown flag flips; dropping
    /// the pool stops them at once, like a crash (their runs are reclaimed after the lease).
    pub fn spawn(state: &AppState, count: usize) -> WorkerPool {
        let leases = HeldLeases::default();
        let mut workers = JoinSet::new();
        for _ in 0..count {
            workers.spawn(worker_loop(state.clone(), leases.clone()));
        }
        WorkerPool {
            state: state.clone(),
            workers,
            leases,
        }
    }

    /// Lets the workers finish the runs they hold for up to `grace` (call once the shutdown
    /// flag is up, so they claim no more); then stops the rest and hands their runs back.
    pub async fn finish(mut self, grace: Duration) {
        let drained = async { while self.workers.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drained).await.is_ok() {
            return;
        }
        // Stopped first, so they send nothing more; a statement already on its way is refused
        // by the cleared lease owner (`queue::hand_back`).
        self.workers.shutdown().await;
        match tokio::time::timeout(HAND_BACK_WITHIN, self.hand_back()).await {
            Ok(Ok(runs)) if runs.is_empty() => {}
            Ok(Ok(runs)) => tracing::warn!(
                count = runs.len(),
                runs = ?runs,
                "grace period over; handed in-flight pipeline runs back to the queue"
            ),
            Ok(Err(error)) => tracing::warn!(
                error = ?error,
                "grace period over; could not hand pipeline runs back: they are claimed again \
                 when their leases lapse"
            ),
            Err(_) => tracing::warn!(
                "grace period over; handing pipeline runs back took too long: they are claimed \
                 again when their leases lapse"
            ),
        }
    }

    async fn hand_back(&self) -> AppResult<Vec<Uuid>> {
        let lease_owners = self.leases.all();
        if lease_owners.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.state.pool.get().await?;
        let runs = queue::hand_back(&mut connection, &lease_owners).await?;
        if !runs.is_empty() {
            // Idle workers elsewhere look at once. Best effort: with Redis the notice leaves
            // from a task this exiting process may not finish, and workers poll besides.
            self.state.events.publish(BusEvent::PipelineRunQueued);
        }
        Ok(runs)
    }
}

async fn worker_loop(state: AppState, leases: HeldLeases) {
    let mut shutdown = state.shutdown.clone();
    let mut wakeups = state.events.subscribe(Topic::PipelineQueue);
    let poll = state.settings.pipelines.poll_interval;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let lease_owner = Uuid::new_v4();
        leases.hold(lease_owner);
        let worked = match claim(&state, lease_owner).await {
            Ok(Some(run)) => {
                let run_id = run.id;
                let span = tracing::info_span!("pipeline run", %run_id, attempt = run.attempts);
                if let Err(error) = process_run(&state, run).instrument(span).await {
                    tracing::error!(%run_id, error = ?error, "pipeline run failed internally");
                }
                true
            }
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(error = ?error, "claiming a pipeline run failed");
                false
            }
        };
        // Only a stop mid-claim or mid-run skips this, and then the pool hands the lease back.
        leases.release(lease_owner);
        if worked {
            continue;
        }
        tokio::select! {
            _ = wakeups.recv() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn claim(state: &AppState, lease_owner: Uuid) -> AppResult<Option<PipelineRun>> {
    let mut connection = state.pool.get().await?;
    queue::claim_next_job(&mut connection, lease_owner, state.settings.pipelines.lease).await
}

/// The lease owner ids this pool's workers hold or are claiming with. Only ids: the queue
/// decides what an owner still holds.
#[derive(Clone, Default)]
struct HeldLeases(Arc<Mutex<HashSet<Uuid>>>);

impl HeldLeases {
    /// Before the claim is sent: a worker stopped while its claim commits would otherwise hold
    /// a lease nobody knows of.
    fn hold(&self, lease_owner: Uuid) {
        self.owners().insert(lease_owner);
    }

    /// Once the run is over for this worker: finished, lost, or never claimed.
    fn release(&self, lease_owner: Uuid) {
        self.owners().remove(&lease_owner);
    }

    fn all(&self) -> Vec<Uuid> {
        self.owners().iter().copied().collect()
    }

    fn owners(&self) -> MutexGuard<'_, HashSet<Uuid>> {
        // Only single inserts and removals happen under the lock: a panic cannot leave the set
        // half-changed, so a poisoned lock still guards a sound set.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
