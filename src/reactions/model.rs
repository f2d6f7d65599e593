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
    pub source: OutcomeSource,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reactions, check_for_backend(diesel::pg::Pg))]
pub struct Reaction {
    pub id: Uuid,
    pub user_id: Uuid,
    pub cache_key: String,
    pub environment: Environment,
    pub cached: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable)]
#[diesel(table_name = discoveries, check_for_backend(diesel::pg::Pg))]
pub struct Discovery {
    pub id: Uuid,
    pub kind: DiscoveryKind,
    pub subject: String,
    pub description: String,
    pub discoverer_id: Option<Uuid>,
    pub reaction_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What a discovery is the first of.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    async_graphql::Enum,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum DiscoveryKind {
    /// The first time anyone produced this balanced reaction.
    Reaction,
    /// The first time anyone produced this effect with this compound.
    Effect,
}

crate::stored_as_text!(DiscoveryKind {
    Reaction => "REACTION",
    Effect => "EFFECT",
});

/// Where the mix happens. The temperature given with each is the one the outcome's ΔG,
/// equilibrium constant and spontaneity are computed at.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    async_graphql::Enum,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Environment {
    /// Air at 25 °C (298.15 K) and 1 atm.
    #[default]
    Normal,
    /// A vacuum at 25 °C (298.15 K).
    Vacuum,
    /// Pure oxygen at 25 °C (298.15 K) and 1 atm.
    PureOxygen,
    /// Argon/nitrogen at 25 °C (298.15 K) and 1 atm.
    InertGas,
    /// Dilute aqueous acid at 25 °C (298.15 K).
    Acidic,
    /// Dilute aqueous alkali at 25 °C (298.15 K).
    Basic,
    /// A furnace: air at 800 °C (1073.15 K).
    HighTemperature,
}

crate::stored_as_text!(Environment {
    Normal => "NORMAL",
    Vacuum => "VACUUM",
    PureOxygen => "PURE_OXYGEN",
    InertGas => "INERT_GAS",
    Acidic => "ACIDIC",
    Basic => "BASIC",
    HighTemperature => "HIGH_TEMPERATURE",
});

/// Who produced a stored outcome. Stored as text in `reaction_cache.source`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    async_graphql::Enum,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum OutcomeSource {
    /// Catalyst's own chemistry engine.
    Engine,
    /// The external model, for a mixture the engine's rules do not cover; checked by the
    /// engine (catalogue species, supplied reactants, conserving coefficients) before use.
    ExternalModel,
}

crate::stored_as_text!(OutcomeSource {
    Engine => "ENGINE",
    ExternalModel => "PREDICTOR",
});

/// A world first a reaction may claim: (kind, subject, description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: DiscoveryKind,
    pub subject: String,
    pub description: String,
}
