//! Batched user lookups for the many "who did this" edges of every feature.

use std::collections::HashMap;

use async_graphql::{dataloader::Loader, Context};
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::{AppError, AppResult},
    graphql::loaders::{Loaders, RequestLoad},
    users::{model::User, store as user_store},
};

pub struct UserLoader {
    pool: DbPool,
}

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let users = user_store::find_by_ids(&mut connection, keys).await?;
        Ok(users.into_iter().map(|user| (user.id, user)).collect())
    }
}

impl RequestLoad for UserLoader {
    fn new(pool: DbPool) -> Self {
        UserLoader { pool }
    }
}

/// The user an optional reference points at.
pub async fn user(ctx: &Context<'_>, id: Option<Uuid>) -> AppResult<Option<User>> {
    match id {
        Some(id) => Loaders::get::<UserLoader>(ctx).load_one(id).await,
        None => Ok(None),
    }
}
