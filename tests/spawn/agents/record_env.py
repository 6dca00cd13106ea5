"""A stand-in coding agent for the tests: records what it was given, then exits with a chosen code.

Usage: record_env.py --out DIR [--code N] [--sleep S] [--child] -- ARGS...
Writes DIR/<MAESTRO_SESSION_ID>.json with its environment (MAESTRO_*, COLUMNS, LINES, Hub tokens),
cwd, arguments, pid, terminal size and (with --child) the pid of a child process it started.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--code", type=int, default=0)
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--child", action="store_true")
parser.add_argument("args", nargs="*")
options = parser.parse_args()

record = {
    "env": {
        key: value
        for key, value in os.environ.items()
        if key.startswith("MAESTRO_")
        or key in ("COLUMNS", "LINES", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")
    },
    "cwd": os.getcwd(),
    "args": options.args,
    "pid": os.getpid(),
    "size": list(os.get_terminal_size(sys.stdout.fileno())) if sys.stdout.isatty() else None,
}
if options.child:
    record["childPid"] = subprocess.Popen(["sleep", "300"]).pid
out = Path(options.out) / f"{os.environ.get('MAESTRO_SESSION_ID', 'unknown')}.json"
partial = out.with_suffix(".tmp")
partial.write_text(json.dumps(record))
partial.replace(out)
print(f"MAESTRO-TEST-AGENT ran for {os.environ.get('MAESTRO_SESSION_ID')}", flush=True)
time.sleep(options.sleep)
sys.exit(options.code)
