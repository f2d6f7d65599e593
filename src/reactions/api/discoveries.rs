//! World-first discoveries: the `Discovery` object and the live feed of new ones from every
//! instance (published by the prediction mutation once its unit of work commits).

use async_graphql::{Context, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{stream::BoxStream, StreamExt};

use super::{viewer, DISCOVERY_TYPE};
use crate::{
    error::AppResult,
    events::Topic,
    graphql::ids::encode_id,
    reactions::model::{Discovery, DiscoveryKind},
    state::AppState,
    users::{self, model::User},
};

/// A world first: the first time anyone produced a reaction, or an effect with a compound.
#[derive(Clone)]
pub struct DiscoveryNode(pub Discovery);

/// A world first: the first time anyone produced a reaction, or an effect with a compound.
#[Object(name = "Discovery")]
impl DiscoveryNode {
    /// Opaque id of the discovery.
    async fn id(&self) -> ID {
        encode_id(DISCOVERY_TYPE, self.0.id)
    }

    /// Whether it is the first of a reaction or of an effect.
    async fn kind(&self) -> DiscoveryKind {
        self.0.kind
    }

    /// The equation, or `EFFECT:compound` (e.g. `PRECIPITATE:AgCl`).
    async fn subject(&self) -> &str {
        &self.0.subject
    }

    /// What was discovered, in English for the player.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Who made it; null once that account is deleted.
    async fn discoverer(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.0.discoverer_id).await
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct ReactionSubscription;

#[Subscription]
impl ReactionSubscription {
    /// World-first discoveries as they happen, from every instance.
    async fn discovery_made(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, DiscoveryNode>> {
        viewer(ctx)?;
        let receiver = AppState::from_ctx(ctx).events.subscribe(Topic::Discoveries);
        let stream = tokio_stream::wrappers::BroadcastStream::new(receiver).filter_map(
            |message| async move {
                match message {
                    Ok(crate::events::bus::BusMessage::Event(event)) => {
                        event.decode_notice::<Discovery>().map(DiscoveryNode)
                    }
                    _ => None,
                }
            },
        );
        Ok(stream.boxed())
    }
}
