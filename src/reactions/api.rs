//! GraphQL surface of the chemistry sandbox: predictions (cached by canonical input so the same
//! mix always gives the same answer), the chemical catalogue, players' history and the
//! world-first discovery feed. The engine decides the chemistry; this layer stores and shares it.

use async_graphql::{
    connection::Connection, Context, Enum, InputObject, Object, SimpleObject, Subscription, ID,
};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use futures_util::{stream::BoxStream, StreamExt};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, SignedIn},
        viewer::AuthenticatedUser,
    },
    error::{bad_input, internal, not_found, AppError, AppResult},
    events::{BusEvent, Topic},
    graphql::{
        ids::{decode_id, encode_id},
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    limits::{self, NamedLimit},
    reactions::{
        engine::{
            self, Compound, Effect, EngineError, Prediction, ProposalVerdict, ReactionInput,
            ReactionOutcome,
        },
        model::{CachedOutcome, Claim, Discovery, DiscoveryKind, Reaction},
        predictor::{Consultation, ExternalPredictor},
        store::{self, DiscoveryCursor, ReactionCursor},
    },
    state::AppState,
    users::model::User,
};

pub const REACTION_TYPE: &str = "Reaction";
pub const DISCOVERY_TYPE: &str = "Discovery";

/// Where a reaction is run: the atmosphere or solution, temperature and pressure.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// Air at 25 °C and 1 atm.
    #[default]
    Normal,
    /// A vacuum at 25 °C (0 atm): no oxygen, so nothing burns.
    Vacuum,
    /// Pure oxygen at 25 °C and 1 atm: combustion is fiercer.
    PureOxygen,
    /// Argon/nitrogen at 1 atm.
    InertGas,
    /// Dilute aqueous acid.
    Acidic,
    /// Dilute aqueous alkali.
    Basic,
    /// A furnace: air at 800 °C.
    HighTemperature,
}

impl Environment {
    fn engine(self) -> engine::Environment {
        match self {
            Environment::Normal => engine::Environment::Normal,
            Environment::Vacuum => engine::Environment::Vacuum,
            Environment::PureOxygen => engine::Environment::PureOxygen,
            Environment::InertGas => engine::Environment::InertGas,
            Environment::Acidic => engine::Environment::Acidic,
            Environment::Basic => engine::Environment::Basic,
            Environment::HighTemperature => engine::Environment::HighTemperature,
        }
    }

    fn as_str(self) -> &'static str {
        self.engine().key()
    }

    fn parse(stored: &str) -> Environment {
        [
            Environment::Vacuum,
            Environment::PureOxygen,
            Environment::InertGas,
            Environment::Acidic,
            Environment::Basic,
            Environment::HighTemperature,
        ]
        .into_iter()
        .find(|environment| environment.as_str() == stored)
        .unwrap_or_default()
    }
}

/// The kind of reaction the engine recognised.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ReactionClass")]
pub enum ReactionClassKind {
    /// A fuel burning in oxygen.
    Combustion,
    /// An acid and a base giving a salt and water.
    Neutralization,
    /// An element taking another's place in a compound (A + BC → AC + B).
    SingleDisplacement,
    /// Two compounds exchanging partners (AB + CD → AD + CB), e.g. a precipitation.
    DoubleDisplacement,
    /// A gas given off, e.g. a carbonate with an acid.
    GasEvolution,
    /// Simpler substances combining into one compound.
    Synthesis,
    /// One compound breaking into simpler substances.
    Decomposition,
    /// Nothing happens under these conditions; `explanation` says why.
    NoReaction,
}

impl From<engine::ReactionClass> for ReactionClassKind {
    fn from(class: engine::ReactionClass) -> Self {
        use engine::ReactionClass as C;
        match class {
            C::Combustion => ReactionClassKind::Combustion,
            C::Neutralization => ReactionClassKind::Neutralization,
            C::SingleDisplacement => ReactionClassKind::SingleDisplacement,
            C::DoubleDisplacement => ReactionClassKind::DoubleDisplacement,
            C::GasEvolution => ReactionClassKind::GasEvolution,
            C::Synthesis => ReactionClassKind::Synthesis,
            C::Decomposition => ReactionClassKind::Decomposition,
            C::NoReaction => ReactionClassKind::NoReaction,
        }
    }
}

/// A substance's physical state, as the (s), (l), (g) and (aq) of an equation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MatterState")]
pub enum MatterState {
    /// (s)
    Solid,
    /// (l)
    Liquid,
    /// (g)
    Gas,
    /// (aq): dissolved in water.
    Aqueous,
}

impl From<engine::State> for MatterState {
    fn from(state: engine::State) -> Self {
        match state {
            engine::State::Solid => MatterState::Solid,
            engine::State::Liquid => MatterState::Liquid,
            engine::State::Gas => MatterState::Gas,
            engine::State::Aqueous => MatterState::Aqueous,
        }
    }
}

/// One substance of a balanced equation.
#[derive(SimpleObject)]
pub struct Species {
    /// Its formula, e.g. `H2O`.
    formula: String,
    /// Its common name, e.g. "water".
    name: String,
    /// Its state in this reaction.
    state: MatterState,
    /// Its stoichiometric coefficient in the balanced equation (at least 1).
    coefficient: u32,
}

/// What a reaction visibly does; each kind sets its own `Effect` parameters.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EffectKind {
    /// Bubbles of gas: `gas`, `color`, `intensity`.
    GasProduction,
    /// A solid forming in solution: `compound`, `color`.
    Precipitate,
    /// Flames: `color`, `intensity`.
    Fire,
    /// A bang: `intensity`.
    Explosion,
    /// Light given off: `color`, `intensity`.
    LightEmission,
    /// Heating or cooling: `deltaCelsius`.
    TemperatureChange,
    /// The mixture changing colour: `from`, `to`.
    ColorChange,
    /// Foam: `intensity`.
    Foam,
    /// Smoke: `color`.
    Smoke,
    /// A product melting, boiling or freezing: `compound`, `to`.
    StateChange,
}

/// Something a game can render; which parameters are set depends on `kind`.
#[derive(SimpleObject)]
#[graphql(name = "Effect")]
pub struct EffectView {
    /// What happens; says which of the other fields are set.
    kind: EffectKind,
    /// GAS_PRODUCTION: the gas's formula.
    gas: Option<String>,
    /// PRECIPITATE, STATE_CHANGE: the compound's formula.
    compound: Option<String>,
    /// GAS_PRODUCTION, PRECIPITATE, FIRE, LIGHT_EMISSION, SMOKE: a colour word ("white",
    /// "colorless", ...).
    color: Option<String>,
    /// 0 to 1.
    intensity: Option<f64>,
    /// TEMPERATURE_CHANGE.
    delta_celsius: Option<f64>,
    /// COLOR_CHANGE: the colour before.
    from: Option<String>,
    /// COLOR_CHANGE: the colour after; STATE_CHANGE: the new state.
    to: Option<String>,
}

impl EffectView {
    fn of(kind: EffectKind) -> Self {
        EffectView {
            kind,
            gas: None,
            compound: None,
            color: None,
            intensity: None,
            delta_celsius: None,
            from: None,
            to: None,
        }
    }
}

impl From<&Effect> for EffectView {
    fn from(effect: &Effect) -> Self {
        let mut view = EffectView::of(EffectKind::GasProduction);
        match effect {
            Effect::GasProduction {
                gas,
                color,
                intensity,
            } => {
                view.kind = EffectKind::GasProduction;
                view.gas = Some(gas.clone());
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::Precipitate { compound, color } => {
                view.kind = EffectKind::Precipitate;
                view.compound = Some(compound.clone());
                view.color = Some(color.clone());
            }
            Effect::Fire { color, intensity } => {
                view.kind = EffectKind::Fire;
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::Explosion { intensity } => {
                view.kind = EffectKind::Explosion;
                view.intensity = Some(*intensity);
            }
            Effect::LightEmission { color, intensity } => {
                view.kind = EffectKind::LightEmission;
                view.color = Some(color.clone());
                view.intensity = Some(*intensity);
            }
            Effect::TemperatureChange { delta_celsius } => {
                view.kind = EffectKind::TemperatureChange;
                view.delta_celsius = Some(*delta_celsius);
            }
            Effect::ColorChange { from, to } => {
                view.kind = EffectKind::ColorChange;
                view.from = Some(from.clone());
                view.to = Some(to.clone());
            }
            Effect::Foam { intensity } => {
                view.kind = EffectKind::Foam;
                view.intensity = Some(*intensity);
            }
            Effect::Smoke { color } => {
                view.kind = EffectKind::Smoke;
                view.color = Some(color.clone());
            }
            Effect::StateChange { compound, to } => {
                view.kind = EffectKind::StateChange;
                view.compound = Some(compound.clone());
                view.to = Some(to.word().to_string());
            }
        }
        view
    }
}

/// One prediction a player ran, with the (cached) outcome.
pub struct ReactionOutcomeNode {
    reaction: Reaction,
    outcome: ReactionOutcome,
    source: OutcomeSource,
    world_first: Vec<Discovery>,
}

/// Who produced a stored outcome. Stored as text in `reaction_cache.source`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum OutcomeSource {
    /// Catalyst's own chemistry engine.
    Engine,
    /// The external model, for a mixture the engine's rules do not cover; checked by the
    /// engine (catalogue species, supplied reactants, conserving coefficients) before use.
    ExternalModel,
}

impl OutcomeSource {
    fn as_str(self) -> &'static str {
        match self {
            OutcomeSource::Engine => "ENGINE",
            OutcomeSource::ExternalModel => "PREDICTOR",
        }
    }

    fn parse(stored: &str) -> OutcomeSource {
        match stored {
            "PREDICTOR" => OutcomeSource::ExternalModel,
            _ => OutcomeSource::Engine,
        }
    }
}

impl ReactionOutcomeNode {
    fn from_rows(
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
            source: OutcomeSource::parse(&cached.source),
            world_first,
        })
    }
}

/// One prediction a player ran, with its (possibly cached) outcome. Visible to the player who
/// ran it and platform admins.
#[Object(name = "ReactionOutcome")]
impl ReactionOutcomeNode {
    /// Opaque id of this run; pass it to `reaction(id:)`.
    pub async fn id(&self) -> ID {
        encode_id(REACTION_TYPE, self.reaction.id)
    }

    /// e.g. `2 H2(g) + O2(g) → 2 H2O(l)`.
    async fn equation(&self) -> &str {
        &self.outcome.equation
    }

    /// The kind of reaction; NO_REACTION when nothing happens.
    async fn reaction_class(&self) -> ReactionClassKind {
        self.outcome.reaction_class.into()
    }

    /// The left side of the balanced equation.
    async fn reactants(&self) -> Vec<Species> {
        species(&self.outcome.reactants)
    }

    /// The right side of the balanced equation; empty for NO_REACTION.
    async fn products(&self) -> Vec<Species> {
        species(&self.outcome.products)
    }

    /// What a player would see.
    async fn effects(&self) -> Vec<EffectView> {
        self.outcome.effects.iter().map(Into::into).collect()
    }

    /// ΔH° of the balanced equation as written, kJ (null when no reaction happens).
    async fn enthalpy_kj(&self) -> Option<f64> {
        self.outcome.enthalpy_kj
    }

    /// ΔS° of the balanced equation as written, J/K (null when no reaction happens).
    async fn entropy_j_per_k(&self) -> Option<f64> {
        self.outcome.entropy_j_per_k
    }

    /// ΔG at the environment's temperature, kJ.
    async fn gibbs_kj(&self) -> Option<f64> {
        self.outcome.gibbs_kj
    }

    /// True when it releases heat (ΔH° < 0); null when no reaction happens.
    async fn exothermic(&self) -> Option<bool> {
        self.outcome.exothermic
    }

    /// True when ΔG < 0 at the environment's temperature; null when no reaction happens.
    async fn spontaneous(&self) -> Option<bool> {
        self.outcome.spontaneous
    }

    /// Why this happened (or did not), in English sentences for the player.
    async fn explanation(&self) -> &str {
        &self.outcome.explanation
    }

    /// The environment the mix was run in.
    async fn environment(&self) -> Environment {
        Environment::parse(&self.reaction.environment)
    }

    /// Who predicted this outcome the first time the mix was run.
    async fn predicted_by(&self) -> OutcomeSource {
        self.source
    }

    /// True when this answer came from the cache of an earlier identical prediction.
    async fn cached(&self) -> bool {
        self.reaction.cached
    }

    /// World firsts this run claimed.
    async fn world_first(&self) -> Vec<DiscoveryNode> {
        self.world_first
            .iter()
            .cloned()
            .map(DiscoveryNode)
            .collect()
    }

    /// When the player ran it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.reaction.created_at
    }
}

fn species(list: &[engine::Species]) -> Vec<Species> {
    list.iter()
        .map(|species| Species {
            formula: species.formula.clone(),
            name: species.name.clone(),
            state: species.state.into(),
            coefficient: species.coefficient,
        })
        .collect()
}

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
    async fn kind(&self) -> AppResult<DiscoveryKind> {
        DiscoveryKind::parse(&self.0.kind)
            .ok_or_else(|| internal(anyhow::anyhow!("unknown discovery kind {:?}", self.0.kind)))
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
        crate::users::loaders::user(ctx, self.0.discoverer_id).await
    }

    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A chemical of the built-in catalogue (with its position in a search result, for cursors).
pub struct Chemical(&'static Compound, usize);

/// A chemical of the built-in catalogue, with its physical and thermodynamic data.
#[Object]
impl Chemical {
    async fn formula(&self) -> &str {
        self.0.formula
    }

    async fn name(&self) -> &str {
        self.0.name
    }

    async fn synonyms(&self) -> &[&'static str] {
        self.0.synonyms
    }

    /// ACID, BASE, SALT, OXIDE, METAL, NONMETAL, HYDROCARBON, ALCOHOL, …
    async fn class(&self) -> String {
        serde_json::to_value(self.0.class)
            .ok()
            .and_then(|value| value.as_str().map(String::from))
            .unwrap_or_default()
    }

    /// State at 25 °C.
    async fn state(&self) -> MatterState {
        self.0.state.into()
    }

    /// g/mol, from IUPAC atomic weights.
    async fn molar_mass(&self) -> f64 {
        self.0.molar_mass()
    }

    /// Standard enthalpy of formation ΔH°f, kJ/mol.
    async fn enthalpy_of_formation_kj(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.enthalpy)
    }

    /// Standard molar entropy S°, J/(mol·K).
    async fn standard_entropy_j_per_mol_k(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.entropy)
    }

    /// Standard Gibbs energy of formation ΔG°f, kJ/mol.
    async fn gibbs_of_formation_kj(&self) -> Option<f64> {
        self.0.standard_thermo().map(|thermo| thermo.gibbs)
    }

    /// Where the thermodynamic values come from (OS2e: OpenStax Chemistry 2e Appendix G,
    /// NBS82: NBS tables, CRC: CRC Handbook, ION_SUM: summed from its ions).
    async fn data_source(&self) -> Option<&'static str> {
        self.0.standard_thermo().map(|thermo| thermo.source.code())
    }

    /// Its colour, as a word ("white", "colorless", ...).
    async fn color(&self) -> &str {
        self.0.color
    }

    /// SOLUBLE, SLIGHTLY_SOLUBLE, INSOLUBLE, MISCIBLE, REACTS_WITH_WATER or grams per 100 mL.
    async fn solubility(&self) -> String {
        match self.0.solubility {
            engine::Solubility::GramsPer100Ml(grams) => format!("{grams} g/100 mL"),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|value| value.as_str().map(String::from))
                .unwrap_or_default(),
        }
    }
}

/// One chemical put into the mix.
#[derive(InputObject)]
pub struct ReactantEntry {
    /// A name ("table salt"), synonym or formula ("NaCl", "HCl(aq)").
    chemical: String,
    /// Moles; only ratios between reactants matter.
    amount: Option<f64>,
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

/// A player's record.
#[derive(SimpleObject)]
pub struct ReactionStats {
    /// Predictions the viewer ran, cached answers included.
    reactions_run: i64,
    /// World firsts the viewer holds.
    discoveries: i64,
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

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
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
        #[graphql(desc = "Page size: 0 to 100, default 20 (else `BAD_USER_INPUT`).")]
        first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page of the same search.")]
        after: Option<String>,
    ) -> AppResult<Connection<String, Chemical>> {
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
        #[graphql(desc = "A formula (\"NaCl\"), name (\"table salt\") or synonym.")] formula: String,
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
    ) -> AppResult<ReactionOutcomeNode> {
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
        ReactionOutcomeNode::from_rows(reaction, cached, world_first)
    }

    /// The viewer's reaction runs, newest first.
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn my_reactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 0 to 100, default 20 (else `BAD_USER_INPUT`).")]
        first: Option<i32>,
        #[graphql(desc = "Older runs than this `cursor` from an earlier page.")]
        after: Option<String>,
    ) -> AppResult<Connection<String, ReactionOutcomeNode>> {
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
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(connection_from_rows(
            nodes,
            limit,
            before.is_some(),
            |node| (node.reaction.created_at, node.reaction.id),
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
        #[graphql(desc = "Page size: 0 to 100, default 20 (else `BAD_USER_INPUT`).")]
        first: Option<i32>,
        #[graphql(desc = "Older discoveries than this `cursor` from an earlier page.")]
        after: Option<String>,
    ) -> AppResult<Connection<String, DiscoveryNode>> {
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
    ) -> AppResult<ReactionOutcomeNode> {
        limits::check(ctx, NamedLimit::PredictReaction).await?;
        let viewer = viewer(ctx)?;
        let engine_input = ReactionInput {
            reactants: input
                .reactants
                .into_iter()
                .map(|entry| engine::ReactantInput {
                    chemical: entry.chemical,
                    amount: entry.amount,
                })
                .collect(),
            environment: input.environment.engine(),
            catalyst: input.catalyst,
        };
        let canonical_input = engine::canonical_key(&engine_input).map_err(engine_error)?;
        let key = cache_key(&canonical_input);
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let known = store::find_cached(&mut connection, &key).await?;
        let fresh = match known {
            Some(_) => None,
            None => {
                let prediction = engine::assess_reaction(&engine_input).map_err(engine_error)?;
                // Asked about mixtures the rules cannot decide, when REACTION_PREDICTOR_URL is set.
                let consult = ctx
                    .data_opt::<std::sync::Arc<ExternalPredictor>>()
                    .map(std::sync::Arc::as_ref)
                    .filter(|_| !prediction.decided_by_rule);
                Some(match consult {
                    None => (prediction.outcome, OutcomeSource::Engine),
                    Some(predictor) => {
                        // The player waits on the model; a pooled connection should not.
                        drop(connection);
                        let fresh =
                            consult_predictor(state, predictor, &engine_input, prediction).await;
                        connection = state.pool.get().await?;
                        fresh
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
            environment: input.environment.as_str().to_string(),
            cached: true,
            created_at: Utc::now(),
        };
        let (node, firsts) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (stored, stored_now) = match (&known, &fresh_json) {
                    (Some(cached), _) => (cached.clone(), false),
                    (None, Some((outcome, source))) => {
                        store::store_first_outcome(
                            connection,
                            &key,
                            &canonical_input,
                            outcome,
                            source.as_str(),
                        )
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
                let node = ReactionOutcomeNode {
                    reaction,
                    outcome,
                    source: OutcomeSource::parse(&stored.source),
                    world_first: firsts.clone(),
                };
                Ok((node, firsts))
            })
            .await?;
        for discovery in firsts {
            match BusEvent::notice(Topic::Discoveries, &discovery) {
                Ok(notice) => state.events.publish(notice),
                Err(error) => tracing::error!(%error, "a discovery could not be announced"),
            }
        }
        Ok(node)
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
