"""``edusim-uncertainty``: policy effects over the priors of the uncertain parameters.

:mod:`~experiments.uncertainty.app` (the command and the analysis),
:mod:`~experiments.uncertainty.design` (which parameters vary, the draws),
:mod:`~experiments.uncertainty.runner` (one draw: both arms on every seed),
:mod:`~experiments.uncertainty.analysis` (effects and variance tables) and
:mod:`~experiments.uncertainty.figures`.
"""
