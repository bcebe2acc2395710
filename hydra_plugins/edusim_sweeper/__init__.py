"""edusim's Hydra sweeper (the basic sweeper without its repeated per-job composition),
workstation launcher (joblib, composing a job's configuration once per shape of job) and
Ray launcher (the same jobs as tasks on a Ray cluster)."""
