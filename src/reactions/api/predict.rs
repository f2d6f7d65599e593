//! `predictReaction`: runs the engine on a mix (or takes the stored outcome of an identical
//! earlier mix), consults the external model for mixtures no rule covers, records the run and
//! claims world firsts in one unit of work, which publishes the firsts after it commits.

use async_graphql::{Context, InputObject, Object};
use chrono::Utc;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::outcome::{ReactionOutcomeNode, ReactionOutcomeView};
use super::types::AmountUnit;
use super::viewer;
use crate::{
    auth::authz::SignedIn,
    error::{bad_input, internal, AppError, AppResult},
    events::{BusEvent, Topic},
    limits::{self, NamedLimit},
    reactions::{
        engine::{
            self, Effect, EngineError, Prediction, ProposalVerdict, ReactionInput, ReactionOutcome,
        },
        model::{Claim, DiscoveryKind, Environment, OutcomeSource, Reaction},
        predictor::{Consultation, ExternalPredictor},
        store,
    },
    state::AppState,
    work,
};

/// One chemical put into the mix.
#[derive(InputObject)]
pub struct ReactantEntry {
    /// A name ("table salt"), synonym or formula ("NaCl", "HCl(aq)").
    chemical: String,
    /// In `unit` (moles unless said otherwise). Their ratio decides the outcome; the amounts
    /// themselves give `ReactionOutcome.amounts`.
    amount: Option<f64>,
    /// What `amount` counts; MOLES by default.
    #[graphql(default)]
    unit: AmountUnit,
}

impl ReactantEntry {
    /// The engine's reactant, its amount in moles.
    fn into_engine(self) -> AppResult<engine::ReactantInput> {
        let amount = match (self.amount, self.unit) {
            (Some(grams), AmountUnit::Grams) => {
                let compound = engine::lookup_chemical(&self.chemical).map_err(engine_error)?;
                Some(grams / compound.molar_mass())
            }
            (amount, _) => amount,
        };
        Ok(engine::ReactantInput {
            chemical: self.chemical,
            amount,
        })
    }
}

/// A mix to predict.
#[derive(InputObject)]
pub struct PredictReactionInput {
    /// 1 to 6 chemicals.
    reactants: Vec<ReactantEntry>,
    /// Where the mix is run; NORMAL (air at 25 °C and 1 atm) by default.
    #[graphql(default)]
    environment: Environment,
    /// A chemical offered as a catalyst, named like a reactant; `explanation` says when it has
    /// no effect.
    catalyst: Option<String>,
}

/// Engine refusals are the player's input at fault, with the suggestions the engine offers;
/// an unbalanceable plan is an engine defect and reported as internal.
fn engine_error(error: EngineError) -> AppError {
    let message = error.message();
    match error {
        EngineError::UnknownChemical { suggestions, .. } => AppError::BadUserInput {
            field: Some("reactants".into()),
            message,
            details: vec![(
                "suggestions",
                async_graphql::Value::List(
                    suggestions
                        .into_iter()
                        .map(async_graphql::Value::from)
                        .collect(),
                ),
            )],
        },
        EngineError::Unbalanceable { .. } => internal(anyhow::anyhow!("engine: {message}")),
        EngineError::InvalidFormula { .. }
        | EngineError::ReactantCount { .. }
        | EngineError::InvalidAmount { .. } => bad_input("reactants", message),
    }
}

/// The world firsts an outcome can claim: its balanced reaction, and each effect with a compound.
fn claims(outcome: &ReactionOutcome) -> Vec<Claim> {
    if outcome.reaction_class == engine::ReactionClass::NoReaction {
        return Vec::new();
    }
    let mut claims = vec![Claim {
        kind: DiscoveryKind::Reaction,
        subject: outcome.equation.clone(),
        description: format!("First to produce {}", outcome.equation),
    }];
    for effect in &outcome.effects {
        let (label, compound, verb) = match effect {
            Effect::Precipitate { compound, .. } => ("PRECIPITATE", compound, "precipitate"),
            Effect::GasProduction { gas, .. } => ("GAS_PRODUCTION", gas, "release"),
            _ => continue,
        };
        claims.push(Claim {
            kind: DiscoveryKind::Effect,
            subject: format!("{label}:{compound}"),
            description: format!("First to {verb} {compound}"),
        });
    }
    claims
}

/// The outcome for a mix no rule covers: the external model's proposal when the engine accepts
/// it, the engine's own best guess otherwise.
async fn consult_predictor(
    state: &AppState,
    predictor: &ExternalPredictor,
    input: &ReactionInput,
    prediction: Prediction,
) -> (ReactionOutcome, OutcomeSource) {
    let engine_answer = (prediction.outcome, OutcomeSource::Engine);
    let proposal = match predictor
        .consult(input, &engine_answer.0, &state.metrics)
        .await
    {
        Consultation::Proposed(proposal) => proposal,
        Consultation::Unusable(reason) => {
            tracing::warn!(%reason, "discarded the reaction predictor's answer");
            return engine_answer;
        }
        Consultation::Unavailable => return engine_answer,
    };
    match engine::accept_proposal(input, &proposal) {
        Ok(ProposalVerdict::Accepted(outcome)) => (*outcome, OutcomeSource::ExternalModel),
        Ok(ProposalVerdict::NoReaction) => engine_answer,
        Err(reason) => {
            tracing::warn!(%reason, ?proposal, "discarded the reaction predictor's proposal");
            engine_answer
        }
    }
}

fn cache_key(canonical_input: &str) -> String {
    hex::encode(Sha256::digest(canonical_input.as_bytes()))
}

#[derive(Default)]
pub struct ReactionMutation;

#[Object]
impl ReactionMutation {
    /// Mixes chemicals in an environment. The first prediction for a given mix is stored and
    /// every identical request gets the stored outcome back (`cached: true`). World firsts
    /// (a new balanced reaction, a new effect with a compound) go to whoever triggers them first.
    /// `BAD_USER_INPUT` for an unknown chemical (with `extensions.suggestions`), a bad formula,
    /// amount or reactant count; `RATE_LIMITED` past 60 a minute per user
    /// (`RATE_LIMIT_PREDICT_REACTION_PER_MINUTE`).
    #[graphql(guard = "SignedIn")]
    async fn predict_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The chemicals, environment and catalyst.")] input: PredictReactionInput,
    ) -> AppResult<ReactionOutcomeView> {
        limits::check(ctx, NamedLimit::PredictReaction).await?;
        let viewer = viewer(ctx)?;
        let engine_input = ReactionInput {
            reactants: input
                .reactants
                .into_iter()
                .map(ReactantEntry::into_engine)
                .collect::<AppResult<_>>()?,
            environment: input.environment.engine(),
            catalyst: input.catalyst,
        };
        let canonical_input = engine::canonical_key(&engine_input).map_err(engine_error)?;
        let key = cache_key(&canonical_input);
        let state = AppState::from_ctx(ctx);
        let known = {
            let mut connection = state.pool.get().await?;
            store::find_cached(&mut connection, &key).await?
        };
        let fresh = match known {
            Some(_) => None,
            None => {
                let prediction = engine::assess_reaction(&engine_input).map_err(engine_error)?;
                // Asked about mixtures the rules cannot decide, when REACTION_PREDICTOR_URL is set;
                // the player waits on the model, with no connection checked out.
                let consult = ctx
                    .data_opt::<Arc<ExternalPredictor>>()
                    .map(Arc::as_ref)
                    .filter(|_| !prediction.decided_by_rule);
                Some(match consult {
                    None => (prediction.outcome, OutcomeSource::Engine),
                    Some(predictor) => {
                        consult_predictor(state, predictor, &engine_input, prediction).await
                    }
                })
            }
        };
        let fresh_json = fresh
            .as_ref()
            .map(|(outcome, source)| serde_json::to_value(outcome).map(|json| (json, *source)))
            .transpose()
            .map_err(internal)?;
        let reaction = Reaction {
            id: Uuid::now_v7(),
            user_id: viewer.user_id(),
            cache_key: key.clone(),
            environment: input.environment,
            cached: true,
            created_at: Utc::now(),
        };
        work::run(state, async |change| {
            let connection = &mut change.db;
            let (stored, stored_now) = match (&known, &fresh_json) {
                (Some(cached), _) => (cached.clone(), false),
                (None, Some((outcome, source))) => {
                    store::store_first_outcome(connection, &key, &canonical_input, outcome, *source)
                        .await?
                }
                (None, None) => return Err(internal(anyhow::anyhow!("no outcome to store"))),
            };
            let reaction = store::insert_reaction(
                connection,
                &Reaction {
                    cached: !stored_now,
                    ..reaction
                },
            )
            .await?;
            let outcome: ReactionOutcome = serde_json::from_value(stored.outcome.clone())
                .map_err(|error| internal(anyhow::anyhow!("cached outcome {key}: {error}")))?;
            let mut firsts = Vec::new();
            for claim in claims(&outcome) {
                if let Some(discovery) =
                    store::claim_discovery(connection, &claim, reaction.user_id, reaction.id)
                        .await?
                {
                    firsts.push(discovery);
                }
            }
            for discovery in &firsts {
                change.publish_after_commit(
                    BusEvent::notice(Topic::Discoveries, discovery).map_err(internal)?,
                );
            }
            let node = ReactionOutcomeNode {
                reaction,
                outcome,
                source: stored.source,
                world_first: firsts,
            };
            Ok(ReactionOutcomeView {
                run: node,
                supplied: engine_input.reactants,
            })
        })
        .await
    }
}
