"""The contactcenter command works on a fresh data dir: it migrates before it does anything."""

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "contactcenter.cli", "--data-dir", str(tmp_path), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_createadmin_on_a_fresh_data_dir_migrates_and_creates_the_login(tmp_path):
    result = run_cli(tmp_path, "createadmin", "root", "--password", "s3cret-pass-word")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "contactcenter.sqlite3")
    row = db.execute("SELECT is_superuser, is_staff FROM auth_user WHERE username = 'root'").fetchone()
    assert row == (1, 1)


def test_createadmin_without_a_password_fails_clearly(tmp_path):
    result = run_cli(tmp_path, "createadmin", "root")
    assert result.returncode != 0
    assert "password" in (result.stderr + result.stdout).lower()


def test_the_demo_pins_links_in_mails_to_the_address_it_prints(settings):
    from contactcenter import cli

    settings.CC_PUBLIC_URL = ""
    cli._pin_public_url("http://127.0.0.1:8000")
    assert settings.CC_PUBLIC_URL == "http://127.0.0.1:8000"
    settings.CC_PUBLIC_URL = "https://help.example.com"
    cli._pin_public_url("http://127.0.0.1:8000")
    assert settings.CC_PUBLIC_URL == "https://help.example.com"


def test_serve_warns_when_any_host_may_shape_links_in_mails(settings, capsys):
    from contactcenter import cli

    settings.CC_PUBLIC_URL, settings.ALLOWED_HOSTS = "", ["*"]
    cli._warn_without_public_url()
    assert "CC_PUBLIC_URL" in capsys.readouterr().err
    settings.ALLOWED_HOSTS = ["help.example.com"]
    cli._warn_without_public_url()
    assert capsys.readouterr().err == ""
