//! `ReactionOutcome`: one prediction a player ran, read from its cached engine outcome, and who
//! produced that outcome (the engine or the external model).

use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};

use super::analysis::{ReactionAmounts, Spontaneity};
use super::discoveries::DiscoveryNode;
use super::types::{species, EffectView, ReactionClassKind, Species};
use super::REACTION_TYPE;
use crate::{
    error::{internal, AppResult},
    graphql::ids::encode_id,
    reactions::{
        engine::{self, ReactantInput, ReactionOutcome},
        model::{CachedOutcome, Discovery, Environment, OutcomeSource, Reaction},
    },
};

/// One prediction a player ran, with the (cached) outcome.
pub struct ReactionOutcomeNode {
    pub(super) reaction: Reaction,
    pub(super) outcome: ReactionOutcome,
    pub(super) source: OutcomeSource,
    pub(super) world_first: Vec<Discovery>,
}

/// The GraphQL `ReactionOutcome`: a run, and the amounts it was given in moles (empty for runs
/// read back from the store, which keeps only the outcome: that depends on the amounts' ratio
/// alone).
pub struct ReactionOutcomeView {
    pub(super) run: ReactionOutcomeNode,
    pub(super) supplied: Vec<ReactantInput>,
}

impl From<ReactionOutcomeNode> for ReactionOutcomeView {
    fn from(run: ReactionOutcomeNode) -> Self {
        ReactionOutcomeView {
            run,
            supplied: Vec::new(),
        }
    }
}

impl ReactionOutcomeNode {
    pub(super) fn from_rows(
        reaction: Reaction,
        cached: CachedOutcome,
        world_first: Vec<Discovery>,
    ) -> AppResult<Self> {
        let outcome = serde_json::from_value(cached.outcome).map_err(|error| {
            internal(anyhow::anyhow!(
                "cached outcome {}: {error}",
                cached.cache_key
            ))
        })?;
        Ok(ReactionOutcomeNode {
            reaction,
            outcome,
            source: cached.source,
            world_first,
        })
    }
}

/// One prediction a player ran, with its (possibly cached) outcome. Visible to the player who
/// ran it and platform admins.
#[Object(name = "ReactionOutcome")]
impl ReactionOutcomeView {
    /// Opaque id of this run; pass it to `reaction(id:)`.
    pub async fn id(&self) -> ID {
        encode_id(REACTION_TYPE, self.run.reaction.id)
    }

    /// e.g. `2 H2(g) + O2(g) → 2 H2O(l)`.
    async fn equation(&self) -> &str {
        &self.run.outcome.equation
    }

    /// The kind of reaction; NO_REACTION when nothing happens.
    async fn reaction_class(&self) -> ReactionClassKind {
        self.run.outcome.reaction_class.into()
    }

    /// The left side of the balanced equation.
    async fn reactants(&self) -> Vec<Species> {
        species(&self.run.outcome.reactants)
    }

    /// The right side of the balanced equation; empty for NO_REACTION.
    async fn products(&self) -> Vec<Species> {
        species(&self.run.outcome.products)
    }

    /// What a player would see.
    async fn effects(&self) -> Vec<EffectView> {
        self.run.outcome.effects.iter().map(Into::into).collect()
    }

    /// ΔH° of the balanced equation as written, kJ (null when no reaction happens).
    async fn enthalpy_kj(&self) -> Option<f64> {
        self.run.outcome.enthalpy_kj
    }

    /// ΔS° of the balanced equation as written, J/K (null when no reaction happens).
    async fn entropy_j_per_k(&self) -> Option<f64> {
        self.run.outcome.entropy_j_per_k
    }

    /// ΔG at the environment's temperature, kJ.
    async fn gibbs_kj(&self) -> Option<f64> {
        self.run.outcome.gibbs_kj
    }

    /// True when it releases heat (ΔH° < 0); null when no reaction happens.
    async fn exothermic(&self) -> Option<bool> {
        self.run.outcome.exothermic
    }

    /// True when ΔG < 0 at the environment's temperature; null when no reaction happens.
    async fn spontaneous(&self) -> Option<bool> {
        self.run.outcome.spontaneous
    }

    /// For a reaction in solution: the equation with dissolved strong electrolytes written as
    /// ions and spectator ions removed, e.g. `Ag+(aq) + Cl-(aq) → AgCl(s)`. Null when no
    /// species is dissolved into ions.
    async fn net_ionic_equation(&self) -> Option<String> {
        engine::net_ionic_equation(&self.run.outcome)
    }

    /// ΔG, K and where ΔG changes sign, at the environment's temperature; null without
    /// thermodynamic data.
    async fn spontaneity(&self) -> Option<Spontaneity> {
        engine::spontaneity(&self.run.outcome).map(Into::into)
    }

    /// Limiting reactant, what is left of the others and the theoretical mass of each product,
    /// from the amounts given to `predictReaction`; null when no reactant of the equation was
    /// given an amount, and on runs read back later (only `predictReaction` has the amounts).
    async fn amounts(&self) -> Option<ReactionAmounts> {
        engine::reaction_amounts(&self.run.outcome, &self.supplied).map(Into::into)
    }

    /// Why this happened (or did not), in English sentences for the player.
    async fn explanation(&self) -> &str {
        &self.run.outcome.explanation
    }

    /// The environment the mix was run in.
    async fn environment(&self) -> Environment {
        self.run.reaction.environment
    }

    /// Who predicted this outcome the first time the mix was run.
    async fn predicted_by(&self) -> OutcomeSource {
        self.run.source
    }

    /// True when this answer came from the cache of an earlier identical prediction.
    async fn cached(&self) -> bool {
        self.run.reaction.cached
    }

    /// World firsts this run claimed.
    async fn world_first(&self) -> Vec<DiscoveryNode> {
        self.run
            .world_first
            .iter()
            .cloned()
            .map(DiscoveryNode)
            .collect()
    }

    /// When the player ran it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.run.reaction.created_at
    }
}
