"""Writes of saved ticket-list views: personal ones by their owner; shared ones with a team by its members,
with every agent by supervisors only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contactcenter.core.errors import Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access
from tickets.models import SavedView
from tickets.services._common import UNSET, Unset

NAME_MAX = 80
#: Enough for every agent's handful of views; a loop creating thousands is refused.
MAX_VIEWS_PER_AGENT = 100


def _check_sharing(*, agent: AgentProfile, shared: bool, team: Team | None) -> None:
    if not shared:
        if team is not None:
            raise InvalidInput(_("A personal view is not shared with a team."), fields={"team": [_("Share the view to choose a team.")]})
        return
    if team is None and not agent.is_supervisor:
        raise Forbidden(_("Only supervisors share views with every agent; choose one of your teams."))
    if team is not None and not access.can_work_for_team(agent, team):
        raise Forbidden(_("You can share views only with your own teams."))


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())[:NAME_MAX]
    if not cleaned:
        raise InvalidInput(_("Give the view a name."), fields={"name": [_("Give the view a name.")]})
    return cleaned


def _name_taken() -> InvalidInput:
    message = _("You already have a view with this name.")
    return InvalidInput(message, fields={"name": [message]})


def _editable(*, agent: AgentProfile, view_id: int, lock: bool = False) -> SavedView:
    from tickets.selectors.desk import visible_saved_views

    views = visible_saved_views(agent=agent)
    if lock:
        views = views.select_for_update(of=("self",))
    view = views.filter(pk=view_id).first()
    if view is None:
        raise NotFound()
    if view.owner_id != agent.pk and not agent.is_supervisor:
        raise Forbidden(_("Only its owner or a supervisor may change a shared view."))
    return view


def create_saved_view(
    *, agent: AgentProfile, name: str, query: dict[str, Any], now: datetime, shared: bool = False, team: Team | None = None
) -> SavedView:
    """A new view owned by ``agent``; ``query`` is already validated list parameters."""
    _check_sharing(agent=agent, shared=shared, team=team)
    cleaned = _clean_name(name)
    with transaction.atomic():
        AgentProfile.objects.select_for_update().filter(pk=agent.pk).first()  # the count below is not raced
        if SavedView.objects.filter(owner=agent).count() >= MAX_VIEWS_PER_AGENT:
            raise InvalidInput(_("You have too many saved views; delete some first."))
        if SavedView.objects.filter(owner=agent, name=cleaned).exists():
            raise InvalidInput(
                _("You already have a view with this name."), fields={"name": [_("You already have a view with this name.")]}
            )
        try:
            with transaction.atomic():
                return SavedView.objects.create(
                    name=cleaned, owner=agent, shared=shared, team=team if shared else None, query=query, created_at=now, updated_at=now
                )
        except IntegrityError as exc:  # the same name a moment ago
            raise InvalidInput(
                _("You already have a view with this name."), fields={"name": [_("You already have a view with this name.")]}
            ) from exc


def update_saved_view(
    *,
    agent: AgentProfile,
    view_id: int,
    now: datetime,
    name: str | Unset = UNSET,
    query: dict[str, Any] | Unset = UNSET,
    shared: bool | Unset = UNSET,
    team: Team | Unset | None = UNSET,
    position: int | Unset = UNSET,
) -> SavedView:
    with transaction.atomic():
        view = _editable(agent=agent, view_id=view_id, lock=True)
        new_shared = view.shared if isinstance(shared, Unset) else shared
        new_team = (view.team if new_shared else None) if isinstance(team, Unset) else team
        if new_shared != view.shared or new_team != view.team:
            _check_sharing(agent=agent, shared=new_shared, team=new_team)
        view.shared, view.team = new_shared, new_team
        if not isinstance(name, Unset):
            cleaned = _clean_name(name)
            if SavedView.objects.filter(owner_id=view.owner_id, name=cleaned).exclude(pk=view.pk).exists():
                raise InvalidInput(
                    _("You already have a view with this name."), fields={"name": [_("You already have a view with this name.")]}
                )
            view.name = cleaned
        if not isinstance(query, Unset):
            view.query = query
        if not isinstance(position, Unset):
            view.position = position
        view.updated_at = now
        view.save()
    return view


def delete_saved_view(*, agent: AgentProfile, view_id: int) -> None:
    with transaction.atomic():
        _editable(agent=agent, view_id=view_id, lock=True).delete()
