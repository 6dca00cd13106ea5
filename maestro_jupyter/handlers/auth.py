"""Who makes a request to Maestro: a session by its token, or a person as Jupyter says.

Maestro's handlers (REST and the events socket) see Jupyter's identity provider and authorizer
through the wrappers below; every other handler of the server keeps Jupyter's own, so a session
token opens Maestro's routes only. A token `mst_...` (header `Authorization: token ...`, or
`?token=` as Jupyter reads its own) names its session in one read of the store, off the loop,
which also brings what the role guard (`maestro_jupyter.access`) asks about the request's
targets; the request is then token-authenticated as with Jupyter's token (no XSRF cookie,
origin checks as for scripts). Any other request goes to Jupyter's (or the Hub's) provider.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth import IdentityProvider, User
from jupyter_server.auth.identity import PasswordIdentityProvider

from .. import access
from ..errors import (
    Forbidden,
    ForeignToken,
    StoreUnavailable,
    TokenRevoked,
    Unauthorized,
)
from ..spawner.owner import owner_user

_AUTH_HEADER = re.compile(r"(?:token|bearer)\s+(\S+)", re.IGNORECASE)
# Bodies read for the sessions a write acts for; larger ones (an import) name none.
_TARGET_BODY_BYTES = 64 * 1024
_BODY_SESSION_FIELDS = ("sessionId", "parentSessionId")
# Jupyter's own providers invent an "Anonymous ..." user per token request: no one's name.
_ANONYMOUS_PROVIDERS = (IdentityProvider, PasswordIdentityProvider)


@dataclass
class SessionUser(User):
    """The user of a request made with a session token: the session."""

    caller: access.Caller | None = None


class SessionIdentityProvider:
    """Jupyter's identity provider, as Maestro's handlers see it: session tokens first."""

    def __init__(self, jupyter: Any) -> None:
        self.jupyter = jupyter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jupyter, name)

    async def get_user(self, handler: Any) -> User | None:
        token = session_token(handler)
        if token is None:
            return await ensure_async(self.jupyter.get_user(handler))
        caller = await _caller(handler, token)
        # JupyterHub's single-user server patches its own XSRF check onto JupyterHandler
        # (HubOAuth.check_xsrf_cookie), which reads this mark rather than asking the identity
        # provider: without it every POST with a session token is refused there.
        handler._token_authenticated = True  # noqa: SLF001
        return SessionUser(caller.session_id, caller=caller)

    def is_token_authenticated(self, handler: Any) -> bool:
        """A session token authenticates as Jupyter's token does (no XSRF cookie needed)."""
        if isinstance(getattr(handler, "_jupyter_current_user", None), SessionUser):
            return True
        return self.jupyter.is_token_authenticated(handler)

    def should_check_origin(self, handler: Any) -> bool:
        return not self.is_token_authenticated(handler)


class SessionAuthorizer:
    """Jupyter's authorizer, as Maestro's handlers see it: sessions by the role guard."""

    def __init__(self, jupyter: Any) -> None:
        self.jupyter = jupyter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.jupyter, name)

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> Any:
        caller = session_caller(user)
        if caller is None:
            return self.jupyter.is_authorized(handler, user, action, resource)
        method, route = handler.request.method, route_of(type(handler))
        refused = access.refusal(caller, method, route)
        if refused is not None:
            raise Forbidden(refused, {"role": caller.role, "action": access.action(method, route)})
        return True


class SessionAuthMixin:
    """Gives a Jupyter handler the wrappers above (put it before JupyterHandler)."""

    settings: dict[str, Any]

    @property
    def identity_provider(self) -> Any:
        wrapper = self.settings.get("maestro_identity_provider")
        if wrapper is None:
            wrapper = SessionIdentityProvider(super().identity_provider)  # type: ignore[misc]
            self.settings["maestro_identity_provider"] = wrapper
        return wrapper

    @property
    def authorizer(self) -> Any:
        wrapper = self.settings.get("maestro_authorizer")
        if wrapper is None:
            wrapper = SessionAuthorizer(super().authorizer)  # type: ignore[misc]
            self.settings["maestro_authorizer"] = wrapper
        return wrapper

    @property
    def caller(self) -> access.Caller | None:
        """The session making this request, None for a person."""
        return session_caller(getattr(self, "_jupyter_current_user", None))

    def actor_name(self) -> str:
        """Who makes this request, as writes record it: the session's id; a person's user name
        (under Jupyter's default provider, which knows no names, the server's owner)."""
        caller = self.caller
        if caller is not None:
            return caller.session_id
        provider = self.identity_provider.jupyter
        if type(provider) in _ANONYMOUS_PROVIDERS:
            return owner_user()
        user = getattr(self, "_jupyter_current_user", None)
        return getattr(user, "username", None) or getattr(user, "name", None) or owner_user()


def session_caller(user: Any) -> access.Caller | None:
    return user.caller if isinstance(user, SessionUser) else None


def session_token(handler: Any) -> str | None:
    """The request's session token, if it carries one (and not Jupyter's own token)."""
    token = handler.get_argument("token", "")
    if not token:
        match = _AUTH_HEADER.match(handler.request.headers.get("Authorization", ""))
        token = match.group(1) if match else ""
    return token if access.is_session_token(token) else None


async def _caller(handler: Any, token: str) -> access.Caller:
    store = handler.settings.get("maestro_store")
    if store is None:
        raise StoreUnavailable(
            handler.settings.get("maestro_store_error") or "The Maestro store is not loaded."
        )
    # Reads are allowed whatever they are about: only a write's targets need looking at.
    writes = handler.request.method not in ("GET", "HEAD", "OPTIONS")
    task_id = handler.path_kwargs.get("task_id") if writes else None
    sessions = _target_sessions(handler) if writes else ()
    found = await store.token_caller(access.token_hash(token), task_id, sessions)
    if found is None:
        raise Unauthorized("This session token is not known to Maestro.")
    session_id = found["sessionId"]
    if found["revoked"]:
        raise TokenRevoked(
            f"Session {session_id} ended; its token was revoked.", {"sessionId": session_id}
        )
    here = handler.settings["maestro_spawner"].server_id
    if found["server"] != here:
        raise ForeignToken(
            f"Session {session_id} runs on another server ({found['server']}); its token is "
            "valid there only.",
            {"sessionId": session_id, "server": found["server"]},
        )
    return access.Caller(
        session_id,
        found["role"],
        task_id,
        found["holdsTask"],
        sessions,
        found["parents"],
    )


def _target_sessions(handler: Any) -> tuple[str, ...]:
    """The sessions a request acts for: its path's, and those its JSON body names."""
    found = []
    if handler.path_kwargs.get("session_id"):
        found.append(handler.path_kwargs["session_id"])
    body = handler.request.body or b""
    if 0 < len(body) <= _TARGET_BODY_BYTES:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None  # the handler answers the bad body
        if isinstance(data, dict):
            found += [
                data[name] for name in _BODY_SESSION_FIELDS if isinstance(data.get(name), str)
            ]
    return tuple(dict.fromkeys(found))


@functools.cache
def _route_paths() -> dict[type, str]:
    from . import api_routes, events

    paths = {route.handler: route.path for route in api_routes()}
    paths[events.EventsSocket] = "events"
    return paths


def route_of(handler_class: type) -> str | None:
    """The route path (as the route table spells it) a handler class serves."""
    return _route_paths().get(handler_class)
