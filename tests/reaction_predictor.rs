//! The optional external reaction predictor, against a local stub that speaks the OpenAI
//! chat-completions protocol: consulted only for mixtures no rule covers, trusted only when the
//! engine accepts its proposal, retried with backoff, and cut off by the circuit breaker.

mod common;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::post, Router};
use common::{data, TestApp, TestUser};
use serde_json::{json, Value};

const PREDICT: &str = "mutation Predict($input: PredictReactionInput!) {
  predictReaction(input: $input) {
    equation reactionClass predictedBy cached explanation
    products { formula state coefficient } effects { kind gas }
  }
}";

/// The classic laboratory preparation of chlorine, which none of the engine's rules covers.
const CHLORINE_PROPOSAL: &str = r#"{"reactionClass": "GAS_EVOLUTION",
  "reactants": [{"formula": "MnO2", "coefficient": 1}, {"formula": "HCl", "coefficient": 4}],
  "products": [{"formula": "MnCl2", "coefficient": 1}, {"formula": "Cl2", "coefficient": 1},
               {"formula": "H2O", "coefficient": 2}],
  "explanation": "Manganese dioxide oxidises hydrochloric acid to chlorine gas"}"#;

#[derive(Clone)]
enum Reply {
    /// 200 with a chat completion whose message content is this text.
    Completion(String),
    /// This status with an error body.
    Status(u16),
    /// A completion after this delay.
    Slow(Duration, String),
    /// 200 with this body as it is.
    Raw(String),
}

struct StubState {
    reply: Mutex<Reply>,
    requests: Mutex<Vec<Value>>,
}

/// A local chat-completions endpoint whose answer each test sets.
struct StubPredictor {
    address: SocketAddr,
    state: Arc<StubState>,
}

impl StubPredictor {
    async fn start(reply: Reply) -> StubPredictor {
        let state = Arc::new(StubState {
            reply: Mutex::new(reply),
            requests: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        StubPredictor { address, state }
    }

    fn url(&self) -> String {
        format!("http://{}/v1/chat/completions", self.address)
    }

    fn answer(&self, reply: Reply) {
        *self.state.reply.lock().unwrap() = reply;
    }

    fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().unwrap().clone()
    }
}

async fn complete(State(state): State<Arc<StubState>>, body: String) -> axum::response::Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    state.requests.lock().unwrap().push(request);
    let reply = state.reply.lock().unwrap().clone();
    match reply {
        Reply::Completion(content) => axum::Json(completion(&content)).into_response(),
        Reply::Status(status) => (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({ "error": { "message": "stub failure", "type": "server_error" } })),
        )
            .into_response(),
        Reply::Slow(delay, content) => {
            tokio::time::sleep(delay).await;
            axum::Json(completion(&content)).into_response()
        }
        Reply::Raw(body) => body.into_response(),
    }
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": "stub-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop"
        }],
        "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 }
    })
}

async fn app_using(stub: &StubPredictor, settings: &[(&str, &str)]) -> TestApp {
    let mut builder = TestApp::builder()
        .env("REACTION_PREDICTOR_URL", &stub.url())
        .env("REACTION_PREDICTOR_MODEL", "stub-model")
        .env("REACTION_PREDICTOR_API_KEY", "sk-stub")
        .env("REACTION_PREDICTOR_BACKOFF_MS", "10");
    for (name, value) in settings {
        builder = builder.env(name, value);
    }
    builder.spawn().await
}

/// The predictor calls the server has counted with this outcome (answered, failed or
/// breaker_open).
async fn attempts(app: &TestApp, outcome: &str) -> f64 {
    let metrics = app.metrics().await;
    metrics
        .lines()
        .filter(|line| line.starts_with("reaction_predictor_attempts"))
        .find(|line| line.contains(&format!("outcome=\"{outcome}\"")))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

async fn predict(app: &TestApp, player: &TestUser, chemicals: &[&str]) -> Value {
    let reactants: Vec<Value> = chemicals.iter().map(|c| json!({ "chemical": c })).collect();
    let body = app
        .graphql_as(
            &player.access_token,
            PREDICT,
            json!({ "input": { "reactants": reactants } }),
        )
        .await;
    data(&body)["predictReaction"].clone()
}

#[tokio::test]
async fn a_mix_no_rule_covers_gets_the_models_checked_answer_and_keeps_it() {
    let stub = StubPredictor::start(Reply::Completion(CHLORINE_PROPOSAL.into())).await;
    let app = app_using(&stub, &[]).await;
    let player = app.register("chemist@example.com", "Chemist").await;

    let first = predict(&app, &player, &["manganese dioxide", "hydrochloric acid"]).await;
    assert_eq!(first["predictedBy"], "EXTERNAL_MODEL");
    assert_eq!(first["cached"], false);
    assert_eq!(first["reactionClass"], "GAS_EVOLUTION");
    assert_eq!(
        first["equation"],
        "MnO2(s) + 4 HCl(aq) → MnCl2(aq) + Cl2(g) + 2 H2O(l)"
    );
    assert!(first["effects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|effect| effect["kind"] == "GAS_PRODUCTION" && effect["gas"] == "Cl2"));
    assert!(first["explanation"]
        .as_str()
        .unwrap()
        .starts_with("Manganese dioxide oxidises hydrochloric acid to chlorine gas."));

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "stub-model");
    assert_eq!(requests[0]["messages"][0]["role"], "system");
    assert_eq!(requests[0]["messages"][1]["role"], "user");
    let question = requests[0]["messages"][1]["content"].as_str().unwrap();
    assert!(
        question.contains("MnO2") && question.contains("HCl"),
        "{question}"
    );

    // The stored answer is the answer: the model is not asked again, even if it changed its mind.
    stub.answer(Reply::Status(500));
    let again = predict(&app, &player, &["HCl", "MnO2"]).await;
    assert_eq!(again["cached"], true);
    assert_eq!(again["predictedBy"], "EXTERNAL_MODEL");
    assert_eq!(again["equation"], first["equation"]);
    assert_eq!(stub.requests().len(), 1);

    // A mix the rules decide never reaches the model.
    let precipitate = predict(&app, &player, &["AgNO3", "NaCl"]).await;
    assert_eq!(precipitate["predictedBy"], "ENGINE");
    assert_eq!(precipitate["reactionClass"], "DOUBLE_DISPLACEMENT");
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn answers_that_are_not_chemistry_are_discarded_for_the_engines_own() {
    let stub = StubPredictor::start(Reply::Completion("It fizzes a lot, trust me.".into())).await;
    let app = app_using(&stub, &[]).await;
    let player = app.register("chemist@example.com", "Chemist").await;

    let prose = predict(&app, &player, &["MnO2", "HCl"]).await;
    assert_eq!(prose["predictedBy"], "ENGINE");
    assert_eq!(prose["reactionClass"], "NO_REACTION");
    assert_eq!(
        stub.requests().len(),
        1,
        "an answered call is not retried, however useless the answer"
    );

    // Parses, but destroys an oxygen atom.
    let unbalanced = CHLORINE_PROPOSAL.replace(
        r#"{"formula": "H2O", "coefficient": 2}"#,
        r#"{"formula": "H2O", "coefficient": 1}"#,
    );
    stub.answer(Reply::Completion(unbalanced));
    let destroyed = predict(&app, &player, &["CaO", "NaCl"]).await;
    assert_eq!(destroyed["predictedBy"], "ENGINE");
    assert_eq!(destroyed["reactionClass"], "NO_REACTION");

    // Balanced, but about chemicals the player never put in.
    stub.answer(Reply::Completion(CHLORINE_PROPOSAL.into()));
    let unsupplied = predict(&app, &player, &["CO2", "N2"]).await;
    assert_eq!(unsupplied["predictedBy"], "ENGINE");
    assert_eq!(unsupplied["products"], json!([]));
    assert_eq!(stub.requests().len(), 3);
}

/// The breaker's cooldown in the breaker test.
const COOLDOWN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn failures_are_retried_then_the_breaker_opens_and_a_trial_after_cooldown_closes_it() {
    let stub = StubPredictor::start(Reply::Status(500)).await;
    let app = app_using(
        &stub,
        &[
            ("REACTION_PREDICTOR_RETRIES", "3"),
            ("REACTION_PREDICTOR_BREAKER_FAILURES", "5"),
            (
                "REACTION_PREDICTOR_BREAKER_COOLDOWN_SECONDS",
                &COOLDOWN.as_secs().to_string(),
            ),
        ],
    )
    .await;
    let player = app.register("chemist@example.com", "Chemist").await;

    let first = predict(&app, &player, &["CaO", "NaCl"]).await;
    assert_eq!(first["predictedBy"], "ENGINE");
    assert_eq!(stub.requests().len(), 4, "one attempt and three retries");

    // The fifth consecutive failure opens the breaker, which also ends this call's retries.
    let second = predict(&app, &player, &["CO2", "N2"]).await;
    // The breaker opened during that call, so its cooldown ends before this plus COOLDOWN.
    let cooldown_over = tokio::time::Instant::now() + COOLDOWN;
    assert_eq!(second["predictedBy"], "ENGINE");
    assert_eq!(stub.requests().len(), 5);

    // Open: the model is not called at all, even once it would answer again; the call is
    // refused at its first attempt, with no retry and so no backoff.
    stub.answer(Reply::Completion(CHLORINE_PROPOSAL.into()));
    let (refused_before, failed_before) = (
        attempts(&app, "breaker_open").await,
        attempts(&app, "failed").await,
    );
    let third = predict(&app, &player, &["Fe2O3", "NaCl"]).await;
    assert_eq!(third["predictedBy"], "ENGINE");
    assert_eq!(stub.requests().len(), 5);
    assert_eq!(
        (
            attempts(&app, "breaker_open").await - refused_before,
            attempts(&app, "failed").await - failed_before
        ),
        (1.0, 0.0)
    );

    // After the cooldown one trial call goes through; it succeeds and closes the breaker. The
    // cooldown is a span of time by design and the server shows no breaker state to poll, so
    // this waits for the moment it ends.
    tokio::time::sleep_until(cooldown_over).await;
    let trial = predict(&app, &player, &["MnO2", "HCl"]).await;
    assert_eq!(trial["predictedBy"], "EXTERNAL_MODEL");
    assert_eq!(stub.requests().len(), 6);
    let closed = predict(&app, &player, &["CaO", "KI"]).await;
    assert_eq!(
        closed["predictedBy"], "ENGINE",
        "CaO + KI is not the chlorine proposal"
    );
    assert_eq!(stub.requests().len(), 7, "closed again: the model is asked");
}

#[tokio::test]
async fn a_slow_or_broken_endpoint_costs_a_bounded_wait_and_the_engine_answers() {
    let stub = StubPredictor::start(Reply::Slow(
        Duration::from_secs(5),
        CHLORINE_PROPOSAL.into(),
    ))
    .await;
    let app = app_using(
        &stub,
        &[
            ("REACTION_PREDICTOR_TIMEOUT_MS", "200"),
            ("REACTION_PREDICTOR_RETRIES", "1"),
        ],
    )
    .await;
    let player = app.register("chemist@example.com", "Chemist").await;

    let slow = predict(&app, &player, &["MnO2", "HCl"]).await;
    assert_eq!(slow["predictedBy"], "ENGINE");
    assert_eq!(
        stub.requests().len(),
        2,
        "the timed-out attempt is retried once"
    );
    // Both attempts were cut off by the 200 ms timeout: neither waited for the stub's answer,
    // which comes after 5 s.
    assert_eq!(
        (
            attempts(&app, "failed").await,
            attempts(&app, "answered").await
        ),
        (2.0, 0.0),
        "the bounded wait"
    );

    // A 200 that is not a chat completion is the endpoint misbehaving: retried, then dropped.
    stub.answer(Reply::Raw("<html>gateway</html>".into()));
    let broken = predict(&app, &player, &["CaO", "NaCl"]).await;
    assert_eq!(broken["predictedBy"], "ENGINE");
    assert_eq!(stub.requests().len(), 4);
}
