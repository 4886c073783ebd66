"""SLA clocks in the database: set on creation by the policy, recomputed from history on every ticket event, fired once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from contactcenter.core.staff.models import AgentProfile, Team
from tests.factories import AgentFactory
from tests.tickets.conftest import event_types
from tests.tickets.sla.conftest import CREATED, sh
from tickets import services
from tickets.access import SYSTEM
from tickets.models import Stage, Ticket, TimelineEntry
from tickets.sla import services as sla
from tickets.sla.models import PausingStage, SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(policy: SlaPolicy, make_ticket: Callable[..., Ticket], capture_events: Any) -> Ticket:
    with capture_events():
        return make_ticket(now=CREATED)


def clock(ticket: Ticket, metric: str = "first_response", cycle: int = 0) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, metric=metric, cycle=cycle)


def test_a_new_ticket_gets_clocks_due_in_working_time_past_the_holiday(ticket: Ticket) -> None:
    first = clock(ticket)
    assert first.due_at == sh(2026, 10, 2, 10, 0) and first.warn_at == sh(2026, 10, 2, 9, 30)
    assert clock(ticket, "resolution").due_at == sh(2026, 10, 5, 15, 0)  # 1 h Wed, 9 h Fri, 6 h Mon
    assert not SlaClock.objects.filter(ticket=ticket, metric="next_response").exists()


def test_an_agents_reply_meets_the_first_response_and_a_customer_reply_starts_the_next(
    ticket: Ticket, alice: AgentProfile, capture_events: Any
) -> None:
    with capture_events():
        services.reply(ticket_id=ticket.pk, actor=alice, body="Looking into it", now=CREATED + timedelta(minutes=20))
    assert clock(ticket).stopped_at == CREATED + timedelta(minutes=20) and clock(ticket).breached_at is None
    with capture_events():
        services.reply(ticket_id=ticket.pk, actor=ticket.customer, body="Any news?", now=sh(2026, 10, 2, 9, 0))
    assert clock(ticket, "next_response").due_at == sh(2026, 10, 2, 13, 0)


def test_deleting_the_reply_from_history_recomputes_the_clock_running_again(
    ticket: Ticket, alice: AgentProfile, capture_events: Any
) -> None:
    with capture_events():
        entry = services.reply(ticket_id=ticket.pk, actor=alice, body="On it", now=CREATED + timedelta(minutes=20))
    TimelineEntry.objects.filter(pk=entry.pk).delete()
    sla.recompute_ticket(ticket_id=ticket.pk, now=CREATED + timedelta(minutes=30))
    assert clock(ticket).stopped_at is None and clock(ticket).due_at == sh(2026, 10, 2, 10, 0)


def test_a_stage_that_waits_on_the_customer_pauses_the_clocks(ticket: Ticket, team: Team, capture_events: Any) -> None:
    waiting = Stage.objects.create(team=team, name="Waiting for customer", position=1)
    PausingStage.objects.create(stage=waiting)
    with capture_events():
        services.update_ticket(ticket_id=ticket.pk, actor=SYSTEM, stage=waiting, now=CREATED + timedelta(minutes=30))
    paused = clock(ticket, "resolution")
    assert paused.is_paused and paused.due_at is None and paused.remaining_s == 16 * 3600 - 1800
    with capture_events():
        services.update_ticket(ticket_id=ticket.pk, actor=SYSTEM, stage=Stage.objects.get(team=team, name="New"), now=sh(2026, 10, 5, 9, 0))
    # 15.5 h were left: Monday 09:00-18:00, then Tuesday until 15:30.
    assert clock(ticket, "resolution").due_at == sh(2026, 10, 6, 15, 30)


def test_a_ticket_of_another_team_gets_no_clocks(
    make_ticket: Callable[..., Ticket], other_team: Team, policy: SlaPolicy, capture_events: Any
) -> None:
    with capture_events():
        ticket = make_ticket(team=other_team, now=CREATED)
    assert not SlaClock.objects.filter(ticket=ticket).exists()


def test_the_first_matching_policy_by_position_wins(ticket: Ticket, policy: SlaPolicy, capture_events: Any) -> None:
    urgent = SlaPolicy.objects.create(name="Urgent", position=-1, priorities=["urgent"], first_response_s=600)
    with capture_events():
        services.update_ticket(ticket_id=ticket.pk, actor=SYSTEM, priority="urgent", now=CREATED)
    assert clock(ticket).policy == urgent and clock(ticket).due_at == CREATED + timedelta(minutes=10)
    assert not SlaClock.objects.filter(ticket=ticket, metric="resolution").exists()


def test_warning_and_breach_fire_once_each_and_the_breach_raises_the_priority(
    ticket: Ticket, team: Team, capture_events: Any, alice: AgentProfile
) -> None:
    sue = AgentFactory(teams=[team], display_name="Sue", role=AgentProfile.Role.SUPERVISOR)
    with capture_events() as sent:
        assert sla.fire_due(sh(2026, 10, 2, 9, 29)) == 0
        assert sla.fire_due(sh(2026, 10, 2, 9, 31)) == 1
        assert sla.fire_due(sh(2026, 10, 2, 9, 45)) == 0
    assert event_types(sent, f"tickets.team.{team.pk}") == ["ticket.sla_warning"]
    with capture_events() as sent:
        assert sla.fire_due(sh(2026, 10, 2, 10, 1)) == 1
        assert sla.fire_due(sh(2026, 10, 2, 10, 2)) == 0
    assert "ticket.sla_breached" in event_types(sent, f"tickets.agent.{sue.pk}")
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert list(ticket.timeline.filter(kind="system").exclude(event="created").values_list("event", flat=True)) == [
        "sla_warning",
        "sla_breached",
    ]
    breached = clock(ticket)
    assert breached.breached_at == sh(2026, 10, 2, 10, 0) and breached.breach_fired_at == sh(2026, 10, 2, 10, 1)
    # The priority change recomputed the clocks: the breach stays recorded and does not fire again.
    with capture_events():
        assert sla.fire_due(sh(2026, 10, 2, 11, 0)) == 0


def test_the_celery_task_runs_the_same_firing_job(ticket: Ticket, capture_events: Any) -> None:
    import time_machine

    from tickets.sla import tasks

    with time_machine.travel(sh(2026, 10, 2, 9, 31), tick=False), capture_events():
        assert tasks.fire_due.apply().get() == 1
    assert clock(ticket).warning_fired_at == sh(2026, 10, 2, 9, 31)


def test_the_periodic_job_is_registered() -> None:
    from contactcenter.core import periodic

    assert "tickets_sla.fire" in periodic.names()


def test_a_firing_that_dies_half_way_leaves_no_mark_and_fires_on_the_next_run(
    ticket: Ticket, capture_events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sla, "_escalate", crash)
    with capture_events():
        assert sla.fire_due(sh(2026, 10, 2, 10, 1)) == 1  # the warning fires; the breach dies after its mark and entry
    assert clock(ticket).breach_fired_at is None
    assert not ticket.timeline.filter(event="sla_breached").exists()
    monkeypatch.undo()
    with capture_events():
        assert sla.fire_due(sh(2026, 10, 2, 10, 2)) == 1
        assert sla.fire_due(sh(2026, 10, 2, 10, 3)) == 0
    assert ticket.timeline.filter(event="sla_breached").count() == 1


def test_a_breach_can_send_the_ticket_back_through_routing(
    ticket: Ticket, policy: SlaPolicy, alice: AgentProfile, capture_events: Any
) -> None:
    policy.redispatch = True
    policy.raise_priority = False
    policy.save()
    with capture_events():
        services.assign_ticket(ticket_id=ticket.pk, actor=SYSTEM, agent=alice, now=CREATED)
        assert sla.fire_due(sh(2026, 10, 2, 10, 1)) == 2
    ticket.refresh_from_db()
    assert ticket.assignee_id != alice.pk
    assert ticket.timeline.filter(event="redispatched").count() == 1


def test_a_bulk_solve_stops_the_clocks_of_every_ticket_it_names(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], capture_events: Any
) -> None:
    with capture_events():
        tickets = [make_ticket(now=CREATED) for _ in range(3)]
        services.bulk_update(ticket_ids=[t.pk for t in tickets], actor=SYSTEM, now=CREATED + timedelta(minutes=15), status="solved")
    solved_at = CREATED + timedelta(minutes=15)
    assert set(SlaClock.objects.filter(metric="resolution").values_list("stopped_at", flat=True)) == {solved_at}
    assert sla.fire_due(sh(2026, 10, 9, 9, 0)) == 0


def test_a_customer_reply_on_a_solved_ticket_reopens_it_and_its_resolution_clock_runs_on(
    ticket: Ticket, alice: AgentProfile, capture_events: Any
) -> None:
    with capture_events():
        services.reply(ticket_id=ticket.pk, actor=alice, body="Fixed", now=CREATED + timedelta(minutes=30))
        services.solve_ticket(ticket_id=ticket.pk, actor=alice, now=CREATED + timedelta(minutes=30))
    assert clock(ticket, "resolution").stopped_at == CREATED + timedelta(minutes=30)
    monday = sh(2026, 10, 5, 9, 0)
    with capture_events():
        services.reply(ticket_id=ticket.pk, actor=ticket.customer, body="Still wrong", now=monday)
    resolution = clock(ticket, "resolution")
    assert resolution.stopped_at is None and resolution.due_at == sh(2026, 10, 6, 15, 30)  # 15.5 h left: Monday, then Tuesday to 15:30
    assert clock(ticket, "next_response").due_at == monday + timedelta(hours=4)


def test_a_merged_ticket_loses_its_clocks(ticket: Ticket, make_ticket: Callable[..., Ticket], capture_events: Any) -> None:
    with capture_events():
        survivor = make_ticket(now=CREATED)
        services.merge_tickets(ticket_ids=[ticket.pk], into_id=survivor.pk, actor=SYSTEM, now=CREATED + timedelta(minutes=5))
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert clock(survivor).due_at == sh(2026, 10, 2, 10, 0)


def test_scope_by_customer_tag_and_ticket_type(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], capture_events: Any, customer: Any
) -> None:
    from tickets.models import TicketType

    repair = TicketType.objects.create(name="报修")
    vip = SlaPolicy.objects.create(name="VIP repairs", position=-1, customer_tags=["vip"], first_response_s=900)
    vip.ticket_types.set([repair])
    with capture_events():
        plain = make_ticket(now=CREATED, ticket_type=repair)
    assert clock(plain).policy == policy  # the customer is not tagged vip
    customer.tags = ["vip"]
    customer.save()
    with capture_events():
        tagged = make_ticket(now=CREATED, ticket_type=repair)
        untyped = make_ticket(now=CREATED)
    assert clock(tagged).policy == vip and clock(untyped).policy == policy


def test_a_bulk_change_reads_policies_and_calendars_once_not_per_ticket(
    policy: SlaPolicy, make_ticket: Callable[..., Ticket], capture_events: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import hooks

    with capture_events():
        ids = [make_ticket(now=CREATED).pk for _ in range(30)]
    counts = []
    for some in (ids[:3], ids):
        with CaptureQueriesContext(connection) as queries:
            sla.on_ticket_event(hooks.TicketEvent(name="ticket.bulk_updated", ticket_ids=tuple(some)))
        counts.append(len(queries))
    per_ticket = (counts[1] - counts[0]) / 27
    assert per_ticket <= 7, counts


def test_celery_finds_the_task_and_beat_schedules_it() -> None:
    from contactcenter.celery import app

    app.autodiscover_tasks(force=True)
    assert "tickets_sla.fire_due" in app.tasks
    assert app.conf.beat_schedule["tickets_sla.fire_due"]["task"] == "tickets_sla.fire_due"


def test_deleting_the_target_stage_keeps_the_policy_without_its_stage_target(policy: SlaPolicy, team: Team) -> None:
    stage = Stage.objects.create(team=team, name="Site visit", position=5)
    policy.target_stage, policy.stage_s = stage, 3600
    policy.save()
    assert "stage" in policy.targets()
    stage.delete()
    policy.refresh_from_db()
    assert policy.target_stage is None and "stage" not in policy.targets()


def test_without_any_policy_a_bulk_change_costs_the_sla_listener_one_query(team: Team, alice: AgentProfile) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import hooks

    made = [services.create_ticket(actor=SYSTEM, team=team, subject=f"T{n}", now=CREATED) for n in range(30)]
    event = hooks.TicketEvent(name="ticket.bulk_updated", ticket_ids=tuple(t.pk for t in made), fields={"changes": ["priority"]})
    with CaptureQueriesContext(connection) as queries:
        sla.on_ticket_event(event)
    # The policies, the pausing stages, and one delete of any stale clocks.
    assert len(queries) <= 3, [q["sql"] for q in queries]
