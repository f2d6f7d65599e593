//! GraphiQL for developers exploring the API, wired to `/graphql` for queries and subscriptions.

use axum::response::{Html, IntoResponse};

pub async fn playground() -> impl IntoResponse {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("Catalyst playground")
            .finish(),
    )
}
