"""compose.yaml describes the production profile (no Docker engine here: we check what it says)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_names_two_app_nodes_databases_and_celery():
    services = load()["services"]
    assert {"app1", "app2", "postgres", "redis", "worker", "beat", "lb"} <= set(services)


def test_every_service_has_a_health_check():
    services = load()["services"]
    missing = [name for name, spec in services.items() if "healthcheck" not in spec]
    assert missing == []


def test_app_nodes_get_their_settings_from_the_environment():
    services = load()["services"]
    for name in ("app1", "app2", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert "SECRET_KEY" in env and "ALLOWED_HOSTS" in env


def test_app_nodes_wait_for_healthy_postgres_and_redis():
    services = load()["services"]
    for name in ("app1", "app2"):
        depends = services[name]["depends_on"]
        if name == "app2":
            assert depends["app1"]["condition"] == "service_healthy"
        else:
            assert depends["postgres"]["condition"] == "service_healthy"
            assert depends["redis"]["condition"] == "service_healthy"


def test_only_the_first_app_node_migrates():
    services = load()["services"]
    assert "--no-migrate" not in services["app1"]["command"]
    assert "--no-migrate" in services["app2"]["command"]


def test_celery_commands_point_at_the_project_app():
    services = load()["services"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "contactcenter", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "contactcenter", "beat"]


def test_load_balancer_config_is_sticky_for_long_polling():
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "ip_hash" in config and "app1:8000" in config and "app2:8000" in config
