"""Templates with ``${...}`` placeholders, rendered in Jinja2's sandbox over plain dicts of allow-listed fields.

What a template may contain is decided on the parsed tree, before anything runs: placeholders
``${ticket.number}`` (only the names in :data:`FIELDS`), a few filters (``${customer.name|default("customer")}``),
string and number constants, ``~`` to join, comparisons, and ``{% if %}`` / ``{% elif %}`` / ``{% else %}``.
Everything else — loops, ``{% set %}``, macros, includes, calls, indexing, arithmetic, attributes of
anything but the four roots — is refused with the reason, so a template cannot run long, read past the
allow-list (``${''.__class__.__mro__}``) or blow up its output; the output is capped besides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tickets.models import Ticket

MAX_SOURCE = 20_000
MAX_OUTPUT = 50_000
MAX_TRUNCATE = 5_000

#: Every placeholder a template may use: root → field → what it is.
FIELDS: dict[str, dict[str, str]] = {
    "ticket": {
        "number": "T-000123",
        "subject": "the subject",
        "status": "open / solved / closed (in words)",
        "priority": "low / normal / high / urgent (in words)",
        "source": "where it came from",
        "team": "the team's name",
        "stage": "the stage's name",
        "type": "the type's name",
        "tags": "tags, comma separated",
        "url": "the ticket's page in the customer portal",
        "created_at": "when it was opened",
        "due_at": "when it is due (empty when not set)",
    },
    "customer": {"name": "the customer's name", "email": "e-mail", "phone": "phone"},
    "agent": {"name": "the agent writing (rules: the assignee)"},
    "team": {"name": "the ticket's team"},
}

FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "truncate", "default", "d", "escape", "e", "striptags"})

_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.CondExpr,
    nodes.Const,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Filter,
    nodes.Test,
    nodes.Name,
    nodes.Getattr,
)
_TESTS = frozenset({"defined", "none", "string", "number"})


class TemplateInvalid(InvalidInput):
    code = "invalid_template"


def _environment(*, html: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        variable_start_string="${",
        variable_end_string="}",
        autoescape=html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=(),
    )
    env.globals.clear()  # no range(), lipsum(), dict(), cycler() ...
    env.filters = {name: f for name, f in env.filters.items() if name in FILTERS}
    env.tests = {name: f for name, f in env.tests.items() if name in _TESTS}
    return env


_TEXT = _environment(html=False)
_HTML = _environment(html=True)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a template: an unknown field (``ticket.secret``) or a construct that is not allowed."""

    code: str  # unknown_field | not_allowed | syntax
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


def _path(node: nodes.Node) -> str | None:
    """``ticket.number`` for Getattr(Name(ticket), number); None for anything not rooted at a name."""
    parts: list[str] = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    parts.append(node.name)
    return ".".join(reversed(parts))


def _walk(node: nodes.Node, problems: list[Problem]) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        problems.append(Problem("not_allowed", type(node).__name__))
        return
    if isinstance(node, nodes.Getattr | nodes.Name):
        path = _path(node)
        root, _dot, field = (path or "").partition(".")
        if path is None:
            problems.append(Problem("not_allowed", "attribute of an expression"))
        elif root not in FIELDS:
            problems.append(Problem("unknown_field", path))
        elif not field:
            problems.append(
                Problem(
                    "not_allowed",
                    _("%(root)s needs a field, like %(root)s.%(example)s") % {"root": root, "example": next(iter(FIELDS[root]))},
                )
            )
        elif field not in FIELDS[root]:
            problems.append(Problem("unknown_field", path))
        return
    if isinstance(node, nodes.Filter):
        if node.name not in FILTERS:
            problems.append(Problem("not_allowed", f"|{node.name}"))
        for arg in node.args:
            if not isinstance(arg, nodes.Const) or not isinstance(arg.value, str | int) or isinstance(arg.value, bool):
                problems.append(Problem("not_allowed", f"|{node.name} with a computed argument"))
            elif node.name == "truncate" and isinstance(arg.value, int) and arg.value > MAX_TRUNCATE:
                problems.append(Problem("not_allowed", f"|truncate over {MAX_TRUNCATE}"))
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            problems.append(Problem("not_allowed", f"|{node.name} with named arguments"))
        if node.node is not None:
            _walk(node.node, problems)
        return
    if isinstance(node, nodes.Test) and node.name not in _TESTS:
        problems.append(Problem("not_allowed", f"is {node.name}"))
        return
    if isinstance(node, nodes.Const) and isinstance(node.value, str) and len(node.value) > MAX_SOURCE:
        problems.append(Problem("not_allowed", "a very long constant"))
    for child in node.iter_child_nodes():
        _walk(child, problems)


def problems(source: str, *, html: bool = False) -> list[Problem]:
    """Everything wrong with ``source`` (empty when it may be saved): syntax, unknown fields, refused constructs."""
    if len(source) > MAX_SOURCE:
        return [Problem("not_allowed", _("longer than %(n)d characters") % {"n": MAX_SOURCE})]
    env = _HTML if html else _TEXT
    try:
        tree = env.parse(source)
    except TemplateError as error:
        return [Problem("syntax", str(error.message or error))]
    found: list[Problem] = []
    _walk(tree, found)
    unique: dict[tuple[str, str], Problem] = {}
    for problem in found:
        unique.setdefault((problem.code, problem.detail), problem)
    return list(unique.values())


def check(source: str, *, html: bool = False, field: str = "body") -> None:
    """InvalidInput (code invalid_template) listing every problem, with ``details.unknown_fields``."""
    found = problems(source, html=html)
    if found:
        unknown = [p.detail for p in found if p.code == "unknown_field"]
        raise TemplateInvalid(
            _("The template uses fields or constructs that are not allowed."),
            fields={field: [p.as_dict() for p in found]},
            unknown_fields=unknown,
        )


def render(source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """The rendered text, at most MAX_OUTPUT characters; a template that :func:`check` refuses never runs."""
    check(source, html=html)
    env = _HTML if html else _TEXT
    try:
        chunks: list[str] = []
        size = 0
        for chunk in env.from_string(source).generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateInvalid(
                    _("The rendered text is too long."), fields={"body": [{"code": "too_long", "detail": str(MAX_OUTPUT)}]}
                )
            chunks.append(chunk)
    except TemplateError as error:
        raise TemplateInvalid(_("The template could not be rendered: %(error)s") % {"error": error.message or error}) from error
    return "".join(chunks)


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.CC_PUBLIC_URL}/portal/tickets/{ticket.number}/"


def context_for(*, ticket: Ticket | None, agent: AgentProfile | None, customer: Any = None) -> dict[str, dict[str, str]]:
    """The only values a template sees: strings copied from the allow-listed fields, never model objects."""
    customer = customer if customer is not None else (ticket.customer if ticket is not None else None)
    if agent is None and ticket is not None:
        agent = ticket.assignee
    context: dict[str, dict[str, str]] = {root: dict.fromkeys(fields, "") for root, fields in FIELDS.items()}
    if ticket is not None:
        context["ticket"].update(
            number=ticket.number,
            subject=ticket.subject,
            status=str(ticket.get_status_display()),
            priority=str(ticket.get_priority_display()),
            source=str(ticket.get_source_display()),
            team=ticket.team.name,
            stage=ticket.stage.name,
            type=ticket.type.name if ticket.type else "",
            tags=", ".join(sorted(t.name for t in ticket.tags.all())),
            url=ticket_url(ticket),
            created_at=_when(ticket.created_at),
            due_at=_when(ticket.due_at),
        )
        context["team"]["name"] = ticket.team.name
    if customer is not None:
        context["customer"].update(name=customer.name or "", email=customer.email or "", phone=customer.phone or "")
    if agent is not None:
        context["agent"]["name"] = agent.display_name
    return context
