//! GraphQL surface of accounts: registration, login, refresh-token rotation, profile, password
//! and platform administration. Each mutation is one unit of work (`work::run`).

use async_graphql::{connection::Connection, Context, InputObject, Object, ScalarType, Value, ID};
use chrono::{DateTime, Utc};

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        authz::{self, PlatformGuard, PlatformPermission, SessionOnly, SignedIn},
        client::ClientInfo,
        live::{CredentialEnd, CredentialsEnded, EndedCredentials},
        passwords::{check_password_policy, hash_password, verify_password},
        session_memo::AccountChanged,
        sessions::{self, RevokeReason, Rotation},
    },
    error::{bad_input, conflict, not_found, AppError, AppResult},
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
        plain::{PlainFields, PlainValue},
    },
    limits::{self, NamedLimit},
    security::login,
    state::AppState,
    users::{
        loaders::UserLoader,
        model::{DisplayName, Email, User, UserChanges, USER_TYPE},
        payload::{auth_payload, AuthPayload, LoginPayload},
        store::{self, UserCursor},
    },
    work::{self, Change},
};

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

    /// When the account last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// Every field: members and assignees on a board page resolve without a future each.
impl PlainFields for User {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        Some(PlainValue::Value(match name {
            "id" => Value::String(encode_id(USER_TYPE, self.id).0),
            "email" => Value::String(self.email.clone()),
            "displayName" => Value::String(self.display_name.clone()),
            "isAdmin" => Value::Boolean(self.is_admin),
            "createdAt" => self.created_at.to_value(),
            "updatedAt" => self.updated_at.to_value(),
            _ => return None,
        }))
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
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
        #[graphql(desc = "Text to look for in emails and display names, case-insensitively.")]
        search: Option<String>,
    ) -> AppResult<Connection<PageCursor, User>> {
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
        let (user, session, refresh_token) = work::run(state, async |change| {
            let user = store::insert_user(
                &mut change.db,
                &email,
                password_hash,
                display_name.into_inner(),
            )
            .await?;
            let (session, refresh_token) =
                sessions::start_session(&mut change.db, user.id, &client, session_ttl).await?;
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
        #[graphql(desc = "Email and password; wrong ones are `UNAUTHENTICATED`.")]
        input: LoginInput,
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
        // The reuse case commits its revocation, then reports the failure.
        let rotation = work::run(state, async |change| {
            let rotation = sessions::rotate_refresh_token(&mut change.db, &refresh_token).await?;
            if let Rotation::ReuseDetected {
                session_id,
                user_id,
            } = rotation
            {
                // As for any revocation: live connections on the session stop streaming, on
                // every instance.
                change.publish_after_commit(
                    CredentialsEnded {
                        user_id,
                        ended: EndedCredentials::Session(session_id),
                        reason: RevokeReason::RefreshTokenReuse.into(),
                    }
                    .into_event(),
                );
            }
            Ok(rotation)
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
            Rotation::ReuseDetected { .. } => {
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
        let (viewer, session_id) = authz::require_session(authz::viewer(ctx))?;
        let state = AppState::from_ctx(ctx);
        let user_id = viewer.user_id();
        work::run(state, async |change| {
            sessions::revoke_session(&mut change.db, session_id, RevokeReason::Logout).await?;
            // Live connections on this session stop streaming, on every instance.
            change.publish_after_commit(
                CredentialsEnded {
                    user_id,
                    ended: EndedCredentials::Session(session_id),
                    reason: CredentialEnd::SignedOut,
                }
                .into_event(),
            );
            Ok(())
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
        let user_id = viewer.user_id();
        work::run(state, async |change| {
            update_account(change, user_id, &changes).await
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
        let user_id = viewer.user_id();
        work::run(state, async |change| {
            let user = update_account(change, user_id, &changes).await?;
            sessions::revoke_other_sessions(
                &mut change.db,
                user_id,
                session_id,
                RevokeReason::PasswordChanged,
            )
            .await?;
            change.publish_after_commit(
                CredentialsEnded {
                    user_id,
                    ended: EndedCredentials::SessionsExcept(session_id),
                    reason: CredentialEnd::PasswordChanged,
                }
                .into_event(),
            );
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
        work::run(state, async |change| {
            let admins = store::lock_admin_ids(&mut change.db).await?;
            let target = store::find_by_id(&mut change.db, target_id)
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
            audit_store::record(&mut change.db, &client, entry).await?;
            update_account(change, target_id, &changes).await
        })
        .await
    }
}

/// Every change of a user row goes through here: once it commits, every instance forgets the
/// account's remembered sessions, so no request runs with the row as it was.
async fn update_account(
    change: &mut Change,
    user_id: uuid::Uuid,
    changes: &UserChanges,
) -> AppResult<User> {
    let user = store::update_user(&mut change.db, user_id, changes).await?;
    change.publish_after_commit(
        AccountChanged {
            account_changed: user_id,
        }
        .into_event(),
    );
    Ok(user)
}
