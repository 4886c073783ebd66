"""The benchmark's client side: visitor/agent pairs over real WebSockets, in worker processes.

The driver (``contactcenter.bench.chat``) starts one or more workers and sends them commands over
a pipe; each worker owns a slice of the pairs and runs them on one asyncio loop. A pair is either
the product's (widget socket + agent console socket on one conversation) or the baseline's (two
sockets in one ``pair.<id>`` group). Timestamps are ``time.monotonic()``, one clock for every
process on the machine, so a send and its receipt are compared within one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

APP = "app"
BASELINE = "baseline"

# Cheap prefilters: frames are compact JSON with "type" first (contactcenter.core.json.dumps and the
# client's own frames), so most frames a client does not care about are dropped unparsed.
_MESSAGE_PREFIX = '{"type":"message"'
_ACK_PREFIX = '{"type":"ack"'
_ERROR_PREFIX = '{"type":"error"'
# A message slower than this counts as slow in the steady phase's stall report (the p99 target).
SLOW_MS = 50.0


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


async def _open(url: str, headers: dict[str, str] | None = None) -> ClientConnection:
    # No client pings (the server's own keepalive is part of what is measured), no compression
    # (daphne does not accept it, and browsers' offers are declined the same way).
    return await connect(
        url,
        additional_headers=headers,
        compression=None,
        ping_interval=None,
        open_timeout=60,
        close_timeout=2,
        max_size=2**20,
    )


async def _recv_type(ws: ClientConnection, wanted: str, *, within_s: float = 60) -> dict[str, Any]:
    """Read frames until one of type ``wanted``; an error frame fails the pair's set-up."""
    deadline = time.monotonic() + within_s
    while True:
        text = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        frame = json.loads(text)
        if frame.get("type") == wanted:
            return frame  # type: ignore[no-any-return]
        if frame.get("type") == "error":
            raise RuntimeError(f"waiting for {wanted!r}: {frame}")


@dataclass
class Pair:
    """One visitor and the agent who serves them, with what each side saw."""

    index: int
    kind: str
    visitor: ClientConnection | None = None
    agent: ClientConnection | None = None
    conversation_id: int | None = None
    sent_at: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    received: Counter[str] = field(default_factory=Counter)
    last_seq: int = 0
    out_of_order: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    # Phase state, set by the worker.
    phase: str = ""
    burst_sent: int = 0
    burst_total: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class Worker:
    """Runs the commands of one client process against its pairs."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id
        self.pairs: list[Pair] = []
        self.idle: list[ClientConnection] = []
        self.latencies: list[float] = []
        # When each slow message was sent (monotonic), to tell periodic stalls from one-offs.
        self.slow_sends: list[float] = []
        self.phase_received = 0
        self.phase_sent = 0
        self.phase_last_receive = 0.0
        self.phase_prefix = "-"
        self.on_ack: Callable[[Pair], Awaitable[None]] | None = None

    # ------------------------------------------------------------------ receiving

    def _agent_got(self, pair: Pair, client_id: str | None, seq: int | None, kind: str) -> None:
        now = time.monotonic()
        if seq is not None:
            if seq <= pair.last_seq:
                pair.out_of_order += 1
            pair.last_seq = max(pair.last_seq, seq)
        if client_id is None or kind != "visitor":
            return
        pair.received[client_id] += 1
        # Only this phase's messages count for it: a late one from the previous phase does not.
        if pair.received[client_id] == 1 and client_id.startswith(self.phase_prefix):
            sent = pair.sent_at.get(client_id)
            if sent is not None and pair.phase == "steady":
                latency = (now - sent) * 1000.0
                self.latencies.append(latency)
                if latency > SLOW_MS:
                    self.slow_sends.append(sent)
            self.phase_received += 1
            self.phase_last_receive = now

    async def _visitor_loop(self, pair: Pair) -> None:
        assert pair.visitor is not None
        try:
            async for text in pair.visitor:
                if not isinstance(text, str):
                    continue
                if pair.kind == BASELINE:
                    if text.startswith(_MESSAGE_PREFIX):
                        await self._acked(pair, json.loads(text)["client_id"])
                elif text.startswith(_ACK_PREFIX):
                    await self._acked(pair, json.loads(text)["client_id"])
                elif text.startswith(_ERROR_PREFIX):
                    frame = json.loads(text)
                    pair.errors[str(frame.get("code"))] += 1
                    ref = frame.get("ref")
                    if isinstance(ref, str):
                        pair.failed.add(ref)
                        if self.on_ack is not None and pair.phase == "burst":
                            await self.on_ack(pair)
        except ConnectionClosed:
            pass

    async def _acked(self, pair: Pair, client_id: str) -> None:
        pair.acked.add(client_id)
        if self.on_ack is not None and pair.phase == "burst":
            await self.on_ack(pair)

    async def _agent_loop(self, pair: Pair) -> None:
        assert pair.agent is not None
        try:
            async for text in pair.agent:
                if not isinstance(text, str) or not text.startswith(_MESSAGE_PREFIX):
                    continue
                frame = json.loads(text)
                if pair.kind == BASELINE:
                    self._agent_got(pair, frame.get("client_id"), None, "visitor")
                else:
                    message = frame["message"]
                    if message.get("conversation_id") == pair.conversation_id:
                        self._agent_got(pair, message.get("client_id"), message.get("seq"), message["sender"]["kind"])
        except ConnectionClosed:
            pass

    # ------------------------------------------------------------------ set-up

    async def _connect_app_pair(self, pair: Pair, spec: dict[str, Any]) -> None:
        visitor = pair.visitor = await _open(spec["visitor_url"])
        await visitor.send(_dumps({"type": "hello", "language": "en", "page_url": "https://bench.invalid/"}))
        await _recv_type(visitor, "welcome")
        await visitor.send(_dumps({"type": "start", "prechat": {}}))
        started = await _recv_type(visitor, "conversation")
        pair.conversation_id = int(started["conversation"]["id"])
        pair.tasks.append(asyncio.create_task(self._visitor_loop(pair)))
        agent = pair.agent = await _open(spec["agent_url"], {"Cookie": f"sessionid={spec['session']}"})
        await _recv_type(agent, "ready")
        await agent.send(_dumps({"type": "take", "conversation_id": pair.conversation_id}))
        await _recv_type(agent, "taken")
        await agent.send(_dumps({"type": "join", "conversation_id": pair.conversation_id, "last_seq": 0}))
        replay = await _recv_type(agent, "replay")
        for message in replay["messages"]:
            pair.last_seq = max(pair.last_seq, int(message["seq"]))
        pair.tasks.append(asyncio.create_task(self._agent_loop(pair)))

    async def _connect_baseline_pair(self, pair: Pair, spec: dict[str, Any]) -> None:
        pair.visitor = await _open(spec["visitor_url"])
        pair.agent = await _open(spec["agent_url"])
        pair.tasks.append(asyncio.create_task(self._visitor_loop(pair)))
        pair.tasks.append(asyncio.create_task(self._agent_loop(pair)))

    async def connect_pairs(self, *, kind: str, specs: list[dict[str, Any]], concurrency: int = 50) -> dict[str, Any]:
        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        failures: list[str] = []

        async def one(spec: dict[str, Any]) -> Pair | None:
            pair = Pair(index=spec["index"], kind=kind)
            async with gate:
                try:
                    if kind == APP:
                        await self._connect_app_pair(pair, spec)
                    else:
                        await self._connect_baseline_pair(pair, spec)
                except Exception as error:  # reported, and the pair is left out
                    failures.append(f"pair {spec['index']}: {type(error).__name__}: {error}"[:300])
                    await self._close_pair(pair)
                    return None
            return pair

        results = await asyncio.gather(*(one(spec) for spec in specs))
        self.pairs = [p for p in results if p is not None]
        return {"connected": len(self.pairs), "failed": len(failures), "failures": failures[:5], "seconds": time.monotonic() - started}

    # ------------------------------------------------------------------ phases

    async def _send(self, pair: Pair, client_id: str) -> None:
        assert pair.visitor is not None
        frame = {"type": "message", "client_id": client_id, "body": f"Benchmark message {client_id} from visitor {pair.index}"}
        text = _dumps(frame)
        pair.sent_at[client_id] = time.monotonic()
        self.phase_sent += 1
        try:
            await pair.visitor.send(text)
        except ConnectionClosed:
            pair.errors["closed"] += 1
            pair.failed.add(client_id)

    def _reset_phase(self, phase: str, prefix: str) -> None:
        self.phase_prefix = prefix
        self.phase_received = 0
        self.phase_sent = 0
        self.phase_last_receive = 0.0
        for pair in self.pairs:
            pair.phase = phase

    async def _drain(self, within_s: float) -> None:
        """Wait until every message of the phase that was not refused has reached its agent."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            failed = sum(len(p.failed) for p in self.pairs)
            if self.phase_received + failed >= self.phase_sent:
                return
            await asyncio.sleep(0.02)

    async def steady(self, *, start_at: float, rate: float, total_pairs: int, messages: int, drain_timeout: float) -> dict[str, Any]:
        """Open loop: pair i sends its j-th message at start_at + (j * total_pairs + i) / rate."""
        self._reset_phase("steady", "s")
        self.latencies = []
        self.slow_sends = []
        lateness: list[float] = []

        async def run(pair: Pair) -> None:
            for j in range(messages):
                due = start_at + (j * total_pairs + pair.index) / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    lateness.append(-delay)
                await self._send(pair, f"s{j}")

        cpu0 = time.process_time()
        await asyncio.gather(*(run(pair) for pair in self.pairs))
        sends_done = time.monotonic()
        await self._drain(drain_timeout)
        # Messages still missing after the drain enter the percentiles with what they have waited
        # so far (a lower bound), so a stalled server cannot look fast by losing its tail.
        now = time.monotonic()
        missing = [
            (now - sent) * 1000.0
            for pair in self.pairs
            for cid, sent in pair.sent_at.items()
            if cid.startswith("s") and pair.received[cid] == 0 and cid not in pair.failed
        ]
        self.latencies.extend(missing)
        self.slow_sends.extend(
            sent for pair in self.pairs for cid, sent in pair.sent_at.items() if cid.startswith("s") and pair.received[cid] == 0
        )
        return {
            "missing_after_drain": len(missing),
            "latencies_ms": self.latencies,
            "slow_sends": self.slow_sends,
            "sent": self.phase_sent,
            "received": self.phase_received,
            "sends_done": sends_done,
            "late_sends": len([x for x in lateness if x > 0.005]),
            "client_cpu_s": time.process_time() - cpu0,
        }

    async def burst(self, *, start_at: float, messages: int, window: int, drain_timeout: float) -> dict[str, Any]:
        """Closed loop, as fast as the server acks: each visitor keeps ``window`` messages in flight."""
        self._reset_phase("burst", "t")

        async def next_message(pair: Pair) -> None:
            if pair.burst_sent < pair.burst_total:
                pair.burst_sent += 1
                await self._send(pair, f"t{pair.burst_sent}")

        for pair in self.pairs:
            pair.burst_sent, pair.burst_total = 0, messages
        delay = start_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.on_ack = next_message
        cpu0 = time.process_time()
        first_send = time.monotonic()
        for pair in self.pairs:
            for _ in range(min(window, messages)):
                await next_message(pair)
        deadline = time.monotonic() + drain_timeout + messages * len(self.pairs) / 50.0
        while time.monotonic() < deadline:
            if all(p.burst_sent >= p.burst_total for p in self.pairs):
                break
            await asyncio.sleep(0.02)
        await self._drain(drain_timeout)
        cpu = time.process_time() - cpu0
        self.on_ack = None
        return {
            "sent": self.phase_sent,
            "received": self.phase_received,
            "first_send": first_send,
            "last_receive": self.phase_last_receive,
            "client_cpu_s": cpu,
            "client_wall_s": max(0.0, self.phase_last_receive - first_send),
        }

    def verify(self) -> dict[str, Any]:
        """Every acked message must have reached the agent exactly once."""
        lost = duplicated = unacked = out_of_order = 0
        errors: Counter[str] = Counter()
        for pair in self.pairs:
            lost += sum(1 for cid in pair.acked if pair.received[cid] == 0)
            duplicated += sum(n - 1 for n in pair.received.values() if n > 1)
            unacked += sum(1 for cid in pair.sent_at if cid not in pair.acked)
            out_of_order += pair.out_of_order
            errors.update(pair.errors)
        acked = sum(len(p.acked) for p in self.pairs)
        return {
            "acked": acked,
            "lost": lost,
            "duplicated": duplicated,
            "unacked": unacked,
            "out_of_order": out_of_order,
            "errors": dict(errors),
        }

    # ------------------------------------------------------------------ idle connections

    async def idle_open(self, *, urls: list[str], concurrency: int = 100) -> dict[str, Any]:
        gate = asyncio.Semaphore(concurrency)
        failures: list[str] = []

        async def one(url: str) -> None:
            async with gate:
                try:
                    ws = await _open(url)
                    await ws.send(_dumps({"type": "hello", "language": "en"}))
                    await _recv_type(ws, "welcome")
                    self.idle.append(ws)
                except Exception as error:
                    failures.append(f"{type(error).__name__}: {error}"[:200])

        started = time.monotonic()
        await asyncio.gather(*(one(url) for url in urls))
        return {"opened": len(self.idle), "failed": len(failures), "failures": failures[:5], "seconds": time.monotonic() - started}

    async def idle_close(self) -> dict[str, Any]:
        sockets, self.idle = self.idle, []
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return {"closed": len(sockets)}

    async def _close_pair(self, pair: Pair) -> None:
        for ws in (pair.visitor, pair.agent):
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.close()
        for task in pair.tasks:
            task.cancel()

    async def close_pairs(self) -> dict[str, Any]:
        pairs, self.pairs = self.pairs, []
        await asyncio.gather(*(self._close_pair(p) for p in pairs), return_exceptions=True)
        return {"closed": len(pairs)}


async def _serve(conn: Connection, worker_id: int) -> None:
    worker = Worker(worker_id)
    loop = asyncio.get_running_loop()
    while True:
        command, kwargs = await loop.run_in_executor(None, conn.recv)
        if command == "quit":
            await worker.close_pairs()
            await worker.idle_close()
            conn.send({"ok": True})
            return
        try:
            method = getattr(worker, command)
            result = method(**kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            conn.send({"ok": True, "result": result})
        except Exception as error:
            conn.send({"ok": False, "error": f"{type(error).__name__}: {error}"})


def worker_main(conn: Connection, worker_id: int) -> None:
    """Entry point of a client worker process (multiprocessing, spawn)."""
    from contactcenter.bench.servers import raise_fd_limit

    raise_fd_limit()
    asyncio.run(_serve(conn, worker_id))
