"""A server that keeps only the newest events tells a client that missed more to resync."""

from __future__ import annotations

import pytest

from tests.test_events import receive

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def maestro_config():
    return {"event_retention": 5}


async def test_a_client_whose_missed_events_were_pruned_is_told_to_resync(api, jp_ws_fetch, store):
    for i in range(20):
        await api("POST", "tasks", {"title": f"t{i}"})
    first = store.first_seq()
    assert first > 2  # the early events are gone
    ws = await jp_ws_fetch("maestro", "api", "events", params={"since": "1"})
    assert await receive(ws) == {"type": "resync", "lastSeq": store.last_seq()}
    assert (await receive(ws))["seq"] == first  # then what is kept, in order
    ws.close()
