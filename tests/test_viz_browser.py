"""The browser view in a real browser: the page served by ``edusim-viz`` on 127.0.0.1,
driven with Playwright in Debian's Chromium (``make test`` installs both)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from experiments.docs.jobs.browser_view import CHROMIUM, CHROMIUM_ARGS, listens, stop

pytestmark = pytest.mark.slow

CHARTS = ("edusim-map-plot", "edusim-school-plot", "edusim-equity-plot", "edusim-cv-plot",
          "edusim-quality-plot", "edusim-cost-plot")  # Vega-Lite, drawn by the browser


def _start_server(log: Path) -> tuple[subprocess.Popen, str]:
    """``edusim-viz`` on a port free now: (process, url) once the process itself listens
    there and the page answers, or with the process exited (its log says why)."""
    from tests.conftest import free_ports

    port = free_ports()[0]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.viz.cli", "--port", str(port), "--log-level", "info"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while proc.poll() is None:
        if listens(proc, port):
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
        if time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"edusim-viz did not answer on {url}:\n{log.read_text()}")
        time.sleep(0.5)
    return proc, url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``edusim-viz`` on a free loopback port (another one if a parallel process took that
    port first); stopped by its own process (group) id."""
    log = tmp_path_factory.mktemp("viz") / "server.log"
    for _ in range(3):
        proc, url = _start_server(log)
        if proc.returncode is None:
            break
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    if proc.returncode is not None:
        pytest.fail(f"edusim-viz exited ({proc.returncode}):\n{log.read_text()}")
    try:
        yield url, log
    finally:
        stop(proc)


def test_server_listens_on_loopback_only(server):
    url, _ = server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    # the page is reachable on 127.0.0.1 ...
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    # ... and the listening socket is bound to 127.0.0.1, not to every address
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        assert all(line.split()[3].startswith("127.0.0.1:") for line in out.stdout.splitlines())


def _step_counter(page) -> float:
    text = page.get_by_text(re.compile(r"^Year: ")).inner_text()
    return float(text.split(":", 1)[1])


#: the picture vega drew in a chart (its canvas), as a data URL ('' before it is drawn)
_CHART_PICTURE = "cls => { const c = document.querySelector(`div.${cls} canvas`); " \
                 "return c && c.width > 100 ? c.toDataURL() : ''; }"


#: how often the page's chart widget (sim/viz/vega_widget.py) embedded and drew a chart
_CHART_COUNTS = "cls => { const e = document.querySelector(`div.${cls} [data-draws]`); " \
                "return e ? {embeds: +e.dataset.embeds, draws: +e.dataset.draws} " \
                ": {embeds: 0, draws: 0}; }"
#: the last year in the data a time chart's view holds (its first named dataset)
_LAST_YEAR = "cls => { const v = document.querySelector(`div.${cls} .edusim-vega`).edusimView;" \
             " return Math.max(...v.data('edusim_data_0').map(r => r.year)); }"


def _wait_counter(page, k: float) -> None:
    page.wait_for_function(
        "k => [...document.querySelectorAll('*')].some("
        "e => e.childElementCount === 0 && e.textContent.trim() === `Year: ${k}`)",
        arg=k, timeout=120_000)


def test_page_renders_steps_plays_and_pauses(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, log = server
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (make test installs it)"
    shot = tmp_path / "browser_view.png"
    other_shot = tmp_path / "other_session.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # two sessions at once (separate browser contexts: separate cookies, as two users)
            page = browser.new_context(viewport={"width": 1600, "height": 2000}).new_page()
            other = browser.new_context(viewport={"width": 1600, "height": 1200}).new_page()
            page.goto(url)
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=120_000)
            # every component rendered: its card and its chart, drawn by vega
            for title in ("County map", "School panel", "Equity",
                          "Official difference coefficients", "Quality", "Policy cost"):
                page.get_by_text(title, exact=True).first.wait_for(timeout=60_000)
            for cls in CHARTS:  # vega (from the local assets) drew each chart's marks
                page.wait_for_function(f"cls => ({_CHART_PICTURE})(cls).length > 5000", arg=cls,
                                       timeout=60_000)
            assert page.get_by_text("Teacher rotation").first.is_visible()
            assert _step_counter(page) == 0.0
            # each slider shows its value (the seed and the policies' intensities)
            assert page.get_by_text("Seed: 1", exact=True).is_visible()
            assert page.get_by_text(re.compile(r"^share / year: 0\.\d\d$")).is_visible()
            # no banner over the cards
            assert not page.get_by_text("This website runs on").is_visible()
            # the model a screenshot shows, as every run's summary.json records it
            from sim.terminal import version_line

            assert page.get_by_text(version_line("edusim"), exact=True).is_visible()

            before = {cls: page.evaluate(_CHART_PICTURE, cls)
                      for cls in ("edusim-equity-plot", "edusim-map-plot")}
            counts = {cls: page.evaluate(_CHART_COUNTS, cls) for cls in CHARTS}
            assert all(c["embeds"] >= 1 and c["draws"] >= 1 for c in counts.values()), counts
            assert page.evaluate(_LAST_YEAR, "edusim-equity-plot") == 0
            for k in range(1, 4):
                step.click()
                _wait_counter(page, k)
            assert _step_counter(page) == 3.0
            # each chart drew the steps' data in the view it kept: drawn again, not embedded
            # anew, and the equity chart's data now reach year 3
            for cls in CHARTS:
                page.wait_for_function(
                    f"([cls, n]) => ({_CHART_COUNTS})(cls).draws >= n", arg=[cls,
                    counts[cls]["draws"] + 1], timeout=60_000)
                now = page.evaluate(_CHART_COUNTS, cls)
                assert now["embeds"] == counts[cls]["embeds"], (cls, counts[cls], now)
            page.wait_for_function(f"cls => ({_LAST_YEAR})(cls) === 3",
                                   arg="edusim-equity-plot", timeout=60_000)
            for cls, old in before.items():  # redrawn with the new years
                page.wait_for_function(
                    f"([cls, old]) => {{ const now = ({_CHART_PICTURE})(cls); "
                    "return now.length > 5000 && now !== old; }",
                    arg=[cls, old], timeout=60_000)

            # a second session opened now starts at year 0 with its own model, and stepping
            # it leaves the first where it was
            other.goto(url)
            other.get_by_role("button", name="Step").wait_for(timeout=120_000)
            assert _step_counter(other) == 0.0
            other.get_by_role("button", name="Step").click()
            _wait_counter(other, 1)
            other.wait_for_timeout(1000)
            assert _step_counter(page) == 3.0 and _step_counter(other) == 1.0

            # Play runs on by itself; Pause stops it
            page.get_by_role("button", name="▶").click()
            page.wait_for_function(
                "() => { const t = [...document.querySelectorAll('*')].find("
                "e => e.childElementCount === 0 && /^Year: /.test(e.textContent.trim()));"
                " return t && parseFloat(t.textContent.split(':')[1]) >= 5; }",
                timeout=120_000)
            page.get_by_role("button", name="❚❚").click()
            at_click = _step_counter(page)
            page.get_by_role("button", name="▶").wait_for(timeout=60_000)
            # a step already under way when Pause was pressed may still finish: one year at
            # most; then the counter holds
            page.wait_for_timeout(3000)
            paused = _step_counter(page)
            assert at_click <= paused <= at_click + 1, (at_click, paused)
            page.wait_for_timeout(2000)
            assert _step_counter(page) == paused
            assert _step_counter(other) == 1.0  # the other session did not play
            page.wait_for_timeout(1000)  # let the last images arrive
            page.screenshot(path=str(shot), full_page=True)
            other.screenshot(path=str(other_shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 50_000
    print(f"screenshots: {shot} {other_shot}")
    text = log.read_text(errors="replace")
    assert "Could not load URL" not in text, "a front-end asset was fetched from a CDN"
    assert "Traceback" not in text, text
