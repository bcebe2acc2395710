"""The optional ``key_school`` column of a county's school table: a loaded county takes its
key schools from it (instead of drawing them), a table without it loads as before, the
official tests ignore it, and a bad value is one clear problem (exit 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import EducationModel, evaluation
from sim.county_table import CHINESE_HEADERS, CountyTableError, load_county_table, main
from tests.conftest import run_in_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "county_schools.csv"


def _drawn() -> EducationModel:
    """The example county without the column: key schools drawn (the unchanged path)."""
    return EducationModel(rng=1, region__path=str(EXAMPLE))


def _with_flags(path: Path, flags_by_code: dict[str, int], *, chinese: bool = False) -> Path:
    """The example table with a key_school column (one value per school, on each row)."""
    df = pd.read_csv(EXAMPLE)
    df["key_school"] = [flags_by_code[str(s)] for s in df["school_id"]]
    if chinese:
        df = df.rename(columns={"key_school": CHINESE_HEADERS["key_school"]})
    df.to_csv(path, index=False)
    return path


def _flip_of_drawn(drawn: EducationModel) -> dict[str, int]:
    """Flags opposite to the drawn ones, so that taking them from the table is visible."""
    return {c: int(not k) for c, k in zip(drawn.school_codes, drawn.schools.key_school,
                                          strict=True)}


def test_a_loaded_county_takes_its_key_schools_from_the_table(tmp_path):
    drawn = _drawn()
    flags = _flip_of_drawn(drawn)
    path = _with_flags(tmp_path / "key.csv", flags, chinese=True)
    model = EducationModel(rng=1, region__path=str(path))
    expected = np.array([bool(flags[c]) for c in model.school_codes])
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(model.schools.key_school, expected)
    # the school-effect draws do not move: only the key part of the effect differs
    np.testing.assert_array_equal(model.schools.school_effect_persistent,
                                  drawn.schools.school_effect_persistent)
    key_effect = model.cfg.school_effects.key_effect
    np.testing.assert_allclose(
        model.schools.school_effect - drawn.schools.school_effect,
        key_effect * (expected.astype(float) - drawn.schools.key_school.astype(float)))
    notes = " ".join(model.synthesis_notes)
    assert f"key schools from the table's key_school column ({int(expected.sum())} of " in notes
    assert "drawn with school_effects.key_share" not in notes
    # a nine-year school (two rows) is one key school or not
    nine = pd.read_csv(EXAMPLE).groupby("school_id")["level"].nunique()
    assert (nine == 2).any()
    model.run(2)


def test_without_the_column_key_schools_are_drawn_as_before():
    model = _drawn()
    notes = " ".join(model.synthesis_notes)
    assert ("school effects and key schools synthesised (the table has no key_school column): "
            f"{int(model.schools.key_school.sum())} key schools drawn with "
            "school_effects.key_share") in notes
    assert "key_school" not in load_county_table(EXAMPLE).schools.columns


def test_the_loaded_table_holds_the_flags_and_the_official_tests_ignore_them(tmp_path):
    codes = [str(s) for s in pd.read_csv(EXAMPLE)["school_id"].unique()]
    flags = {c: int(k % 3 == 0) for k, c in enumerate(codes)}
    path = _with_flags(tmp_path / "key.csv", flags)
    table = load_county_table(path).schools
    assert table["key_school"].dtype == bool
    assert list(table["key_school"]) == [bool(flags[str(s)]) for s in table["school_id"]]
    plain = evaluation.load_school_table(EXAMPLE)
    flagged = evaluation.load_school_table(path)
    for level in ("primary", "junior"):
        for standard in ("quality", "basic"):
            a = evaluation.evaluate(plain, level, standard)
            b = evaluation.evaluate(flagged, level, standard)
            assert (a.passed, a.cv) == (b.passed, b.cv)


def test_check_county_counts_the_key_schools(tmp_path, capsys):
    codes = [str(s) for s in pd.read_csv(EXAMPLE)["school_id"].unique()]
    flags = {c: int(k < 4) for k, c in enumerate(codes)}
    path = _with_flags(tmp_path / "key.csv", flags)
    assert main([str(path)]) == 0
    assert f"key schools: 4 of {len(codes)} (key_school column" in capsys.readouterr().out
    assert main([str(EXAMPLE)]) == 0
    assert "key schools" not in capsys.readouterr().out


@pytest.mark.parametrize("value,got", [("yes", "'yes'"), ("是", "'是'"), ("2", "'2'"),
                                       ("0.5", "'0.5'"), ("", "an empty cell")])
def test_a_bad_value_names_the_row_column_and_allowed_values(tmp_path, value, got):
    df = pd.read_csv(EXAMPLE, dtype={"school_id": str})
    df["key_school"] = "0"
    df.loc[3, "key_school"] = value
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert len(exc.value.problems) == 1
    assert (f"line 5, column 'key_school' (school_id {df.loc[3, 'school_id']}): must be 0 (not "
            f"a key school) or 1 (a key school, 重点/名校); got {got}") in str(exc.value)


def test_the_rows_of_a_nine_year_school_must_agree(tmp_path):
    df = pd.read_csv(EXAMPLE, dtype={"school_id": str})
    df["key_school"] = 0
    rows = np.flatnonzero(df["school_id"].duplicated(keep=False))
    first, second = rows[0], next(r for r in rows[1:]
                                  if df.at[r, "school_id"] == df.at[rows[0], "school_id"])
    df.loc[second, "key_school"] = 1
    path = tmp_path / "nine.csv"
    df.to_csv(path, index=False)
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert (f"line {second + 2}, column 'key_school' (school_id {df.at[first, 'school_id']}): "
            f"1 differs from 0 given for the same school_id on line {first + 2}") in str(exc.value)


def test_edusim_reports_a_bad_value_with_exit_2_and_writes_nothing(tmp_path):
    from experiments.run import main as edusim

    df = pd.read_csv(EXAMPLE)
    df["key_school"] = "1"
    df.loc[0, "key_school"] = "true"
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    run_dir = tmp_path / "outputs" / "run"
    code, _, err = run_in_process(edusim, "edusim", "region=file", f"region.path={path}",
                                  "years=1", "figures=false", "progress=false",
                                  f"hydra.run.dir={run_dir}")
    assert code == 2, err
    assert ("line 2, column 'key_school' (school_id P01): must be 0 (not a key school) or 1 "
            "(a key school, 重点/名校); got 'true'") in err
    assert "Traceback" not in err and "nothing was written" in err
    assert not (tmp_path / "outputs").exists()
