"""Erlang B and C for an M/M/c queue: what staffing predicts, to compare with the simulation."""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with ``agents`` servers and ``traffic`` erlangs offered.

    The recursion B(k) = A·B(k-1) / (k + A·B(k-1)) stays within [0, 1] at every step, so it is
    stable for thousands of agents, where the textbook formula's A^c / c! overflows.
    """
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that an arrival has to wait (all agents busy); 1.0 when the queue is unstable (A >= c)."""
    if agents <= 0 or traffic >= agents:
        return 1.0
    if traffic == 0:
        return 0.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1 - blocking))


@dataclass(frozen=True, slots=True)
class ErlangCPrediction:
    traffic_erlangs: float
    p_wait: float
    avg_wait_s: float  # over all arrivals, including those answered at once
    service_level: float  # share answered within ``service_level_s``
    service_level_s: float
    occupancy: float


def predict(*, agents: int, arrivals_per_hour: float, mean_handle_s: float, service_level_s: float = 20.0) -> ErlangCPrediction | None:
    """Erlang C figures for one queue, or ``None`` when arrivals outrun the agents (the queue grows forever)."""
    traffic = arrivals_per_hour / 3600.0 * mean_handle_s
    if agents <= 0 or traffic >= agents:
        return None
    p_wait = erlang_c(agents, traffic)
    spare = agents - traffic
    return ErlangCPrediction(
        traffic_erlangs=traffic,
        p_wait=p_wait,
        avg_wait_s=p_wait * mean_handle_s / spare,
        service_level=1.0 - p_wait * math.exp(-spare * service_level_s / mean_handle_s),
        service_level_s=service_level_s,
        occupancy=traffic / agents,
    )
