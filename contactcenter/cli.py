"""The ``contactcenter`` command: demo, serve, createadmin, bench, and Django's manage commands."""

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
    shop = demo.start_shop_site(host=args.host, port=args.port + 1, app_port=args.port)
    print(demo.banner(info, shop_url=shop), flush=True)
    _run_daphne(args.host, args.port)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(args.data_dir)
    if not args.no_migrate:
        _migrate()
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

    admin = sub.add_parser("createadmin", help="create or update an admin login")
    admin.add_argument("username")
    admin.add_argument("--email", default="")
    admin.add_argument("--password", default="", help="or set CC_ADMIN_PASSWORD")
    admin.add_argument("--data-dir", dest="data_dir_sub")
    admin.set_defaults(func=cmd_createadmin)

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
