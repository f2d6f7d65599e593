DROP TABLE discoveries;
DROP TABLE reactions;
DROP TABLE reaction_cache;
