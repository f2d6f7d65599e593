//! Documents parsed once and validated once. Clients send the same few operations over and over
//! (a frontend has a fixed set), and parsing and validating their text were the largest part of
//! the server's work on a small query: about 30 % of `{ me { id email } }`'s instructions.
//!
//! A request whose text (and operation name) was seen recently gets a copy of the parsed document
//! instead of a parse; everything that inspects the document (the limits, credential scopes, the
//! storable-text rule, the subscription meter) still runs on it. Validation depends on the
//! document, the operation name and the variables' values, so its result is reused only for
//! requests without variables; requests with variables are validated every time. Only documents
//! that parsed and validated are kept; one memo per schema, as the result depends on it.

use std::{
    borrow::Cow,
    sync::{Arc, OnceLock},
};

use async_graphql::{parser::types::ExecutableDocument, Request, ValidationResult};

use crate::memo::RecentMemo;

/// A frontend's operations, and then some; texts longer than this are parsed every time.
const REMEMBERED_DOCUMENTS: usize = 512;
const MAX_REMEMBERED_TEXT: usize = 8 * 1024;

pub(super) struct DocumentMemo {
    documents: RecentMemo<Arc<RememberedDocument>>,
}

pub(super) struct RememberedDocument {
    document: ExecutableDocument,
    /// Set by the first request without variables that validated it.
    validation: OnceLock<ValidationResult>,
}

/// What one request found in (or added to) the memo.
pub(super) struct RequestDocument {
    remembered: Arc<RememberedDocument>,
    /// The request has no variables, so the document's validation result is its own.
    validation_reusable: bool,
}

impl Default for DocumentMemo {
    fn default() -> Self {
        DocumentMemo {
            documents: RecentMemo::new(REMEMBERED_DOCUMENTS, MAX_REMEMBERED_TEXT),
        }
    }
}

impl DocumentMemo {
    /// Gives `request` the remembered parse of its text, if there is one.
    pub(super) fn recall(&self, request: &mut Request) -> Option<RequestDocument> {
        if request.query.len() > MAX_REMEMBERED_TEXT {
            return None;
        }
        let remembered = self.documents.get(&memo_key(request))?;
        request.set_parsed_query(remembered.document.clone());
        Some(RequestDocument {
            validation_reusable: request.variables.is_empty(),
            remembered,
        })
    }

    /// Remembers the document `request`'s text parses to: `parsed_before_rewrite` where the
    /// request's own document was rewritten (a subscription's variables written into it),
    /// else the request's. `without_variables`: the request came without variables.
    pub(super) fn remember(
        &self,
        request: &mut Request,
        parsed_before_rewrite: Option<ExecutableDocument>,
        without_variables: bool,
    ) -> Option<RequestDocument> {
        if request.query.len() > MAX_REMEMBERED_TEXT {
            return None;
        }
        let document = match parsed_before_rewrite {
            Some(document) => document,
            None => request.parsed_query().ok()?.clone(),
        };
        let remembered = Arc::new(RememberedDocument {
            document,
            validation: OnceLock::new(),
        });
        self.documents
            .insert(&memo_key(request), Arc::clone(&remembered));
        Some(RequestDocument {
            validation_reusable: without_variables,
            remembered,
        })
    }
}

impl RequestDocument {
    /// The validation result an earlier identical request got, when it applies to this one.
    pub(super) fn validated(&self) -> Option<ValidationResult> {
        if !self.validation_reusable {
            return None;
        }
        self.remembered.validation.get().copied()
    }

    pub(super) fn record_validation(&self, result: ValidationResult) {
        if self.validation_reusable {
            let _ = self.remembered.validation.set(result);
        }
    }
}

/// The text, then the operation name after a NUL: a document containing NUL does not parse, so
/// it is never remembered and two keys cannot collide.
fn memo_key(request: &Request) -> Cow<'_, str> {
    match &request.operation_name {
        Some(name) => Cow::Owned(format!("{}\0{name}", request.query)),
        None => Cow::Borrowed(&request.query),
    }
}
