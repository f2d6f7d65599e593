DROP TABLE pipeline_run_events;
DROP TABLE pipeline_run_output;
DROP TABLE pipeline_runs;
DROP TABLE pipeline_connections;
DROP TABLE pipeline_nodes;
DROP TABLE pipelines;
