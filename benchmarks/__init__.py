"""Benchmarks: the main model against a naive per-agent Mesa model and a bare-numpy floor.

``python -m benchmarks.run [--quick]`` runs them side by side (see ``benchmarks/run.py``).
"""
