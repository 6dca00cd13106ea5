"""The store off the event loop, two ways: CPU per read with a thread executor (what the server
uses, `maestro_jupyter.store.runner`) against SQLAlchemy's asyncio engine on aiosqlite, with the
same read run on the loop as the baseline. Needs `pip install aiosqlite` (not a dependency:
the server does not use it).

    python -m bench.bench_offloop
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

QUERY = text("SELECT id, title FROM t WHERE id = 1")


async def _measure(path: Path, calls: int) -> dict[str, float]:
    from sqlalchemy.ext.asyncio import create_async_engine

    sync = create_engine(f"sqlite:///{path}")

    def read() -> object:
        with sync.connect() as conn:
            return conn.execute(QUERY).first()

    loop = asyncio.get_running_loop()
    figures = {}
    began = time.process_time()
    for _ in range(calls):
        read()
    figures["on the loop (baseline: blocks it)"] = time.process_time() - began
    began = time.process_time()
    for _ in range(calls):
        await loop.run_in_executor(None, read)
    figures["thread executor (the server's choice)"] = time.process_time() - began
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    began = time.process_time()
    for _ in range(calls):
        async with engine.connect() as conn:
            (await conn.execute(QUERY)).first()
    figures["asyncio engine (aiosqlite)"] = time.process_time() - began
    await engine.dispose()
    sync.dispose()
    return {name: seconds / calls * 1e6 for name, seconds in figures.items()}


def main(argv: list[str] | None = None, calls: int = 3000) -> str:
    try:
        import aiosqlite  # noqa: F401
    except ImportError:
        return "## Store off the loop\n\n(aiosqlite is not installed: `pip install aiosqlite`)\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        with create_engine(f"sqlite:///{path}").begin() as conn:
            conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT)"))
            conn.execute(text("INSERT INTO t (title) VALUES ('x')"))
        figures = asyncio.run(_measure(path, calls))
    baseline = next(iter(figures.values()))
    lines = [
        "## Store off the loop: thread executor against the asyncio engine "
        "(`python -m bench.bench_offloop`)",
        "",
        f"CPU per read of one row, {calls} reads each, one at a time.",
        "",
        "| how | CPU µs per read | x on the loop |",
        "|---|---|---|",
        *(f"| {name} | {us:.0f} | {us / baseline:.2f} |" for name, us in figures.items()),
    ]
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    main()
