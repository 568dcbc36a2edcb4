"""API authentication: `Authorization: Bearer <token>`, or the browser's session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from jiedao.accounts.services import token_authenticate
from jiedao.core.audit import set_request_actor


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        set_request_actor(user)
        return user


class Session(SessionAuth):
    """The logged-in browser session (CSRF-checked for writes)."""


api_auth = [BearerToken(), Session()]
