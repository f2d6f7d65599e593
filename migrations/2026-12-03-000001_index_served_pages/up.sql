-- Every nested page is one index range scan per parent (`LATERAL (… ORDER BY <key> LIMIT n)`),
-- so each order a page can be read in needs an index whose columns are that order. The board
-- order and the priority order were CASE expressions no index could serve; their ranks are now
-- stored, computed by PostgreSQL from the status and priority, so no writer can forget them.
ALTER TABLE tasks
    ADD COLUMN status_rank SMALLINT NOT NULL GENERATED ALWAYS AS (
        CASE status WHEN 'TODO' THEN 0 WHEN 'IN_PROGRESS' THEN 1 WHEN 'BLOCKED' THEN 2 ELSE 3 END
    ) STORED,
    ADD COLUMN priority_rank SMALLINT NOT NULL GENERATED ALWAYS AS (
        CASE priority WHEN 'URGENT' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END
    ) STORED;

-- Board order (POSITION): status column, then fractional position; id breaks ties.
CREATE INDEX tasks_project_board_idx ON tasks (project_id, status_rank, position, id);
CREATE INDEX tasks_project_updated_idx ON tasks (project_id, updated_at, id);
-- Tasks without a due date come last: 'infinity' sorts after every date.
CREATE INDEX tasks_project_due_idx
    ON tasks (project_id, (COALESCE(due_at, 'infinity'::timestamptz)), id);
CREATE INDEX tasks_project_priority_idx ON tasks (project_id, priority_rank, id);
-- Subtasks in board order; replaces the plain parent index.
CREATE INDEX tasks_parent_board_idx ON tasks (parent_id, status_rank, position, id)
    WHERE parent_id IS NOT NULL;
DROP INDEX tasks_parent_id_idx;

-- Members in the order they joined.
CREATE INDEX project_members_project_joined_idx ON project_members (project_id, created_at, user_id);
