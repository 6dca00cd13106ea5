"""The session lifecycle as a table: every (from, to) pair, allowed or refused."""

from __future__ import annotations

import pytest

from maestro_jupyter.errors import Conflict, SessionEnded
from maestro_jupyter.lifecycle import can_move, next_status
from maestro_jupyter.vocabulary import SESSION_STATUSES

ALLOWED = {
    ("spawning", "running"),
    ("spawning", "needs_input"),
    ("spawning", "completed"),
    ("spawning", "failed"),
    ("spawning", "stopped"),
    ("running", "needs_input"),
    ("running", "completed"),
    ("running", "failed"),
    ("running", "stopped"),
    ("needs_input", "running"),
    ("needs_input", "completed"),
    ("needs_input", "failed"),
    ("needs_input", "stopped"),
}
ENDED = ("completed", "failed", "stopped")


@pytest.mark.parametrize("current", SESSION_STATUSES)
@pytest.mark.parametrize("new", SESSION_STATUSES)
def test_the_lifecycle_table(current, new):
    if current == new:
        assert next_status("sess_x", current, new) == new
    elif (current, new) in ALLOWED:
        assert can_move(current, new)
        assert next_status("sess_x", current, new) == new
    elif current in ENDED:
        assert not can_move(current, new)
        with pytest.raises(SessionEnded) as refused:
            next_status("sess_x", current, new)
        assert refused.value.status == 409 and current in refused.value.message
    else:
        assert not can_move(current, new)
        with pytest.raises(Conflict) as refused:
            next_status("sess_x", current, new)
        assert not isinstance(refused.value, SessionEnded)
