"""Benchmark data: teams with a widget channel each, one agent per conversation, logged-in sessions.

Run in its own process (``python -m contactcenter.bench.setup_data``): migrates the fresh database,
creates the data and prints one JSON object: the channel keys and, per agent, the team index and a session key.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def create_bench_data(*, agents: int, team_size: int) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.utils import timezone

    from contactcenter.core.inboxes.models import Channel
    from contactcenter.core.staff.models import AgentProfile, Team

    user_model = get_user_model()
    now = timezone.now()
    teams_needed = max(1, -(-agents // team_size))
    with transaction.atomic():
        # Small teams keep set-up cheap: a new conversation is announced to every agent of its
        # team, so one team of 1,000 agents would mean a million frames before the first message.
        teams = [Team.objects.create(name=f"Bench team {t}", slug=f"bench-team-{t}") for t in range(teams_needed)]
        channels = [
            Channel.objects.create(
                name=f"Bench channel {t}",
                public_key=f"bench-{t}",
                team=team,
                allowed_origins=["*"],
                greeting_en="Hi from the benchmark.",
            )
            for t, team in enumerate(teams)
        ]
        users = []
        for i in range(agents):
            user = user_model(username=f"bench-agent-{i}", email=f"bench-agent-{i}@bench.invalid")
            # No password hashing: a thousand PBKDF2 rounds would dominate set-up; agents log in by session.
            user.set_unusable_password()
            users.append(user)
        user_model.objects.bulk_create(users)
        users = list(user_model.objects.filter(username__startswith="bench-agent-").order_by("pk"))
        by_name = {u.username: u for u in users}
        profiles = AgentProfile.objects.bulk_create(
            [
                AgentProfile(
                    user=by_name[f"bench-agent-{i}"],
                    display_name=f"Agent {i}",
                    languages=["en"],
                    status=AgentProfile.Status.ONLINE,
                    status_changed_at=now,
                    last_seen_at=now,
                )
                for i in range(agents)
            ]
        )
        membership = AgentProfile.teams.through
        membership.objects.bulk_create(
            [membership(agentprofile_id=profile.pk, team_id=teams[i // team_size].pk) for i, profile in enumerate(profiles)]
        )
        sessions = []
        for i in range(agents):
            user = by_name[f"bench-agent-{i}"]
            # What django.contrib.auth.login() stores, without a request or a login form.
            store = SessionStore()
            store[SESSION_KEY] = user._meta.pk.value_to_string(user)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            assert store.session_key is not None
            sessions.append(store.session_key)
    return {
        "channels": [c.public_key for c in channels],
        "agents": [{"team": i // team_size, "session": sessions[i]} for i in range(agents)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contactcenter.bench.setup_data")
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--team-size", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    json.dump(create_bench_data(agents=args.agents, team_size=args.team_size), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
