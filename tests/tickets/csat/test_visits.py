"""Follow-up visits (回访) through the API: schedule on a finished ticket or chat, list mine and the team's,
record the outcome once; overdue ones escalated exactly once by the periodic job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat.models import Conversation
from contactcenter.core import events as core_events
from contactcenter.core.staff.models import AgentProfile
from tests.factories import AgentFactory, ConversationFactory
from tests.tickets.conftest import T0
from tests.tickets.csat.conftest import client_for
from tickets import events
from tickets.csat import visits
from tickets.csat.models import FollowUpVisit
from tickets.models import TimelineEntry

pytestmark = pytest.mark.django_db


def _schedule(api: Any, **data: Any) -> Any:
    data.setdefault("due_at", (T0 + timedelta(days=3)).isoformat())
    return api.post("/api/visits/", data, format="json")


def test_an_agent_schedules_a_visit_on_a_solved_ticket_and_the_timeline_says_so(solved: Any, alice: AgentProfile) -> None:
    ticket = solved()
    response = _schedule(client_for(alice), ticket_id=ticket.pk, channel="phone", note="3DC 回访：确认水表读数")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["agent_id"], body["team_id"], body["channel"], body["outcome"], body["completed_at"]) == (
        alice.pk,
        ticket.team_id,
        "phone",
        "",
        None,
    )
    entry = TimelineEntry.objects.get(ticket=ticket, event="follow_up_visit_scheduled")
    assert entry.body == "3DC 回访：确认水表读数" and entry.new_value["visit_id"] == body["id"]


def test_an_open_ticket_gets_no_visit_and_bad_input_is_refused(make_ticket: Any, solved: Any, alice: AgentProfile) -> None:
    api = client_for(alice)
    assert _schedule(api, ticket_id=make_ticket().pk).status_code == 409
    ticket = solved()
    assert _schedule(api, ticket_id=ticket.pk, channel="carrier pigeon").status_code == 400
    assert _schedule(api, ticket_id=ticket.pk, due_at="soon").status_code == 400
    assert _schedule(api).status_code == 400  # neither a ticket nor a chat
    assert _schedule(api, ticket_id=ticket.pk, colour="blue").status_code == 400
    assert not FollowUpVisit.objects.exists()


def test_an_agent_of_another_team_cannot_schedule_or_be_given_one(solved: Any, alice: AgentProfile, outsider: AgentProfile) -> None:
    ticket = solved()
    assert _schedule(client_for(outsider), ticket_id=ticket.pk).status_code == 404
    assert _schedule(client_for(alice), ticket_id=ticket.pk, agent_id=outsider.pk).status_code == 400


def test_a_visit_on_a_resolved_chat(alice: AgentProfile, team: Any) -> None:
    conversation = ConversationFactory(team=team, assignee=alice, status=Conversation.Status.RESOLVED)
    open_chat = ConversationFactory(team=team, status=Conversation.Status.OPEN)
    api = client_for(alice)
    response = _schedule(api, conversation_id=conversation.pk, channel="email")
    assert response.status_code == 201, response.json()
    assert (response.json()["conversation_id"], response.json()["agent_id"]) == (conversation.pk, alice.pk)
    assert _schedule(api, conversation_id=open_chat.pk).status_code == 409
    assert _schedule(api, conversation_id=10**9).status_code == 404


def test_mine_and_the_teams_lists(solved: Any, alice: AgentProfile, bob: AgentProfile, outsider: AgentProfile) -> None:
    api = client_for(alice)
    mine = _schedule(api, ticket_id=solved().pk).json()
    bobs = _schedule(api, ticket_id=solved().pk, agent_id=bob.pk).json()
    assert [v["id"] for v in api.get("/api/visits/").json()["results"]] == [mine["id"]]
    assert {v["id"] for v in api.get("/api/visits/?scope=team").json()["results"]} == {mine["id"], bobs["id"]}
    assert client_for(outsider).get("/api/visits/?scope=team").json()["results"] == []


def test_the_outcome_is_recorded_once_by_the_visits_agent(solved: Any, alice: AgentProfile, bob: AgentProfile) -> None:
    ticket = solved()
    visit = _schedule(client_for(alice), ticket_id=ticket.pk).json()
    url = f"/api/visits/{visit['id']}/outcome/"
    assert client_for(bob).post(url, {"outcome": "reached"}, format="json").status_code == 403
    assert client_for(alice).post(url, {"outcome": "delighted"}, format="json").status_code == 400
    done = client_for(alice).post(url, {"outcome": "satisfied", "notes": "客户表示满意"}, format="json")
    assert done.status_code == 200 and done.json()["outcome"] == "satisfied" and done.json()["completed_at"]
    assert client_for(alice).post(url, {"outcome": "unsatisfied"}, format="json").status_code == 409
    assert TimelineEntry.objects.get(ticket=ticket, event="follow_up_visit_completed").new_value["outcome"] == "satisfied"
    assert client_for(alice).get("/api/visits/").json()["results"] == []
    assert len(client_for(alice).get("/api/visits/?open=0").json()["results"]) == 1


def test_an_overdue_visit_is_escalated_once_to_the_teams_supervisors(
    solved: Any, alice: AgentProfile, team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lead = AgentFactory(teams=[team], role=AgentProfile.Role.SUPERVISOR)
    ticket = solved()
    visit = visits.schedule_visit(actor=alice, ticket_id=ticket.pk, due_at=T0 + timedelta(hours=1), now=T0, note="回访")
    done = visits.schedule_visit(actor=alice, ticket_id=solved().pk, due_at=T0 + timedelta(hours=1), now=T0)
    visits.record_outcome(actor=alice, visit_id=done.pk, outcome="reached", now=T0)
    assert visits.escalate_overdue(T0 + timedelta(minutes=59)) == 0
    with core_events.collecting() as sent, django_capture_on_commit_callbacks(execute=True):
        assert visits.escalate_overdue(T0 + timedelta(hours=2)) == 1
        assert visits.escalate_overdue(T0 + timedelta(hours=3)) == 0
    told = sorted(g for g, e in sent if e["type"] == visits.OVERDUE)
    assert told == sorted([events.agent_group(lead.pk), events.agent_group(alice.pk)])
    assert TimelineEntry.objects.filter(ticket=ticket, event="follow_up_visit_overdue").count() == 1
    visit.refresh_from_db()
    assert visit.escalated_at == T0 + timedelta(hours=2)


def test_the_escalation_job_is_on_the_ticker() -> None:
    from contactcenter.core import periodic

    assert {"tickets_csat.escalate_visits", "tickets_csat.send_invitations"} <= set(periodic.names())


def test_now_is_used_for_schedule_times(solved: Any, alice: AgentProfile) -> None:
    visit = visits.schedule_visit(actor=alice, ticket_id=solved().pk, due_at=timezone.now(), now=T0)
    assert visit.created_at == T0
