"""Configuration checks shared by the admin and the REST API: engine PolicyErrors as translated field errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from contactcenter.core.staff.models import Skill
from routing.engine import PolicyError, QueuePolicy

if TYPE_CHECKING:
    from routing.models import Queue, SourceRule


def policy_error_message(error: PolicyError) -> str:
    """The engine's English message in the user's language, keyed by the error code."""
    messages = {
        "unknown_strategy": _("unknown strategy"),
        "unknown_parameter": _("unknown parameter"),
        "invalid_choice": _("not one of the allowed values"),
        "invalid_type": _("wrong type of value"),
        "negative": _("must not be negative"),
        "not_allowed": _("this strategy cannot be used here"),
        "missing": _("a value is required"),
        "invalid_pattern": _("not a valid regular expression"),
        "invalid_value": _("not a valid value"),
    }
    text = messages.get(error.code, _("not valid"))
    return f"{text} ({error.field}: {error.message})" if error.field else f"{text} ({error.message})"


def skills_errors(required: Any) -> list[str]:
    """``{"slug": level}`` with every slug a known skill and every level 1-5."""
    if not isinstance(required, dict):
        return [_("expected an object of skill slug to minimum level")]
    errors: list[str] = []
    known = set(Skill.objects.filter(slug__in=list(required)).values_list("slug", flat=True))
    for slug, level in required.items():
        if slug not in known:
            errors.append(_("unknown skill: %(slug)s") % {"slug": slug})
        elif isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            errors.append(_("skill %(slug)s: level must be a whole number from 1 to 5") % {"slug": slug})
    return errors


def queue_errors(queue: Queue) -> dict[str, list[str]]:
    """Field errors for a queue's routing configuration (empty when it is valid)."""
    errors: dict[str, list[str]] = {}
    try:
        QueuePolicy.from_config(queue.policy_config())
    except PolicyError as error:
        field = "strategy" if error.code == "unknown_strategy" and error.field == "strategy" else "params"
        if error.field == "match_language":
            field = "match_language"
        errors[field] = [policy_error_message(error)]
    if skill_errors := skills_errors(queue.required_skills):
        errors["required_skills"] = skill_errors
    # Negative times are refused by the fields' own validators (full_clean runs both).
    if queue.overflow_action == queue.OverflowAction.QUEUE:
        target = queue.overflow_queue
        if target is None:
            errors["overflow_queue"] = [_("choose the queue to overflow to")]
        elif queue.pk is not None and target.pk == queue.pk:
            errors["overflow_queue"] = [_("a queue cannot overflow to itself")]
        elif target.kind != queue.kind:
            errors["overflow_queue"] = [_("the overflow queue must take the same kind of work")]
    return errors


def source_rule_errors(rule: SourceRule) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("channel_ids", "page_url_globs", "keywords", "languages", "customer_tags"):
        if not isinstance(getattr(rule, name), list):
            errors[name] = [_("expected a list")]
    if errors:
        return errors
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in rule.channel_ids):
        errors["channel_ids"] = [_("expected a list of channel ids")]
    for name in ("page_url_globs", "keywords", "languages", "customer_tags"):
        if not all(isinstance(v, str) for v in getattr(rule, name)):
            errors[name] = [_("expected a list of texts")]
    if errors:
        return errors
    try:
        rule.to_engine()
    except PolicyError as error:
        errors[error.field or "page_url_regex"] = [policy_error_message(error)]
    return errors
