"""E-mail settings come from the environment: console mail in the demo, SMTP from EMAIL_URL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_FILE_PATH",
    "DEFAULT_FROM_EMAIL", "CC_PORTAL_LINK_MINUTES", "CC_WEBFORM_TEAMS")}))
"""


def probe(tmp_path: Path, **env: str) -> dict[str, Any]:
    base = {"PATH": "/usr/bin:/bin", "CC_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "contactcenter.settings"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_demo_prints_mails_to_the_console(tmp_path: Path) -> None:
    got = probe(tmp_path)
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert got["CC_PORTAL_LINK_MINUTES"] == 30 and got["CC_WEBFORM_TEAMS"] == []


def test_email_url_configures_smtp_with_starttls(tmp_path: Path) -> None:
    got = probe(
        tmp_path,
        EMAIL_URL="smtp+tls://desk%40example.com:s3cret@smtp.example.com:587",
        DEFAULT_FROM_EMAIL="Support <desk@example.com>",
        CC_WEBFORM_TEAMS="support,sales",
    )
    assert got["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (got["EMAIL_HOST"], got["EMAIL_PORT"], got["EMAIL_HOST_USER"], got["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        "desk@example.com",
        True,
    )
    assert got["DEFAULT_FROM_EMAIL"] == "Support <desk@example.com>"
    assert got["CC_WEBFORM_TEAMS"] == ["support", "sales"]


def test_production_without_email_url_uses_a_local_relay(tmp_path: Path) -> None:
    got = probe(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert (got["EMAIL_BACKEND"], got["EMAIL_HOST"], got["EMAIL_PORT"]) == ("django.core.mail.backends.smtp.EmailBackend", "localhost", 25)


def test_the_browser_tests_can_send_mails_to_files(tmp_path: Path) -> None:
    got = probe(tmp_path, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp_path / "m"))
    assert got["EMAIL_BACKEND"].endswith("filebased.EmailBackend") and got["EMAIL_FILE_PATH"] == str(tmp_path / "m")
