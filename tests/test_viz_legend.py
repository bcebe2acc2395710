"""The map's colour legend title is drawn in short lines (so map, legend and the chart's menu
fit the map's card), and says the same as the measure's label."""

from __future__ import annotations

import pytest

from sim.viz import data, specs


def test_legend_lines_keep_every_word_and_stay_short():
    for label, _, _ in data.MAP_MEASURES.values():
        lines = specs.legend_lines(label)
        assert " ".join(lines) == " ".join(label.split())
        assert all(len(line) <= specs.LEGEND_LINE_CHARS or " " not in line for line in lines)
        # greedy: no line could have taken the next line's first word
        for a, b in zip(lines, lines[1:], strict=False):
            assert len(a) + 1 + len(b.split()[0]) > specs.LEGEND_LINE_CHARS
    assert specs.legend_lines("x" * 30) == ["x" * 30]  # a long word stays whole
    assert specs.legend_lines("") == []


@pytest.mark.parametrize("measure", ["mean_achievement", "teacher_effectiveness"])
def test_map_legend_title_is_the_label_in_lines(measure):
    from sim.model import EducationModel

    m = EducationModel(region="tiny", rng=1, policies={"teacher_rotation": {}})
    m.step()
    spec = specs.county_map_spec(data.school_frame(m), measure, data.group_links(m),
                                 data.rotation_flows(m), m.year)
    colour = next(layer for layer in spec["layer"] if "color" in layer.get("encoding", {}))
    legend = colour["encoding"]["color"]["legend"]
    label = data.MAP_MEASURES[measure][0]
    assert legend["title"] == specs.legend_lines(label) and len(legend["title"]) >= 2
    assert colour["encoding"]["color"]["title"] == label  # the tooltip keeps the full label
