"""Load held: a short soak (the 60 s one is `python -m bench.soak`) ends with no failed request.

Nothing here is timed: a busy CI machine may be slow, but it must not drop or fail requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import soak
from harness import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_fifty_connections_of_mixed_load_for_five_seconds_fail_nothing(tmp_path: Path):
    with ServerProcess(tmp_path / "server") as server:
        result = soak(server, seconds=5, connections=50)
        assert server.api("GET", "status")["version"]
    assert result.run.requests > 0
    assert result.run.errors == 0, result.run.error_samples
