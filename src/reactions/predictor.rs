//! The optional external reaction predictor: an OpenAI-compatible chat-completions endpoint
//! consulted only for mixtures the engine's rules cannot decide. It is never trusted and never
//! required: every call has a timeout, failed attempts are retried with exponential backoff and
//! jitter, a circuit breaker stops calling a failing endpoint, and whatever it answers is only a
//! proposal that the engine checks (`engine::accept_proposal`). Any failure means the engine's
//! own answer stands.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use rand::Rng;
use serde_json::{json, Value};

use crate::{
    config::PredictorSettings,
    reactions::engine::{ProposedReaction, ReactionInput, ReactionOutcome},
    telemetry::Metrics,
};

const SYSTEM_PROMPT: &str = "You are a chemistry teacher predicting what happens when chemicals \
are mixed. Answer with one JSON object and nothing else: {\"reactionClass\": one of COMBUSTION, \
NEUTRALIZATION, SINGLE_DISPLACEMENT, DOUBLE_DISPLACEMENT, GAS_EVOLUTION, SYNTHESIS, \
DECOMPOSITION, REDOX, DISPROPORTIONATION, COMPROPORTIONATION, HYDROLYSIS, ESTERIFICATION, \
ESTER_HYDROLYSIS, SAPONIFICATION, ADDITION, SUBSTITUTION, NO_REACTION; \"reactants\": [{\"formula\": string, \"coefficient\": positive \
integer}]; \"products\": [same shape]; \"explanation\": one or two plain sentences}. Use only the \
given reactants (plus O2 from air, or H2O in solution), plain formulas such as CaCO3 or Na+, and \
coefficients that balance every element and the charge. If nothing happens, answer \
NO_REACTION with empty lists.";

/// The external model's answer for one mixture, or why there is none.
#[derive(Debug)]
pub enum Consultation {
    Proposed(ProposedReaction),
    /// The endpoint answered, but not with a usable proposal; the text is for the log.
    Unusable(String),
    /// No answer: the breaker is open or every attempt failed.
    Unavailable,
}

pub struct ExternalPredictor {
    http: reqwest::Client,
    settings: PredictorSettings,
    breaker: CircuitBreaker,
}

/// How one attempt failed; only failures of the endpoint itself count against the breaker.
enum AttemptFailure {
    /// Timeouts, connection errors, 429 and 5xx: worth another attempt.
    Transient(String),
    /// Other 4xx: a misconfiguration that retrying will not fix.
    Permanent(String),
}

impl ExternalPredictor {
    pub fn new(settings: PredictorSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()?;
        Ok(ExternalPredictor {
            breaker: CircuitBreaker::new(settings.breaker_failures, settings.breaker_cooldown),
            http,
            settings,
        })
    }

    /// Asks the model about `input`, whose engine outcome (`guess`) was undecided.
    pub async fn consult(
        &self,
        input: &ReactionInput,
        guess: &ReactionOutcome,
        metrics: &Metrics,
    ) -> Consultation {
        let body = self.request_body(input, guess);
        for attempt in 0..=self.settings.retries {
            if !self.breaker.try_acquire() {
                metrics.record_predictor_attempt("breaker_open");
                return Consultation::Unavailable;
            }
            match self.attempt(&body).await {
                Ok(content) => {
                    self.breaker.record_success();
                    metrics.record_predictor_attempt("answered");
                    return match parse_proposal(&content) {
                        Ok(proposal) => Consultation::Proposed(proposal),
                        Err(reason) => Consultation::Unusable(reason),
                    };
                }
                Err(AttemptFailure::Permanent(reason)) => {
                    self.breaker.record_failure();
                    metrics.record_predictor_attempt("failed");
                    tracing::warn!(%reason, "reaction predictor refused the request");
                    return Consultation::Unavailable;
                }
                Err(AttemptFailure::Transient(reason)) => {
                    self.breaker.record_failure();
                    metrics.record_predictor_attempt("failed");
                    tracing::warn!(%reason, attempt, "reaction predictor attempt failed");
                    if attempt < self.settings.retries {
                        tokio::time::sleep(backoff_delay(self.settings.backoff, attempt)).await;
                    }
                }
            }
        }
        Consultation::Unavailable
    }

    fn request_body(&self, input: &ReactionInput, guess: &ReactionOutcome) -> Value {
        let reactants: Vec<Value> = guess
            .reactants
            .iter()
            .map(|species| {
                json!({
                    "formula": species.formula,
                    "name": species.name,
                    "state": species.state.word(),
                })
            })
            .collect();
        let question = json!({
            "reactants": reactants,
            "environment": input.environment.description(),
            "catalyst": input.catalyst,
        });
        json!({
            "model": self.settings.model,
            "temperature": 0,
            "response_format": { "type": "json_object" },
            "messages": [
                { "role": "system", "content": SYSTEM_PROMPT },
                { "role": "user", "content": question.to_string() },
            ],
        })
    }

    /// One call; returns the assistant message's content.
    async fn attempt(&self, body: &Value) -> Result<String, AttemptFailure> {
        let mut request = self.http.post(self.settings.url.clone()).json(body);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|error| AttemptFailure::Transient(describe(error)))?;
        let status = response.status();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(AttemptFailure::Transient(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(AttemptFailure::Permanent(format!("HTTP {status}")));
        }
        let envelope: Value = response
            .json()
            .await
            .map_err(|error| AttemptFailure::Transient(describe(error)))?;
        envelope["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                AttemptFailure::Transient("the response is not a chat completion".into())
            })
    }
}

/// Error text without the URL, which may carry credentials.
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_decode() {
        "unreadable response body"
    } else {
        "request failed"
    };
    format!("{kind}: {}", error.without_url())
}

/// Models like to wrap JSON in a Markdown code fence; anything else around it is refused.
fn parse_proposal(content: &str) -> Result<ProposedReaction, String> {
    let trimmed = content.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str(unfenced.trim())
        .map_err(|error| format!("the answer is not a reaction proposal: {error}"))
}

/// `base · 2^attempt`, scaled by a random factor in [0.5, 1.5) so that many instances retrying
/// the same outage do not call in lockstep.
fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    let exponential = base.saturating_mul(1_u32 << attempt.min(16));
    exponential.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

/// Closed → (N consecutive failures) → open → (cooldown) → half-open: one trial call; its
/// success closes the breaker, its failure opens it again.
struct CircuitBreaker {
    failure_threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BreakerState {
    Closed { consecutive_failures: u32 },
    Open { since: Instant },
    HalfOpen,
}

impl CircuitBreaker {
    fn new(failure_threshold: u32, cooldown: Duration) -> Self {
        CircuitBreaker {
            failure_threshold,
            cooldown,
            state: Mutex::new(BreakerState::Closed {
                consecutive_failures: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call may go out now; in half-open state only the one trial call may.
    fn try_acquire(&self) -> bool {
        let mut state = self.lock();
        match *state {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { since } if since.elapsed() >= self.cooldown => {
                *state = BreakerState::HalfOpen;
                true
            }
            BreakerState::Open { .. } | BreakerState::HalfOpen => false,
        }
    }

    fn record_success(&self) {
        *self.lock() = BreakerState::Closed {
            consecutive_failures: 0,
        };
    }

    fn record_failure(&self) {
        let mut state = self.lock();
        *state = match *state {
            BreakerState::Closed {
                consecutive_failures,
            } if consecutive_failures + 1 < self.failure_threshold => BreakerState::Closed {
                consecutive_failures: consecutive_failures + 1,
            },
            _ => {
                tracing::warn!("reaction predictor circuit breaker opened");
                BreakerState::Open {
                    since: Instant::now(),
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_the_threshold_and_lets_one_trial_through_after_cooldown() {
        let cooldown = Duration::from_millis(50);
        let breaker = CircuitBreaker::new(3, cooldown);
        for _ in 0..2 {
            assert!(breaker.try_acquire());
            breaker.record_failure();
        }
        assert!(breaker.try_acquire(), "two failures keep it closed");
        breaker.record_failure();
        assert!(!breaker.try_acquire(), "the third failure opens it");
        std::thread::sleep(cooldown);
        assert!(breaker.try_acquire(), "the trial call after the cooldown");
        assert!(!breaker.try_acquire(), "only one trial at a time");
        breaker.record_failure();
        assert!(!breaker.try_acquire(), "a failed trial opens it again");
        std::thread::sleep(cooldown);
        assert!(breaker.try_acquire());
        breaker.record_success();
        assert!(
            breaker.try_acquire() && breaker.try_acquire(),
            "closed again"
        );
    }

    #[test]
    fn backoff_doubles_per_attempt_within_the_jitter_band() {
        let base = Duration::from_millis(100);
        for attempt in 0..4 {
            let delay = backoff_delay(base, attempt).as_secs_f64();
            let nominal = 0.1 * f64::from(1_u32 << attempt);
            assert!(delay >= nominal * 0.5 && delay < nominal * 1.5, "{delay}");
        }
    }

    #[test]
    fn proposals_are_read_from_plain_or_fenced_json_only() {
        let json = r#"{"reactionClass":"SYNTHESIS","reactants":[{"formula":"CaO","coefficient":1}],"products":[{"formula":"CaCO3","coefficient":1}],"explanation":"x"}"#;
        assert!(parse_proposal(json).is_ok());
        assert!(parse_proposal(&format!("```json\n{json}\n```")).is_ok());
        assert!(parse_proposal(&format!("Sure! {json}")).is_err());
        assert!(parse_proposal(r#"{"reactionClass":"MAGIC"}"#).is_err());
    }
}
