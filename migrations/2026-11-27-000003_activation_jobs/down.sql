DROP TABLE activation_jobs;
