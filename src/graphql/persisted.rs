//! Persisted documents: Apollo Automatic Persisted Queries (a client sends the sha256 of its
//! query; the server answers `PersistedQueryNotFound` until the client has sent the text once)
//! and trusted-documents mode, where only the operations of a manifest loaded at start run.
//! Queries are remembered in Redis when configured, in a bounded in-process map otherwise.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{config::PersistedQuerySettings, limits::link::RedisLink};

/// Why a request's persisted-query extension could not give a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistedQueryError {
    /// Apollo clients resend the full query on this exact message.
    NotFound,
    NotSupported,
    HashMismatch,
    BadExtension(String),
    NotTrusted,
}

/// The document a request runs, and the hash to remember it under once it has run.
pub struct ResolvedDocument {
    pub query: String,
    pub register_as: Option<String>,
}

#[derive(Clone)]
pub struct PersistedDocuments {
    inner: Arc<Inner>,
}

struct Inner {
    apq: Option<ApqStore>,
    trusted: Option<TrustedManifest>,
}

struct ApqStore {
    redis: Option<RedisLink>,
    ttl: Duration,
    memory: Mutex<BoundedQueries>,
}

struct TrustedManifest {
    /// Manifest id (usually the sha256 of the body) → body.
    by_id: HashMap<String, String>,
    /// sha256 of every body, to recognize a trusted document sent as text.
    hashes: HashSet<String>,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl PersistedDocuments {
    /// Loads the trusted-documents manifest, if one is configured; a bad one stops start-up.
    pub fn load(
        settings: &PersistedQuerySettings,
        redis: Option<RedisLink>,
    ) -> anyhow::Result<Self> {
        let trusted = match &settings.trusted_documents {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("TRUSTED_DOCUMENTS: cannot read {}", path.display())
                })?;
                let manifest = TrustedManifest::parse(&text).with_context(|| {
                    format!("TRUSTED_DOCUMENTS: {} is not a manifest", path.display())
                })?;
                tracing::info!(
                    operations = manifest.by_id.len(),
                    "trusted documents mode: only operations from the manifest run"
                );
                Some(manifest)
            }
            None => None,
        };
        // Trusted mode is a closed list: clients cannot add documents by sending them.
        let apq = (settings.apq_enabled && trusted.is_none()).then(|| ApqStore {
            redis,
            ttl: settings.apq_ttl,
            memory: Mutex::new(BoundedQueries::new(settings.apq_memory_entries)),
        });
        Ok(PersistedDocuments {
            inner: Arc::new(Inner { apq, trusted }),
        })
    }

    /// Without a manifest every document is allowed.
    pub fn is_trusted(&self, query: &str) -> bool {
        match &self.inner.trusted {
            None => true,
            Some(manifest) => manifest.hashes.contains(&sha256_hex(query)),
        }
    }

    /// The document of a request from its `query` and its `extensions.persistedQuery`.
    pub async fn resolve(
        &self,
        query: Option<String>,
        extensions: &serde_json::Map<String, Value>,
    ) -> Result<ResolvedDocument, PersistedQueryError> {
        let Some(persisted) = extensions.get("persistedQuery") else {
            let query = query.ok_or_else(|| {
                PersistedQueryError::BadExtension("the request has no `query`".into())
            })?;
            return Ok(ResolvedDocument {
                query,
                register_as: None,
            });
        };
        let hash = requested_hash(persisted)?;
        let query = query.filter(|query| !query.is_empty());
        if let Some(manifest) = &self.inner.trusted {
            return match (query, manifest.by_id.get(&hash)) {
                (None, Some(body)) => Ok(ResolvedDocument {
                    query: body.clone(),
                    register_as: None,
                }),
                (Some(query), _) if sha256_hex(&query) == hash => Ok(ResolvedDocument {
                    query,
                    register_as: None,
                }),
                (Some(_), _) => Err(PersistedQueryError::HashMismatch),
                (None, None) => Err(PersistedQueryError::NotTrusted),
            };
        }
        let Some(apq) = &self.inner.apq else {
            return Err(PersistedQueryError::NotSupported);
        };
        match query {
            Some(query) if sha256_hex(&query) == hash => Ok(ResolvedDocument {
                query,
                register_as: Some(hash),
            }),
            Some(_) => Err(PersistedQueryError::HashMismatch),
            None => apq
                .get(&hash)
                .await
                .map(|query| ResolvedDocument {
                    query,
                    register_as: None,
                })
                .ok_or(PersistedQueryError::NotFound),
        }
    }

    /// Remembers a query that was sent with its hash and ran (so it was a valid document).
    pub async fn register(&self, hash: String, query: String) {
        if let Some(apq) = &self.inner.apq {
            apq.put(hash, query).await;
        }
    }
}

fn requested_hash(persisted: &Value) -> Result<String, PersistedQueryError> {
    let bad = |message: &str| PersistedQueryError::BadExtension(message.to_string());
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(bad("unsupported persisted query version; expected 1"));
    }
    let hash = persisted
        .get("sha256Hash")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`persistedQuery.sha256Hash` must be a string"))?;
    if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(bad("`persistedQuery.sha256Hash` must be 64 hex digits"));
    }
    Ok(hash.to_ascii_lowercase())
}

impl TrustedManifest {
    /// Accepts Apollo's persisted query manifest (`{"format": "apollo-persisted-query-manifest",
    /// "operations": [{"id", "body"}]}`) and the flat `{"<id>": "<body>"}` map Relay and
    /// GraphQL Code Generator write.
    fn parse(text: &str) -> anyhow::Result<TrustedManifest> {
        let value: Value = serde_json::from_str(text)?;
        let mut by_id = HashMap::new();
        match value.get("operations") {
            Some(Value::Array(operations)) => {
                for operation in operations {
                    let body = operation
                        .get("body")
                        .and_then(Value::as_str)
                        .context("every operation needs a string `body`")?;
                    let id = operation
                        .get("id")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| sha256_hex(body));
                    by_id.insert(id, body.to_string());
                }
            }
            _ => {
                let map = value
                    .as_object()
                    .context("expected an object of operations")?;
                for (id, body) in map {
                    let body = body
                        .as_str()
                        .context("every entry must map an id to a body")?;
                    by_id.insert(id.clone(), body.to_string());
                }
            }
        }
        let hashes = by_id.values().map(|body| sha256_hex(body)).collect();
        // A document is also found by its sha256, which is what Apollo clients send.
        let by_hash: Vec<(String, String)> = by_id
            .values()
            .map(|body| (sha256_hex(body), body.clone()))
            .collect();
        by_id.extend(by_hash);
        Ok(TrustedManifest { by_id, hashes })
    }
}

impl ApqStore {
    async fn get(&self, hash: &str) -> Option<String> {
        if let Some(redis) = &self.redis {
            let key = redis.key(&["apq", hash]);
            let found: Option<Option<String>> = redis
                .run("persisted queries", |mut connection| async move {
                    redis::cmd("GET")
                        .arg(key)
                        .query_async(&mut connection)
                        .await
                })
                .await;
            if let Some(found) = found {
                return found;
            }
        }
        self.memory.lock().ok()?.get(hash)
    }

    async fn put(&self, hash: String, query: String) {
        if let Some(redis) = &self.redis {
            let key = redis.key(&["apq", &hash]);
            let ttl = self.ttl.as_secs().max(1);
            let stored = {
                let query = query.clone();
                redis
                    .run("persisted queries", |mut connection| async move {
                        redis::cmd("SET")
                            .arg(key)
                            .arg(query)
                            .arg("EX")
                            .arg(ttl)
                            .query_async::<()>(&mut connection)
                            .await
                    })
                    .await
            };
            if stored.is_some() {
                return;
            }
        }
        if let Ok(mut memory) = self.memory.lock() {
            memory.insert(hash, query);
        }
    }
}

/// Queries by hash, forgetting the oldest beyond `capacity`.
struct BoundedQueries {
    capacity: usize,
    queries: HashMap<String, String>,
    order: VecDeque<String>,
}

impl BoundedQueries {
    fn new(capacity: usize) -> Self {
        BoundedQueries {
            capacity,
            queries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn get(&self, hash: &str) -> Option<String> {
        self.queries.get(hash).cloned()
    }

    fn insert(&mut self, hash: String, query: String) {
        if self.queries.contains_key(&hash) {
            return;
        }
        while self.queries.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.queries.remove(&oldest);
        }
        self.order.push_back(hash.clone());
        self.queries.insert(hash, query);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_process_store_forgets_the_oldest_query_first() {
        let mut store = BoundedQueries::new(2);
        store.insert("a".into(), "{ a }".into());
        store.insert("b".into(), "{ b }".into());
        store.insert("c".into(), "{ c }".into());
        assert_eq!(store.get("a"), None);
        assert_eq!(store.get("c").as_deref(), Some("{ c }"));
    }

    #[test]
    fn both_manifest_formats_are_read_and_found_by_hash() {
        let body = "query Me { me { id } }";
        let apollo = format!(
            r#"{{"format":"apollo-persisted-query-manifest","version":1,"operations":[{{"id":"x1","name":"Me","type":"query","body":"{body}"}}]}}"#
        );
        let flat = format!(r#"{{"x1": "{body}"}}"#);
        for text in [apollo, flat] {
            let manifest = TrustedManifest::parse(&text).unwrap();
            assert_eq!(manifest.by_id.get("x1").map(String::as_str), Some(body));
            assert!(manifest.by_id.contains_key(&sha256_hex(body)));
            assert!(manifest.hashes.contains(&sha256_hex(body)));
        }
        assert!(TrustedManifest::parse("[1, 2]").is_err());
    }
}
