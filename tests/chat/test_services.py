"""chat.services: seq under concurrency, idempotent client ids, conflicts, takes, read marks, query counts."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import close_old_connections, connection

from chat import services
from chat.models import Conversation, Message
from chat.selectors import agent_inbox
from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.events import collecting
from tests.factories import AgentFactory, ChannelFactory, ConversationFactory, CustomerFactory

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def visitor_post(conversation, body="hi", client_id=None, **kwargs):
    return services.post_message(
        conversation_id=conversation.pk,
        sender=services.Sender.visitor(conversation.customer_id),
        body=body,
        client_id=client_id,
        now=NOW,
        **kwargs,
    )


def run_in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads started together; returns results and errors by index."""
    barrier = threading.Barrier(count)
    results, errors = {}, {}

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:
            errors[i] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_get_gapless_unique_seqs():
    conversation = ConversationFactory()
    results, errors = run_in_threads(
        8, lambda i: [visitor_post(conversation, f"t{i}-{n}", client_id=f"t{i}-{n}").message.seq for n in range(5)]
    )
    assert errors == {}
    seqs = sorted(seq for per_thread in results.values() for seq in per_thread)
    assert seqs == list(range(1, 41))
    assert list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True)) == seqs
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_client_id_store_one_message():
    conversation = ConversationFactory()
    results, errors = run_in_threads(6, lambda i: visitor_post(conversation, "once", client_id="same-id"))
    assert errors == {}
    assert {r.message.seq for r in results.values()} == {1}
    assert sum(r.created for r in results.values()) == 1
    assert Message.objects.filter(conversation=conversation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_in_threads_exactly_one_wins():
    conversation = ConversationFactory()
    agents = [AgentFactory(teams=[conversation.team]) for _ in range(4)]
    results, errors = run_in_threads(4, lambda i: services.take_conversation(conversation_id=conversation.pk, agent=agents[i], now=NOW))
    assert len(results) == 1
    assert {e.details["reason"] for e in errors.values()} == {"already_taken"}
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == agents[next(iter(results))].pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_of_different_conversations_never_pass_the_agents_capacity():
    channel = ChannelFactory()
    agent = AgentFactory(teams=[channel.team], max_concurrent_chats=2)
    conversations = [ConversationFactory(channel=channel) for _ in range(5)]
    results, errors = run_in_threads(5, lambda i: services.take_conversation(conversation_id=conversations[i].pk, agent=agent, now=NOW))
    assert len(results) == 2
    assert {e.details["reason"] for e in errors.values()} == {"at_capacity"}
    assert Conversation.objects.filter(assignee=agent, status="open").count() == 2


@pytest.mark.django_db
def test_a_retried_client_id_returns_the_stored_message():
    conversation = ConversationFactory()
    first = visitor_post(conversation, "hello", client_id="c1")
    again = visitor_post(conversation, "hello (edited by a buggy client)", client_id="c1")
    assert (again.created, again.message.pk, again.payload["body"]) == (False, first.message.pk, "hello")


@pytest.mark.django_db
def test_a_client_id_used_by_another_sender_is_a_conflict():
    conversation = ConversationFactory()
    agent = AgentFactory(teams=[conversation.team])
    services.take_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)
    visitor_post(conversation, "hello", client_id="shared")
    with pytest.raises(Conflict) as caught:
        services.agent_post_message(agent=agent, conversation_id=conversation.pk, body="x", client_id="shared", now=NOW)
    assert caught.value.details["reason"] == "client_id_in_use"


@pytest.mark.django_db
def test_a_client_id_used_by_another_agent_is_a_conflict():
    conversation = ConversationFactory()
    supervisor, other = AgentFactory(role="supervisor"), AgentFactory(role="supervisor")
    services.agent_post_message(agent=supervisor, conversation_id=conversation.pk, body="x", client_id="mine", now=NOW)
    with pytest.raises(Conflict):
        services.agent_post_message(agent=other, conversation_id=conversation.pk, body="x", client_id="mine", now=NOW)


@pytest.mark.django_db
def test_the_same_client_id_in_two_conversations_is_two_messages():
    one, two = ConversationFactory(), ConversationFactory()
    assert visitor_post(one, client_id="c1").created and visitor_post(two, client_id="c1").created


@pytest.mark.django_db
def test_posting_to_a_closed_conversation_is_a_conflict():
    conversation = ConversationFactory(status=Conversation.Status.CLOSED)
    with pytest.raises(Conflict) as caught:
        visitor_post(conversation)
    assert caught.value.details["reason"] == "conversation_closed"


@pytest.mark.django_db
def test_a_retry_of_a_message_stored_before_the_close_is_still_acked():
    conversation = ConversationFactory()
    visitor_post(conversation, client_id="before")
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.CLOSED)
    assert visitor_post(conversation, client_id="before").created is False


@pytest.mark.django_db
def test_a_visitor_message_reopens_a_resolved_conversation():
    conversation = ConversationFactory()
    agent = AgentFactory(teams=[conversation.team])
    services.take_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)
    services.resolve_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)
    visitor_post(conversation, "one more thing")
    reopened = Conversation.objects.get(pk=conversation.pk)
    assert (reopened.status, reopened.resolved_at, reopened.assignee_id) == ("open", None, agent.pk)


@pytest.mark.django_db
def test_an_unassigned_resolved_conversation_reopens_into_the_queue():
    conversation = ConversationFactory(status=Conversation.Status.RESOLVED)
    visitor_post(conversation)
    assert Conversation.objects.get(pk=conversation.pk).status == "queued"


@pytest.mark.django_db
def test_a_visitor_cannot_post_into_another_customers_conversation():
    conversation = ConversationFactory()
    stranger = CustomerFactory()
    with pytest.raises(NotFound):
        services.post_message(
            conversation_id=conversation.pk, sender=services.Sender.visitor(stranger.pk), body="hi", client_id=None, now=NOW
        )


@pytest.mark.django_db
def test_a_visitor_cannot_write_an_internal_note():
    with pytest.raises(Forbidden):
        visitor_post(ConversationFactory(), internal=True)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["", "   ", None, 5, ["a"]])
def test_an_empty_or_non_text_body_is_invalid(body):
    with pytest.raises(InvalidInput):
        visitor_post(ConversationFactory(), body=body)


@pytest.mark.django_db
def test_a_body_is_stored_stripped():
    assert visitor_post(ConversationFactory(), body="  hi  \n").message.body == "hi"


@pytest.mark.django_db(transaction=True)
def test_events_are_published_only_after_commit():
    conversation = ConversationFactory()
    with collecting() as events:
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            visitor_post(conversation, "rolled back")
            raise RuntimeError
        assert events == []
        visitor_post(conversation, "kept")
    assert [e["message"]["body"] for _, e in events if e["type"] == "chat.message_posted"] == ["kept"]


@pytest.mark.django_db(transaction=True)
def test_a_note_goes_only_to_the_internal_group():
    conversation = ConversationFactory()
    supervisor = AgentFactory(role="supervisor")
    with collecting() as events:
        services.agent_post_message(agent=supervisor, conversation_id=conversation.pk, body="n", client_id=None, internal=True, now=NOW)
    groups = {group for group, _ in events}
    assert f"conversation.{conversation.pk}.internal" in groups
    assert f"conversation.{conversation.pk}" not in groups


@pytest.mark.django_db
def test_take_and_resolve_of_a_resolved_conversation():
    conversation = ConversationFactory(status=Conversation.Status.RESOLVED)
    agent = AgentFactory(teams=[conversation.team])
    with pytest.raises(Conflict) as caught:
        services.take_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)
    assert caught.value.details["reason"] == "conversation_closed"


@pytest.mark.django_db
def test_only_the_assignee_or_a_supervisor_resolves():
    conversation = ConversationFactory()
    owner, colleague = AgentFactory(teams=[conversation.team]), AgentFactory(teams=[conversation.team])
    services.take_conversation(conversation_id=conversation.pk, agent=owner, now=NOW)
    with pytest.raises(Forbidden):
        services.resolve_conversation(conversation_id=conversation.pk, agent=colleague, now=NOW)
    services.resolve_conversation(conversation_id=conversation.pk, agent=AgentFactory(role="supervisor"), now=NOW)
    assert Conversation.objects.get(pk=conversation.pk).status == "resolved"


@pytest.mark.django_db
def test_agent_read_mark_moves_forward_only_and_counts_unread_after_it():
    conversation = ConversationFactory()
    agent = AgentFactory(teams=[conversation.team])
    for n in range(4):
        visitor_post(conversation, f"v{n}")
    assert services.agent_mark_read(agent=agent, conversation_id=conversation.pk, seq=3) == 3
    assert Conversation.objects.get(pk=conversation.pk).unread_for_agent == 1
    assert services.agent_mark_read(agent=agent, conversation_id=conversation.pk, seq=1) == 3
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.agent_last_read_seq, stored.unread_for_agent) == (3, 1)


@pytest.mark.django_db
def test_visitor_read_mark_moves_forward_only():
    conversation = ConversationFactory()
    supervisor = AgentFactory(role="supervisor")
    visitor_post(conversation)
    for n in range(3):
        services.agent_post_message(agent=supervisor, conversation_id=conversation.pk, body=f"a{n}", client_id=None, now=NOW)
    reader = services.Sender.visitor(conversation.customer_id)
    assert services.mark_read(conversation_id=conversation.pk, reader=reader, seq=3) == 3
    assert services.mark_read(conversation_id=conversation.pk, reader=reader, seq=2) == 3
    assert Conversation.objects.get(pk=conversation.pk).visitor_last_read_seq == 3


@pytest.mark.django_db
def test_an_agent_of_another_team_cannot_mark_read():
    conversation = ConversationFactory()
    with pytest.raises(NotFound):
        services.agent_mark_read(agent=AgentFactory(), conversation_id=conversation.pk, seq=1)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["visitor", "agent"])
def test_posting_a_message_takes_the_same_number_of_queries_however_long_the_conversation(django_assert_num_queries, kind):
    conversation = ConversationFactory()
    agent = AgentFactory(teams=[conversation.team])
    services.take_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)

    def post(n):
        if kind == "visitor":
            return visitor_post(conversation, f"m{n}", client_id=f"c{n}")
        return services.agent_post_message(agent=agent, conversation_id=conversation.pk, body=f"m{n}", client_id=f"c{n}", now=NOW)

    post(0)
    with connection.execute_wrapper(counter := QueryCounter()):
        post(1)
    for n in range(2, 30):
        post(n)
    with django_assert_num_queries(counter.count):
        post(30)
    # lock, client_id lookup, insert, counters update (+ savepoint pair inside the test transaction)
    assert counter.count <= 7


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@pytest.mark.django_db
def test_the_agent_inbox_takes_the_same_number_of_queries_for_2_or_40_conversations(django_assert_num_queries):
    channel = ChannelFactory()
    agent = AgentFactory(teams=[channel.team])

    def add(waiting, taken):
        for _ in range(waiting):
            visitor_post(ConversationFactory(channel=channel))
        for _ in range(taken):
            conversation = ConversationFactory(channel=channel)
            visitor_post(conversation)
            services.take_conversation(conversation_id=conversation.pk, agent=agent, now=NOW)

    add(1, 1)
    with connection.execute_wrapper(counter := QueryCounter()):
        inbox = agent_inbox(agent=agent)
    assert (len(inbox["unassigned"]), len(inbox["mine"])) == (1, 1)
    agent.max_concurrent_chats = 100
    add(20, 18)
    with django_assert_num_queries(counter.count):
        inbox = agent_inbox(agent=agent)
    assert (len(inbox["unassigned"]), len(inbox["mine"])) == (21, 19)
