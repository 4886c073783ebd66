"""Tables of how people reach the desk: agents' saved list views, customers' one-time portal sign-in links."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team


class SavedView(models.Model):
    """A named ticket-list filter. Personal (only its owner sees it) or shared: with one team, or with every agent
    when ``team`` is empty. ``query`` holds the list's query parameters (status, team, q, sort ...)."""

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="saved_ticket_views", verbose_name=_("owner"))
    shared = models.BooleanField(_("shared"), default=False)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_ticket_views", verbose_name=_("shared with team")
    )
    query = models.JSONField(_("filters"), default=dict, blank=True)
    position = models.IntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("saved ticket view")
        verbose_name_plural = _("saved ticket views")
        ordering = ["position", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="uniq_saved_view_owner_name")]

    def __str__(self) -> str:
        return self.name


class PortalLink(models.Model):
    """A one-time sign-in link mailed to a customer. Only the token's SHA-256 is stored: a database dump
    signs nobody in."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_links", verbose_name=_("customer"))
    email = models.EmailField(_("e-mail"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    next_path = models.CharField(_("next page"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")
        indexes = [models.Index(fields=["email", "created_at"], name="tickets_portallink_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} {self.created_at:%Y-%m-%d %H:%M}"
