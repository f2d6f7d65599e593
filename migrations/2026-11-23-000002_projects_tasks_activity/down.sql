DROP TABLE activity_log;
DROP TABLE activity_heads;
DROP TABLE tasks;
DROP TABLE project_members;
DROP TABLE projects;
