-- Pipelines: a project's graph of nodes and connections, and its runs as rows of a job queue.

CREATE TABLE pipelines (
    id                UUID PRIMARY KEY,
    project_id        UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
    validation_status TEXT NOT NULL DEFAULT 'PENDING'
                      CHECK (validation_status IN ('PENDING', 'VALID', 'INVALID', 'WARNING')),
    validation_issues JSONB NOT NULL DEFAULT '[]',
    version           INTEGER NOT NULL DEFAULT 1,
    created_by        UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_project_id_idx ON pipelines (project_id, created_at, id);
-- The hourly creation limit counts a user's recent pipelines.
CREATE INDEX pipelines_created_by_idx ON pipelines (created_by, created_at);
SELECT diesel_manage_updated_at('pipelines');

CREATE TABLE pipeline_nodes (
    id          UUID PRIMARY KEY,
    pipeline_id UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    component   TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    position_x  DOUBLE PRECISION NOT NULL DEFAULT 0,
    position_y  DOUBLE PRECISION NOT NULL DEFAULT 0,
    config      JSONB NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Lets connections require both ends to be in their own pipeline.
    UNIQUE (pipeline_id, id)
);

CREATE TABLE pipeline_connections (
    id           UUID PRIMARY KEY,
    pipeline_id  UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    from_node_id UUID NOT NULL,
    from_port    TEXT NOT NULL,
    to_node_id   UUID NOT NULL,
    to_port      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (pipeline_id, from_node_id) REFERENCES pipeline_nodes (pipeline_id, id) ON DELETE CASCADE,
    FOREIGN KEY (pipeline_id, to_node_id) REFERENCES pipeline_nodes (pipeline_id, id) ON DELETE CASCADE,
    CONSTRAINT pipeline_connections_unique UNIQUE (from_node_id, from_port, to_node_id, to_port)
);
CREATE INDEX pipeline_connections_pipeline_id_idx ON pipeline_connections (pipeline_id);

-- A run is a job: QUEUED until a worker claims it (FOR UPDATE SKIP LOCKED), RUNNING under a lease
-- the worker renews, then exactly one terminal status, written only by the lease holder.
CREATE TABLE pipeline_runs (
    id               UUID PRIMARY KEY,
    pipeline_id      UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    project_id       UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    requested_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    status           TEXT NOT NULL DEFAULT 'QUEUED'
                     CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')),
    parameters       JSONB NOT NULL DEFAULT '{}',
    -- The graph as it was when the run was requested: later edits do not change a queued run.
    graph            JSONB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      UUID,
    lease_expires_at TIMESTAMPTZ,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    node_results     JSONB NOT NULL DEFAULT '[]',
    error            TEXT,
    output_rows      BIGINT NOT NULL DEFAULT 0,
    output_stored    BIGINT NOT NULL DEFAULT 0,
    event_seq        INTEGER NOT NULL DEFAULT 0,
    queued_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX pipeline_runs_pipeline_idx ON pipeline_runs (pipeline_id, queued_at DESC, id DESC);
CREATE INDEX pipeline_runs_queued_idx ON pipeline_runs (queued_at, id) WHERE status = 'QUEUED';
CREATE INDEX pipeline_runs_leased_idx ON pipeline_runs (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX pipeline_runs_requested_by_idx ON pipeline_runs (requested_by, queued_at);

CREATE TABLE pipeline_run_output (
    run_id  UUID NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    data    JSONB NOT NULL,
    PRIMARY KEY (run_id, ordinal)
);

-- Progress, in order: a subscriber replays from here, so no event is lost between instances.
CREATE TABLE pipeline_run_events (
    run_id      UUID NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);
