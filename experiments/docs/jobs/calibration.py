"""The pattern checks of docs/calibration.md (§1–3 and the summary) and the README's evidence
section, as ``python -m experiments.calibration`` makes them.

The job runs the command into its scratch directory, copies its three figures to
``docs/img/calibration/`` and stores the experiments' results. The published figures and
the verdicts' tolerances below are what :mod:`experiments.docs.jobs._calibration_text`
compares the stored values with when it renders docs/calibration.md (also §5, from the
``sensitivity`` job's values) and the README section "Evidence behind the defaults".
"""

from __future__ import annotations

import json

from experiments.docs.store import rounded

TITLE = "Pattern checks against published figures (docs/calibration.md §1-3, README)"

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "experiments/calibration/*.py",
]

COMMAND = ["python", "-m", "experiments.calibration"]
FIGURES = ("transfer.png", "gap_closing.png", "stylised.png")

# ---- the published figures (inputs, with their sources) ------------------------------------

#: Talent Transfer Initiative, Glazerman et al. 2013 (DOMAIN.md §5): receiving elementary
#: (primary) classrooms gained +0.10 to +0.25 SD a year; middle-school (junior) classrooms
#: about nothing; about 90% of movers stayed through the two bonus years, about 60% a third.
TTI_GAIN_PRIMARY_SD = (0.10, 0.25)
TTI_GAIN_JUNIOR_SD = 0.0
TTI_STAYED = {2: 0.90, 3: 0.60}
#: Goldhaber et al. 2023: equalising hiring and mobility closes the teacher-quality gap within
#: about 5 years, hiring alone within about 10; attrition alone barely closes it.
GAP_YEARS_PUBLISHED = {"hiring_mobility": 5, "hiring": 10}
#: doc 002: rural teacher attrition fell to 5% (「教师流失率下降至5%的历史低位」) after the
#: allowance (+50%) and staff housing (80% coverage).
RURAL_ATTRITION_AFTER = 0.05
#: doc 002: the member–lead gap of school groups narrowed by 12 points (「成员校平均分差缩小
#: 12分」), on a scale the document does not give.
GROUPS_NARROWING_POINTS = 12.0

# ---- tolerances of the verdicts (assumptions, each with its reason) ------------------------

#: "about 90%", "about 60%": published shares rounded to 10 points, so a model share within
#: ±5 points agrees (assumption: the rounding of the published figure).
SHARE_TOLERANCE = 0.05
#: "5%": given to the whole percent, so ±0.5 points agrees (assumption: the rounding).
ATTRITION_TOLERANCE = 0.005
#: "within about N years": the model agrees if it closes the gap within 1.5 N years
#: (assumption: "about" read generously; slower than that is reported as N× slower).
YEARS_FACTOR = 1.5
#: "barely closes it": at most a quarter of the gap closed by the end of the run
#: (assumption: the paper gives no number).
BARELY = 0.25
#: the scales on which doc 002's 12 points may be measured (assumptions: quality-monitoring
#: scores are commonly scaled to mean 500 and SD 100; a 100-point school exam has an SD of
#: about 15 points)
MONITORING_SD_POINTS = 100.0
EXAM_SD_POINTS = 15.0


# ---- the job -------------------------------------------------------------------------------

def run(ctx) -> dict:
    from experiments.calibration import transfer

    out = ctx.scratch / "calibration"
    ctx.sh(*COMMAND, "--out", str(out), label="pattern checks")
    for name in FIGURES:
        ctx.image(out / "img" / "calibration" / name, f"calibration/{name}")
    results = json.loads((out / "calibration_results.json").read_text(encoding="utf-8"))
    published = transfer.PUBLISHED
    if (tuple(published["gain_primary_sd"]) != TTI_GAIN_PRIMARY_SD
            or published["stayed_2_years"] != TTI_STAYED[2]
            or published["stayed_3_years"] != TTI_STAYED[3]):
        raise RuntimeError("calibration job: the published TTI figures of "
                           "experiments/calibration/transfer.py and of this job differ")
    results["transfer"].pop("published", None)
    for arm in results["gap_closing"]["arms"].values():
        arm.pop("years_to_close_per_seed", None)
    results["command"] = " ".join(COMMAND)
    return rounded(results, 5)
