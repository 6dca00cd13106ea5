"""One JSON request to a test server (or the Hub in front of one), bypassing any client under
test: the body parsed, or `ApiError` with the status and the body the server sent."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ApiError(AssertionError):
    """An error status, with the body the server sent (parsed when it is JSON)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def json_request(
    url: str, method: str = "GET", body: Any = None, token: str | None = None, timeout: float = 30
) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"token {token}"
    data = None if body is None else json.dumps(body).encode()
    message = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(message, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode(errors="replace")
        raise ApiError(error.code, payload) from None
    return json.loads(raw) if raw else None
