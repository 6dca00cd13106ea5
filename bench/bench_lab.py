"""Lab with many tasks: the sidebar and the main-area board in Chromium with 100, 1,000 and
10,000 tasks seeded in the store before the server starts.

For each size it prints: how long the start-up load takes (page opened -> every task in the
model), how long the panel and the board take to show their first cards once asked for, how
long a task created over REST takes to show, the longest task the page ran (Long Tasks API)
and how many there were over 50 ms after start-up, and the DOM nodes in the panel and board.
Goals at 10,000: panel and board <= 1 s, an event <= 100 ms, no long task over 50 ms, a few
thousand DOM nodes at most. A benchmark, not a test: it reports, it does not assert.

    python -m bench.bench_lab [--sizes 100,1000,10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e.browsers import CHROMIUM_ARGS, require_chromium
from tests.e2e.conftest import make_isolated_env
from tests.e2e.lab import LabServer

from .report import table
from .seed import seed

SIZES = (100, 1_000, 10_000)

LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    window.__longTasks.push({start: entry.startTime, duration: entry.duration});
  }
}).observe({type: 'longtask', buffered: true});
"""

# Sets window.__appears: a promise of Date.now() once an element matching `selector` with
# `text` is in the DOM (not awaited here, so the task can be created after it is set).
APPEARS = """
([selector, text]) => { window.__appears = new Promise(resolve => {
  const found = () => [...document.querySelectorAll(selector)]
    .some(node => node.textContent.includes(text));
  if (found()) { resolve(Date.now()); return; }
  const observer = new MutationObserver(() => {
    if (found()) { observer.disconnect(); resolve(Date.now()); }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}); }
"""


def nodes(page: Any, selector: str) -> int:
    return page.evaluate(
        "s => document.querySelector(s)?.getElementsByTagName('*').length ?? 0", selector
    )


def measure(browser: Any, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"maestro-bench-lab-{size}-") as tmp:
        root = Path(tmp)
        env = make_isolated_env(root)
        seed(Path(env["MAESTRO_HOME"]) / "maestro.db", size)
        server = LabServer(root, env)
        server.start()
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.add_init_script(LONG_TASKS)
            opened = time.monotonic()
            page.goto(server.lab_url("bench"))
            page.click('.jp-SideBar .lm-TabBar-tab[data-id="maestro-panel"]', timeout=120_000)
            page.wait_for_selector(".maestro-Connection.maestro-mod-live", timeout=120_000)
            page.wait_for_function(
                "() => window.jupyterapp.commands.hasCommand('maestro:open-board')"
            )
            # The start-up load is done when the model holds every task: the board's column
            # counts (every column header is always rendered) add up to them.
            page.evaluate(
                "() => window.jupyterapp.commands.execute('maestro:open-board').then(() => null)"
            )
            page.wait_for_function(
                "n => [...document.querySelectorAll('#maestro-board .maestro-Column:not("
                ".maestro-SessionColumn) .maestro-ColumnHeader .maestro-Count')]"
                ".reduce((sum, c) => sum + Number(c.textContent), 0) >= n",
                arg=size,
                timeout=300_000,
            )
            load_s = time.monotonic() - opened
            close = (
                "#jp-main-dock-panel .lm-TabBar-tab:has-text('Maestro board')"
                " .lm-TabBar-tabCloseIcon"
            )
            page.click(close)
            page.wait_for_selector("#maestro-board", state="detached")
            page.click('.jp-SideBar .lm-TabBar-tab[data-id="filebrowser"]')
            page.wait_for_timeout(500)
            settled = page.evaluate("performance.now()")

            started = time.monotonic()
            page.click('.jp-SideBar .lm-TabBar-tab[data-id="maestro-panel"]')
            page.wait_for_selector("#maestro-panel .maestro-Task")
            panel_s = time.monotonic() - started
            panel_nodes = nodes(page, "#maestro-panel")

            started = time.monotonic()
            page.evaluate(
                "() => window.jupyterapp.commands.execute('maestro:open-board').then(() => null)"
            )
            page.wait_for_selector("#maestro-board .maestro-BoardCard")
            board_s = time.monotonic() - started
            board_nodes = nodes(page, "#maestro-board")

            # An urgent task sorts to the top of the board's To do column.
            title = f"bench event {size}"
            page.evaluate(APPEARS, ["#maestro-board .maestro-BoardCard", title])
            sent = time.time() * 1000
            server.api("POST", "tasks", {"title": title, "priority": "urgent"})
            event_ms = page.evaluate("window.__appears") - sent
            page.wait_for_timeout(300)
            long_tasks = page.evaluate("window.__longTasks")
        finally:
            context.close()
            server.stop()
    after = [task["duration"] for task in long_tasks if task["start"] >= settled]
    return {
        "load_s": load_s,
        "panel_s": panel_s,
        "board_s": board_s,
        "event_ms": event_ms,
        "longest_startup_ms": max((t["duration"] for t in long_tasks), default=0.0),
        "longest_after_ms": max(after, default=0.0),
        "over_50_after": sum(1 for duration in after if duration > 50),
        "panel_nodes": panel_nodes,
        "board_nodes": board_nodes,
    }


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_lab", description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    args = parser.parse_args(argv or [])
    sizes = [int(size) for size in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    results: dict[int, dict[str, Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(require_chromium()), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for size in sizes:
                results[size] = measure(browser, size)
                print(f"lab: {size:,} tasks: {results[size]}", flush=True)
        finally:
            browser.close()
    rows = [
        [
            f"{size:,}",
            f"{r['load_s']:.2f}",
            f"{r['panel_s'] * 1000:.0f}",
            f"{r['board_s'] * 1000:.0f}",
            f"{r['event_ms']:.0f}",
            f"{r['longest_startup_ms']:.0f}",
            f"{r['longest_after_ms']:.0f} ({r['over_50_after']})",
            f"{r['panel_nodes']:,} / {r['board_nodes']:,}",
        ]
        for size, r in results.items()
    ]
    header = [
        "tasks",
        "start-up load s",
        "panel opens ms",
        "board opens ms",
        "event shows ms",
        "longest task at start-up ms",
        "longest task after ms (n > 50)",
        "DOM nodes panel / board",
    ]
    report = "### Lab: sidebar and board in Chromium\n\n" + table(header, rows)
    report += (
        "\n\nGoals at 10,000 tasks: panel and board open <= 1,000 ms, an event shows <= 100 ms,"
        " no long task over 50 ms, a few thousand DOM nodes at most.\n"
    )
    print(report)
    return report


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
