"""Generated, checked documentation: every number, table and image the README and ``docs/``
quote comes from a *docs job* run on the current code.

- A job (one module in ``experiments/docs/jobs/``) runs commands a user would run (a run, a
  sweep, a design search, the calibration, the benchmark) and stores what the docs quote as
  ``docs/results/JOB.json``, with the images it made under ``docs/img/``. Each stored result
  records the **behaviour fingerprint** of the model that made it (a hash of the stored test
  baselines, ``tests/baselines/digests.json``, which move whenever the model's behaviour
  moves), the job's own source hash, the commands, the commit, the date, the machine and its
  load, and a hash of every image.
- The Markdown files hold `cogapp <https://cog.readthedocs.io>`_ blocks in HTML comments whose
  code renders the stored results (``experiments.docs.render`` and each job's ``render_*``
  functions); the text between the markers is generated.
- ``make docs`` (``python -m experiments.docs``) re-runs every job whose result is missing or
  stale (another behaviour fingerprint, the job's code or one of its ``DEPENDS`` inputs
  changed), then regenerates
  ``docs/parameters.md``/``policies.md``/``county_tables.md`` and every cog block.
- ``python -m experiments.docs --check`` (and ``tests/test_docs_current.py``, so the test
  command) checks in a second, without running the model, that every stored result was made
  by a model that behaves as the current one, that every image is the one its job made, that
  every quoted image has a job, and that every generated block matches its stored results;
  each problem names the command that fixes it.

Layering: this package is an entry point (the ``experiments`` layer); jobs run other entry
points as subprocesses, so a stored result says exactly which command made it.
"""
