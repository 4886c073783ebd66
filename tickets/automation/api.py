"""REST API of ticket automation: templates (with preview), rules, macros (and applying one), canned replies, a ticket's
automation log. Thin: strict input here, checks and writes in :mod:`tickets.automation.services`.

Agents (session or token) read and apply; supervisors and admins change templates, rules and shared
macros and canned replies; every agent keeps personal macros and canned replies. Errors have the one
shape {"code", "message", "details"?}.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import NotFound
from contactcenter.core.rest import ID_MAX, Flag, Id, StrictInput, Text, request_agent, validated
from tickets import access
from tickets.automation import engine, rendering, services
from tickets.automation.models import CannedReply, Macro, Rule, Template

TAGS = ["automation"]


class AutomationErrorOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


ERRORS = {
    400: OpenApiResponse(AutomationErrorOut, description="Invalid input (details.fields; templates: details.unknown_fields)"),
    403: OpenApiResponse(AutomationErrorOut, description="Not an agent, or not a supervisor where changing needs one"),
    404: OpenApiResponse(AutomationErrorOut, description="No such object, or not visible to this agent"),
}


def _no_body(request: Request) -> None:
    validated(AutomationNoBody(data=request.data or {}))


class AutomationNoBody(StrictInput):
    pass


# -------------------------------------------------------------------------------------- templates


class TemplateIn(StrictInput):
    name = Text(max_length=100)
    kind = Text(max_length=8, help_text="reply, email or sms")
    language = Text(max_length=16, required=False, allow_blank=True, help_text="en, zh-hans or empty")
    subject = Text(max_length=200, required=False, allow_blank=True)
    body = Text(max_length=rendering.MAX_SOURCE, trim_whitespace=False)
    is_html = Flag(required=False)
    is_active = Flag(required=False)


class TemplatePatchIn(TemplateIn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class TemplateOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    language = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    is_html = serializers.BooleanField()
    is_active = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class TemplatePreviewIn(StrictInput):
    ticket = Id()
    template = Id(required=False, help_text="a saved template, or give body (and subject, is_html)")
    body = Text(max_length=rendering.MAX_SOURCE, required=False, trim_whitespace=False)
    subject = Text(max_length=200, required=False, allow_blank=True)
    is_html = Flag(required=False)


class TemplatePreviewOut(serializers.Serializer[Any]):
    subject = serializers.CharField()
    body = serializers.CharField()


class PlaceholdersOut(serializers.Serializer[Any]):
    placeholders = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))
    filters = serializers.ListField(child=serializers.CharField())


def _template(template_id: int) -> Template:
    found = Template.objects.filter(pk=template_id).first()
    if found is None:
        raise NotFound()
    return found


class TemplateListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="automation_templates_list",
        summary="Every message template",
        responses={200: TemplateOut(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        request_agent(request)
        return Response(TemplateOut(Template.objects.order_by("name"), many=True).data)

    @extend_schema(
        operation_id="automation_templates_create",
        summary="A new template (supervisors); unknown placeholders and refused constructs are listed (400 invalid_template)",
        request=TemplateIn,
        responses={201: TemplateOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        data = validated(TemplateIn(data=request.data))
        template = services.save_template(actor=agent, now=timezone.now(), data=data)
        return Response(TemplateOut(template).data, status=status.HTTP_201_CREATED)


class TemplateDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="automation_templates_read", summary="One template", responses={200: TemplateOut, **ERRORS}, tags=TAGS)
    def get(self, request: Request, template_id: int) -> Response:
        request_agent(request)
        return Response(TemplateOut(_template(template_id)).data)

    @extend_schema(
        operation_id="automation_templates_update",
        summary="Change a template (supervisors)",
        request=TemplatePatchIn,
        responses={200: TemplateOut, **ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, template_id: int) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        template = _template(template_id)
        data = validated(TemplatePatchIn(data=request.data))
        return Response(TemplateOut(services.save_template(actor=agent, now=timezone.now(), data=data, template=template)).data)

    @extend_schema(
        operation_id="automation_templates_delete",
        summary="Delete a template no rule or macro uses (supervisors)",
        request=None,
        responses={204: None, **ERRORS},
        tags=TAGS,
    )
    def delete(self, request: Request, template_id: int) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        services.delete_template(actor=agent, template=_template(template_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplatePreviewView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="automation_templates_preview",
        summary="Render a template (saved, or the text being edited) against a ticket this agent may see",
        request=TemplatePreviewIn,
        responses={200: TemplatePreviewOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(TemplatePreviewIn(data=request.data))
        access.access_ticket(actor=agent, ticket_id=data["ticket"])  # 404 before anything else
        if "template" in data:
            template = _template(data["template"])
            body, subject, html = template.body, template.subject, template.is_html
        else:
            body, subject, html = data.get("body", ""), data.get("subject", ""), data.get("is_html", False)
        return Response(services.preview(actor=agent, ticket_id=data["ticket"], body=body, subject=subject, html=html))


class PlaceholdersView(APIView):
    @extend_schema(
        operation_id="automation_placeholders",
        summary="The placeholders (${root.field}) and filters templates may use",
        responses={200: PlaceholdersOut, **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        request_agent(request)
        return Response({"placeholders": rendering.FIELDS, "filters": sorted(rendering.FILTERS)})


# ------------------------------------------------------------------------------------------ rules


class RuleIn(StrictInput):
    name = Text(max_length=100)
    trigger = Text(max_length=8, help_text="event or time")
    events = serializers.ListField(child=Text(max_length=16), required=False, max_length=10, help_text=", ".join(engine.RULE_EVENTS))
    conditions = serializers.JSONField(required=False, help_text='{"all": [{"field", "op", "value"}], "any": [...]} (docs/automation.md)')
    actions = serializers.JSONField(help_text='[{"type": "set_priority", "value": "high"}, ...] (docs/automation.md)')
    position = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)
    period_hours = serializers.IntegerField(required=False, min_value=1, max_value=24 * 365)
    is_active = Flag(required=False)


class RulePatchIn(RuleIn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class RuleOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    trigger = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    conditions = serializers.JSONField()
    actions = serializers.JSONField()
    position = serializers.IntegerField()
    period_hours = serializers.IntegerField()
    is_active = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


def _rule(rule_id: int) -> Rule:
    found = Rule.objects.filter(pk=rule_id).first()
    if found is None:
        raise NotFound()
    return found


class RuleListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="automation_rules_list",
        summary="Every automation rule, in the order they run",
        responses={200: RuleOut(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        request_agent(request)
        return Response(RuleOut(Rule.objects.order_by("position", "id"), many=True).data)

    @extend_schema(
        operation_id="automation_rules_create",
        summary="A new rule (supervisors)",
        request=RuleIn,
        responses={201: RuleOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        data = validated(RuleIn(data=request.data))
        return Response(RuleOut(services.save_rule(actor=agent, now=timezone.now(), data=data)).data, status=status.HTTP_201_CREATED)


class RuleDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="automation_rules_read", summary="One rule", responses={200: RuleOut, **ERRORS}, tags=TAGS)
    def get(self, request: Request, rule_id: int) -> Response:
        request_agent(request)
        return Response(RuleOut(_rule(rule_id)).data)

    @extend_schema(
        operation_id="automation_rules_update",
        summary="Change a rule (supervisors)",
        request=RulePatchIn,
        responses={200: RuleOut, **ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        rule = _rule(rule_id)
        data = validated(RulePatchIn(data=request.data))
        return Response(RuleOut(services.save_rule(actor=agent, now=timezone.now(), data=data, rule=rule)).data)

    @extend_schema(
        operation_id="automation_rules_delete",
        summary="Delete a rule (supervisors); its log stays",
        request=None,
        responses={204: None, **ERRORS},
        tags=TAGS,
    )
    def delete(self, request: Request, rule_id: int) -> Response:
        agent = request_agent(request)
        services.require_manager(agent)
        services.delete_rule(actor=agent, rule=_rule(rule_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleRunOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    rule_name = serializers.CharField()
    trigger = serializers.CharField()
    chain = serializers.CharField()
    depth = serializers.IntegerField()
    actions = serializers.JSONField(help_text="what each action that ran did")
    action_errors = serializers.JSONField(source="errors", help_text="the actions that failed: index, type, code, message")
    created_at = serializers.DateTimeField()


class TicketAutomationLogView(APIView):
    @extend_schema(
        operation_id="automation_ticket_log",
        summary="The rules that ran on a ticket this agent may see: trigger, chain and depth, actions done, errors (newest first)",
        responses={200: RuleRunOut(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        access.access_ticket(actor=agent, ticket_id=ticket_id)
        return Response(RuleRunOut(engine.log_for(ticket_id=ticket_id), many=True).data)


# ----------------------------------------------------------------------------------------- macros


class MacroIn(StrictInput):
    name = Text(max_length=100)
    actions = serializers.JSONField(
        help_text='[{"type": "set_status", "value": "solved"}, {"type": "reply", "template": 3}] (docs/automation.md)'
    )
    shared = Flag(required=False, help_text="shared with every agent (supervisors); personal otherwise")
    is_active = Flag(required=False)


class MacroPatchIn(StrictInput):
    name = Text(max_length=100, required=False)
    actions = serializers.JSONField(required=False)
    is_active = Flag(required=False)


class MacroOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    actions = serializers.JSONField()
    shared = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()
    updated_at = serializers.DateTimeField()

    def get_shared(self, macro: Macro) -> bool:
        return macro.owner_id is None


class ApplyMacroIn(StrictInput):
    macro = Id()


class ApplyMacroOut(serializers.Serializer[Any]):
    ticket = serializers.IntegerField()
    macro = serializers.IntegerField()
    actions = serializers.JSONField()


class MacroListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="automation_macros_list",
        summary="The shared macros and this agent's own",
        responses={200: MacroOut(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        return Response(MacroOut(services.visible_macros(agent).order_by("name", "id"), many=True).data)

    @extend_schema(
        operation_id="automation_macros_create",
        summary="A new macro: personal, or shared (supervisors)",
        request=MacroIn,
        responses={201: MacroOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(MacroIn(data=request.data))
        return Response(MacroOut(services.save_macro(actor=agent, now=timezone.now(), data=data)).data, status=status.HTTP_201_CREATED)


class MacroDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="automation_macros_read", summary="One macro", responses={200: MacroOut, **ERRORS}, tags=TAGS)
    def get(self, request: Request, macro_id: int) -> Response:
        agent = request_agent(request)
        return Response(MacroOut(services.macro_for(actor=agent, macro_id=macro_id)).data)

    @extend_schema(
        operation_id="automation_macros_update",
        summary="Change a macro (its owner; shared ones: supervisors)",
        request=MacroPatchIn,
        responses={200: MacroOut, **ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, macro_id: int) -> Response:
        agent = request_agent(request)
        macro = services.macro_for(actor=agent, macro_id=macro_id)
        data = validated(MacroPatchIn(data=request.data))
        return Response(MacroOut(services.save_macro(actor=agent, now=timezone.now(), data=data, macro=macro)).data)

    @extend_schema(
        operation_id="automation_macros_delete",
        summary="Delete a macro (its owner; shared ones: supervisors)",
        request=None,
        responses={204: None, **ERRORS},
        tags=TAGS,
    )
    def delete(self, request: Request, macro_id: int) -> Response:
        agent = request_agent(request)
        services.delete_macro(actor=agent, macro=services.macro_for(actor=agent, macro_id=macro_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplyMacroView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="automation_macros_apply",
        summary="Apply a macro to a ticket this agent may see: every action in one transaction (one fails: nothing changes)",
        request=ApplyMacroIn,
        responses={200: ApplyMacroOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        agent = request_agent(request)
        access.access_ticket(actor=agent, ticket_id=ticket_id)
        data = validated(ApplyMacroIn(data=request.data))
        done = services.apply_macro(actor=agent, ticket_id=ticket_id, macro_id=data["macro"], now=timezone.now())
        return Response({"ticket": ticket_id, "macro": data["macro"], "actions": done})


# --------------------------------------------------------------------------------- canned replies


class CannedReplyQuery(StrictInput):
    q = Text(
        max_length=100, required=False, allow_blank=True, help_text="a shortcut's start (with or without ::), or words of the title or text"
    )
    ticket = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False, help_text="render placeholders for this ticket")
    customer = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="render placeholders for this customer (a chat without a ticket)"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=20)


class CannedReplyIn(StrictInput):
    title = Text(max_length=100)
    shortcut = Text(max_length=40)
    body = Text(max_length=rendering.MAX_SOURCE, trim_whitespace=False)
    shared = Flag(required=False, help_text="shared (supervisors): with everyone, or the team given")
    team = Id(required=False, allow_null=True)


class CannedReplyPatchIn(StrictInput):
    title = Text(max_length=100, required=False)
    shortcut = Text(max_length=40, required=False)
    body = Text(max_length=rendering.MAX_SOURCE, required=False, trim_whitespace=False)
    team = Id(required=False, allow_null=True)


class CannedReplyOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    shortcut = serializers.CharField()
    body = serializers.CharField()
    shared = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", allow_null=True)
    rendered = serializers.SerializerMethodField()

    def get_shared(self, reply: CannedReply) -> bool:
        return reply.owner_id is None

    def get_rendered(self, reply: CannedReply) -> str | None:
        rendered: dict[int, str] = self.context.get("rendered", {})
        return rendered.get(reply.pk)


class CannedReplyListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="canned_replies_list",
        summary="Canned replies this agent may use (personal, the team's, everyone's), shortcuts matching q first; "
        "with ticket or customer, each also rendered",
        parameters=[CannedReplyQuery],
        responses={200: CannedReplyOut(many=True), **ERRORS},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(CannedReplyQuery(data=request.query_params))
        customer = None
        if "ticket" in query:
            access.access_ticket(actor=agent, ticket_id=query["ticket"])
        elif "customer" in query:
            customer = Customer.objects.filter(pk=query["customer"]).first()
            if customer is None:
                raise NotFound()
        found = services.search_canned_replies(actor=agent, q=query.get("q", ""), limit=query["limit"])
        rendered: dict[int, str] = {}
        if "ticket" in query or customer is not None:
            for reply in found:
                try:
                    rendered[reply.pk] = services.render_canned_reply(
                        actor=agent, reply=reply, ticket_id=query.get("ticket"), customer=customer
                    )
                except rendering.TemplateInvalid:
                    rendered[reply.pk] = reply.body
        return Response(CannedReplyOut(found, many=True, context={"rendered": rendered}).data)

    @extend_schema(
        operation_id="canned_replies_create",
        summary="A new canned reply: personal, or shared (supervisors)",
        request=CannedReplyIn,
        responses={201: CannedReplyOut, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(CannedReplyIn(data=request.data))
        reply = services.save_canned_reply(actor=agent, now=timezone.now(), data=data)
        return Response(CannedReplyOut(reply).data, status=status.HTTP_201_CREATED)


class CannedReplyDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="canned_replies_update",
        summary="Change a canned reply (its owner; shared ones: supervisors)",
        request=CannedReplyPatchIn,
        responses={200: CannedReplyOut, **ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, reply_id: int) -> Response:
        agent = request_agent(request)
        reply = services.canned_reply_for(actor=agent, reply_id=reply_id)
        data = validated(CannedReplyPatchIn(data=request.data))
        return Response(CannedReplyOut(services.save_canned_reply(actor=agent, now=timezone.now(), data=data, reply=reply)).data)

    @extend_schema(
        operation_id="canned_replies_delete",
        summary="Delete a canned reply (its owner; shared ones: supervisors)",
        request=None,
        responses={204: None, **ERRORS},
        tags=TAGS,
    )
    def delete(self, request: Request, reply_id: int) -> Response:
        agent = request_agent(request)
        services.delete_canned_reply(actor=agent, reply=services.canned_reply_for(actor=agent, reply_id=reply_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
