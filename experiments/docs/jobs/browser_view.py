"""The browser view in a real browser: the README's screenshot and the time from a click on
Step until the page has redrawn.

The job does what a user does: ``python -m sim.viz.assets`` (as ``make viz``), then
``edusim-viz --port N`` on a port free on 127.0.0.1, and opens the page in Debian's Chromium
(``/usr/bin/chromium``, or ``EDUSIM_CHROMIUM``), driven through Playwright as
``tests/test_viz_browser.py`` does. The server is stopped by its own process (group) id
afterwards, also when something fails.

1. **Screenshot**: the default county with teacher rotation and school groups switched on
   (checked if they are not), Reset, five Steps, then the whole page at a desktop width
   (:data:`VIEWPORT`; the window is then made as tall as the page, whose sidebar and cards
   scroll inside it), stored as ``docs/img/browser_view.png``.
2. **Redraw time**, in a new session (a new tab: a model of its own): county ``county_l``
   with the same two policies (so the page also steps the same-seed baseline), Reset, then
   :data:`TIMED_STEPS` Steps. A step's page counts as **redrawn** when

   - the step counter ("Year: k") shows the new year, and
   - each of the six Vega-Lite charts (:data:`CHARTS`) has drawn the data the step produced:
     the page's chart widget (:mod:`sim.viz.vega_widget`) counts a draw on its element
     (``data-draws``) once ``view.runAsync()``, which includes drawing the chart, has
     finished after it put the new data in (or embedded the chart anew, counted in
     ``data-embeds``);

   and the page then stays quiet (no further chart drawn, no counter change) for
   :data:`SETTLE_MS`. The redraw time is from the Step button's click event to the last of
   these events, both taken in the page with ``performance.now()``, so Playwright's polling
   does not enter it. It includes the server's step, sending the charts' data and the
   browser drawing the charts. The job also records how many charts were embedded anew
   after a step (the widget keeps each chart's view while only its data change).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

TITLE = ("edusim-viz in headless Chromium: the README's screenshot after five years, and the "
         "redraw time after Step on county_l")

#: code and data besides the model that shape this job's output (stale when they change)
DEPENDS = [
    "sim/viz/*.py",
    "sim/viz/*.vue",
    "sim/labels.py",
]

#: Debian's Chromium (the browser-view test uses the same one and the same switches)
CHROMIUM = os.environ.get("EDUSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: the window the screenshot is taken in (assumption: a common desktop width; the whole page
#: is captured, so its height follows the page)
VIEWPORT = {"width": 1600, "height": 1000}
#: the charts of the page (their classes in ``sim.viz.components``), each drawn by Vega-Lite
CHARTS = ("edusim-map-plot", "edusim-school-plot", "edusim-equity-plot", "edusim-cv-plot",
          "edusim-quality-plot", "edusim-cost-plot")
#: what the screenshot shows
SHOT_COUNTY = "default"
SHOT_YEARS = 5
POLICIES = ("Teacher rotation", "School groups")  # the labels of their checkboxes
#: what the redraw time is measured on
TIMED_COUNTY = "county_l"
TIMED_STEPS = 10
#: quiet time after which a step's redraw counts as finished, once every chart has been drawn
#: (assumption: 1 s, several times the largest gap between two charts drawn after one step
#: seen while writing this job, ≈ 0.2 s on a loaded machine, so a second drawing of a chart
#: would still be caught and counted)
SETTLE_MS = 1000
#: the target for the browser view: redrawn within 0.3 s of a step (issue 20, item 4)
TARGET_S = 0.3
#: how long to wait for the page, a Reset or a step before giving up (assumption: generous
#: for a loaded 2-core machine; county_l takes seconds to build)
TIMEOUT_MS = 180_000

#: installed once per page: records the Step click, each chart's finished draws (and which
#: of them were embeds) and each change of the step counter, with performance.now()
_PROBE = """
() => {
  if (window.__edusim) return;
  const w = window.__edusim = {click: null, draws: [], embeds: [], years: [], label: null,
                               counter: null};
  const findCounter = () => [...document.querySelectorAll('*')].find(
      e => e.childElementCount === 0 && /^Year: /.test(e.textContent.trim()));
  const readCounter = () => {
    if (!w.counter || !w.counter.isConnected) w.counter = findCounter() || null;
    return w.counter ? w.counter.textContent.trim() : null;
  };
  w.label = readCounter();
  window.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('button');
    if (b && b.textContent.trim().toLowerCase() === 'step') w.click = performance.now();
  }, true);
  const chartOf = n => {
    const box = n.closest && n.closest('.edusim-chart');
    return box && [...box.classList].find(c => /^edusim-.*-plot$/.test(c));
  };
  new MutationObserver(records => {
    const now = performance.now();
    for (const r of records) {
      if (r.type !== 'attributes') continue;
      const cls = chartOf(r.target);
      if (!cls) continue;
      if (r.attributeName === 'data-draws') w.draws.push([cls, now]);
      if (r.attributeName === 'data-embeds') w.embeds.push([cls, now]);
    }
    const label = readCounter();
    if (label !== w.label) { w.label = label; w.years.push([label, now]); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true,
                             attributes: true, attributeFilter: ['data-draws', 'data-embeds']});
}
"""

#: every chart drawn at least once since the probe was (re)armed
_ALL_DRAWN = "charts => charts.every(c => window.__edusim.draws.some(d => d[0] === c))"


class _Failed(RuntimeError):
    pass


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 now (another process may still take it before the server
    binds it: :func:`_start_server` then starts again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listens(proc: subprocess.Popen, port: int) -> bool:
    """Whether ``proc`` itself (not some other server) listens on 127.0.0.1:``port``."""
    import psutil

    try:
        conns = psutil.Process(proc.pid).net_connections("tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.status == psutil.CONN_LISTEN and tuple(c.laddr) == ("127.0.0.1", port)
               for c in conns)


def stop(proc: subprocess.Popen) -> None:
    """Stop the server by its own process (group) id: SIGTERM, then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _start_server(log: Path, env: dict) -> tuple[subprocess.Popen, int]:
    """``edusim-viz --port N`` on a free port, once the process itself listens there and the
    page answers; started again on another port if that one was taken meanwhile."""
    for _ in range(3):
        port = _free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(["edusim-viz", "--port", str(port)], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while proc.poll() is None:
            if listens(proc, port):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                        if r.status == 200:
                            return proc, port
                except OSError:
                    pass
            if time.monotonic() > deadline:
                stop(proc)
                raise _Failed(f"edusim-viz did not answer on port {port}:\n{log.read_text()}")
            time.sleep(0.5)
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    raise _Failed(f"edusim-viz exited ({proc.returncode}):\n{log.read_text()}")


def _open(browser, url: str):
    """A new session (its own browser context, so its own model) showing the page with every
    chart drawn."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=TIMEOUT_MS)
    page.evaluate(_PROBE)
    for cls in CHARTS:  # drawn once (also a draw that finished before the probe)
        page.wait_for_selector(f"div.{cls} [data-draws]", timeout=TIMEOUT_MS, state="attached")
    return page


def _counter(page) -> str:
    return page.evaluate("() => window.__edusim.label")


def _arm(page) -> None:
    page.evaluate("() => { const w = window.__edusim; w.click = null; w.draws = []; "
                  "w.years = []; w.embeds = []; }")


def _settle(page) -> dict:
    """Wait until the page has been quiet for SETTLE_MS; returns the probe's record."""
    page.wait_for_function(
        "ms => { const w = window.__edusim; const last = Math.max(w.click || 0, "
        "...w.draws.map(d => d[1]), ...w.years.map(y => y[1])); "
        "return performance.now() - last >= ms; }", arg=SETTLE_MS, timeout=TIMEOUT_MS)
    return page.evaluate("() => { const w = window.__edusim; "
                         "return {click: w.click, draws: w.draws, embeds: w.embeds, "
                         "years: w.years, label: w.label}; }")


def _reset(page, county: str) -> None:
    """Choose the county (if another is shown), make sure both policies are on, Reset, and
    wait until the new run is drawn at year 0 and the page is quiet (a Reset to the run
    already shown at year 0 changes no chart: nothing to wait for then)."""
    select = page.locator(".v-select").filter(has_text="County").first
    changed = county not in select.inner_text()
    if changed:
        select.click()
        page.get_by_role("option", name=county, exact=True).click()
        page.keyboard.press("Escape")
    for label in POLICIES:
        box = page.get_by_role("checkbox", name=label)
        if not box.is_checked():
            box.check()
            changed = True
    _arm(page)
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("text => document.body.innerText.includes(text)",
                           arg=f"Running: {county} county, seed 1, year 0;", timeout=TIMEOUT_MS)
    if changed:  # the map always changes then (a chart whose data stay equal is not redrawn)
        page.wait_for_function(_ALL_DRAWN, arg=[CHARTS[0]], timeout=TIMEOUT_MS)
    _settle(page)
    if _counter(page) != "Year: 0":
        raise _Failed(f"after Reset the counter shows {_counter(page)!r}, not year 0")


def _step(page, year: int) -> tuple[float, float, dict, dict, int]:
    """Click Step once; returns (seconds from the click until redrawn, seconds until the
    step counter showed the new year, draws per chart, seconds until each chart's last
    draw, charts embedded anew)."""
    _arm(page)
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(
        f"([charts, k]) => window.__edusim.label === `Year: ${{k}}` && "
        f"({_ALL_DRAWN})(charts)", arg=[list(CHARTS), year], timeout=TIMEOUT_MS)
    rec = _settle(page)
    if rec["click"] is None:
        raise _Failed("the click on Step was not seen by the page")
    last = max([t for _, t in rec["draws"]] + [t for _, t in rec["years"]])
    counter = min(t for label, t in rec["years"] if label == f"Year: {year}")
    counts = {cls: sum(1 for c, _ in rec["draws"] if c == cls) for cls in CHARTS}
    drawn = {cls: (max(t for c, t in rec["draws"] if c == cls) - rec["click"]) / 1000
             for cls in CHARTS}
    return ((last - rec["click"]) / 1000, (counter - rec["click"]) / 1000, counts, drawn,
            len(rec["embeds"]))


def _summary(page) -> str:
    """The page's line on what the shown run uses ("Running: default county, ...")."""
    text = page.locator("p", has_text="Running:").first.inner_text()
    return " ".join(text.split())


#: how far the page's own scrolling boxes (the sidebar, the cards' column) reach beyond the
#: window; element-resize-detector's hidden helper boxes do not count
_OVERFLOW = """
() => Math.max(0, ...[...document.querySelectorAll('*')].filter(e =>
    ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)
    && !e.closest('.erd_scroll_detection_container')).map(e => e.scrollHeight - e.clientHeight))
"""


def _fit_height(page) -> int:
    """Make the window tall enough that nothing of the page scrolls (its boxes scroll inside
    the window, so a full-page screenshot alone would cut them off); returns the height."""
    height = VIEWPORT["height"]
    for _ in range(4):
        extra = page.evaluate(_OVERFLOW)
        if extra <= 1:
            break
        height += extra
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_timeout(SETTLE_MS)
    return height


def drive(url: str, shot: Path) -> dict:
    """Take the screenshot and time the steps on the page at ``url``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = _open(browser, url)
            _reset(page, SHOT_COUNTY)
            for k in range(1, SHOT_YEARS + 1):
                _step(page, k)
            page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover highlight in the picture
            shown = _summary(page)
            slider = page.get_by_text("share / year: ", exact=False).first.inner_text()
            height = _fit_height(page)
            _settle(page)
            page.screenshot(path=str(shot), full_page=True)
            page.context.close()

            page = _open(browser, url)
            _reset(page, TIMED_COUNTY)
            times, counters, redraws, drawn = [], [], [], {cls: [] for cls in CHARTS}
            embeds = 0
            for k in range(1, TIMED_STEPS + 1):
                seconds, counter, counts, at, anew = _step(page, k)
                embeds += anew
                times.append(round(seconds, 3))
                counters.append(round(counter, 3))
                redraws.append(counts)
                for cls in CHARTS:
                    drawn[cls].append(at[cls])
            timed = _summary(page)
            page.context.close()
        finally:
            browser.close()
    return {"shown": shown, "slider_label": slider, "height": height, "times": times,
            "counters": counters, "redraws": redraws, "embeds": embeds, "timed": timed,
            "drawn": {cls: round(statistics.median(v), 3) for cls, v in drawn.items()}}


def run(ctx) -> dict:
    from playwright.sync_api import Error as PlaywrightError

    from experiments.docs.jobs import JobFailed

    if not Path(CHROMIUM).exists():
        raise JobFailed(f"docs job {ctx.name}: Chromium not found at {CHROMIUM} (install "
                        "Debian's chromium, or set EDUSIM_CHROMIUM)")
    ctx.sh("python", "-m", "sim.viz.assets")
    env = {**os.environ,
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    log = ctx.scratch / "server.log"
    proc = None
    try:
        proc, port = _start_server(log, env)
        ctx.commands.append(f"edusim-viz --port {port}")
        shot = ctx.scratch / "browser_view.png"
        got = drive(f"http://127.0.0.1:{port}/", shot)
    except (_Failed, PlaywrightError) as err:
        raise JobFailed(f"docs job {ctx.name}: {err}\nserver log:\n"
                        f"{log.read_text(errors='replace')[-3000:] if log.exists() else ''}"
                        ) from None
    finally:
        if proc is not None:
            stop(proc)
    text = log.read_text(errors="replace")
    if "Traceback" in text:
        raise JobFailed(f"docs job {ctx.name}: the server logged an error:\n{text[-3000:]}")
    ctx.image(shot, "browser_view.png")
    times = got["times"]
    return {
        "screenshot": {"county": SHOT_COUNTY, "years": SHOT_YEARS,
                       "width_px": VIEWPORT["width"], "height_px": got["height"],
                       "summary": got["shown"],
                       "slider_label": got["slider_label"]},
        "redraw": {"county": TIMED_COUNTY, "steps": TIMED_STEPS, "summary": got["timed"],
                   "times_s": times, "median_s": round(statistics.median(times), 3),
                   "max_s": max(times), "target_s": TARGET_S, "settle_ms": SETTLE_MS,
                   "counter_times_s": got["counters"],
                   "counter_median_s": round(statistics.median(got["counters"]), 3),
                   "chart_drawn_median_s": got["drawn"],
                   "charts": len(CHARTS),
                   "charts_drawn_twice": sum(1 for c in got["redraws"]
                                             for n in c.values() if n > 1),
                   "charts_embedded_anew": got["embeds"]},
    }


def _run_parts(summary: str) -> tuple[str, list[str]]:
    """("default county, seed 1, year 5", ["school groups and pairing (coverage 0.8)",
    "teacher rotation (rate 0.1)"]) from the page's line "Running: default county, seed 1,
    year 5; policies: school groups and pairing (coverage 0.8), teacher rotation (rate 0.1).
    Change the controls ..." (a registry name's underscores read as spaces)."""
    body = summary.split("Running:", 1)[1].split(". Change the controls", 1)[0].strip()
    run, _, policies = body.partition("; policies: ")
    parts = [p if p.endswith(")") else p + ")" for p in policies.strip().split("), ")]
    return run.strip(), [p.split(" (")[0].replace("_", " ") + " (" + p.split(" (", 1)[1]
                         for p in parts]


def _and(words: list[str]) -> str:
    return (", ".join(words[:-1]) + " and " if len(words) > 1 else "") + words[-1]


def _run_words(summary: str) -> tuple[str, str]:
    """The run and its policies in words (:func:`_run_parts`), the policies joined with
    "and"."""
    run, parts = _run_parts(summary)
    return run, _and(parts)


def _number(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten")[n] if 0 <= n <= 10 else str(n)


def render_readme_screenshot() -> str:
    """The README's screenshot with its caption: what the picture shows, as the page said."""
    from experiments.docs.render import get

    shot = get("browser_view", "screenshot")
    run, parts = _run_parts(shot["summary"])
    policies = _and(parts)
    names = _and([p.split(" (")[0] for p in parts])
    years = _number(shot["years"])
    return (f"![the browser view: map, school panel and charts after {years} years with "
            f"{names}](docs/img/browser_view.png)\n\n"
            f"*The page after Reset and {years} Steps: {run}, with {policies}; a "
            f"{shot['width_px']} × {shot['height_px']}-px window of headless Chromium.*\n")


def render_readme_redraw() -> str:
    """The README's paragraph on how fast the page follows a step, in the browser."""
    from experiments.docs.render import get, measured_on

    r = get("browser_view", "redraw")
    run, policies = _run_words(r["summary"])
    county = run.split(" county", 1)[0]
    target = r["target_s"]
    if r["max_s"] <= target:
        verdict = f"Every step met the target of a redraw within {target:g} s."
    elif r["median_s"] <= target:
        verdict = (f"The median meets the target of a redraw within {target:g} s; the "
                   "slowest step does not.")
    else:
        verdict = f"This misses the target of a redraw within {target:g} s of a step."
    embeds = r.get("charts_embedded_anew")
    if embeds == 0:
        anew = (", each in the view it keeps (no chart was embedded anew after a step: only "
                "the data changed)")
    elif embeds is None:
        anew = ""
    else:
        anew = (f" ({_number(embeds)} times a chart was embedded anew after one of these "
                "steps)")
    text = (
        f"How fast the page follows a step, in the browser: on `{county}` with {policies} "
        f"switched on, which makes the page step the same-seed baseline too (a year ahead, "
        f"after each redraw), it was redrawn a "
        f"median "
        f"{r['median_s']:.2f} s and at most {r['max_s']:.2f} s after Step was clicked, over "
        f"{_number(r['steps'])} steps in headless Chromium {measured_on('browser_view')}. "
        f"Redrawn means: the step counter shows the new year, and each of the "
        f"{_number(r['charts'])} charts has drawn the step's data. The step counter "
        f"alone changed after a median {r['counter_median_s']:.2f} s (the server's step and "
        f"its first update reaching the page); the rest is the charts' data arriving and the "
        f"browser drawing them{anew}. "
        f"{verdict} `make docs JOBS=browser_view` measures it again "
        f"(`experiments/docs/jobs/browser_view.py` defines the moment).")
    return textwrap.fill(text, width=95, break_on_hyphens=False,
                         break_long_words=False) + "\n"
