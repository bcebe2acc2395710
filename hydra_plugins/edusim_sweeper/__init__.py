"""edusim's Hydra sweeper: the basic sweeper without its repeated per-job composition."""
