//! The schema's one async-graphql extension. Every request-level concern — a renewed
//! connection's viewer, the operation observer, credential scopes, the memo of parsed and
//! validated documents, storable text, request limits, subscription metering, live
//! credentials and, with traces on, slow-resolver spans — keeps its logic in its own module;
//! this one only calls their parts, in the order their separate extensions used to nest.
//!
//! Why one: async-graphql passes every field and every list item through the `resolve` hook of
//! each installed extension, a boxed future per extension even when it keeps the default hook,
//! and none of these concerns looks at fields. Six extensions cost six hops per field (about
//! 12 % of the server's samples on a 20 × 50 board); one costs one.

use std::sync::{Arc, OnceLock};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextResolve, NextSubscribe, NextValidation, ResolveInfo,
    },
    futures_util::stream::BoxStream,
    parser::types::ExecutableDocument,
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use super::{
    connection::{follow_credentials, renewed_viewer},
    credential_scopes::CredentialScopes,
    document,
    document_memo::{DocumentMemo, RequestDocument},
    limits,
    metering::SubscriptionMetering,
    observer, storable_text,
};
use crate::traces::SlowResolverSpans;

/// Installs the hooks; `slow_resolvers` only while traces are configured.
pub struct RequestHooks {
    slow_resolvers: Option<SlowResolverSpans>,
    /// Per schema: a validation result holds for the schema it was reached with.
    documents: Arc<DocumentMemo>,
}

impl RequestHooks {
    pub fn new(slow_resolvers: Option<SlowResolverSpans>) -> Self {
        RequestHooks {
            slow_resolvers,
            documents: Arc::default(),
        }
    }
}

impl ExtensionFactory for RequestHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationHooks {
            scopes: CredentialScopes::default(),
            metering: SubscriptionMetering::default(),
            slow_resolvers: self.slow_resolvers,
            documents: Arc::clone(&self.documents),
            document: OnceLock::new(),
        })
    }
}

/// One operation's hooks, with the state its concerns carry from one hook to the next.
struct OperationHooks {
    scopes: CredentialScopes,
    metering: SubscriptionMetering,
    slow_resolvers: Option<SlowResolverSpans>,
    documents: Arc<DocumentMemo>,
    /// This request's document in the memo, once parsed (or recalled).
    document: OnceLock<RequestDocument>,
}

#[async_trait::async_trait]
impl Extension for OperationHooks {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let mut request = observer::prepare_request(ctx, renewed_viewer(ctx, request));
        self.scopes.prepare_request(&request);
        let without_variables = request.variables.is_empty();
        if let Some(recalled) = self.documents.recall(&mut request) {
            let _ = self.document.set(recalled);
        }
        // A subscription's variables are written into (a copy of) its document; the memo keeps
        // the document as parsed, which is what the same text parses to next time.
        let parsed_before_inlining = document::inline_subscription_variables(&mut request);
        // Storable text checks the request once the limits have measured and parsed its
        // document; the meter sets up after the limits accepted it.
        let query = request.query.clone();
        let prepared = match limits::prepare_request(ctx, request) {
            Ok(mut request) => {
                if self.document.get().is_none() {
                    let remembered = self.documents.remember(
                        &mut request,
                        parsed_before_inlining,
                        without_variables,
                    );
                    if let Some(remembered) = remembered {
                        let _ = self.document.set(remembered);
                    }
                }
                next.run(ctx, self.metering.prepare_request(request)).await
            }
            Err(refusal) => Err(refusal),
        };
        storable_text::prepared_request(&query, prepared)
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let document = self.scopes.parsed(ctx, document)?;
        observer::parsed(ctx, document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let document = self.document.get();
        let result = match document.and_then(RequestDocument::validated) {
            Some(result) => result,
            None => {
                let result = next.run(ctx).await?;
                if let Some(document) = document {
                    document.record_validation(result);
                }
                result
            }
        };
        // The meter admits a subscription before the limits charge it: a refused one spends
        // nothing.
        let result = self.metering.validated(ctx, result).await?;
        limits::validated(ctx, result).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        observer::executing(ctx);
        limits::within_execution_timeout(ctx, next.run(ctx, operation_name)).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        // The meter outside the credential guard, as their extensions nested.
        let stream = follow_credentials(ctx, next.run(ctx, stream));
        self.metering.subscribe(stream)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        match &self.slow_resolvers {
            Some(spans) => spans.resolve(ctx, info, next).await,
            None => next.run(ctx, info).await,
        }
    }
}
