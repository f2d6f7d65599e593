//! The playground's worked examples (web-playground/examples.json) run, in the order a
//! developer would run them, against a real server: every operation validates against the
//! schema and succeeds, the ids one answer gives fill the next one's variables the way the
//! playground fills them, uploads go as multipart requests, and each subscription delivers its
//! events (a pipeline run's progress to RUN_FINISHED, project events caused from elsewhere).

mod common;

use std::collections::HashSet;

use common::{data, ws::GraphqlWs, TestApp};
use serde_json::{json, Map, Value};

const EXAMPLES: &str = include_str!("../web-playground/examples.json");

/// What the playground keeps between tabs: the values examples filled in, and the token.
#[derive(Default)]
struct Client {
    remembered: Map<String, Value>,
    token: Option<String>,
}

struct Example<'a> {
    query: &'a str,
    variables: Map<String, Value>,
}

impl Client {
    /// The example's variables with the remembered values put over those it names, as
    /// `openExample` and `rememberVariables` in playground.js do.
    fn variables(&self, example: &Example) -> Value {
        let mut variables = example.variables.clone();
        for (name, value) in variables.iter_mut() {
            if let Some(remembered) = self.remembered.get(name) {
                *value = remembered.clone();
            }
        }
        Value::Object(variables)
    }

    fn bearer(&self) -> &str {
        self.token
            .as_deref()
            .expect("an example ran before anyone signed in")
    }

    /// Applies a step's `keep` and `authorize` to a successful answer.
    fn after(&mut self, step: &Value, answer: &Value) {
        let answer = data(answer);
        if let Some(keep) = step["keep"].as_object() {
            for (variable, path) in keep {
                let value = path
                    .as_str()
                    .expect("keep paths are strings")
                    .split('.')
                    .fold(answer, |value, key| &value[key]);
                assert!(!value.is_null(), "{path} is missing from {answer:#}");
                self.remembered.insert(variable.clone(), value.clone());
            }
        }
        if let Some(path) = step["authorize"].as_str() {
            let root = path.split('.').next().expect("a root field");
            let token = answer[root]["accessToken"].as_str().expect("a token");
            self.token = Some(token.to_string());
        }
    }
}

async fn run_http(app: &TestApp, client: &Client, example: &Example<'_>, operation: &str) -> Value {
    let body = json!({
        "query": example.query,
        "operationName": operation,
        "variables": client.variables(example),
    });
    app.post_graphql(client.token.as_deref(), body)
        .await
        .json()
        .await
        .expect("GraphQL responses are JSON")
}

/// A GraphQL multipart request, as playground.js builds it with FormData.
async fn run_upload(
    app: &TestApp,
    client: &Client,
    example: &Example<'_>,
    operation: &str,
    variable: &str,
    file: &Value,
) -> Value {
    let mut variables = client.variables(example);
    variables[variable] = Value::Null;
    let operations =
        json!({ "query": example.query, "operationName": operation, "variables": variables });
    let map = json!({ "0": [format!("variables.{variable}")] });
    let boundary = format!("catalyst-example-{}", uuid::Uuid::new_v4().simple());
    let parts = [
        ("operations".to_string(), None, operations.to_string()),
        ("map".to_string(), None, map.to_string()),
        (
            "0".to_string(),
            Some((
                file["name"].as_str().expect("sample file name"),
                file["type"].as_str().expect("sample file type"),
            )),
            file["content"]
                .as_str()
                .expect("sample file content")
                .to_string(),
        ),
    ];
    let mut body = String::new();
    for (name, file, content) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
        ));
        if let Some((file_name, content_type)) = file {
            body.push_str(&format!(
                "; filename=\"{file_name}\"\r\nContent-Type: {content_type}"
            ));
        }
        body.push_str(&format!("\r\n\r\n{content}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(client.bearer())
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON answer")
}

/// The operation named `name` in whichever example defines it.
fn example_defining<'a>(examples: &'a [Example<'a>], name: &str) -> &'a Example<'a> {
    let definition = [
        format!("query {name}("),
        format!("query {name} "),
        format!("mutation {name}("),
        format!("mutation {name} "),
    ];
    examples
        .iter()
        .find(|example| definition.iter().any(|text| example.query.contains(text)))
        .unwrap_or_else(|| panic!("no example defines {name}"))
}

#[tokio::test]
async fn every_worked_example_runs_against_the_real_schema() {
    let file: Value = serde_json::from_str(EXAMPLES).expect("examples.json is JSON");
    let app = TestApp::builder()
        .env("PIPELINE_WORKER_POLL_MS", "50")
        .spawn()
        .await;
    let examples: Vec<Example> = file["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .map(|example| Example {
            query: example["query"].as_str().expect("query"),
            variables: example["variables"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let mut client = Client::default();
    let mut operations_run = HashSet::new();
    for (example, definition) in examples.iter().zip(file["examples"].as_array().unwrap()) {
        let id = definition["id"].as_str().expect("example id");
        for step in definition["steps"].as_array().expect("steps") {
            let operation = step["operation"].as_str().expect("operation name");
            operations_run.insert(operation.to_string());
            if step["subscription"] == true {
                follow_subscription(&app, &mut client, &examples, example, step).await;
                continue;
            }
            let answer = match step["upload"].as_str() {
                Some(variable) => {
                    let sample = &file["sampleBookmarkFile"];
                    run_upload(&app, &client, example, operation, variable, sample).await
                }
                None => run_http(&app, &client, example, operation).await,
            };
            assert!(
                answer.get("errors").is_none(),
                "example {id}, {operation}: {answer:#}"
            );
            client.after(step, &answer);
        }
    }
    // No operation of an example is left out of its steps (and so untested).
    for example in &examples {
        for line in example.query.lines() {
            let Some(name) = ["query ", "mutation ", "subscription "]
                .iter()
                .find_map(|keyword| line.strip_prefix(keyword))
                .and_then(|rest| rest.split(['(', ' ', '{']).next())
            else {
                continue;
            };
            assert!(operations_run.contains(name), "{name} is in no step");
        }
    }
}

/// Subscribes as the playground does (token in `connection_init`), runs the step's
/// `thenElsewhere` operations over HTTP meanwhile, and waits for its events.
async fn follow_subscription(
    app: &TestApp,
    client: &mut Client,
    examples: &[Example<'_>],
    example: &Example<'_>,
    step: &Value,
) {
    let operation = step["operation"].as_str().expect("operation name");
    let authorization = format!("Bearer {}", client.bearer());
    let mut socket = GraphqlWs::connect(&app.ws_url(), json!({ "authorization": authorization }))
        .await
        .expect("the socket is accepted");
    socket
        .send(json!({ "id": "example", "type": "subscribe", "payload": {
            "query": example.query, "operationName": operation, "variables": client.variables(example),
        } }))
        .await;
    for elsewhere in step["thenElsewhere"].as_array().into_iter().flatten() {
        let name = elsewhere.as_str().expect("operation name");
        let defining = example_defining(examples, name);
        let answer = run_http(app, client, defining, name).await;
        assert!(answer.get("errors").is_none(), "{name}: {answer:#}");
    }
    let wanted = step["events"].as_u64().expect("events") as usize;
    let until = step["until"].as_str();
    let mut received = Vec::new();
    loop {
        let message = socket.next_message().await;
        assert_eq!(message["type"], "next", "{operation}: {message:#}");
        assert!(
            message["payload"].get("errors").is_none(),
            "{operation}: {message:#}"
        );
        let event = message["payload"]["data"].clone();
        let kind = event
            .as_object()
            .and_then(|roots| roots.values().next())
            .map(|root| root["kind"].clone());
        received.push(event);
        let finished = match until {
            Some(until) => kind.as_ref().and_then(Value::as_str) == Some(until),
            None => received.len() >= wanted,
        };
        if finished {
            break;
        }
    }
    assert!(received.len() >= wanted, "{operation}: {received:#?}");
    socket.close().await;
}
