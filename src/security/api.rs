//! GraphQL surface of account security: TOTP enrollment (`enrollTotp`, `confirmTotp`,
//! `disableTotp`), the MFA sign-in step (`verifyMfa`), sessions (`mySessions`,
//! `revokeSession`) and API keys (`createApiKey`, `apiKeys`, `revokeApiKey`). Credentials are
//! managed with a session only (`authz::require_session`); each mutation is one unit of work
//! with its audit row.

use async_graphql::{connection::Connection, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        api_keys::{self, ApiKey, ApiKeyCursor, ApiScope, NewApiKey},
        authz::{self, SessionOnly, SignedIn},
        client::ClientInfo,
        live::{CredentialEnd, CredentialsEnded, EndedCredentials},
        login_throttle::{self, locked_error},
        passwords::verify_password,
        sessions::{self, RevokeReason, Session, SessionCursor},
        tokens::hash_opaque_token,
        totp::{self, SecretSealer},
    },
    error::{bad_input, conflict, not_found, AppResult},
    graphql::{
        ids::{decode_id, encode_id},
        pagination::{connection_from_rows, page_request, PageCursor},
    },
    security::{
        login::{self, SESSION_TYPE},
        store,
    },
    state::AppState,
    users::payload::AuthPayload,
    work,
};

pub const API_KEY_TYPE: &str = "ApiKey";
const MAX_API_KEY_NAME_CHARS: usize = 80;

/// A TOTP secret to add to an authenticator app. Shown only here: confirm it with `confirmTotp`.
#[derive(SimpleObject)]
pub struct TotpEnrollment {
    /// Base32, for typing into the app by hand.
    secret: String,
    /// `otpauth://` URI, for a QR code.
    otpauth_uri: String,
}

/// What `confirmTotp` answers once MFA is on.
#[derive(SimpleObject)]
pub struct TotpConfirmation {
    /// Ten single-use codes that stand in for the app when it is lost. Shown only now.
    recovery_codes: Vec<String>,
}

/// One signed-in device: a login and the refresh tokens that continue it.
pub struct SessionNode {
    session: Session,
    current: bool,
}

/// One signed-in device: a login and the refresh tokens that continue it.
#[Object(name = "Session")]
impl SessionNode {
    /// Opaque id; pass it to `revokeSession`.
    async fn id(&self) -> ID {
        encode_id(SESSION_TYPE, self.session.id)
    }

    /// The user agent of the device that signed in.
    async fn user_agent(&self) -> Option<&str> {
        self.session.user_agent.as_deref()
    }

    /// The address the device signed in from, as the server saw it.
    async fn ip_address(&self) -> Option<&str> {
        self.session.ip_address.as_deref()
    }

    /// When the device signed in.
    async fn created_at(&self) -> DateTime<Utc> {
        self.session.created_at
    }

    /// Updated at most once a minute.
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.session.last_used_at
    }

    /// When the session ends unless refreshed before.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.session.expires_at
    }

    /// True for the session this request is made with.
    async fn current(&self) -> bool {
        self.current
    }
}

/// A long-lived credential for scripts and tools, owned by one user and limited to its scopes.
/// Its secret is shown only once, by `createApiKey`.
#[Object(name = "ApiKey")]
impl ApiKey {
    /// Opaque id; pass it to `revokeApiKey`.
    async fn id(&self) -> ID {
        encode_id(API_KEY_TYPE, self.id)
    }

    /// The owner's label for it, 1 to 80 characters.
    async fn name(&self) -> &str {
        &self.name
    }

    /// The part after `ck_` that identifies the key without revealing it.
    async fn prefix(&self) -> &str {
        &self.prefix
    }

    /// What the key may do.
    #[graphql(name = "scopes")]
    async fn granted_scopes(&self) -> Vec<ApiScope> {
        self.scopes()
    }

    /// When the key was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the key stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Recorded at most once a minute.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.last_used_at
    }

    /// When the key was revoked; null while it is not.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.revoked_at
    }
}

/// A new API key with its secret.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key as `apiKeys` will list it.
    api_key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`. Shown only now: it is stored hashed.
    secret: String,
}

fn parse_key_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > MAX_API_KEY_NAME_CHARS {
        return Err(bad_input(
            "name",
            format!("must be 1 to {MAX_API_KEY_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(bad_input("name", "must not contain control characters"));
    }
    Ok(name.to_string())
}

fn parse_scopes(scopes: Vec<ApiScope>) -> AppResult<Vec<ApiScope>> {
    let mut unique: Vec<ApiScope> = Vec::new();
    for scope in scopes {
        if !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    if unique.is_empty() {
        return Err(bad_input("scopes", "name at least one scope"));
    }
    Ok(unique)
}

#[derive(Default)]
pub struct SecurityQuery;

#[Object]
impl SecurityQuery {
    /// The signed-in user's live sessions, oldest first; `current` marks this one.
    #[graphql(guard = "SignedIn")]
    async fn my_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, SessionNode>> {
        let viewer = authz::require_user(authz::viewer(ctx))?;
        let (limit, after_position): (i64, Option<SessionCursor>) =
            page_request(first, after.as_deref())?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows =
            sessions::list_live_sessions(&mut connection, viewer.user_id(), after_position, limit)
                .await?;
        let current = viewer.session_id();
        let nodes = rows
            .into_iter()
            .map(|session| SessionNode {
                current: Some(session.id) == current,
                session,
            })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            after_position.is_some(),
            |node| (node.session.created_at, node.session.id),
        ))
    }

    /// The signed-in user's API keys, revoked and expired ones included, oldest first.
    #[graphql(guard = "SignedIn")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, ApiKey>> {
        let viewer = authz::require_user(authz::viewer(ctx))?;
        let (limit, after_position): (i64, Option<ApiKeyCursor>) =
            page_request(first, after.as_deref())?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows =
            api_keys::list_api_keys(&mut connection, viewer.user_id(), after_position, limit)
                .await?;
        Ok(connection_from_rows(
            rows,
            limit,
            after_position.is_some(),
            |key| (key.created_at, key.id),
        ))
    }
}

#[derive(Default)]
pub struct SecurityMutation;

#[Object]
impl SecurityMutation {
    /// Starts TOTP enrollment with a new secret (replacing an unconfirmed one). MFA is not on
    /// until `confirmTotp` succeeds.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn enroll_totp(&self, ctx: &Context<'_>) -> AppResult<TotpEnrollment> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        let state = AppState::from_ctx(ctx);
        let policy = &state.settings.account_security;
        let user_id = viewer.user_id();
        let secret = totp::generate_secret();
        let sealed =
            SecretSealer::new(&policy.totp_encryption_key).seal(user_id.as_bytes(), &secret);
        work::run(state, async |change| {
            if store::lock_totp(&mut change.db, user_id)
                .await?
                .is_some_and(|credential| credential.is_confirmed())
            {
                return Err(conflict(
                    "MFA is already on; disable it with disableTotp before enrolling again",
                ));
            }
            store::put_pending_totp(&mut change.db, user_id, sealed).await
        })
        .await?;
        Ok(TotpEnrollment {
            secret: totp::base32_encode(&secret),
            otpauth_uri: totp::otpauth_uri(&policy.totp_issuer, &viewer.user.email, &secret),
        })
    }

    /// Turns MFA on with the first code from the app; returns the recovery codes, once.
    /// `CONFLICT` when MFA is already on or no enrollment is pending.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn confirm_totp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The 6-digit code the app shows now (else `BAD_USER_INPUT`).")]
        code: String,
    ) -> AppResult<TotpConfirmation> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        let state = AppState::from_ctx(ctx);
        let client = ClientInfo::from_ctx(ctx);
        let user_id = viewer.user_id();
        let sealer = SecretSealer::new(&state.settings.account_security.totp_encryption_key);
        let recovery_codes = totp::generate_recovery_codes();
        let code_hashes: Vec<String> = recovery_codes
            .iter()
            .filter_map(|code| totp::normalize_recovery_code(code))
            .map(|code| hash_opaque_token(&code))
            .collect();
        work::run(state, async |change| {
            let credential = store::lock_totp(&mut change.db, user_id).await?;
            let credential = match credential {
                None => {
                    return Err(conflict(
                        "no TOTP enrollment is pending; call enrollTotp first",
                    ))
                }
                Some(credential) if credential.is_confirmed() => {
                    return Err(conflict("MFA is already on"))
                }
                Some(credential) => credential,
            };
            let secret = sealer
                .open(user_id.as_bytes(), &credential.secret_encrypted)
                .ok_or_else(|| {
                    conflict("the pending enrollment is unreadable; call enrollTotp again")
                })?;
            let step = totp::verify(&secret, &code, Utc::now().timestamp(), None)
                .ok_or_else(|| bad_input("code", "the code is incorrect; check the app's clock"))?;
            store::confirm_totp(&mut change.db, user_id, step).await?;
            store::replace_recovery_codes(&mut change.db, user_id, &code_hashes).await?;
            audit_store::record(
                &mut change.db,
                &client,
                AuditEntry::by_user(AuditEventKind::MfaEnrolled, user_id),
            )
            .await
        })
        .await?;
        Ok(TotpConfirmation { recovery_codes })
    }

    /// Turns MFA off; needs the password and a current code (or a recovery code). `CONFLICT`
    /// when MFA is not on.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn disable_totp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's password (else `BAD_USER_INPUT`).")] password: String,
        #[graphql(desc = "A current code from the app, or an unused recovery code.")] code: String,
    ) -> AppResult<bool> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        if !verify_password(password, viewer.user.password_hash.clone()).await? {
            return Err(bad_input("password", "the password is incorrect"));
        }
        let state = AppState::from_ctx(ctx);
        let client = ClientInfo::from_ctx(ctx);
        let user_id = viewer.user_id();
        let email = &viewer.user.email;
        // A wrong code is committed as a failure (it counts towards the account lock, so a
        // stolen session and password cannot guess codes without end), then reported.
        let refusal = work::run(state, async |change| {
            if let Some(until) = login_throttle::locked_until(&mut change.db, email).await? {
                return Err(locked_error(until));
            }
            if !store::has_confirmed_totp(&mut change.db, user_id).await? {
                return Err(conflict("MFA is not on"));
            }
            if login::check_second_factor(&mut change.db, state, &client, user_id, &code)
                .await?
                .is_none()
            {
                let locked = login::record_failed_attempt(
                    &mut change.db,
                    state,
                    &client,
                    email,
                    Some(user_id),
                    "wrong_mfa_code",
                )
                .await?;
                return Ok(Some(locked.map(locked_error).unwrap_or_else(|| {
                    bad_input("code", "the code is incorrect or was already used")
                })));
            }
            store::delete_totp(&mut change.db, user_id).await?;
            audit_store::record(
                &mut change.db,
                &client,
                AuditEntry::by_user(AuditEventKind::MfaDisabled, user_id),
            )
            .await?;
            Ok(None)
        })
        .await?;
        match refusal {
            Some(error) => Err(error),
            None => Ok(true),
        }
    }

    /// Completes a `login` that answered `mfaRequired`: the challenge and a code from the app
    /// (or a recovery code, which then is spent). Returns the session's tokens. A wrong code or
    /// a closed challenge is `UNAUTHENTICATED`; too many failures lock the account
    /// (`RATE_LIMITED`).
    async fn verify_mfa(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`LoginPayload.mfaChallenge` from `login`.")] challenge: String,
        #[graphql(desc = "A current code from the app, or an unused recovery code.")] code: String,
    ) -> AppResult<AuthPayload> {
        login::complete_mfa_sign_in(
            AppState::from_ctx(ctx),
            &ClientInfo::from_ctx(ctx),
            &challenge,
            &code,
        )
        .await
    }

    /// Ends one of your sessions: its refresh token and its access tokens stop working.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `Session.id`; `NOT_FOUND` unless it is one of yours.")] id: ID,
    ) -> AppResult<bool> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        let session_id = decode_id(SESSION_TYPE, "id", &id)?;
        let state = AppState::from_ctx(ctx);
        let client = ClientInfo::from_ctx(ctx);
        let user_id = viewer.user_id();
        work::run(state, async |change| {
            let revoked = sessions::revoke_own_session(
                &mut change.db,
                user_id,
                session_id,
                RevokeReason::RevokedByUser,
            )
            .await?;
            if !revoked {
                return Err(not_found("session"));
            }
            change.publish_after_commit(
                CredentialsEnded {
                    user_id,
                    ended: EndedCredentials::Session(session_id),
                    reason: CredentialEnd::SessionRevoked,
                }
                .into_event(),
            );
            let entry = AuditEntry::by_user(AuditEventKind::SessionRevoked, user_id)
                .on_target(id.to_string());
            audit_store::record(&mut change.db, &client, entry).await
        })
        .await?;
        Ok(true)
    }

    /// Creates an API key. Its secret is in the answer and nowhere else, ever. Without
    /// `expiresAt` the key lasts the longest lifetime the server allows.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A label, 1 to 80 characters, no control characters.")] name: String,
        #[graphql(desc = "At least one scope; duplicates are dropped.")] scopes: Vec<ApiScope>,
        #[graphql(
            desc = "In the future and within `API_KEY_MAX_LIFETIME_DAYS` (365 by default) from now."
        )]
        expires_at: Option<DateTime<Utc>>,
    ) -> AppResult<CreatedApiKey> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        let name = parse_key_name(&name)?;
        let scopes = parse_scopes(scopes)?;
        let state = AppState::from_ctx(ctx);
        let max_lifetime = state.settings.account_security.api_key_max_lifetime;
        let latest = Utc::now() + max_lifetime;
        let expires_at = expires_at.unwrap_or(latest);
        if expires_at <= Utc::now() {
            return Err(bad_input("expiresAt", "must be in the future"));
        }
        if expires_at > latest {
            return Err(bad_input(
                "expiresAt",
                format!(
                    "must be within {} days from now",
                    max_lifetime.as_secs() / 86_400
                ),
            ));
        }
        let client = ClientInfo::from_ctx(ctx);
        let user_id = viewer.user_id();
        let generated = api_keys::generate_api_key();
        let api_key = work::run(state, async |change| {
            let key = api_keys::insert_api_key(
                &mut change.db,
                NewApiKey {
                    user_id,
                    name: &name,
                    scopes: &scopes,
                    expires_at,
                },
                &generated,
            )
            .await?;
            let entry = AuditEntry::by_user(AuditEventKind::ApiKeyCreated, user_id)
                .on_target(encode_id(API_KEY_TYPE, key.id).0)
                .with_details(
                    json!({ "name": key.name, "scopes": key.scopes, "expiresAt": key.expires_at }),
                );
            audit_store::record(&mut change.db, &client, entry).await?;
            Ok(key)
        })
        .await?;
        Ok(CreatedApiKey {
            api_key,
            secret: generated.secret,
        })
    }

    /// Revokes one of your API keys; requests with it fail from now on.
    /// Signed in with a session only: `UNAUTHENTICATED` without one, `FORBIDDEN` with an API key.
    #[graphql(guard = "SessionOnly")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `ApiKey.id`; `NOT_FOUND` unless it is one of yours.")] id: ID,
    ) -> AppResult<ApiKey> {
        let (viewer, _) = authz::require_session(authz::viewer(ctx))?;
        let key_id = decode_id(API_KEY_TYPE, "id", &id)?;
        let state = AppState::from_ctx(ctx);
        let client = ClientInfo::from_ctx(ctx);
        let user_id = viewer.user_id();
        work::run(state, async |change| {
            let key = api_keys::revoke_api_key(&mut change.db, user_id, key_id)
                .await?
                .ok_or_else(|| not_found("API key"))?;
            change.publish_after_commit(
                CredentialsEnded {
                    user_id,
                    ended: EndedCredentials::ApiKey(key_id),
                    reason: CredentialEnd::ApiKeyRevoked,
                }
                .into_event(),
            );
            let entry = AuditEntry::by_user(AuditEventKind::ApiKeyRevoked, user_id)
                .on_target(id.to_string());
            audit_store::record(&mut change.db, &client, entry).await?;
            Ok(key)
        })
        .await
    }
}
