CREATE TABLE projects (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    archived_at TIMESTAMPTZ,
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX projects_created_at_id_idx ON projects (created_at, id);
SELECT diesel_manage_updated_at('projects');

CREATE TABLE project_members (
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'EXECUTOR', 'VIEWER')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
-- At most one OWNER per project, enforced by the database (the application keeps "at least one").
CREATE UNIQUE INDEX project_members_one_owner_key ON project_members (project_id) WHERE role = 'OWNER';
CREATE INDEX project_members_user_id_idx ON project_members (user_id);
SELECT diesel_manage_updated_at('project_members');

CREATE TABLE tasks (
    id          UUID PRIMARY KEY,
    project_id  UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    parent_id   UUID REFERENCES tasks (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE')),
    priority    TEXT NOT NULL CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
    assignee_id UUID REFERENCES users (id) ON DELETE SET NULL,
    due_at      TIMESTAMPTZ,
    labels      TEXT[] NOT NULL DEFAULT '{}',
    -- Fractional index within the status column: moving a task rewrites only that task.
    -- Byte order (COLLATE "C") is the order the keys are generated in.
    position    TEXT COLLATE "C" NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tasks_project_status_position_idx ON tasks (project_id, status, position);
CREATE INDEX tasks_project_created_idx ON tasks (project_id, created_at, id);
CREATE INDEX tasks_parent_id_idx ON tasks (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX tasks_labels_idx ON tasks USING GIN (labels);
SELECT diesel_manage_updated_at('tasks');

-- The newest activity seq of each project. Writers lock this row before appending, so within a
-- project seq order is commit order, and each event can name its predecessor (prev_seq): a
-- subscriber that sees prev_seq ahead of what it delivered knows it missed something.
CREATE TABLE activity_heads (
    project_id UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    last_seq   BIGINT NOT NULL DEFAULT 0
);

-- Every change subscribers care about, written in the same transaction as the change.
CREATE TABLE activity_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prev_seq    BIGINT NOT NULL,
    project_id  UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    actor_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX activity_log_project_seq_idx ON activity_log (project_id, seq);
