"""The API schema and its docs page: served offline, and docs/openapi.yaml is what the code says."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db


def test_api_docs_page_loads_its_scripts_from_this_server_not_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(src.endswith(".js") for src in sources), "the docs page should load Swagger UI"
    assert all(src.startswith("/static/") for src in sources), sources
    assert re.findall(r"https?://", page) == []


def test_committed_openapi_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    committed = ROOT / "docs" / "openapi.yaml"
    assert committed.read_text() == generated.read_text(), (
        "docs/openapi.yaml is stale: run `contactcenter manage spectacular --file docs/openapi.yaml`"
    )
