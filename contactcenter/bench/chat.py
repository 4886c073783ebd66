"""``contactcenter bench chat``: N visitor/agent pairs over real WebSockets against real servers.

Phases, in one run:
  1. idle     K widget connections that said hello; server RSS before/after, per 1,000.
  2. steady   every pair's visitor sends at a fixed total rate (open loop); send -> agent receipt
              latency (p50/p99).
  3. burst    every visitor keeps a few messages in flight, as fast as acks come back: messages/s.
  4. verify   every acked message reached its agent exactly once, in seq order.
  5. baseline the same pairs, steady and burst phases against a bare Channels consumer
              (contactcenter/bench/baseline.py) on the same layer and database settings.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from contactcenter.bench.servers import (
    APP_ASGI,
    BASELINE_ASGI,
    PostgresDatabase,
    ServerProcess,
    child_env,
    dumps_pretty,
    free_port,
    machine_cpu_seconds,
    package_versions,
    raise_fd_limit,
    run_step,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
# The bench measures the server, not the per-connection flood guard: a few pairs in the burst
# phase send far more than a person types. The guard's cost per frame is the same either way.
BENCH_RATE_LIMIT = "1000000"

TARGETS = {"conversations": 1000, "p99_ms": 50.0, "throughput_ratio": 0.5, "kb_per_idle_connection": 50.0}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contactcenter bench chat", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100, help="concurrent visitor/agent pairs (default 100)")
    parser.add_argument(
        "--messages", type=int, default=20, help="messages per conversation in each of the steady and burst phases (default 20)"
    )
    parser.add_argument("--rate", type=float, default=200.0, help="total messages/s in the steady (latency) phase (default 200)")
    parser.add_argument("--idle", type=int, default=1000, help="idle widget connections for the memory phase (default 1000; 0 skips)")
    parser.add_argument(
        "--redis", action="store_true", help="PostgreSQL + Redis pub/sub layer (REDIS_URL, DATABASE_URL) instead of SQLite + in-memory"
    )
    parser.add_argument("--processes", type=int, default=1, help="server processes (more than 1 needs --redis)")
    parser.add_argument("--clients", type=int, default=1, help="client worker processes (default 1)")
    parser.add_argument(
        "--inflight", type=int, default=256, help="burst phase: messages in flight in total, at least one per visitor (default 256)"
    )
    parser.add_argument(
        "--ping-interval", type=int, default=20, help="daphne --ping-interval in seconds for every server (daphne's default: 20)"
    )
    parser.add_argument("--team-size", type=int, default=10, help="agents per team (each team has its own widget channel)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline run (then no throughput_ratio)")
    parser.add_argument(
        "--py-spy", metavar="DIR", help="sample each server process with py-spy during the message phases (collapsed stacks in DIR)"
    )
    parser.add_argument("--py-spy-gil", action="store_true", help="with --py-spy: sample only the thread holding the GIL")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server logs")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


class Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(f"[bench {time.monotonic() - self.started:6.1f}s] {text}", file=sys.stderr, flush=True)


class Clients:
    """The client worker processes and a blocking call-all over their pipes."""

    def __init__(self, count: int) -> None:
        from contactcenter.bench.client import worker_main

        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        for worker_id in range(count):
            parent, child = context.Pipe()
            proc = context.Process(target=worker_main, args=(child, worker_id), daemon=True, name=f"bench-client-{worker_id}")
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def call(self, command: str, per_worker: list[dict[str, Any]]) -> list[Any]:
        for conn, kwargs in zip(self.conns, per_worker, strict=True):
            conn.send((command, kwargs))
        results = []
        for conn in self.conns:
            reply = conn.recv()
            if not reply["ok"]:
                raise RuntimeError(f"client {command} failed: {reply['error']}")
            results.append(reply["result"])
        return results

    def call_same(self, command: str, kwargs: dict[str, Any]) -> list[Any]:
        return self.call(command, [kwargs] * len(self.conns))

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("quit", {}))
                conn.recv()
            except (OSError, EOFError):
                pass
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return round(sorted_values[rank - 1], 2)


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


def _stalls(slow_offsets: list[float]) -> list[tuple[float, int]]:
    """Slow messages (> SLOW_MS) grouped by the second they were sent in: [(second, count)], most first.

    One stall hitting hundreds of messages is a pause (a full GC pass); the same few seconds
    every ``--ping-interval`` are keepalive pings; a spread is queueing.
    """
    by_second: dict[int, int] = {}
    for offset in slow_offsets:
        by_second[int(offset)] = by_second.get(int(offset), 0) + 1
    return sorted(((float(k), v) for k, v in by_second.items()), key=lambda kv: -kv[1])


def _machine_percent(busy_before: float, wall: float) -> float | None:
    """Whole-machine CPU in % of one core; None for windows too short for /proc/stat's lazy accounting."""
    if wall < 2.0:
        return None
    return round((machine_cpu_seconds() - busy_before) / wall * 100, 1)


def _cpu(servers: list[ServerProcess]) -> list[float]:
    return [s.cpu_seconds() for s in servers]


def run_pairs(
    *,
    clients: Clients,
    servers: list[ServerProcess],
    specs: list[dict[str, Any]],
    kind: str,
    args: argparse.Namespace,
    say: Progress,
) -> dict[str, Any]:
    """Connect the pairs, run the steady and burst phases, verify; returns the figures."""
    n_clients = len(clients.conns)
    connected = clients.call("connect_pairs", [{"kind": kind, "specs": part} for part in _split(specs, n_clients)])
    for server in servers:
        server.start_profiler()
    n_connected = sum(r["connected"] for r in connected)
    failures = [f for r in connected for f in r["failures"]]
    say(f"{kind}: {n_connected}/{len(specs)} pairs connected in {max(r['seconds'] for r in connected):.1f}s")
    if n_connected < len(specs):
        say(f"{kind}: set-up failures, e.g. {failures[:3]}")

    total_pairs = len(specs)
    for server in servers:
        server.new_gc_pauses_ms()  # set-up's collections are not the phases'
    steady_start = time.monotonic() + 1.0
    cpu0, machine0 = _cpu(servers), machine_cpu_seconds()
    steady = clients.call_same(
        "steady",
        {"start_at": steady_start, "rate": args.rate, "total_pairs": total_pairs, "messages": args.messages, "drain_timeout": 30.0},
    )
    steady_wall = max(r["sends_done"] for r in steady) - steady_start
    steady_cpu = [(b - a) / max(steady_wall, 1e-9) * 100 for a, b in zip(cpu0, _cpu(servers), strict=True)]
    steady_machine = _machine_percent(machine0, steady_wall)
    latencies = sorted(x for r in steady for x in r["latencies_ms"])
    steady_gc = [p for server in servers for p in server.new_gc_pauses_ms()]
    stalls = _stalls([t - steady_start for r in steady for t in r["slow_sends"]])
    steady_sent = sum(r["sent"] for r in steady)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    say(f"{kind}: steady {steady_sent} messages at {args.rate:g}/s: p50 {p50} ms, p99 {p99} ms")

    window = max(1, math.ceil(args.inflight / max(1, total_pairs)))
    burst_start = time.monotonic() + 0.5
    cpu0, machine0 = _cpu(servers), machine_cpu_seconds()
    burst = clients.call_same("burst", {"start_at": burst_start, "messages": args.messages, "window": window, "drain_timeout": 30.0})
    received = sum(r["received"] for r in burst)
    wall = max(r["last_receive"] for r in burst) - min(r["first_send"] for r in burst)
    rate = received / wall if wall > 0 else 0.0
    cpu1 = _cpu(servers)
    burst_gc = [p for server in servers for p in server.new_gc_pauses_ms()]
    burst_cpu = [(b - a) / max(wall, 1e-9) * 100 for a, b in zip(cpu0, cpu1, strict=True)]
    # CPU per message barely depends on what else runs on the machine, unlike messages/s.
    cpu_ms_per_message = (sum(cpu1) - sum(cpu0)) / received * 1000 if received else None
    burst_machine = _machine_percent(machine0, wall)
    client_cpu = [r["client_cpu_s"] / max(r["client_wall_s"], 1e-9) * 100 for r in burst]
    server_load = ", ".join(f"{c:.0f}%" for c in burst_cpu)
    client_load = ", ".join(f"{c:.0f}%" for c in client_cpu)
    say(
        f"{kind}: burst {received} messages in {wall:.2f}s = {rate:.0f}/s, {cpu_ms_per_message or 0:.2f} ms server CPU each"
        f" (CPU, % of one core: server {server_load}, client {client_load}, whole machine {burst_machine})"
    )

    for server in servers:
        server.stop_profiler()
    verified = clients.call_same("verify", {})
    clients.call_same("close_pairs", {})
    errors: dict[str, int] = {}
    for r in verified:
        for code, count in r["errors"].items():
            errors[code] = errors.get(code, 0) + count
    return {
        "pairs_connected": n_connected,
        "setup_failures": failures[:5],
        "steady_messages": steady_sent,
        "steady_missing_after_drain": sum(r["missing_after_drain"] for r in steady),
        "steady_rate_per_s": args.rate,
        "steady_achieved_per_s": round(steady_sent / steady_wall, 1) if steady_wall > 0 else None,
        "steady_late_sends": sum(r["late_sends"] for r in steady),
        "steady_server_cpu_percent": [round(c, 1) for c in steady_cpu],
        # Everything on the machine (database, Redis, clients, other people's work), in % of one
        # core: when it nears cores x 100 the figures are the machine's, not the server's.
        "steady_machine_cpu_percent": steady_machine,
        "p50_ms": percentile(latencies, 0.50),
        "p90_ms": percentile(latencies, 0.90),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "steady_slow_messages": sum(n for _, n in stalls),
        "steady_stalls": stalls[:8],
        # Full-collection pauses the servers logged (>= CC_GC_WARN_MS) during each phase.
        "steady_gc_pauses_ms": steady_gc,
        "burst_gc_pauses_ms": burst_gc,
        "burst_messages": received,
        "burst_window_per_visitor": window,
        "messages_per_s": round(rate, 1),
        "burst_seconds": round(wall, 3),
        "burst_server_cpu_percent": [round(c, 1) for c in burst_cpu],
        "server_cpu_ms_per_message": round(cpu_ms_per_message, 3) if cpu_ms_per_message is not None else None,
        "client_cpu_percent": [round(c, 1) for c in client_cpu],
        "burst_machine_cpu_percent": burst_machine,
        "acked": sum(r["acked"] for r in verified),
        "lost": sum(r["lost"] for r in verified),
        "duplicated": sum(r["duplicated"] for r in verified),
        "out_of_order": sum(r["out_of_order"] for r in verified),
        "unacked": sum(r["unacked"] for r in verified),
        "errors": errors,
    }


def idle_phase(*, clients: Clients, servers: list[ServerProcess], channel_key: str, count: int, say: Progress) -> dict[str, Any]:
    """RSS of the server processes before and after ``count`` idle widget connections said hello."""
    n_clients = len(clients.conns)

    def urls(k: int) -> list[str]:
        return [f"{servers[i % len(servers)].ws_base}/ws/widget/?channel={channel_key}" for i in range(k)]

    # Warm up first, so lazily loaded code and caches are not counted as per-connection memory.
    clients.call("idle_open", [{"urls": part} for part in _split(urls(50), n_clients)])
    clients.call_same("idle_close", {})
    # Let closes finish and memory settle; a few hundred ms is plenty for a small count.
    settle_s = min(2.0, 0.3 + count / 1000)
    time.sleep(settle_s / 2)
    before = sum(s.rss_bytes() for s in servers)
    opened = clients.call("idle_open", [{"urls": part} for part in _split(urls(count), n_clients)])
    time.sleep(settle_s)
    after = sum(s.rss_bytes() for s in servers)
    n_open = sum(r["opened"] for r in opened)
    clients.call_same("idle_close", {})
    per_conn = (after - before) / n_open if n_open else 0.0
    say(f"idle: {n_open} connections, RSS {before / 2**20:.1f} -> {after / 2**20:.1f} MB ({per_conn / 1024:.1f} KB each)")
    return {
        "idle_connections": n_open,
        "idle_failures": [f for r in opened for f in r["failures"]][:5],
        "rss_mb_before_idle": round(before / 2**20, 1),
        "rss_mb_after_idle": round(after / 2**20, 1),
        "rss_mb_per_1k_idle": round(per_conn * 1000 / 2**20, 2),
        "kb_per_idle_connection": round(per_conn / 1024, 1),
    }


def start_servers(
    *,
    apps: list[str],
    count: int,
    env: dict[str, str],
    data_dir: Path,
    ping_interval: int,
    profile_dir: str | None,
    profile_gil_only: bool = False,
) -> list[list[ServerProcess]]:
    """``count`` daphne processes per ASGI app, all started at once; one list per app."""
    if profile_dir:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
    groups = []
    for app in apps:
        label = "baseline" if app == BASELINE_ASGI else "app"
        groups.append(
            [
                ServerProcess(
                    app=app,
                    port=free_port(),
                    env=env,
                    log_path=data_dir / f"{label}-{i}.log",
                    ping_interval=ping_interval,
                    profile_path=Path(profile_dir) / f"{label}-{i}.txt" if profile_dir else None,
                    profile_gil_only=profile_gil_only,
                ).start()
                for i in range(count)
            ]
        )
    for group in groups:
        for server in group:
            server.wait_ready()
    return groups


def stop_servers(servers: list[ServerProcess]) -> None:
    for server in servers:
        server.stop()


def run(args: argparse.Namespace, say: Progress) -> dict[str, Any]:
    n = args.conversations
    load_at_start = round(os.getloadavg()[0], 2)
    fd_limit = raise_fd_limit()
    data_dir = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    extra = {
        "CC_DATA_DIR": str(data_dir),
        "CC_RATE_FRAMES_PER_S": BENCH_RATE_LIMIT,
        "CC_RATE_BURST": BENCH_RATE_LIMIT,
        "CC_LOG_LEVEL": "WARNING",
        # The production profile lists its hosts; the bench talks to loopback only.
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
        "DATABASE_URL": "",
    }
    database: PostgresDatabase | None = None
    if args.redis:
        database = PostgresDatabase(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        extra.update(
            {
                "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
                "DATABASE_URL": database.url,
                # Concurrent runs must not share channel-layer keys.
                "CC_CHANNEL_PREFIX": f"ccbench{os.getpid()}",
            }
        )
    env = child_env(extra)
    servers: list[ServerProcess] = []
    clients: Clients | None = None
    result: dict[str, Any] = {}
    try:
        if database is not None:
            database.create()
            say(f"created database {database.name}")
        # One process migrates and creates the data: a Django start-up less than two steps.
        setup = _json(
            run_step(
                [sys.executable, "-m", "contactcenter.bench.setup_data", "--agents", str(n), "--team-size", str(args.team_size)],
                env=env,
                what="migrate and benchmark data set-up",
            )
        )
        say(f"data: {n} agents in {len(setup['channels'])} teams, one widget channel each")
        clients = Clients(args.clients)
        # Both servers start together (the baseline's idles until its turn): one start-up wait.
        started = start_servers(
            apps=[APP_ASGI] + ([] if args.no_baseline else [BASELINE_ASGI]),
            count=args.processes,
            env=env,
            data_dir=data_dir,
            ping_interval=args.ping_interval,
            profile_dir=args.py_spy,
            profile_gil_only=args.py_spy_gil,
        )
        servers = [server for group in started for server in group]
        app_servers, baseline_servers = started[0], (started[1] if len(started) > 1 else [])
        say(f"app: {args.processes} daphne process(es) on ports {[s.port for s in app_servers]}")
        if args.idle > 0:
            result.update(idle_phase(clients=clients, servers=app_servers, channel_key=setup["channels"][0], count=args.idle, say=say))
        p = len(app_servers)
        specs = [
            {
                "index": i,
                "visitor_url": f"{app_servers[i % p].ws_base}/ws/widget/?channel={setup['channels'][setup['agents'][i]['team']]}",
                # With several processes the agent sits on another process than the visitor: the
                # message crosses the layer, as it does behind a load balancer.
                "agent_url": f"{app_servers[(i + 1) % p].ws_base}/ws/agent/",
                "session": setup["agents"][i]["session"],
            }
            for i in range(n)
        ]
        app = run_pairs(clients=clients, servers=app_servers, specs=specs, kind="app", args=args, say=say)
        stop_servers(app_servers)

        baseline: dict[str, Any] | None = None
        if baseline_servers:
            bspecs = [
                {
                    "index": i,
                    "visitor_url": f"{baseline_servers[i % p].ws_base}/ws/pair/?pair={i}",
                    "agent_url": f"{baseline_servers[(i + 1) % p].ws_base}/ws/pair/?pair={i}",
                }
                for i in range(n)
            ]
            baseline = run_pairs(clients=clients, servers=baseline_servers, specs=bspecs, kind="baseline", args=args, say=say)
    finally:
        stop_servers(servers)
        if clients is not None:
            clients.close()
        if database is not None:
            database.drop()
        if args.keep:
            say(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    total_messages = app["steady_messages"] + app["burst_messages"]
    ratio = round(app["messages_per_s"] / baseline["messages_per_s"], 3) if baseline and baseline["messages_per_s"] else None
    cpu_ratio = None
    if baseline and baseline["server_cpu_ms_per_message"] and app["server_cpu_ms_per_message"]:
        cpu_ratio = round(baseline["server_cpu_ms_per_message"] / app["server_cpu_ms_per_message"], 3)
    summary: dict[str, Any] = {
        "benchmark": "chat",
        "conversations": app["pairs_connected"],
        "messages": total_messages,
        "messages_per_conversation_per_phase": args.messages,
        "messages_per_s": app["messages_per_s"],
        "p50_ms": app["p50_ms"],
        "p99_ms": app["p99_ms"],
        "lost": app["lost"],
        "duplicated": app["duplicated"],
        "baseline_messages_per_s": baseline["messages_per_s"] if baseline else None,
        "throughput_ratio": ratio,
        # The same comparison by server CPU per message (baseline / app): what the ratio would be
        # with both servers saturating their cores, whatever else the machine was doing.
        "cpu_efficiency_ratio": cpu_ratio,
        "server_cpu_ms_per_message": app["server_cpu_ms_per_message"],
        "baseline_server_cpu_ms_per_message": baseline["server_cpu_ms_per_message"] if baseline else None,
        **{k: result[k] for k in ("rss_mb_per_1k_idle", "kb_per_idle_connection", "idle_connections") if k in result},
        "app": app,
        "baseline": baseline,
        "idle": result or None,
        "config": {
            "layer": "channels_redis.pubsub.RedisPubSubChannelLayer" if args.redis else "contactcenter.layers.InMemoryChannelLayer",
            "database": "postgresql" if args.redis else "sqlite",
            "processes": args.processes,
            "server": "daphne",
            "ping_interval_s": args.ping_interval,
            "gc_threshold": os.environ.get("CC_GC_THRESHOLD") or "50000,20,100 (CC_GC_THRESHOLD default)",
            "rate_limit_frames_per_s": float(BENCH_RATE_LIMIT),
            "team_size": args.team_size,
            "steady_rate_per_s": args.rate,
            "inflight": args.inflight,
            "client_processes": args.clients,
            "fd_limit": fd_limit,
            "versions": package_versions(),
        },
        "machine": {
            "cores": os.cpu_count(),
            "loadavg_1m_at_start": load_at_start,
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    summary["targets_met"] = {
        "conversations": summary["conversations"] >= TARGETS["conversations"],
        "lost_and_duplicated_zero": app["lost"] == 0 and app["duplicated"] == 0,
        "p99_ms": app["p99_ms"] is not None and app["p99_ms"] < TARGETS["p99_ms"],
        "throughput_ratio": ratio is not None and ratio >= TARGETS["throughput_ratio"],
        "kb_per_idle_connection": "kb_per_idle_connection" in result
        and result["kb_per_idle_connection"] < TARGETS["kb_per_idle_connection"],
    }
    return summary


def _json(text: str) -> Any:
    import json

    return json.loads(text)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.processes > 1 and not args.redis:
        print("--processes > 1 needs --redis: the in-memory layer does not cross processes.", file=sys.stderr)
        return 2
    if args.conversations < 1 or args.messages < 1 or args.rate <= 0 or args.clients < 1 or args.processes < 1:
        print("--conversations, --messages, --rate, --clients and --processes must be positive.", file=sys.stderr)
        return 2
    say = Progress(args.quiet or False)
    summary = run(args, say)
    if args.json:
        print(dumps_pretty(summary))
    else:
        for key in (
            "conversations",
            "messages",
            "messages_per_s",
            "p50_ms",
            "p99_ms",
            "lost",
            "duplicated",
            "baseline_messages_per_s",
            "throughput_ratio",
            "rss_mb_per_1k_idle",
            "kb_per_idle_connection",
        ):
            print(f"{key:>26}: {summary.get(key)}")
        config = summary["config"]
        print(f"{'config':>26}: {config['layer']}, {config['database']}, {config['processes']} proc., ping {config['ping_interval_s']} s")
        print(f"{'targets_met':>26}: {summary['targets_met']}")
    return 0
