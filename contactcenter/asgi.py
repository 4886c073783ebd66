"""The ASGI application: HTTP (Django), WebSockets (Channels) and the socket.io long-poll fallback."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.websocket_urls import websocket_urlpatterns  # noqa: E402
from contactcenter.runtime import tune_garbage_collector  # noqa: E402
from widget.polling import mount_polling  # noqa: E402

application = mount_polling(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            # Origins are checked per channel by the widget session (a widget lives on other
            # sites); agent sockets are authenticated by the session cookie.
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)

# After everything is imported: start-up objects are frozen out of later collections.
tune_garbage_collector()
