"""A visitor can never read or write another visitor's conversation; refusals look like "not found"."""

import pytest
from asgiref.sync import sync_to_async
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import services
from chat.access import (
    access_attachment_for_agent,
    access_attachment_for_visitor,
    access_conversation_for_agent,
    access_conversation_for_visitor,
)
from chat.visitors import SALT, issue_token, read_token
from contactcenter.core.errors import NotFound
from tests.chat.wsclient import visitor_with_conversation, widget
from tests.factories import AgentFactory, ChannelFactory, ConversationFactory, CustomerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(conversation, sender, name="photo.png", data=PNG):
    return services.store_attachment(conversation_id=conversation.pk, sender=sender, upload=SimpleUploadedFile(name, data))


# ------------------------------------------------------------------------------ tokens


@pytest.mark.django_db
def test_a_token_reads_back_only_for_its_own_channel():
    token, identity = issue_token(channel_id=1)
    assert read_token(token, channel_id=1) == identity
    assert read_token(token, channel_id=2) is None


@pytest.mark.parametrize("token", ["", "garbage", "a" * 600, None, 5])
def test_a_garbled_token_reads_as_nobody(token):
    assert read_token(token, channel_id=1) is None


def test_a_token_signed_with_another_key_or_salt_reads_as_nobody():
    forged = signing.dumps({"v": "someone-else", "c": 1}, salt=SALT, key="not-our-secret-key-at-all-0123456789")
    assert read_token(forged, channel_id=1) is None
    wrong_salt = signing.dumps({"v": "someone-else", "c": 1}, salt="another.salt")
    assert read_token(wrong_salt, channel_id=1) is None


@pytest.mark.django_db(transaction=True)
async def test_a_forged_token_gets_a_fresh_visitor_not_the_victims_conversation(channel):
    victim, welcome, _ = await visitor_with_conversation(channel.public_key, body="my card number")
    forged = welcome["visitor_token"][:-4] + ("AAAA" if not welcome["visitor_token"].endswith("AAAA") else "BBBB")
    intruder, hijack = await widget(channel.public_key, token=forged, last_seq=0)
    assert hijack["conversation"] is None and hijack["visitor_token"] != welcome["visitor_token"]
    await intruder.send({"type": "resume", "last_seq": 0})
    assert (await intruder.recv_type("replay"))["messages"] == []
    await intruder.close()
    await victim.close()


@pytest.mark.django_db(transaction=True)
async def test_a_token_from_another_channel_does_not_carry_over(channel):
    visitor, welcome, _ = await visitor_with_conversation(channel.public_key, body="private")
    other = await sync_to_async(ChannelFactory)()
    elsewhere, hello = await widget(other.public_key, token=welcome["visitor_token"])
    assert hello["conversation"] is None and hello["visitor_token"] != welcome["visitor_token"]
    await elsewhere.close()
    await visitor.close()


@pytest.mark.django_db(transaction=True)
async def test_visitor_frames_carry_no_conversation_id_to_guess(channel):
    """The widget protocol names no conversation: ids in a frame are ignored, never followed."""
    victim, _, victim_conv = await visitor_with_conversation(channel.public_key, body="secret")
    intruder, _, own_conv = await visitor_with_conversation(channel.public_key, body="mine")
    await intruder.send({"type": "message", "client_id": "x", "body": "hijack", "conversation_id": victim_conv})
    ack = await intruder.recv_type("ack")
    assert ack["conversation_id"] == own_conv
    await intruder.send({"type": "resume", "last_seq": 0, "conversation_id": victim_conv})
    replay = await intruder.recv_type("replay")
    assert replay["conversation_id"] == own_conv and "secret" not in [m["body"] for m in replay["messages"]]
    await intruder.close()
    await victim.close()


# -------------------------------------------------------------------- conversations


@pytest.mark.django_db
def test_a_visitor_can_access_only_their_own_conversation_on_its_channel():
    conversation = ConversationFactory()
    access_conversation_for_visitor(
        customer_id=conversation.customer_id, channel_id=conversation.channel_id, conversation_id=conversation.pk
    )
    stranger = CustomerFactory()
    other_channel = ChannelFactory()
    for customer_id, channel_id, conversation_id in [
        (stranger.pk, conversation.channel_id, conversation.pk),
        (conversation.customer_id, other_channel.pk, conversation.pk),
        (conversation.customer_id, conversation.channel_id, conversation.pk + 1000),
    ]:
        with pytest.raises(NotFound) as caught:
            access_conversation_for_visitor(customer_id=customer_id, channel_id=channel_id, conversation_id=conversation_id)
        assert caught.value.message == "No such conversation."


@pytest.mark.django_db
def test_a_visitor_cannot_mark_another_customers_conversation_read():
    conversation = ConversationFactory()
    with pytest.raises(NotFound):
        services.mark_read(conversation_id=conversation.pk, reader=services.Sender.visitor(CustomerFactory().pk), seq=1)


@pytest.mark.django_db
def test_agents_see_their_teams_conversations_supervisors_all_others_none():
    conversation = ConversationFactory()
    member = AgentFactory(teams=[conversation.team])
    assert access_conversation_for_agent(agent=member, conversation_id=conversation.pk) == conversation
    assert access_conversation_for_agent(agent=AgentFactory(role="supervisor"), conversation_id=conversation.pk) == conversation
    with pytest.raises(NotFound):
        access_conversation_for_agent(agent=AgentFactory(), conversation_id=conversation.pk)


# ---------------------------------------------------------------------- attachments


@pytest.mark.django_db
def test_a_visitor_gets_their_own_upload_but_not_another_visitors():
    mine, theirs = ConversationFactory(), ConversationFactory()
    attachment = upload(theirs, services.Sender.visitor(theirs.customer_id))
    own = upload(mine, services.Sender.visitor(mine.customer_id))
    assert access_attachment_for_visitor(customer_id=mine.customer_id, channel_id=mine.channel_id, attachment_id=own.pk) == own
    with pytest.raises(NotFound):
        access_attachment_for_visitor(customer_id=mine.customer_id, channel_id=mine.channel_id, attachment_id=attachment.pk)
    with pytest.raises(NotFound):
        access_attachment_for_visitor(customer_id=mine.customer_id, channel_id=mine.channel_id, attachment_id=attachment.pk + 1000)


@pytest.mark.django_db
def test_an_agents_upload_is_hidden_from_the_visitor_until_sent_publicly():
    conversation = ConversationFactory()
    supervisor = AgentFactory(role="supervisor")
    attachment = upload(conversation, services.Sender.for_agent(supervisor))
    ids = {"customer_id": conversation.customer_id, "channel_id": conversation.channel_id, "attachment_id": attachment.pk}
    with pytest.raises(NotFound):
        access_attachment_for_visitor(**ids)
    services.agent_post_message(
        agent=supervisor, conversation_id=conversation.pk, body="", client_id="f", attachment_ids=[attachment.pk], now=timezone.now()
    )
    assert access_attachment_for_visitor(**ids) == attachment


@pytest.mark.django_db
def test_a_visitor_cannot_attach_another_visitors_upload_and_learns_nothing_from_trying():
    mine, theirs = ConversationFactory(), ConversationFactory()
    attachment = upload(theirs, services.Sender.visitor(theirs.customer_id))
    errors = []
    for attachment_id in (attachment.pk, attachment.pk + 1000):
        with pytest.raises(NotFound) as caught:
            services.post_message(
                conversation_id=mine.pk,
                sender=services.Sender.visitor(mine.customer_id),
                body="look",
                client_id=None,
                attachment_ids=[attachment_id],
                now=timezone.now(),
            )
        errors.append(caught.value.message)
    assert errors[0] == errors[1]


@pytest.mark.django_db
def test_an_agent_cannot_send_a_visitors_upload_as_their_own():
    conversation = ConversationFactory()
    attachment = upload(conversation, services.Sender.visitor(conversation.customer_id))
    with pytest.raises(NotFound):
        services.agent_post_message(
            agent=AgentFactory(role="supervisor"),
            conversation_id=conversation.pk,
            body="x",
            client_id=None,
            attachment_ids=[attachment.pk],
            now=timezone.now(),
        )


@pytest.mark.django_db
def test_a_visitor_cannot_upload_into_another_customers_conversation():
    conversation = ConversationFactory()
    with pytest.raises(NotFound):
        upload(conversation, services.Sender.visitor(CustomerFactory().pk))


@pytest.mark.django_db
def test_an_agent_of_another_team_cannot_fetch_an_attachment():
    conversation = ConversationFactory()
    attachment = upload(conversation, services.Sender.visitor(conversation.customer_id))
    assert access_attachment_for_agent(agent=AgentFactory(teams=[conversation.team]), attachment_id=attachment.pk) == attachment
    with pytest.raises(NotFound):
        access_attachment_for_agent(agent=AgentFactory(), attachment_id=attachment.pk)
