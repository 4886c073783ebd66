"""factory_boy factories for the tables tests need."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from bot.models import Article, BotTurn
from chat.models import Conversation
from contactcenter.core.customers.models import Customer
from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile, Team


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(factory.django.DjangoModelFactory[object]):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class AgentFactory(factory.django.DjangoModelFactory[AgentProfile]):
    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Agent {n}")
    status = AgentProfile.Status.ONLINE

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.set(extracted)


class ChannelFactory(factory.django.DjangoModelFactory[Channel]):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"Widget {n}")
    team = factory.SubFactory(TeamFactory)
    allowed_origins = ["https://shop.example"]


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    class Meta:
        model = Conversation

    channel = factory.SubFactory(ChannelFactory)
    customer = factory.SubFactory(CustomerFactory)
    team = factory.SelfAttribute("channel.team")


class ArticleFactory(factory.django.DjangoModelFactory[Article]):
    """A published public article (what the bot answers with) unless told otherwise."""

    class Meta:
        model = Article

    external_id = factory.Sequence(lambda n: f"kb-test-{n}")
    language = Article.Language.EN
    question = factory.Sequence(lambda n: f"Question {n}?")
    answer = "<p>The answer.</p>"
    audience = Article.Audience.PUBLIC
    status = Article.Status.PUBLISHED


class BotTurnFactory(factory.django.DjangoModelFactory[BotTurn]):
    """A question the bot had no answer for, unless told otherwise."""

    class Meta:
        model = BotTurn

    question = factory.Sequence(lambda n: f"Question {n}?")
    language = "en"
    action = BotTurn.Action.HANDOFF
    reason = "no_answer"
