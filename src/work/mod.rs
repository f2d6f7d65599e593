//! The unit of work: the one path by which a mutation changes data. It checks out a connection,
//! opens the transaction, and for a project locks the project's activity head and checks the
//! permission through `authz`; then it runs the feature's change, appends the typed activity the
//! change recorded, commits, and only after the commit publishes. A mutation says what it
//! changes and which events it emits, nothing else.
//!
//! Nothing here waits on the network while the transaction is open: rate limits, Redis and
//! external services are the caller's business before `run` or after it returns.

use std::future::Future;

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::{db::PooledConnection, error::AppResult, events::BusEvent, state::AppState};

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
