DROP INDEX project_members_project_joined_idx;
CREATE INDEX tasks_parent_id_idx ON tasks (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX tasks_parent_board_idx;
DROP INDEX tasks_project_priority_idx;
DROP INDEX tasks_project_due_idx;
DROP INDEX tasks_project_updated_idx;
DROP INDEX tasks_project_board_idx;
ALTER TABLE tasks DROP COLUMN priority_rank, DROP COLUMN status_rank;
