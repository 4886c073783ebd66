"""The ``contactcenter`` command: demo, serve, tick, createadmin, faq, rasa-actions, simulate, seed, bench, and Django's manage commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _setup(data_dir: str | None) -> None:
    if data_dir:
        os.environ["CC_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _run_daphne(host: str, port: int, *, extra: Sequence[str] = ()) -> None:
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(["-b", host, "-p", str(port), *extra, "contactcenter.asgi:application"])


def cmd_demo(args: argparse.Namespace) -> int:
    _setup(args.data_dir)
    _migrate()
    from contactcenter import demo

    info = demo.load_sample_data(host=args.host, port=args.port)
    _pin_public_url(info.base_url)
    shop = demo.start_shop_site(host=args.host, port=args.port + 1, app_port=args.port)
    print(demo.banner(info, shop_url=shop), flush=True)
    _start_ticker()
    _run_daphne(args.host, args.port)
    return 0


def _pin_public_url(base_url: str) -> None:
    """Links in mails (portal sign-in) must not take their host from a request: the demo accepts any
    Host header, so unless CC_PUBLIC_URL says otherwise its links point at the address it printed."""
    from django.conf import settings

    if not settings.CC_PUBLIC_URL:
        settings.CC_PUBLIC_URL = base_url


def _warn_without_public_url() -> None:
    from django.conf import settings

    if not settings.CC_PUBLIC_URL and "*" in settings.ALLOWED_HOSTS:
        print(
            "contactcenter serve: warning: ALLOWED_HOSTS accepts any host and CC_PUBLIC_URL is not set, so links in mails "
            "(portal sign-in) would take their host from the request. Set CC_PUBLIC_URL=https://your.host.",
            file=sys.stderr,
            flush=True,
        )


def _start_ticker() -> None:
    """The periodic jobs (routing sweep, departed visitors, ...) in a thread of this server process,
    unless CC_IN_PROCESS_TICKER is off because a separate ``contactcenter tick`` runs them."""
    from django.conf import settings

    from contactcenter.core import periodic

    if settings.CC_IN_PROCESS_TICKER:
        periodic.start_thread()
    from bot.knowledge import warm_up_in_background

    warm_up_in_background()


def cmd_tick(args: argparse.Namespace) -> int:
    """Run the periodic jobs in the foreground: once, or every ``--interval`` seconds."""
    _setup(args.data_dir)
    _migrate()
    import time

    from django.db import close_old_connections
    from django.utils import timezone

    from contactcenter.core import periodic

    while True:
        close_old_connections()
        outcome = periodic.run_due(timezone.now(), force=args.once)
        if args.once:
            print(" ".join(f"{name}={result}" for name, result in sorted(outcome.items())), flush=True)
            return 0 if all(result == "ok" for result in outcome.values()) else 1
        time.sleep(args.interval)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(args.data_dir)
    if not args.no_migrate:
        _migrate()
    _warn_without_public_url()
    _start_ticker()
    _run_daphne(args.host, args.port, extra=["--proxy-headers"] if args.proxy_headers else [])
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup(args.data_dir)
    _migrate()
    from django.core.exceptions import ValidationError

    from contactcenter.demo import create_admin

    try:
        create_admin(username=args.username, email=args.email, password=args.password or os.environ.get("CC_ADMIN_PASSWORD", ""))
    except ValidationError as error:
        print(f"contactcenter createadmin: {' '.join(error.messages)}", file=sys.stderr)
        return 2
    print(f"Admin {args.username!r} is ready.")
    return 0


def cmd_manage(args: argparse.Namespace, rest: list[str]) -> int:
    _setup(args.data_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["contactcenter", *rest])
    return 0


def cmd_bench(args: argparse.Namespace, rest: list[str]) -> int:
    from contactcenter.bench import main as bench_main

    return bench_main(rest)


def cmd_seed(args: argparse.Namespace) -> int:
    """Fill an empty desk with realistic bilingual tickets (contactcenter.seed); refuses a database that has tickets."""
    if args.tickets < 1 or (args.customers is not None and args.customers < 1):
        print("contactcenter seed: --tickets and --customers must be positive", file=sys.stderr)
        return 2
    _setup(args.data_dir)
    _migrate()
    import json

    from django.utils import timezone

    from contactcenter.seed import SeedRefused, seed_tickets

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    try:
        result = seed_tickets(tickets=args.tickets, customers=args.customers, seed=args.seed, now=timezone.now(), progress=progress)
    except SeedRefused as error:
        print(f"contactcenter seed: {error}", file=sys.stderr)
        return 2
    figures = {
        "teams": result.teams,
        "agents": result.agents,
        "customers": result.customers,
        "tickets": result.tickets,
        "timeline_entries": result.timeline_entries,
        "long_timeline_ticket_ids": result.long_timeline_ticket_ids[:10],
        "seconds": round(result.seconds, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"Seeded {result.tickets} tickets ({result.timeline_entries} timeline entries) for {result.customers} customers, "
            f"{result.agents} agents in {result.teams} teams in {result.seconds:.1f} s."
        )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """A staffing simulation of one queue through the routing engine (no database, no server)."""
    import json

    from routing.engine.policy import SELECTOR_TYPES, PolicyError, StrategyName
    from routing.engine.simulation import SimulationConfig, simulate

    try:
        config = SimulationConfig(
            agents=args.agents,
            arrivals_per_hour=args.arrivals_per_hour,
            mean_handle_s=args.mean_handle_s,
            hours=args.hours,
            seed=args.seed,
            strategy=SELECTOR_TYPES[StrategyName(args.strategy)](),
            patience_s=args.patience_s,
        )
    except PolicyError as error:
        print(f"contactcenter simulate: {error}", file=sys.stderr)
        return 2
    figures = simulate(config).as_dict()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:22} {value}")
    return 0


def cmd_faq(args: argparse.Namespace) -> int:
    from contactcenter import cli_faq

    _setup(args.data_dir)
    _migrate()
    return cli_faq.run(args)


def cmd_rasa_actions(args: argparse.Namespace) -> int:
    """The rasa-sdk action server: the knowledge base and ticket actions for a Rasa assistant."""
    _setup(args.data_dir)
    _migrate()
    from bot.rasa import server

    # Rasa's action_endpoint `token:` is sent as ?token=...; an environment variable, not an
    # option, so that it does not show in the process list.
    server.serve(host=args.host, port=args.port, token=os.environ.get("CC_RASA_ACTIONS_TOKEN", ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactcenter", description="Self-hosted customer contact server.")
    parser.add_argument("--data-dir", help="where SQLite, uploads and the secret key live (default ./var or $CC_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="migrate, load sample data and start a demo server")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--data-dir", dest="data_dir_sub")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the production ASGI server (daphne)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-For from the load balancer")
    serve.add_argument("--data-dir", dest="data_dir_sub")
    serve.set_defaults(func=cmd_serve)

    tick = sub.add_parser("tick", help="run the periodic jobs (routing sweep, ...) in the foreground")
    tick.add_argument("--interval", type=float, default=1.0)
    tick.add_argument("--once", action="store_true", help="run every job once, then exit")
    tick.add_argument("--data-dir", dest="data_dir_sub")
    tick.set_defaults(func=cmd_tick)

    admin = sub.add_parser("createadmin", help="create or update an admin login")
    admin.add_argument("username")
    admin.add_argument("--email", default="")
    admin.add_argument("--password", default="", help="or set CC_ADMIN_PASSWORD")
    admin.add_argument("--data-dir", dest="data_dir_sub")
    admin.set_defaults(func=cmd_createadmin)

    simulate = sub.add_parser("simulate", help="staffing simulation of one queue through the routing engine")
    simulate.add_argument("--agents", type=int, required=True)
    simulate.add_argument("--arrivals-per-hour", type=float, required=True)
    simulate.add_argument("--mean-handle-s", type=float, required=True)
    simulate.add_argument(
        "--strategy",
        default="least_load",
        choices=[
            "round_robin",
            "least_load",
            "returning_customer",
            "skill_based",
            "ring_all",
            "fewest_calls",
            "longest_idle",
            "most_recent",
            "random",
            "linear",
        ],
    )
    simulate.add_argument("--hours", type=float, default=8.0)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--patience-s", type=float, default=None, help="mean patience; callers hang up after it")
    simulate.add_argument("--json", action="store_true")
    simulate.set_defaults(func=cmd_simulate)

    seed = sub.add_parser("seed", help="fill an empty ticket desk with realistic bilingual data (refuses if there are tickets)")
    seed.add_argument("--tickets", type=int, required=True)
    seed.add_argument("--customers", type=int, default=None, help="default: tickets / 5")
    seed.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
    seed.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    seed.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    seed.add_argument("--data-dir", dest="data_dir_sub")
    seed.set_defaults(func=cmd_seed)

    from contactcenter import cli_faq

    cli_faq.add_parser(sub)
    sub.choices["faq"].set_defaults(func=cmd_faq)

    rasa = sub.add_parser("rasa-actions", help="run a rasa-sdk action server: FAQ answers and ticket actions for a Rasa assistant")
    rasa.add_argument("--host", default="127.0.0.1")
    rasa.add_argument("--port", type=int, default=5055)
    rasa.add_argument("--data-dir", dest="data_dir_sub")
    rasa.set_defaults(func=cmd_rasa_actions)

    sub.add_parser("manage", help="run a Django management command (migrate, shell, ...)", add_help=False)
    sub.add_parser("bench", help="benchmarks: bench chat ...", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # manage and bench pass the rest of the line through untouched.
    for passthrough in ("manage", "bench"):
        if passthrough in argv:
            index = argv.index(passthrough)
            head, rest = argv[:index], argv[index + 1 :]
            args = parser.parse_args([*head, "demo"])  # parse global options only
            if passthrough == "manage":
                return cmd_manage(args, rest)
            return cmd_bench(args, rest)
    args = parser.parse_args(argv)
    if getattr(args, "data_dir_sub", None):
        args.data_dir = args.data_dir_sub
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
