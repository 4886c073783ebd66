"""The automation API: templates (checked, previewed, sandboxed), macros applied in one transaction, canned replies,
rules for supervisors only, a ticket's automation log; the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.core.staff.models import AgentProfile, Team
from tickets.automation.models import CannedReply, Macro, Rule, Template
from tickets.models import Stage, Ticket, TimelineEntry

pytestmark = pytest.mark.django_db


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


@pytest.fixture
def boss(supervisor: AgentProfile) -> APIClient:
    return client_for(supervisor)


@pytest.fixture
def api(alice: AgentProfile) -> APIClient:
    return client_for(alice)


# -- templates -------------------------------------------------------------------------------------


def test_a_template_with_unknown_fields_is_refused_and_they_are_listed(boss: APIClient) -> None:
    answer = boss.post(
        "/api/automation/templates/",
        {"name": "Bad", "kind": "reply", "body": "Hi ${customer.name}, ${ticket.secret} ${customer.user.password}"},
        format="json",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_template"
    assert body["details"]["unknown_fields"] == ["customer.user.password", "ticket.secret"]
    assert not Template.objects.exists()


@pytest.mark.parametrize(
    "hostile",
    [
        "${''.__class__.__mro__}",
        "${ticket.subject.__class__}",
        "{% for x in range(100000) %}{% for y in range(100000) %}x{% endfor %}{% endfor %}",
        "${ticket.subject * 100000000}",
        "${ticket.subject|replace('a', 'aaaaaaaaaa')|replace('a', 'aaaaaaaaaa')}",
        "${ticket['subject']}",
        "${lipsum(100000)}",
        "{% set x = 'y' %}",
        "{% include 'x' %}",
        "${ticket.subject|truncate(10000000)}",
    ],
)
def test_hostile_templates_are_refused_before_they_run(boss: APIClient, hostile: str) -> None:
    answer = boss.post("/api/automation/templates/", {"name": "Hostile", "kind": "reply", "body": hostile}, format="json")
    assert answer.status_code == 400, answer.json()
    assert answer.json()["code"] in ("invalid_template", "invalid")


def test_preview_renders_against_a_ticket_the_agent_may_see(
    boss: APIClient, api: APIClient, make_ticket: Any, outsider: AgentProfile, alice: AgentProfile
) -> None:
    ticket = make_ticket(subject="Leak <b>now</b>")
    created = boss.post(
        "/api/automation/templates/",
        {"name": "Ack", "kind": "email", "subject": "Re: ${ticket.subject}", "body": "<p>${ticket.subject}</p>", "is_html": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    shown = api.post("/api/automation/templates/preview/", {"ticket": ticket.pk, "template": created.json()["id"]}, format="json")
    assert shown.status_code == 200
    assert shown.json() == {"subject": "Re: Leak <b>now</b>", "body": "<p>Leak &lt;b&gt;now&lt;/b&gt;</p>"}
    draft = api.post(
        "/api/automation/templates/preview/",
        {"ticket": ticket.pk, "body": "${ticket.number} for ${customer.name} by ${agent.name}{% if ticket.type %}!{% endif %}"},
        format="json",
    )
    assert draft.json()["body"] == f"{ticket.number} for Wang Fang by Alice"
    hidden = client_for(outsider).post("/api/automation/templates/preview/", {"ticket": ticket.pk, "body": "x"}, format="json")
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


def test_agents_read_templates_but_only_supervisors_change_them(api: APIClient, boss: APIClient) -> None:
    assert api.post("/api/automation/templates/", {"name": "X", "kind": "reply", "body": "x"}, format="json").status_code == 403
    made = boss.post("/api/automation/templates/", {"name": "X", "kind": "reply", "body": "x"}, format="json").json()
    assert [t["name"] for t in api.get("/api/automation/templates/").json()] == ["X"]
    assert api.patch(f"/api/automation/templates/{made['id']}/", {"body": "y"}, format="json").status_code == 403
    assert boss.patch(f"/api/automation/templates/{made['id']}/", {"body": "y"}, format="json").json()["body"] == "y"


def test_input_is_strict(boss: APIClient) -> None:
    answer = boss.post("/api/automation/templates/", {"name": "X", "kind": "reply", "body": "x", "bodyy": 1}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid" and "bodyy" in answer.json()["details"]["fields"]
    assert boss.post("/api/automation/templates/", {"name": 5, "kind": "reply", "body": "x"}, format="json").status_code == 400


# -- macros ----------------------------------------------------------------------------------------


def test_a_macro_applies_every_action_as_the_agent(
    boss: APIClient, api: APIClient, make_ticket: Any, make_template: Any, alice: AgentProfile
) -> None:
    thanks = make_template("Thanks", "Thank you, ${customer.name}. — ${agent.name}")
    macro = boss.post(
        "/api/automation/macros/",
        {
            "name": "Close as fixed",
            "shared": True,
            "actions": [
                {"type": "set_priority", "value": "low"},
                {"type": "add_tags", "value": ["fixed"]},
                {"type": "add_note", "body": "Closed by macro for ${ticket.number}"},
                {"type": "reply", "template": thanks.pk},
                {"type": "set_status", "value": "solved"},
            ],
        },
        format="json",
    ).json()
    ticket = make_ticket()
    assert [m["name"] for m in api.get("/api/automation/macros/").json()] == ["Close as fixed"]
    answer = api.post(f"/api/tickets/{ticket.pk}/apply-macro/", {"macro": macro["id"]}, format="json")
    assert answer.status_code == 200, answer.json()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status, [t.name for t in ticket.tags.all()]) == ("low", "solved", ["fixed"])
    reply = TimelineEntry.objects.get(ticket=ticket, kind="public_reply")
    assert reply.body == "Thank you, Wang Fang. — Alice" and reply.author_agent_id == alice.pk
    assert set(TimelineEntry.objects.filter(ticket=ticket, kind="field_change").values_list("author_agent_id", flat=True)) == {alice.pk}


def test_a_macro_whose_action_fails_changes_nothing(boss: APIClient, api: APIClient, make_ticket: Any, other_team: Team) -> None:
    ticket = make_ticket()
    elsewhere = Stage.objects.create(team=other_team, name="Elsewhere", position=0)
    macro = Macro.objects.create(
        name="Broken",
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "add_note", "body": "noted"},
            {"type": "set_stage", "value": elsewhere.pk},
        ],
        created_at=ticket.created_at,
        updated_at=ticket.created_at,
    )
    before = TimelineEntry.objects.filter(ticket=ticket).count()
    answer = api.post(f"/api/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and TimelineEntry.objects.filter(ticket=ticket).count() == before


def test_macros_are_personal_or_shared_by_supervisors(api: APIClient, boss: APIClient, bob: AgentProfile, make_ticket: Any) -> None:
    assert (
        api.post(
            "/api/automation/macros/", {"name": "S", "shared": True, "actions": [{"type": "set_priority", "value": "low"}]}, format="json"
        ).status_code
        == 403
    )
    mine = api.post("/api/automation/macros/", {"name": "Mine", "actions": [{"type": "set_priority", "value": "low"}]}, format="json")
    assert mine.status_code == 201 and mine.json()["shared"] is False
    other = client_for(bob)
    assert other.get("/api/automation/macros/").json() == []
    ticket = make_ticket()
    assert other.post(f"/api/tickets/{ticket.pk}/apply-macro/", {"macro": mine.json()["id"]}, format="json").status_code == 404
    assert other.delete(f"/api/automation/macros/{mine.json()['id']}/").status_code == 404


def test_applying_a_macro_to_a_hidden_ticket_is_not_found(
    boss: APIClient, make_macro: Any, make_ticket: Any, outsider: AgentProfile
) -> None:
    macro = make_macro("Low", [{"type": "set_priority", "value": "low"}])
    ticket = make_ticket()
    answer = client_for(outsider).post(f"/api/tickets/{ticket.pk}/apply-macro/", {"macro": macro.pk}, format="json")
    assert answer.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


# -- canned replies --------------------------------------------------------------------------------


def test_canned_replies_are_found_by_shortcut_first_and_rendered_for_a_ticket(
    boss: APIClient, api: APIClient, make_ticket: Any, team: Team, other_team: Team
) -> None:
    boss.post(
        "/api/canned-replies/",
        {"title": "Greeting", "shortcut": "hi", "body": "Hello ${customer.name}, ${agent.name} here.", "shared": True},
        format="json",
    )
    boss.post("/api/canned-replies/", {"title": "History of hi", "shortcut": "zz", "body": "x", "shared": True}, format="json")
    boss.post(
        "/api/canned-replies/",
        {"title": "Repairs only", "shortcut": "hire", "body": "x", "shared": True, "team": other_team.pk},
        format="json",
    )
    api.post("/api/canned-replies/", {"title": "My own", "shortcut": "hint", "body": "Ticket ${ticket.number}"}, format="json")
    ticket = make_ticket()
    found = api.get("/api/canned-replies/", {"q": "::hi", "ticket": ticket.pk}).json()
    assert [r["shortcut"] for r in found] == ["hi", "hint", "zz"]  # shortcut matches first; another team's is not shown
    assert found[0]["rendered"] == "Hello Wang Fang, Alice here." and found[1]["rendered"] == f"Ticket {ticket.number}"
    assert api.get("/api/canned-replies/", {"q": "hi"}).json()[0]["rendered"] is None


def test_canned_reply_permissions(api: APIClient, boss: APIClient, bob: AgentProfile, outsider: AgentProfile, make_ticket: Any) -> None:
    assert api.post("/api/canned-replies/", {"title": "S", "shortcut": "s", "body": "x", "shared": True}, format="json").status_code == 403
    mine = api.post("/api/canned-replies/", {"title": "Mine", "shortcut": "mine", "body": "x"}, format="json").json()
    assert client_for(bob).get("/api/canned-replies/", {"q": "mine"}).json() == []
    assert client_for(bob).patch(f"/api/canned-replies/{mine['id']}/", {"body": "y"}, format="json").status_code == 404
    shared = boss.post("/api/canned-replies/", {"title": "S", "shortcut": "s", "body": "x", "shared": True}, format="json").json()
    assert api.delete(f"/api/canned-replies/{shared['id']}/").status_code == 403
    assert client_for(outsider).get("/api/canned-replies/", {"ticket": make_ticket().pk}).status_code == 404
    bad = api.post("/api/canned-replies/", {"title": "Bad", "shortcut": "bad one", "body": "x"}, format="json")
    assert bad.status_code == 400
    dup = api.post("/api/canned-replies/", {"title": "Again", "shortcut": "mine", "body": "x"}, format="json")
    assert dup.status_code == 409
    assert CannedReply.objects.count() == 2


# -- rules and the log -----------------------------------------------------------------------------


def test_rules_are_for_supervisors_and_the_log_for_agents_who_see_the_ticket(
    api: APIClient, boss: APIClient, make_ticket: Any, outsider: AgentProfile, django_capture_on_commit_callbacks: Any
) -> None:
    rule = {"name": "Urgent refunds", "trigger": "event", "events": ["created"], "actions": [{"type": "set_priority", "value": "urgent"}]}
    assert api.post("/api/automation/rules/", rule, format="json").status_code == 403
    made = boss.post("/api/automation/rules/", rule, format="json")
    assert made.status_code == 201, made.json()
    assert [r["name"] for r in api.get("/api/automation/rules/").json()] == ["Urgent refunds"]
    bad = boss.post("/api/automation/rules/", {**rule, "name": "Bad", "conditions": {"all": [{"field": "x", "op": "is"}]}}, format="json")
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    log = api.get(f"/api/tickets/{ticket.pk}/automation-log/").json()
    assert [(r["rule_name"], r["trigger"], r["action_errors"]) for r in log] == [("Urgent refunds", "ticket.created", [])]
    assert client_for(outsider).get(f"/api/tickets/{ticket.pk}/automation-log/").status_code == 404
    assert Rule.objects.count() == 1


def test_placeholders_are_listed(api: APIClient) -> None:
    listed = api.get("/api/automation/placeholders/").json()
    assert "number" in listed["placeholders"]["ticket"] and "upper" in listed["filters"]


def test_anonymous_and_non_agents_are_refused(client: Any) -> None:
    for path in ("/api/automation/templates/", "/api/automation/rules/", "/api/automation/macros/", "/api/canned-replies/"):
        assert client.get(path).status_code in (401, 403)


def test_a_template_in_use_cannot_be_deleted(boss: APIClient, make_template: Any, make_macro: Any) -> None:
    used = make_template("Used", "Thanks ${customer.name}")
    make_macro("Thank", [{"type": "reply", "template": used.pk}])
    answer = boss.delete(f"/api/automation/templates/{used.pk}/")
    assert answer.status_code == 409 and "Thank" in answer.json()["message"]
    assert Template.objects.filter(pk=used.pk).exists()
