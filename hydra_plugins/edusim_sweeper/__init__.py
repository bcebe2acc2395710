"""edusim's Hydra sweeper (the basic sweeper without its repeated per-job composition) and
workstation launcher (joblib, composing a job's configuration once per shape of job)."""
