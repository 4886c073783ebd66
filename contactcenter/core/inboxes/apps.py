from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxesConfig(AppConfig):
    name = "contactcenter.core.inboxes"
    label = "inboxes"
    verbose_name = _("Channels")
