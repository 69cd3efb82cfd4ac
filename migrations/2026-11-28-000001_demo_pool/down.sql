DROP TABLE demo_pool;
