"""The API's schema is a committed snapshot: a change to the API shows up in review."""

import json
from pathlib import Path

from jiedao.api import api

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_openapi_schema_matches_snapshot():
    current = json.loads(json.dumps(api.get_openapi_schema(), sort_keys=True, default=str))
    committed = json.loads(SNAPSHOT.read_text())
    assert current == committed, "API changed: run `make openapi` and commit docs/openapi.json"
