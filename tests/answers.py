"""Comparing what two callers were told, for the pickers: an unknown id and an id outside the
caller's allowed set must answer alike, so that neither reveals whether an account exists."""

from __future__ import annotations

import re
from typing import Any

_ERRORS = re.compile(
    r'<ul class="errorlist"[^>]*>(.*?)</ul>|<div class="message error"[^>]*>(.*?)</div>', re.S
)


def form_errors(response: Any, picked: Any) -> list[str]:
    """The form errors a page shows, with the picked id (which Django echoes in "not one of the
    available choices") replaced, so that the errors for two different ids compare equal."""
    body = response.content.decode()
    found = ["".join(groups) for groups in _ERRORS.findall(body)]
    return [re.sub(rf"\b{re.escape(str(picked))}\b", "<id>", e).strip() for e in found]


def assert_same_form_answer(answers: dict[Any, Any]) -> list[str]:
    """Each picked id → the response to it: same status, same (non-empty) errors."""
    shapes = {pk: (r.status_code, form_errors(r, pk)) for pk, r in answers.items()}
    first = next(iter(shapes.values()))
    assert all(shape == first for shape in shapes.values()), shapes
    assert first[1], "no error shown"
    return first[1]


def assert_same_api_answer(answers: dict[Any, Any], status: int = 404) -> None:
    """Each picked id → the API's response to it: all `status`, with the same body."""
    shapes = {pk: (r.status_code, r.content) for pk, r in answers.items()}
    assert {code for code, _ in shapes.values()} == {status}, shapes
    assert len({body for _, body in shapes.values()}) == 1, shapes
