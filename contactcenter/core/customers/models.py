"""Customer tables: one customer, many identities across channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Labels such as "vip": routing's source rules can send tagged customers to a queue or priority.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone or str(_("Visitor %(id)s") % {"id": self.pk})


class CustomerIdentity(models.Model):
    class Kind(models.TextChoices):
        VISITOR = "visitor", _("widget visitor id")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        EXTERNAL = "external", _("external id")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=255)
    verified = models.BooleanField(_("verified"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="uniq_identity_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
