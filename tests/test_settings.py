"""Settings come from the environment: embedded defaults, PostgreSQL and Redis when named."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "layer_config": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def probe(tmp_path: Path, **env: str) -> dict:
    base = {"PATH": "/usr/bin:/bin", "CC_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "contactcenter.settings"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_with_nothing_set_the_demo_uses_sqlite_in_the_data_dir_and_the_in_memory_layer(tmp_path):
    got = probe(tmp_path)
    assert got["db"] == "django.db.backends.sqlite3"
    assert got["db_name"] == str(tmp_path / "contactcenter.sqlite3")
    assert got["layer"] == "contactcenter.layers.InMemoryChannelLayer"
    assert got["eager"] is True
    assert (tmp_path / "secret_key").exists()


def test_redis_url_selects_the_pubsub_layer_with_explicit_pool_and_timeouts(tmp_path):
    got = probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert got["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    host = got["layer_config"]["hosts"][0]
    assert host["address"] == "redis://127.0.0.1:6379/3"
    assert host["max_connections"] > 100
    assert host["socket_timeout"] > 5
    assert got["eager"] is False


def test_database_url_selects_postgresql(tmp_path):
    got = probe(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", ALLOWED_HOSTS="cc.example")
    assert got["db"] == "django.db.backends.postgresql"
    assert got["db_name"] == "test"
    assert got["allowed_hosts"] == ["cc.example"]


def test_secret_key_from_the_environment_wins(tmp_path):
    probe(tmp_path, SECRET_KEY="x" * 60)
    assert not (tmp_path / "secret_key").exists()


def test_cli_demo_command_is_listed(tmp_path):
    out = subprocess.run([sys.executable, "-m", "contactcenter.cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=True)
    for command in ("demo", "serve", "createadmin", "bench"):
        assert command in out.stdout
