//! Read-only queries of the chemistry sandbox: the catalogue, a player's runs and stats, and
//! the discovery list.

use async_graphql::{connection::Connection, Context, Object, SimpleObject, ID};
use uuid::Uuid;

use super::chemical::Chemical;
use super::discoveries::DiscoveryNode;
use super::outcome::{ReactionOutcomeNode, ReactionOutcomeView};
use super::{viewer, REACTION_TYPE};
use crate::{
    auth::authz::SignedIn,
    error::{not_found, AppResult},
    graphql::{
        ids::decode_id,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
    },
    reactions::{
        engine,
        store::{self, DiscoveryCursor, ReactionCursor},
    },
    state::AppState,
};

/// A player's record.
#[derive(SimpleObject)]
pub struct ReactionStats {
    /// Predictions the viewer ran, cached answers included.
    reactions_run: i64,
    /// World firsts the viewer holds.
    discoveries: i64,
}

#[derive(Default)]
pub struct ReactionQuery;

#[Object]
impl ReactionQuery {
    /// Catalogue chemicals whose name, synonym or formula contains `search` (exact matches first).
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn chemicals(
        &self,
        #[graphql(desc = "Text to look for in names, synonyms and formulas.")] search: String,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page of the same search.")]
        after: Option<String>,
    ) -> AppResult<Connection<PageCursor, Chemical>> {
        let limit = page_size(first)?;
        let offset: usize = after
            .as_deref()
            .map(|cursor| decode_cursor::<usize>("after", cursor))
            .transpose()?
            .map_or(0, |position| position + 1);
        let found = engine::search_chemicals(&search);
        let rows: Vec<Chemical> = found
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit as usize + 1)
            .map(|(position, compound)| Chemical(compound, position))
            .collect();
        Ok(connection_from_rows(rows, limit, offset > 0, |chemical| {
            chemical.1
        }))
    }

    /// One chemical by formula, name or synonym; null when the catalogue has no such chemical.
    #[graphql(guard = "SignedIn")]
    async fn chemical(
        &self,
        #[graphql(desc = "A formula (\"NaCl\"), name (\"table salt\") or synonym.")]
        formula: String,
    ) -> Option<Chemical> {
        engine::lookup_chemical(&formula)
            .ok()
            .map(|compound| Chemical(compound, 0))
    }

    /// One of the viewer's reaction runs (platform admins: anyone's); `NOT_FOUND` for someone
    /// else's.
    #[graphql(guard = "SignedIn")]
    async fn reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's `ReactionOutcome.id`.")] id: ID,
    ) -> AppResult<ReactionOutcomeView> {
        let viewer = viewer(ctx)?;
        let reaction_id = decode_id(REACTION_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (reaction, cached) = store::find_reaction(&mut connection, reaction_id)
            .await?
            .filter(|(reaction, _)| {
                reaction.user_id == viewer.user_id() || viewer.is_platform_admin()
            })
            .ok_or_else(|| not_found("reaction"))?;
        let world_first = store::discoveries_of_reactions(&mut connection, &[reaction.id]).await?;
        ReactionOutcomeNode::from_rows(reaction, cached, world_first).map(Into::into)
    }

    /// The viewer's reaction runs, newest first.
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn my_reactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Older runs than this `cursor`.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, ReactionOutcomeView>> {
        let viewer = viewer(ctx)?;
        let limit = page_size(first)?;
        let before: Option<ReactionCursor> = after
            .as_deref()
            .map(|c| decode_cursor("after", c))
            .transpose()?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows = store::list_reactions(&mut connection, viewer.user_id(), before, limit).await?;
        let ids: Vec<Uuid> = rows.iter().map(|(reaction, _)| reaction.id).collect();
        let firsts = store::discoveries_of_reactions(&mut connection, &ids).await?;
        let nodes = rows
            .into_iter()
            .map(|(reaction, cached)| {
                let mine = firsts
                    .iter()
                    .filter(|discovery| discovery.reaction_id == Some(reaction.id))
                    .cloned()
                    .collect();
                ReactionOutcomeNode::from_rows(reaction, cached, mine)
                    .map(ReactionOutcomeView::from)
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(connection_from_rows(
            nodes,
            limit,
            before.is_some(),
            |node| (node.run.reaction.created_at, node.run.reaction.id),
        ))
    }

    /// How many reactions the viewer ran and how many world firsts they hold.
    #[graphql(guard = "SignedIn")]
    async fn reaction_stats(&self, ctx: &Context<'_>) -> AppResult<ReactionStats> {
        let viewer = viewer(ctx)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (reactions_run, discoveries) =
            store::player_stats(&mut connection, viewer.user_id()).await?;
        Ok(ReactionStats {
            reactions_run,
            discoveries,
        })
    }

    /// Every world-first discovery, newest first.
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn discoveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Older discoveries than this `cursor` from an earlier page.")]
        after: Option<String>,
    ) -> AppResult<Connection<PageCursor, DiscoveryNode>> {
        let limit = page_size(first)?;
        let before: Option<DiscoveryCursor> = after
            .as_deref()
            .map(|c| decode_cursor("after", c))
            .transpose()?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows = store::list_discoveries(&mut connection, before, limit).await?;
        let nodes = rows.into_iter().map(DiscoveryNode).collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            before.is_some(),
            |node: &DiscoveryNode| (node.0.created_at, node.0.id),
        ))
    }
}
