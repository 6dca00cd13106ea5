"""Spawn latency: `POST sessions/spawn` until the agent process runs, beside a bare terminal.

The baseline is jupyter_server_terminals' own `POST /api/terminals`, which is a bare
`terminal_manager.create(...)` behind the same HTTP and auth stack, running the same tiny
program. Both programs create a marker file as their first act; its mtime is the moment the
process was running. The two kinds alternate (which goes first too), round after round, against
one real server, so every figure is taken under the same background load.

    python -m bench.bench_spawn [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import ServerProcess

from .report import machine, median, ms, table

# The program both kinds of terminal run: mark that it is running, then idle until stopped.
MARK_THEN_IDLE = ': > "$1/$2"; exec sleep 600'
# A pause after each round's clean-up, so that ending processes do not weigh on the next round.
SETTLE_SECONDS = 0.1


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


class SpawnBench:
    def __init__(self, server: ServerProcess, markers: Path) -> None:
        self.server = server
        self.markers = markers
        self.task_id = server.api("POST", "tasks", {"title": "Benchmark spawns"})["id"]
        self.count = 0

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.server.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.server.token}",
                     "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
        return json.loads(data) if data else None

    def _time(
        self, send: Callable[[], Any], marker_of: Callable[[Any], Path]
    ) -> tuple[float, float, Any]:
        """(request -> process running, request -> response, response body)."""
        started = time.time()
        body = send()
        answered = time.time()
        marker = marker_of(body)
        deadline = time.monotonic() + 30
        while not marker.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no marker {marker}: the process never ran")
            time.sleep(0.0005)
        return marker.stat().st_mtime_ns / 1e9 - started, answered - started, body

    def spawn_session(self) -> tuple[float, float, Callable[[], Any]]:
        running, answered, session = self._time(
            lambda: self.server.api(
                "POST", "sessions/spawn", {"taskIds": [self.task_id], "agent": "bench"}
            ),
            lambda session: self.markers / session["id"],
        )
        return running, answered, lambda: self.server.api(
            "POST", f"sessions/{session['id']}/stop"
        )

    def bare_terminal(self) -> tuple[float, float, Callable[[], Any]]:
        self.count += 1
        name = f"bench_{self.count}"
        running, answered, _ = self._time(
            lambda: self._request("POST", "api/terminals", {
                "name": name,
                "shell_command": ["/bin/sh", "-c", MARK_THEN_IDLE, "sh", str(self.markers), name],
            }),
            lambda _: self.markers / name,
        )
        return running, answered, lambda: self._request("DELETE", f"api/terminals/{name}")

    def round(self, spawn_first: bool) -> dict[str, tuple[float, float]]:
        """One spawn and one bare terminal (order alternating), then both cleaned up."""
        kinds = {"spawn": self.spawn_session, "bare": self.bare_terminal}
        order = ["spawn", "bare"] if spawn_first else ["bare", "spawn"]
        results = {kind: kinds[kind]() for kind in order}
        for _, _, clean_up in results.values():
            clean_up()
        time.sleep(SETTLE_SECONDS)
        return {kind: (running, answered) for kind, (running, answered, _) in results.items()}


def configure(root: Path, markers: Path) -> None:
    """The server's config: a `bench` agent that marks the folder, named by its session id."""
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    agent = ["/bin/sh", "-c", ': > "$1/$MAESTRO_SESSION_ID"; exec sleep 600', "sh", str(markers)]
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"Maestro": {"agents": {"bench": {"argv": agent}}, "default_agent": "bench"}})
    )


def measure(runs: int, warmup: int = 3) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-spawn-") as folder:
        root = Path(folder) / "server"
        markers = Path(folder) / "markers"
        markers.mkdir()
        configure(root, markers)
        with ServerProcess(root) as server:
            bench = SpawnBench(server, markers)
            samples: dict[str, list[tuple[float, float]]] = {"spawn": [], "bare": []}
            for round_ in range(warmup + runs):
                results = bench.round(spawn_first=round_ % 2 == 0)
                if round_ >= warmup:
                    for kind, figures in results.items():
                        samples[kind].append(figures)
            sessions = server.api("GET", "sessions?limit=500")["items"]
            stopped = sum(session["status"] == "stopped" for session in sessions)

    def figures(kind: str) -> tuple[list[float], list[float]]:
        return [s[0] for s in samples[kind]], [s[1] for s in samples[kind]]

    spawn_running, spawn_reply = figures("spawn")
    bare_running, bare_reply = figures("bare")
    base = median(bare_running)
    rows = [
        ["`POST maestro/api/sessions/spawn` (validate, store, brief, terminal)",
         ms(median(spawn_running)), ms(p95(spawn_running)), ms(median(spawn_reply)),
         ms(p95(spawn_reply)), f"{median(spawn_running) / base:.1f}x"],
        ["`POST api/terminals` (bare `terminal_manager.create`, same program)",
         ms(base), ms(p95(bare_running)), ms(median(bare_reply)), ms(p95(bare_reply)), "1.0x"],
    ]
    header = ["request", "to process running: median ms", "p95 ms",
              "to response: median ms", "p95 ms", "ratio (running, medians)"]
    return "\n".join([
        f"## Spawn latency ({runs} spawns and {runs} bare terminals, interleaved, "
        f"after {warmup} warm-up rounds)",
        "",
        table(header, rows),
        "",
        f"Every session was stopped after its measurement ({stopped} of {len(sessions)} "
        "ended `stopped`).",
        "",
        machine(),
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_SPAWN_RUNS", 50)))
    args = parser.parse_args(argv)
    print(measure(args.runs))


if __name__ == "__main__":
    main()
