from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatWechatConfig(AppConfig):
    name = "chat.wechat"
    label = "chat_wechat"
    verbose_name = _("WeChat Official Account")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chat.wechat import inbound, outbound
        from contactcenter.core import periodic

        # Callbacks are answered at once and processed after; this catches any a node did not finish.
        periodic.register("chat_wechat.inbound", inbound.process_pending, every_s=5.0)
        # Agents' and the bot's replies: copied from the transcript into the outbox, then sent.
        periodic.register("chat_wechat.outbound", outbound.forward_and_send, every_s=1.0)
