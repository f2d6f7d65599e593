// @generated automatically by Diesel CLI.

diesel::table! {
    activity_heads (project_id) {
        project_id -> Uuid,
        last_seq -> Int8,
    }
}

diesel::table! {
    activity_log (seq) {
        seq -> Int8,
        prev_seq -> Int8,
        project_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        kind -> Text,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    project_members (project_id, user_id) {
        project_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        archived_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    bookmark_imports (id) {
        id -> Uuid,
        owner_id -> Uuid,
        format -> Text,
        status -> Text,
        total -> Int4,
        processed -> Int4,
        imported -> Int4,
        duplicates -> Int4,
        skipped -> Jsonb,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    // `search_document` (a generated TSVECTOR) is left out: diesel has no tsvector type, and
    // only the raw-SQL search in bookmarks/store.rs reads it.
    bookmarks (id) {
        id -> Uuid,
        owner_id -> Uuid,
        project_id -> Nullable<Uuid>,
        url -> Text,
        normalized_url -> Text,
        title -> Text,
        notes -> Text,
        tags -> Array<Text>,
        folder -> Array<Text>,
        favorite -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search_text -> Text,
    }
}

diesel::table! {
    discoveries (id) {
        id -> Uuid,
        kind -> Text,
        subject -> Text,
        description -> Text,
        discoverer_id -> Nullable<Uuid>,
        reaction_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reaction_cache (cache_key) {
        cache_key -> Text,
        canonical_input -> Text,
        outcome -> Jsonb,
        source -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reactions (id) {
        id -> Uuid,
        user_id -> Uuid,
        cache_key -> Text,
        environment -> Text,
        cached -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        session_id -> Uuid,
        token_hash -> Text,
        created_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        user_agent -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    tasks (id) {
        id -> Uuid,
        project_id -> Uuid,
        parent_id -> Nullable<Uuid>,
        title -> Text,
        description -> Text,
        status -> Text,
        priority -> Text,
        assignee_id -> Nullable<Uuid>,
        due_at -> Nullable<Timestamptz>,
        labels -> Array<Text>,
        position -> Text,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        status_rank -> Int2,
        priority_rank -> Int2,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        is_admin -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Array<Text>,
        expires_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        kind -> Text,
        actor_id -> Nullable<Uuid>,
        target_user_id -> Nullable<Uuid>,
        target -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        details -> Jsonb,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    login_throttles (email) {
        email -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    mfa_challenges (id) {
        id -> Uuid,
        user_id -> Uuid,
        token_hash -> Text,
        failed_attempts -> Int4,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Uuid,
        user_id -> Uuid,
        code_hash -> Text,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    totp_credentials (user_id) {
        user_id -> Uuid,
        secret_encrypted -> Bytea,
        confirmed_at -> Nullable<Timestamptz>,
        last_used_step -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(activity_heads -> projects (project_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(totp_credentials -> users (user_id));
diesel::joinable!(activity_log -> projects (project_id));
diesel::joinable!(activity_log -> users (actor_id));
diesel::joinable!(bookmark_imports -> users (owner_id));
diesel::joinable!(bookmarks -> projects (project_id));
diesel::joinable!(bookmarks -> users (owner_id));
diesel::joinable!(project_members -> projects (project_id));
diesel::joinable!(project_members -> users (user_id));
diesel::joinable!(projects -> users (created_by));
diesel::joinable!(discoveries -> reactions (reaction_id));
diesel::joinable!(discoveries -> users (discoverer_id));
diesel::joinable!(reactions -> reaction_cache (cache_key));
diesel::joinable!(reactions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(tasks -> projects (project_id));

diesel::allow_tables_to_appear_in_same_query!(
    activity_heads,
    activity_log,
    api_keys,
    audit_log,
    bookmark_imports,
    bookmarks,
    discoveries,
    login_throttles,
    mfa_challenges,
    project_members,
    projects,
    reaction_cache,
    reactions,
    recovery_codes,
    refresh_tokens,
    sessions,
    tasks,
    totp_credentials,
    users,
);

// Pipelines (migration 2026-12-01-000004_pipelines).

diesel::table! {
    pipelines (id) {
        id -> Uuid,
        project_id -> Uuid,
        name -> Text,
        description -> Text,
        status -> Text,
        validation_status -> Text,
        validation_issues -> Jsonb,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    pipeline_nodes (id) {
        id -> Uuid,
        pipeline_id -> Uuid,
        component -> Text,
        label -> Text,
        position_x -> Float8,
        position_y -> Float8,
        config -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pipeline_connections (id) {
        id -> Uuid,
        pipeline_id -> Uuid,
        from_node_id -> Uuid,
        from_port -> Text,
        to_node_id -> Uuid,
        to_port -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pipeline_runs (id) {
        id -> Uuid,
        pipeline_id -> Uuid,
        project_id -> Uuid,
        requested_by -> Nullable<Uuid>,
        status -> Text,
        parameters -> Jsonb,
        graph -> Jsonb,
        attempts -> Int4,
        lease_owner -> Nullable<Uuid>,
        lease_expires_at -> Nullable<Timestamptz>,
        cancel_requested -> Bool,
        node_results -> Jsonb,
        error -> Nullable<Text>,
        output_rows -> Int8,
        output_stored -> Int8,
        event_seq -> Int4,
        queued_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    pipeline_run_output (run_id, ordinal) {
        run_id -> Uuid,
        ordinal -> Int4,
        data -> Jsonb,
    }
}

diesel::table! {
    pipeline_run_events (run_id, seq) {
        run_id -> Uuid,
        seq -> Int4,
        kind -> Text,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
    }
}

diesel::joinable!(pipelines -> projects (project_id));
diesel::joinable!(pipeline_nodes -> pipelines (pipeline_id));
diesel::joinable!(pipeline_connections -> pipelines (pipeline_id));
diesel::joinable!(pipeline_runs -> pipelines (pipeline_id));
diesel::joinable!(pipeline_run_output -> pipeline_runs (run_id));
diesel::joinable!(pipeline_run_events -> pipeline_runs (run_id));

diesel::allow_tables_to_appear_in_same_query!(
    pipelines,
    pipeline_nodes,
    pipeline_connections,
    pipeline_runs,
    pipeline_run_output,
    pipeline_run_events,
);
diesel::allow_tables_to_appear_in_same_query!(pipelines, projects);
diesel::allow_tables_to_appear_in_same_query!(pipelines, project_members);
