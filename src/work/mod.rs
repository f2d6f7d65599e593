//! The unit of work: the one path by which a mutation changes data. It checks out a connection,
//! opens the transaction, and for a project locks the project's activity head and checks the
//! permission through `authz`; then it runs the feature's change, appends the typed activity the
//! change recorded, commits, and only after the commit publishes. A mutation says what it
//! changes and which events it emits, nothing else.
//!
//! Nothing here waits on the network while the transaction is open: rate limits, Redis and
//! external services are the caller's business before `run` or after it returns.

use std::{any::Any, future::Future, sync::Arc};

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{ProjectAccess, ProjectPermission},
        project_roles::{self, ProjectStanding},
        viewer::AuthenticatedUser,
    },
    db::PooledConnection,
    error::{not_found, AppResult},
    events::{
        log::{self, ActivityEvent, NewActivity},
        BusEvent,
    },
    state::AppState,
};

/// An activity a feature records in a project's log: its stored kind and payload. Features
/// implement it for their typed activity enum, so the log is written only through that type.
pub trait LoggedActivity: Send + Sync + 'static {
    /// The kind column and the JSON payload this activity is stored as.
    fn to_stored(&self) -> AppResult<(String, serde_json::Value)>;
}

/// `AsyncFnOnce` whose future is `Send` for every borrow of its argument. Rust cannot say that
/// of an async closure's future directly yet; naming the future through this trait lets the
/// bound be written (the same device diesel-async's `transaction` uses).
pub trait ChangeFn<T, R>: AsyncFnOnce(T) -> R + FnOnce(T) -> <Self as ChangeFn<T, R>>::Fut {
    type Fut: Future<Output = R>;
}

impl<F, T, Fut, R> ChangeFn<T, R> for F
where
    F: AsyncFnOnce(T) -> R + FnOnce(T) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

/// A change outside any project's log (accounts, sessions, bookmarks, reactions): one
/// transaction, and bus events published once it has committed.
pub struct Change {
    /// The transaction's connection; pass `&mut change.db` to store functions.
    pub db: PooledConnection<'static>,
    published: Vec<BusEvent>,
}

impl Change {
    /// Publishes `event` to subscribers once the transaction has committed; dropped on rollback.
    pub fn publish_after_commit(&mut self, event: BusEvent) {
        self.published.push(event);
    }
}

/// Runs `body` as one transaction; commits when it returns `Ok`, rolls back otherwise.
pub async fn run<R, F>(state: &AppState, body: F) -> AppResult<R>
where
    for<'c> F: AsyncFnOnce(&'c mut Change) -> AppResult<R>
        + ChangeFn<&'c mut Change, AppResult<R>, Fut: Send>
        + Send,
    R: Send,
{
    let mut change = Change {
        db: state.pool.get_owned().await?,
        published: Vec::new(),
    };
    begin(&mut change.db).await?;
    let outcome = body(&mut change).await;
    let value = finish(&mut change.db, outcome).await?;
    for event in change.published {
        state.events.publish(event);
    }
    Ok(value)
}

/// Who makes a project change: a signed-in viewer whose permission is checked, or the system
/// acting on someone's behalf (a pipeline run creating tasks), whose caller checked already.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    Viewer(&'a AuthenticatedUser, ProjectPermission),
    System { on_behalf_of: Option<Uuid> },
}

impl Actor<'_> {
    fn user_id(&self) -> Option<Uuid> {
        match self {
            Actor::Viewer(viewer, _) => Some(viewer.user_id()),
            Actor::System { on_behalf_of } => *on_behalf_of,
        }
    }
}

/// A change to one project's data, under the lock of its activity head.
pub struct ProjectChange {
    /// The transaction's connection; pass `&mut change.db` to store functions.
    pub db: PooledConnection<'static>,
    pub project_id: Uuid,
    /// The actor's access, checked against the required permission (owner powers for the
    /// system).
    pub access: ProjectAccess,
    pub archived: bool,
    actor_id: Option<Uuid>,
    recorded: Vec<(NewActivity, Arc<dyn Any + Send + Sync>)>,
    published: Vec<BusEvent>,
}

impl ProjectChange {
    /// The user the change is made by or on behalf of.
    pub fn actor_id(&self) -> Option<Uuid> {
        self.actor_id
    }

    /// Records `activity` in the project's log, in order; appended just before the commit and
    /// published after it.
    pub fn record<A: LoggedActivity>(&mut self, activity: A) -> AppResult<()> {
        let (kind, payload) = activity.to_stored()?;
        let entry = NewActivity {
            project_id: self.project_id,
            actor_id: self.actor_id,
            kind,
            payload,
        };
        self.recorded.push((entry, Arc::new(activity)));
        Ok(())
    }

    /// Publishes a bus event (beyond the recorded activity) once the transaction has committed.
    pub fn publish_after_commit(&mut self, event: BusEvent) {
        self.published.push(event);
    }
}

/// Runs `body` as one transaction on `project_id`'s data: the activity head is locked first (so
/// writers to one project queue up and seq order is commit order), then the actor's access is
/// checked under that lock. `NOT_FOUND` when the project does not exist or the viewer may not
/// see it, `FORBIDDEN` when they may see but not do this.
pub async fn run_in_project<R, F>(
    state: &AppState,
    actor: Actor<'_>,
    project_id: Uuid,
    body: F,
) -> AppResult<R>
where
    for<'c> F: AsyncFnOnce(&'c mut ProjectChange) -> AppResult<R>
        + ChangeFn<&'c mut ProjectChange, AppResult<R>, Fut: Send>
        + Send,
    R: Send,
{
    let mut db = state.pool.get_owned().await?;
    begin(&mut db).await?;
    let standing = match lock_and_authorize(&mut db, actor, project_id).await {
        Ok(standing) => standing,
        Err(error) => return finish(&mut db, Err(error)).await,
    };
    let mut change = ProjectChange {
        db,
        project_id,
        access: standing.access,
        archived: standing.archived,
        actor_id: actor.user_id(),
        recorded: Vec::new(),
        published: Vec::new(),
    };
    let outcome = match body(&mut change).await {
        Ok(value) => append_recorded(&mut change)
            .await
            .map(|events| (value, events)),
        Err(error) => Err(error),
    };
    let (value, events) = finish(&mut change.db, outcome).await?;
    for event in events {
        state.events.publish(BusEvent::Activity(Arc::new(event)));
    }
    for event in change.published {
        state.events.publish(event);
    }
    Ok(value)
}

/// The viewer's standing in a project without opening a change: for checks that must come
/// before network waits (a rate limit) and are repeated under the lock by `run_in_project`.
pub async fn standing(
    state: &AppState,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
    permission: ProjectPermission,
) -> AppResult<ProjectStanding> {
    let mut connection = state.pool.get().await?;
    let standing = project_roles::standing(&mut connection, viewer, project_id).await?;
    standing.access.require(permission, "project")?;
    Ok(standing)
}

async fn lock_and_authorize(
    connection: &mut AsyncPgConnection,
    actor: Actor<'_>,
    project_id: Uuid,
) -> AppResult<ProjectStanding> {
    if log::lock_log(connection, project_id).await?.is_none() {
        return Err(not_found("project"));
    }
    match actor {
        Actor::Viewer(viewer, permission) => {
            let standing = project_roles::standing(connection, viewer, project_id).await?;
            standing.access.require(permission, "project")?;
            Ok(standing)
        }
        Actor::System { .. } => Ok(ProjectStanding {
            access: ProjectAccess::PlatformAdmin,
            archived: project_roles::is_archived(connection, project_id).await?,
        }),
    }
}

async fn append_recorded(change: &mut ProjectChange) -> AppResult<Vec<ActivityEvent>> {
    let mut events = Vec::with_capacity(change.recorded.len());
    for (entry, typed) in std::mem::take(&mut change.recorded) {
        let event = log::append(&mut change.db, entry).await?;
        event.remember_typed(typed);
        events.push(event);
    }
    Ok(events)
}

async fn begin(connection: &mut AsyncPgConnection) -> AppResult<()> {
    AnsiTransactionManager::begin_transaction(connection).await?;
    Ok(())
}

/// Commits after `Ok`, rolls back after `Err`; the body's error wins over a failed rollback.
async fn finish<R>(connection: &mut AsyncPgConnection, outcome: AppResult<R>) -> AppResult<R> {
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(connection).await?;
            Ok(value)
        }
        Err(error) => {
            // A connection whose rollback failed is marked broken and the pool discards it.
            let _ = AnsiTransactionManager::rollback_transaction(connection).await;
            Err(error)
        }
    }
}
