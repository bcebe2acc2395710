"""Which model made a result: the **behaviour fingerprint** of this version of edusim.

The fingerprint is a short hash of the digests of the stored fixed-seed baselines
(``tests/baselines/digests.json``: eight runs covering the built-in counties, a county table,
no policy and every policy). Any change of the model that moves one of those runs gives a new
fingerprint (``make baselines`` writes the new value into :data:`BEHAVIOUR`, and
``tests/test_baselines.py`` fails while the two disagree); a refactor, a new command or a
change of the docs leaves it as it is. Every run records it (``summary.json``: ``edusim``), and
everything that reuses finished work compares it: a sweep resumed into the same folder, a
policy-design study, an uncertainty or sensitivity analysis, the aggregation of a sweep. So a
result never combines runs of two versions of the model without saying so.

A change that moves none of the eight runs (for example a policy option that is off in all of
them) keeps the fingerprint; the package's version (:data:`VERSION`) is recorded beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BEHAVIOUR", "VERSION", "another_model", "fingerprint", "recorded_behaviour", "stamp"]

#: the package's version (``sim.__version__``; ``pyproject.toml`` gives the same, which
#: tests/test_provenance.py checks)
VERSION = "0.1.0"

#: the behaviour fingerprint of this version (written by ``make baselines``; see above)
BEHAVIOUR = "91eaa813110863b7"


def fingerprint(digests: Mapping[str, str]) -> str:
    """The behaviour fingerprint of the stored baselines' ``digests`` (case → SHA-256 of its
    run): the first 16 hex digits of the SHA-256 of their canonical JSON."""
    import hashlib
    import json

    text = json.dumps(dict(digests), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def stamp() -> dict[str, str]:
    """What a result records about the model that made it (``summary.json``: ``edusim``)."""
    return {"version": VERSION, "behaviour": BEHAVIOUR}


def recorded_behaviour(record: object) -> str | None:
    """The behaviour fingerprint that a stored ``record`` names as its model's (the
    ``edusim`` entry that :func:`stamp` made, in a run's summary.json, an analysis's
    analysis.json or a design trial); None when it names none (work made before the entry
    existed, or not a record at all)."""
    from collections.abc import Mapping

    made_by = record.get("edusim") if isinstance(record, Mapping) else None
    behaviour = made_by.get("behaviour") if isinstance(made_by, Mapping) else None
    return behaviour if isinstance(behaviour, str) else None


def another_model(recorded: object) -> str | None:
    """None when ``recorded`` (the behaviour fingerprint stored with earlier work; None when
    that work did not record one) is this version's; otherwise the words an error message
    uses for it: ``"another version of the model (behaviour …, now …)"``."""
    if recorded == BEHAVIOUR:
        return None
    return (f"another version of the model (behaviour {recorded or 'not recorded'}, "
            f"now {BEHAVIOUR})")
