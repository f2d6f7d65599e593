//! GraphQL surface of accounts: registration, login, refresh-token rotation, profile, password
//! and platform administration. Each mutation is one transaction.

use async_graphql::{connection::Connection, Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        authz::{self, PlatformGuard, PlatformPermission, SessionOnly, SignedIn},
        passwords::{check_password_policy, hash_password, verify_password},
        sessions::{self, RevokeReason, Rotation},
        viewer::ClientInfo,
    },
    error::{bad_input, conflict, internal, not_found, AppError, AppResult},
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    limits::{self, NamedLimit},
    security::login,
    state::AppState,
    users::{
        loaders::UserLoader,
        model::{DisplayName, Email, User, UserChanges},
        store::{self, UserCursor},
    },
};

pub use crate::users::model::USER_TYPE;

/// A person with an account, as members, assignees, authors and discoverers show them.
/// `node(id:)` finds a user only for themselves, people sharing a project, and platform admins.
#[Object(name = "User")]
impl User {
    /// Opaque global id; also accepted by `node(id:)`.
    pub async fn id(&self) -> ID {
        encode_id(USER_TYPE, self.id)
    }

    /// The address they sign in with, trimmed and lower-cased.
    async fn email(&self) -> &str {
        &self.email
    }

    /// The name shown to others, 1 to 80 characters.
    async fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Platform administrators manage users and see every project.
    async fn is_admin(&self) -> bool {
        self.is_admin
    }

    /// When the account was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// When the profile or admin flag last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// Tokens for a new or refreshed session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; valid until `expiresAt`.
    access_token: String,
    /// Single use: exchange it with `refreshSession` for a new pair. Reusing an old one ends
    /// the session.
    refresh_token: String,
    /// When the access token expires (15 minutes after issue by default,
    /// `ACCESS_TOKEN_TTL_SECONDS`); refresh before then.
    expires_at: DateTime<Utc>,
    /// The signed-in user.
    user: User,
}

/// The answer to `login`: the tokens of a new session, or, for an account with MFA, no tokens
/// but `mfaRequired` and a challenge to complete with `verifyMfa`.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Null when `mfaRequired`.
    access_token: Option<String>,
    /// Single use, for `refreshSession`; null when `mfaRequired`.
    refresh_token: Option<String>,
    /// When the access token expires; null when `mfaRequired`.
    expires_at: Option<DateTime<Utc>>,
    /// The signed-in user; null when `mfaRequired`.
    user: Option<User>,
    /// True when the password was right and a second factor is needed: call `verifyMfa`.
    mfa_required: bool,
    /// Pass to `verifyMfa` with a code; short-lived and good for a few attempts.
    mfa_challenge: Option<String>,
    /// When the challenge stops working; null unless `mfaRequired`.
    mfa_challenge_expires_at: Option<DateTime<Utc>>,
}

impl LoginPayload {
    pub fn signed_in(payload: AuthPayload) -> Self {
        LoginPayload {
            access_token: Some(payload.access_token),
            refresh_token: Some(payload.refresh_token),
            expires_at: Some(payload.expires_at),
            user: Some(payload.user),
            mfa_required: false,
            mfa_challenge: None,
            mfa_challenge_expires_at: None,
        }
    }

    pub fn awaiting_second_factor(challenge: String, expires_at: DateTime<Utc>) -> Self {
        LoginPayload {
            access_token: None,
            refresh_token: None,
            expires_at: None,
            user: None,
            mfa_required: true,
            mfa_challenge: Some(challenge),
            mfa_challenge_expires_at: Some(expires_at),
        }
    }
}

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// A valid address of at most 254 characters, stored lower-cased; `CONFLICT` when an
    /// account already has it.
    email: String,
    /// At least 10 characters, not a common password, not containing the email's local part.
    password: String,
    /// The name shown to others: 1 to 80 printable characters after trimming.
    display_name: String,
}

/// Credentials to sign in with.
#[derive(InputObject)]
pub struct LoginInput {
    /// The account's email, in any case.
    email: String,
    /// The account's password.
    password: String,
}

/// Changes to the viewer's own profile; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// 1 to 80 printable characters after trimming.
    display_name: Option<String>,
}

/// The current password and its replacement.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// Checked first (else `BAD_USER_INPUT`).
    current_password: String,
    /// At least 10 characters, not a common password, not containing the email's local part.
    new_password: String,
}

pub fn auth_payload(
    state: &AppState,
    user: User,
    session_id: Uuid,
    refresh_token: String,
) -> AppResult<AuthPayload> {
    let access = state
        .keys
        .issue_access_token(user.id, session_id)
        .map_err(internal)?;
    Ok(AuthPayload {
        access_token: access.token,
        refresh_token,
        expires_at: access.expires_at,
        user,
    })
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user, or null for anonymous requests.
    async fn me(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let crate::auth::viewer::Viewer::User(viewer) = authz::viewer(ctx) else {
            return Ok(None);
        };
        // The viewer's row was read while authenticating; the loader hands it out without a query.
        let users = Loaders::get::<UserLoader>(ctx);
        users.feed_one(viewer.user_id(), viewer.user.clone()).await;
        users.load_one(viewer.user_id()).await
    }

    /// All users in sign-up order, optionally filtered by `search` in email or display name.
    /// Platform administrators only.
    #[graphql(
        guard = "PlatformGuard(PlatformPermission::ListUsers)",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size: 0 to 100, default 20 (else `BAD_USER_INPUT`).")]
        first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
        #[graphql(desc = "Text to look for in emails and display names, case-insensitively.")]
        search: Option<String>,
    ) -> AppResult<Connection<String, User>> {
        let limit = page_size(first)?;
        let after_position: Option<UserCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let rows =
            store::list_users(&mut connection, search.as_deref(), after_position, limit).await?;
        Ok(connection_from_rows(
            rows,
            limit,
            after_position.is_some(),
            |user| (user.created_at, user.id),
        ))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates an account and signs it in. The first account becomes the platform admin. No
    /// sign-in needed; `RATE_LIMITED` past 5 a minute per address
    /// (`RATE_LIMIT_REGISTER_PER_MINUTE`); `BAD_USER_INPUT` for invalid fields or a weak
    /// password; `CONFLICT` when the email is taken.
    async fn register(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's email, password and display name.")]
        input: RegisterInput,
    ) -> AppResult<AuthPayload> {
        limits::check(ctx, NamedLimit::Register).await?;
        let email = Email::parse("email", &input.email)?;
        let display_name = DisplayName::parse("displayName", &input.display_name)?;
        check_password_policy("password", &input.password, email.as_str())?;
        let password_hash = hash_password(input.password).await?;
        let state = AppState::from_ctx(ctx);
        let client = ClientInfo::from_ctx(ctx);
        let session_ttl = state.settings.refresh_session_ttl;
        let mut connection = state.pool.get().await?;
        let (user, session, refresh_token) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let user = store::insert_user(
                    connection,
                    &email,
                    password_hash,
                    display_name.into_inner(),
                )
                .await?;
                let (session, refresh_token) =
                    sessions::start_session(connection, user.id, &client, session_ttl).await?;
                Ok((user, session, refresh_token))
            })
            .await?;
        tracing::info!(user_id = %user.id, "user registered");
        auth_payload(state, user, session.id, refresh_token)
    }

    /// Signs in with email and password. A wrong password and an unknown email get the same
    /// answer, in about the same time. Too many failures lock the account for a while
    /// (`RATE_LIMITED` with `retryAfterSeconds`). With MFA on, the answer is a challenge for
    /// `verifyMfa` instead of tokens.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Email and password; wrong ones are `UNAUTHENTICATED`.")] input: LoginInput,
    ) -> AppResult<LoginPayload> {
        limits::check(ctx, NamedLimit::Login).await?;
        login::sign_in_with_password(
            AppState::from_ctx(ctx),
            &ClientInfo::from_ctx(ctx),
            &input.email,
            input.password,
        )
        .await
    }

    /// Exchanges a refresh token for a new access token and a new refresh token. The presented
    /// token dies; presenting it again ends the whole session. An invalid, expired, revoked or
    /// reused token is `UNAUTHENTICATED`. No access token needed.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `refreshToken` of the latest `AuthPayload`.")] refresh_token: String,
    ) -> AppResult<AuthPayload> {
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        // The reuse case commits its revocation, then reports the failure.
        let rotation = connection
            .transaction::<_, AppError, _>(async |connection| {
                sessions::rotate_refresh_token(connection, &refresh_token).await
            })
            .await?;
        match rotation {
            Rotation::Rotated {
                session_id,
                user,
                refresh_token,
            } => auth_payload(state, *user, session_id, refresh_token),
            Rotation::Rejected => Err(AppError::Unauthenticated(
                "the refresh token is invalid, expired or revoked".into(),
            )),
            Rotation::ReuseDetected => {
                tracing::warn!("refresh token reuse detected; session revoked");
                Err(AppError::Unauthenticated(
                    "this refresh token was already used; the session has been ended".into(),
                ))
            }
        }
    }

    /// Ends the current session: its refresh token and access tokens stop working.
    #[graphql(guard = "SessionOnly")]
    async fn logout(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let (_, session_id) = authz::require_session(authz::viewer(ctx))?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        connection
            .transaction::<_, AppError, _>(async |connection| {
                sessions::revoke_session(connection, session_id, RevokeReason::Logout).await
            })
            .await?;
        Ok(true)
    }

    /// Changes the viewer's own display name (`UNAUTHENTICATED` when signed out;
    /// `BAD_USER_INPUT` for an invalid name).
    #[graphql(guard = "SignedIn")]
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to change.")] input: UpdateProfileInput,
    ) -> AppResult<User> {
        let viewer = authz::require_user(authz::viewer(ctx))?;
        let changes = UserChanges {
            display_name: input
                .display_name
                .map(|name| DisplayName::parse("displayName", &name).map(DisplayName::into_inner))
                .transpose()?,
            ..UserChanges::default()
        };
        if changes.display_name.is_none() {
            return Ok(viewer.user.clone());
        }
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let user_id = viewer.user_id();
        connection
            .transaction::<_, AppError, _>(async |connection| {
                store::update_user(connection, user_id, &changes).await
            })
            .await
    }

    /// Changes the password after checking the current one; every other session is ended.
    /// Signed in with a session only (API keys get `FORBIDDEN`).
    #[graphql(guard = "SessionOnly")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current and the new password.")] input: ChangePasswordInput,
    ) -> AppResult<User> {
        let (viewer, session_id) = authz::require_session(authz::viewer(ctx))?;
        if !verify_password(input.current_password, viewer.user.password_hash.clone()).await? {
            return Err(bad_input(
                "currentPassword",
                "the current password is incorrect",
            ));
        }
        check_password_policy("newPassword", &input.new_password, &viewer.user.email)?;
        let changes = UserChanges {
            password_hash: Some(hash_password(input.new_password).await?),
            ..UserChanges::default()
        };
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let user_id = viewer.user_id();
        connection
            .transaction::<_, AppError, _>(async |connection| {
                let user = store::update_user(connection, user_id, &changes).await?;
                sessions::revoke_other_sessions(
                    connection,
                    user_id,
                    session_id,
                    RevokeReason::PasswordChanged,
                )
                .await?;
                Ok(user)
            })
            .await
    }

    /// Grants or removes platform administration. The platform always keeps at least one admin
    /// (`CONFLICT`). Platform admins only (`FORBIDDEN`); `NOT_FOUND` for an unknown user.
    #[graphql(guard = "PlatformGuard(PlatformPermission::SetPlatformAdmin)")]
    async fn set_platform_admin(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to change.")] user_id: ID,
        #[graphql(desc = "true to grant, false to remove.")] is_admin: bool,
    ) -> AppResult<User> {
        let target_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let actor_id = authz::require_user(authz::viewer(ctx))?.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        connection
            .transaction::<_, AppError, _>(async |connection| {
                let admins = store::lock_admin_ids(connection).await?;
                let target = store::find_by_id(connection, target_id)
                    .await?
                    .ok_or_else(|| not_found("user"))?;
                if !is_admin && admins == [target_id] {
                    return Err(conflict(
                        "the last platform admin cannot be removed; make another user admin first",
                    ));
                }
                if target.is_admin == is_admin {
                    return Ok(target);
                }
                let changes = UserChanges {
                    is_admin: Some(is_admin),
                    ..UserChanges::default()
                };
                let kind = if is_admin {
                    AuditEventKind::PlatformAdminGranted
                } else {
                    AuditEventKind::PlatformAdminRevoked
                };
                let entry = AuditEntry {
                    target_user_id: Some(target_id),
                    ..AuditEntry::by_user(kind, actor_id)
                };
                audit_store::record(connection, &client, entry).await?;
                store::update_user(connection, target_id, &changes).await
            })
            .await
    }
}
