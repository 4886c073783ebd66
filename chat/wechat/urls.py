"""HTTP routes of the WeChat channel: one callback URL per channel."""

from django.urls import URLPattern, path

from chat.wechat import views

urlpatterns: list[URLPattern] = [
    path("wechat/<str:channel_key>/", views.callback, name="wechat-callback"),
]
