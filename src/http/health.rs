//! Liveness (the process answers) and readiness (its dependencies answer).

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use diesel_async::RunQueryDsl;
use serde_json::json;

use super::HttpState;

/// A dependency slower than this counts as down: a load balancer should route elsewhere.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn live() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn ready(State(state): State<HttpState>) -> impl IntoResponse {
    if *state.app.draining.borrow() {
        let body = json!({ "status": "draining", "failed": [], "components": {} });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    let database = check_database(&state).await;
    let redis = match &state.app.redis {
        Some(client) => Some(check_redis(client).await),
        None => None,
    };
    let mut failed = Vec::new();
    let mut components = serde_json::Map::new();
    components.insert("database".into(), component_json(&database));
    if database.is_err() {
        failed.push("database");
    }
    if let Some(redis) = &redis {
        components.insert("redis".into(), component_json(redis));
        if redis.is_err() {
            failed.push("redis");
        }
    }
    let status = if failed.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if failed.is_empty() { "ok" } else { "unavailable" },
        "failed": failed,
        "components": components,
    });
    (status, Json(body))
}

fn component_json(result: &Result<(), String>) -> serde_json::Value {
    match result {
        Ok(()) => json!({ "status": "ok" }),
        Err(reason) => json!({ "status": "down", "reason": reason }),
    }
}

async fn check_database(state: &HttpState) -> Result<(), String> {
    let check = async {
        let mut connection = state
            .app
            .pool
            .get()
            .await
            .map_err(|_| "no database connection available".to_string())?;
        diesel::sql_query("SELECT 1")
            .execute(&mut connection)
            .await
            .map_err(|_| "the database did not answer a query".to_string())?;
        Ok(())
    };
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err("the database check timed out".to_string()))
}

async fn check_redis(client: &redis::Client) -> Result<(), String> {
    let check = async {
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|_| "could not connect to Redis".to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map_err(|_| "Redis did not answer PING".to_string())?;
        Ok(())
    };
    tokio::time::timeout(CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err("the Redis check timed out".to_string()))
}
