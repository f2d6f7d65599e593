//! Reaction queries. Takes a connection; knows nothing of GraphQL or of the engine.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    db::schema::{discoveries, reaction_cache, reactions},
    error::AppResult,
    reactions::model::{CachedOutcome, Claim, Discovery, OutcomeSource, Reaction},
};

pub async fn find_cached(
    connection: &mut AsyncPgConnection,
    cache_key: &str,
) -> AppResult<Option<CachedOutcome>> {
    Ok(reaction_cache::table
        .find(cache_key)
        .select(CachedOutcome::as_select())
        .first(connection)
        .await
        .optional()?)
}

/// Stores `outcome` as the answer for `cache_key` unless one is stored already, and returns the
/// stored answer with whether this call stored it. Concurrent first requests for one key wait on
/// the primary key and all get the one row that won.
pub async fn store_first_outcome(
    connection: &mut AsyncPgConnection,
    cache_key: &str,
    canonical_input: &str,
    outcome: &serde_json::Value,
    source: OutcomeSource,
) -> AppResult<(CachedOutcome, bool)> {
    let inserted = diesel::insert_into(reaction_cache::table)
        .values((
            reaction_cache::cache_key.eq(cache_key),
            reaction_cache::canonical_input.eq(canonical_input),
            reaction_cache::outcome.eq(outcome),
            reaction_cache::source.eq(source),
        ))
        .on_conflict_do_nothing()
        .execute(connection)
        .await?;
    let stored = reaction_cache::table
        .find(cache_key)
        .select(CachedOutcome::as_select())
        .first(connection)
        .await?;
    Ok((stored, inserted == 1))
}

pub async fn insert_reaction(
    connection: &mut AsyncPgConnection,
    reaction: &Reaction,
) -> AppResult<Reaction> {
    Ok(diesel::insert_into(reactions::table)
        .values(reaction.clone())
        .returning(Reaction::as_returning())
        .get_result(connection)
        .await?)
}

/// Records the claim if nobody made it before; returns the discovery when this call made it.
pub async fn claim_discovery(
    connection: &mut AsyncPgConnection,
    claim: &Claim,
    discoverer_id: Uuid,
    reaction_id: Uuid,
) -> AppResult<Option<Discovery>> {
    Ok(diesel::insert_into(discoveries::table)
        .values((
            discoveries::id.eq(Uuid::now_v7()),
            discoveries::kind.eq(claim.kind),
            discoveries::subject.eq(&claim.subject),
            discoveries::description.eq(&claim.description),
            discoveries::discoverer_id.eq(discoverer_id),
            discoveries::reaction_id.eq(reaction_id),
        ))
        .on_conflict_do_nothing()
        .returning(Discovery::as_returning())
        .get_result(connection)
        .await
        .optional()?)
}

/// A reaction run with its cached outcome.
pub async fn find_reaction(
    connection: &mut AsyncPgConnection,
    reaction_id: Uuid,
) -> AppResult<Option<(Reaction, CachedOutcome)>> {
    Ok(reactions::table
        .inner_join(reaction_cache::table)
        .filter(reactions::id.eq(reaction_id))
        .select((Reaction::as_select(), CachedOutcome::as_select()))
        .first(connection)
        .await
        .optional()?)
}

pub type ReactionCursor = (DateTime<Utc>, Uuid);

/// A player's runs, newest first; `limit + 1` rows to detect a next page.
pub async fn list_reactions(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    before: Option<ReactionCursor>,
    limit: i64,
) -> AppResult<Vec<(Reaction, CachedOutcome)>> {
    let mut query = reactions::table
        .inner_join(reaction_cache::table)
        .filter(reactions::user_id.eq(user_id))
        .order((reactions::created_at.desc(), reactions::id.desc()))
        .limit(limit + 1)
        .select((Reaction::as_select(), CachedOutcome::as_select()))
        .into_boxed();
    if let Some((created_at, id)) = before {
        query = query.filter(
            reactions::created_at
                .lt(created_at)
                .or(reactions::created_at
                    .eq(created_at)
                    .and(reactions::id.lt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

pub async fn discoveries_of_reactions(
    connection: &mut AsyncPgConnection,
    reaction_ids: &[Uuid],
) -> AppResult<Vec<Discovery>> {
    Ok(discoveries::table
        .filter(discoveries::reaction_id.eq_any(reaction_ids))
        .order((discoveries::created_at.asc(), discoveries::id.asc()))
        .select(Discovery::as_select())
        .load(connection)
        .await?)
}

pub type DiscoveryCursor = (DateTime<Utc>, Uuid);

/// All world firsts, newest first; `limit + 1` rows to detect a next page.
pub async fn list_discoveries(
    connection: &mut AsyncPgConnection,
    before: Option<DiscoveryCursor>,
    limit: i64,
) -> AppResult<Vec<Discovery>> {
    let mut query = discoveries::table
        .order((discoveries::created_at.desc(), discoveries::id.desc()))
        .limit(limit + 1)
        .select(Discovery::as_select())
        .into_boxed();
    if let Some((created_at, id)) = before {
        query = query.filter(
            discoveries::created_at
                .lt(created_at)
                .or(discoveries::created_at
                    .eq(created_at)
                    .and(discoveries::id.lt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

/// (reactions run, world firsts) of one player.
pub async fn player_stats(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<(i64, i64)> {
    let runs = reactions::table
        .filter(reactions::user_id.eq(user_id))
        .count()
        .get_result(connection)
        .await?;
    let firsts = discoveries::table
        .filter(discoveries::discoverer_id.eq(user_id))
        .count()
        .get_result(connection)
        .await?;
    Ok((runs, firsts))
}
