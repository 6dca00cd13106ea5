"""Output throughput with the activity watcher: a session printing 50 MB as fast as it can.

A spawned session's pty is read through Maestro's output clock (one timestamp per chunk) and
polled by the watcher for its activity; a bare terminal (`POST api/terminals`, the same program)
has neither. Both print the same bytes on one real server, alternating (which goes first too),
and time themselves: from just before the first byte to just after the last one was taken by
the terminal (the pty blocks the writer until the server has read it). The goal: the watched
session keeps at least 0.95x the bare terminal's throughput.

    python -m bench.bench_activity [--megabytes N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import ServerProcess

from .report import machine, median, table

# $1 the markers folder, $2 the marker's name, $3 the bytes to print. The times are the
# program's own, so neither HTTP nor polling is in the figure.
FLOOD = (
    # The size a spawn gives its pty (terminado's is 24x80), which changes the figures.
    "stty rows 40 cols 120 2>/dev/null; "
    'start=$(date +%s%N); head -c "$3" /dev/zero | tr "\\0" x; end=$(date +%s%N); '
    'echo "$start $end" > "$1/$2.tmp"; mv "$1/$2.tmp" "$1/$2"; exec sleep 600'
)


class ActivityBench:
    def __init__(self, server: ServerProcess, markers: Path, size: int) -> None:
        self.server = server
        self.markers = markers
        self.size = size
        self.count = 0

    def _request(self, method: str, path: str, body: object = None) -> object:
        request = urllib.request.Request(
            self.server.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"token {self.server.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
        return json.loads(data) if data else None

    def _seconds(self, name: str) -> float:
        marker = self.markers / name
        deadline = time.monotonic() + 300
        while not marker.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no marker {marker}: the program never finished")
            time.sleep(0.01)
        start, end = marker.read_text().split()
        return (int(end) - int(start)) / 1e9

    def watched(self) -> float:
        session = self.server.api("POST", "sessions/spawn", {"agent": "flood"})
        seconds = self._seconds(session["id"])
        self.server.api("POST", f"sessions/{session['id']}/stop")
        return seconds

    def bare(self) -> float:
        self.count += 1
        name = f"bare_{self.count}"
        argv = ["/bin/sh", "-c", FLOOD, "sh", str(self.markers), name, str(self.size)]
        self._request("POST", "api/terminals", {"name": name, "shell_command": argv})
        seconds = self._seconds(name)
        self._request("DELETE", f"api/terminals/{name}")
        return seconds


def measure(megabytes: int, runs: int) -> str:
    size = megabytes * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-activity-") as folder:
        markers = Path(folder) / "markers"
        markers.mkdir()
        flood = ["/bin/sh", "-c", FLOOD, "sh", str(markers), "{session_id}", str(size)]
        config = {"Maestro": {"agents": {"flood": {"argv": flood}}, "default_agent": "flood"}}
        with ServerProcess(Path(folder) / "server", config=config) as server:
            bench = ActivityBench(server, markers, size)
            samples: dict[str, list[float]] = {"watched": [], "bare": []}
            for round_ in range(runs):
                order = ["watched", "bare"] if round_ % 2 == 0 else ["bare", "watched"]
                for kind in order:
                    samples[kind].append(getattr(bench, kind)())
            sessions = server.api("GET", "sessions?limit=500")["items"]
            became = {session["activity"] for session in sessions}

    throughput = {kind: megabytes / median(seconds) for kind, seconds in samples.items()}
    ratio = throughput["watched"] / throughput["bare"]
    rows = [
        [
            "spawned session (output clock + activity watcher)",
            f"{throughput['watched']:.1f}",
            f"{median(samples['watched']):.2f}",
        ],
        [
            "bare terminal (`POST api/terminals`, same program)",
            f"{throughput['bare']:.1f}",
            f"{median(samples['bare']):.2f}",
        ],
    ]
    header = ["terminal", "MB/s (median)", "seconds (median)"]
    verdict = "meets" if ratio >= 0.95 else "misses"
    return "\n".join(
        [
            f"## Output throughput with the activity watcher ({megabytes} MB, {runs} runs each, "
            "interleaved)",
            "",
            table(header, rows),
            "",
            f"Ratio watched / bare: **{ratio:.3f}x** ({verdict} the 0.95x goal). "
            f"Sessions' recorded activity: {', '.join(sorted(became))}.",
            "",
            machine(),
        ]
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_ACTIVITY_RUNS", 5)))
    args = parser.parse_args(argv)
    report = measure(args.megabytes, args.runs)
    print(report)
    return report


if __name__ == "__main__":
    main()
