"""A server that cannot use its store: the panel shows why, in the server's words (no blank
panel, no endless "Loading…"), and shows the board once the server can use a store again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.http import ApiError

from .conftest import make_isolated_env
from .lab import LabServer
from .pages import LabPage


@pytest.fixture
def server_without_a_store(tmp_path: Path) -> Iterator[LabServer]:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("a file, so no database can live under it")
    server = LabServer(
        tmp_path,
        make_isolated_env(tmp_path),
        maestro_config={"db_url": f"sqlite:///{not_a_folder}/maestro.db"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_panel_says_why_the_store_is_unavailable_then_recovers(
    server_without_a_store: LabServer, context: Any, workspace: str, screenshots: Path
) -> None:
    server = server_without_a_store
    with pytest.raises(ApiError) as refused:
        server.api("GET", "status")
    assert refused.value.status == 503
    assert refused.value.body["error"] == "store_unavailable"
    why = refused.value.body["message"]

    lab = LabPage(context.new_page(), server).open(workspace)
    panel = lab.open_panel()
    notice = panel.locator(".maestro-StoreFault")
    notice.wait_for()
    panel.screenshot(path=str(screenshots / "store-fault.png"))
    assert why in notice.inner_text()
    assert panel.locator(".maestro-Empty", has_text="Loading").count() == 0

    # The server restarts with a store it can use: the panel reconnects and shows the board.
    server.stop()
    del server.maestro_config["db_url"]
    server.start()
    server.api("POST", "tasks", {"title": "Written once the store works"})
    # Reconnects back off (up to 30 s between tries) while the server could not answer.
    lab.task_card("Written once the store works").wait_for(timeout=45_000)
    lab.page.wait_for_selector(".maestro-Connection.maestro-mod-live")
    assert notice.count() == 0
