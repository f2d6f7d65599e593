//! Rows of the reaction cache, players' reaction runs and world-first discoveries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::schema::{discoveries, reaction_cache, reactions};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reaction_cache, check_for_backend(diesel::pg::Pg))]
pub struct CachedOutcome {
    pub cache_key: String,
    pub canonical_input: String,
    pub outcome: serde_json::Value,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reactions, check_for_backend(diesel::pg::Pg))]
pub struct Reaction {
    pub id: Uuid,
    pub user_id: Uuid,
    pub cache_key: String,
    pub environment: String,
    pub cached: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable)]
#[diesel(table_name = discoveries, check_for_backend(diesel::pg::Pg))]
pub struct Discovery {
    pub id: Uuid,
    pub kind: String,
    pub subject: String,
    pub description: String,
    pub discoverer_id: Option<Uuid>,
    pub reaction_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What a discovery is the first of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum DiscoveryKind {
    /// The first time anyone produced this balanced reaction.
    Reaction,
    /// The first time anyone produced this effect with this compound.
    Effect,
}

impl DiscoveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoveryKind::Reaction => "REACTION",
            DiscoveryKind::Effect => "EFFECT",
        }
    }

    pub fn parse(stored: &str) -> Option<DiscoveryKind> {
        match stored {
            "REACTION" => Some(DiscoveryKind::Reaction),
            "EFFECT" => Some(DiscoveryKind::Effect),
            _ => None,
        }
    }
}

/// A world first a reaction may claim: (kind, subject, description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: DiscoveryKind,
    pub subject: String,
    pub description: String,
}
