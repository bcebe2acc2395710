"""Calibration and pattern checks: the experiments behind docs/calibration.md."""
