-- Seeds :projects projects × :tasks tasks × :members members for the owner :'owner' (a user id
-- that already exists, e.g. registered through the API), in a few set-based statements.
-- Every fifth task is a subtask of the previous one, every task is assigned to a member,
-- statuses and priorities cycle, positions are unique within each status column.
-- Ids are derived from their numbers (md5), so every run seeds the same rows.
-- psql -v projects=100 -v tasks=100 -v members=20 -v owner=<uuid> -f benches/seed_boards.sql
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (id, email, password_hash, display_name)
SELECT md5('member' || m)::uuid, 'member' || m || '@bench.example', 'not-a-password-hash', 'Member ' || m
FROM generate_series(1, :members) AS m
ON CONFLICT DO NOTHING;

INSERT INTO projects (id, name, description, created_by, created_at)
SELECT md5('project' || p)::uuid, 'Project ' || p, 'Seeded project ' || p, :'owner'::uuid,
       timestamptz '2026-01-01' + p * interval '1 second'
FROM generate_series(1, :projects) AS p;

INSERT INTO activity_heads (project_id) SELECT md5('project' || p)::uuid FROM generate_series(1, :projects) AS p;

INSERT INTO project_members (project_id, user_id, role, created_at)
SELECT md5('project' || p)::uuid, :'owner'::uuid, 'OWNER', timestamptz '2026-01-01' + p * interval '1 second'
FROM generate_series(1, :projects) AS p;
INSERT INTO project_members (project_id, user_id, role, created_at)
SELECT md5('project' || p)::uuid, md5('member' || m)::uuid, 'EDITOR',
       timestamptz '2026-01-02' + m * interval '1 second'
FROM generate_series(1, :projects) AS p, generate_series(1, :members) AS m;

INSERT INTO tasks (id, project_id, parent_id, title, description, status, priority, assignee_id,
                   due_at, position, created_by, created_at, updated_at)
SELECT md5('task' || p || '-' || t)::uuid,
       md5('project' || p)::uuid,
       CASE WHEN t % 5 = 4 THEN md5('task' || p || '-' || (t - 1))::uuid END,
       'Task ' || t || ' of project ' || p,
       'Description of task ' || t,
       (ARRAY['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE'])[1 + t % 4],
       (ARRAY['LOW', 'MEDIUM', 'HIGH', 'URGENT'])[1 + (t / 4) % 4],
       md5('member' || (1 + t % :members))::uuid,
       CASE WHEN t % 3 = 0 THEN timestamptz '2026-06-01' + t * interval '1 hour' END,
       'a' || lpad(t::text, 8, '0'),
       :'owner'::uuid,
       timestamptz '2026-01-03' + t * interval '1 millisecond',
       timestamptz '2026-01-03' + t * interval '1 millisecond'
FROM generate_series(1, :projects) AS p, generate_series(1, :tasks) AS t;
COMMIT;
ANALYZE users; ANALYZE projects; ANALYZE project_members; ANALYZE tasks;
