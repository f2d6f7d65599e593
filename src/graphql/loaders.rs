//! Per-request dataloaders: every "belongs to" edge batches its lookups into one query.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use uuid::Uuid;

use crate::{
    db::DbPool,
    users::{model::User, store as user_store},
};

pub struct UserLoader {
    pool: DbPool,
}

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = Arc<async_graphql::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, Self::Error> {
        let mut connection = self
            .pool
            .get()
            .await
            .map_err(|error| Arc::new(crate::error::AppError::from(error).into_graphql()))?;
        let users = user_store::find_by_ids(&mut connection, keys)
            .await
            .map_err(|error| Arc::new(error.into_graphql()))?;
        Ok(users.into_iter().map(|user| (user.id, user)).collect())
    }
}

/// A loader that remembers what it loaded for the rest of the request.
type RequestLoader<T> = DataLoader<T, HashMapCache>;

/// The dataloaders of one request; created fresh so nothing is cached across viewers.
pub struct Loaders {
    pub users: RequestLoader<UserLoader>,
}

impl Loaders {
    pub fn new(pool: &DbPool) -> Self {
        Loaders {
            users: DataLoader::with_cache(
                UserLoader { pool: pool.clone() },
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }

    /// Loaders that batch but never cache, for long-lived WebSocket connections.
    pub fn without_cache(pool: &DbPool) -> Self {
        let loaders = Self::new(pool);
        loaders.users.enable_all_cache(false);
        loaders
    }
}
