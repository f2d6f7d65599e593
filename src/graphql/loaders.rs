//! Per-request dataloaders: every "belongs to" edge batches its lookups into one statement, so a
//! nested query costs a number of statements bounded by its depth, not by its row count. Each
//! feature defines its loaders (`RequestLoad`); this set builds each one on first use in a
//! request and knows none of them.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use async_graphql::dataloader::{DataLoader, HashMapCache};

use uuid::Uuid;

use crate::db::DbPool;

/// A loader built per request over the pool.
pub trait RequestLoad: Send + Sync + 'static {
    fn new(pool: DbPool) -> Self;
}

/// A loader that remembers what it loaded for the rest of the request.
pub type RequestLoader<T> = DataLoader<T, HashMapCache>;

/// The dataloaders of one request (or WebSocket connection), built on first use: most
/// subscribers of a busy socket never need one, and idle loaders per socket add up.
pub struct Loaders {
    pool: DbPool,
    cached: bool,
    max_batch: usize,
    built: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Loaders {
    /// Loaders over `pool` whose statements each ask for at most `max_batch` keys
    /// (`LOADER_MAX_BATCH`).
    pub fn new(pool: &DbPool, max_batch: usize) -> Self {
        Loaders {
            pool: pool.clone(),
            cached: true,
            max_batch,
            built: Mutex::new(Vec::new()),
        }
    }

    /// Loaders that batch but never cache, for long-lived WebSocket connections, where cached
    /// rows would go stale.
    pub fn without_cache(pool: &DbPool, max_batch: usize) -> Self {
        Loaders {
            cached: false,
            ..Self::new(pool, max_batch)
        }
    }

    /// The request's loader of type `L`, built the first time it is asked for.
    pub fn get<L: RequestLoad>(ctx: &async_graphql::Context<'_>) -> Arc<RequestLoader<L>> {
        ctx.data_unchecked::<Loaders>().loader::<L>()
    }

    fn loader<L: RequestLoad>(&self) -> Arc<RequestLoader<L>> {
        let mut built = self
            .built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let wanted = TypeId::of::<L>();
        if let Some((_, loader)) = built.iter().find(|(id, _)| *id == wanted) {
            if let Ok(loader) = Arc::clone(loader).downcast::<RequestLoader<L>>() {
                return loader;
            }
        }
        let loader = DataLoader::with_cache(
            L::new(self.pool.clone()),
            tokio::spawn,
            HashMapCache::default(),
        )
        .max_batch_size(self.max_batch);
        if !self.cached {
            loader.enable_all_cache(false);
        }
        let loader = Arc::new(loader);
        built.push((wanted, loader.clone()));
        loader
    }
}

/// The parents of a page loader's keys (parent, page) grouped by the page they ask for: each
/// page is one statement for all its parents.
pub fn parents_by_page<Page: Clone + Hash + Eq>(keys: &[(Uuid, Page)]) -> HashMap<Page, Vec<Uuid>> {
    let mut by_page: HashMap<Page, Vec<Uuid>> = HashMap::new();
    for (parent_id, page) in keys {
        by_page.entry(page.clone()).or_default().push(*parent_id);
    }
    by_page
}
