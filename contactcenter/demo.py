"""Sample data and the sample shop site for the embedded demo."""

from __future__ import annotations

import functools
import http.server
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from contactcenter.core.inboxes.models import Channel
from contactcenter.core.staff.models import AgentProfile, AgentSkill, BusinessHours, BusinessHoursException, Skill, Team

#: Mainland public holidays of 2026 (first day, days off) and the weekend days worked instead (调休), as
#: the State Council published them; sample data for the demo calendar — check before relying on it.
HOLIDAYS_2026 = [
    ("元旦", date(2026, 1, 1), 3),
    ("春节", date(2026, 2, 15), 9),
    ("清明节", date(2026, 4, 4), 3),
    ("劳动节", date(2026, 5, 1), 5),
    ("端午节", date(2026, 6, 19), 3),
    ("中秋节", date(2026, 9, 25), 3),
    ("国庆节", date(2026, 10, 1), 7),
]
MAKE_UP_DAYS_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]
DEMO_CHANNEL_KEY = "demo-shop"
DEMO_PASSWORD = "demo-pass-2026"

AGENTS = [
    # username, display name, role, teams, skills with levels, languages
    ("alice", "Alice", "agent", ["sales"], {"orders": 5, "english": 5}, ["en", "zh-hans"]),
    ("bob", "Bob", "agent", ["sales"], {"orders": 3, "billing": 4}, ["en"]),
    ("lina", "李娜", "agent", ["support"], {"returns": 5, "chinese": 5}, ["zh-hans"]),
    ("wang", "王强", "agent", ["support"], {"returns": 3, "billing": 5, "chinese": 5}, ["zh-hans", "en"]),
    ("sophie", "Sophie", "supervisor", ["sales", "support"], {}, ["en", "zh-hans"]),
]


@dataclass(frozen=True)
class DemoInfo:
    base_url: str
    channel_key: str
    logins: list[tuple[str, str, str]]


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def load_sample_data(*, host: str, port: int) -> DemoInfo:
    """Idempotent: running the demo twice keeps one copy of everything."""
    public = _public_host(host)
    base_url = f"http://{public}:{port}"
    User = get_user_model()
    with transaction.atomic():
        hours, _ = BusinessHours.objects.get_or_create(
            name="Weekdays 9-18",
            defaults={
                "timezone": "Asia/Shanghai",
                "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            },
        )
        for name, first, days in HOLIDAYS_2026:
            for n in range(days):
                BusinessHoursException.objects.get_or_create(calendar=hours, date=first + timedelta(days=n), defaults={"name": name})
        for day in MAKE_UP_DAYS_2026:
            BusinessHoursException.objects.get_or_create(
                calendar=hours, date=day, defaults={"name": "调休", "is_open": True, "spans": [["09:00", "18:00"]]}
            )
        teams = {
            "sales": Team.objects.get_or_create(slug="sales", defaults={"name": "Sales 售前", "business_hours": hours})[0],
            "support": Team.objects.get_or_create(slug="support", defaults={"name": "Support 售后", "business_hours": hours})[0],
        }
        skills: dict[str, Skill] = {}
        for slug in ("orders", "billing", "returns", "english", "chinese"):
            skills[slug] = Skill.objects.get_or_create(slug=slug, defaults={"name": slug.capitalize()})[0]
        logins: list[tuple[str, str, str]] = []
        for username, name, role, team_slugs, skill_levels, languages in AGENTS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.example"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            profile, _ = AgentProfile.objects.get_or_create(
                user=user, defaults={"display_name": name, "role": role, "languages": languages, "max_concurrent_chats": 5}
            )
            profile.teams.set([teams[s] for s in team_slugs])
            for slug, level in skill_levels.items():
                AgentSkill.objects.update_or_create(agent=profile, skill=skills[slug], defaults={"level": level})
            logins.append((role, username, DEMO_PASSWORD))
        create_admin(username="admin", email="admin@demo.example", password=DEMO_PASSWORD, keep_password=True)
        logins.append(("admin", "admin", DEMO_PASSWORD))
        origins = sorted({f"http://{h}:{p}" for h in {public, "127.0.0.1", "localhost"} for p in (port, port + 1)})
        channel, _ = Channel.objects.get_or_create(
            public_key=DEMO_CHANNEL_KEY,
            defaults={
                "name": "Demo shop",
                "team": teams["sales"],
                "greeting_en": "Hi! Ask us anything about your order.",
                "greeting_zh_hans": "您好！有任何订单问题都可以问我们。",
                "prechat_fields": [
                    {"name": "name", "label_en": "Your name", "label_zh": "您的称呼", "type": "text", "required": True},
                    {"name": "email", "label_en": "E-mail", "label_zh": "电子邮箱", "type": "email", "required": False},
                ],
            },
        )
        channel.allowed_origins = sorted(set(channel.allowed_origins) | set(origins))
        channel.save(update_fields=["allowed_origins"])
        _routing(teams)
        if settings.CC_DEMO_FAQ:
            _faq()
        if settings.CC_DEMO_TICKETS:
            _sla(hours)
            _tickets(teams)
            _macros()
    return DemoInfo(base_url=base_url, channel_key=DEMO_CHANNEL_KEY, logins=logins)


def _faq() -> None:
    """The sample FAQ (a broadband provider and an online-course platform, zh and en): the bot
    answers first in the demo chat and hands off on 转人工 / "agent"."""
    from django.utils import timezone

    from bot.services import import_articles

    sample = Path(__file__).resolve().parents[1] / "bot" / "fixtures" / "faq_sample.json"
    import_articles(data=sample.read_bytes(), filename=sample.name, now=timezone.now())


def _routing(teams: dict[str, Team]) -> None:
    """Two chat queues and two source rules (docs/routing.md): VIPs first in Sales, the returns page to Support."""
    from routing.models import Queue, SourceRule

    sales, _ = Queue.objects.get_or_create(
        name="Sales chat",
        defaults={
            "team": teams["sales"],
            "kind": "chat",
            "strategy": "round_robin",
            "offer_timeout_s": 30,
            "max_wait_s": 600,
            "overflow_action": Queue.OverflowAction.TICKET,
        },
    )
    support, _ = Queue.objects.get_or_create(
        name="Support chat",
        defaults={"team": teams["support"], "kind": "chat", "strategy": "least_load", "offer_timeout_s": 30},
    )
    SourceRule.objects.get_or_create(
        name="VIP customers first", defaults={"position": 0, "customer_tags": ["vip"], "queue": sales, "priority": 10}
    )
    SourceRule.objects.get_or_create(
        name="Returns page to Support", defaults={"position": 10, "page_url_globs": ["*/returns*"], "queue": support}
    )


#: subject, description, team, customer (name, e-mail), priority, tags, who has it ("" = the pool), status
SAMPLE_TICKETS = [
    (
        "宽带每天晚上掉线",
        "最近一周每天晚上八点以后网络断开，重启光猫也没用。",
        "support",
        ("陈女士", "chen@example.com"),
        "high",
        ["宽带"],
        "lina",
        "open",
    ),
    (
        "发票抬头开错了",
        "上个月的电子发票抬头应为“杭州某某科技有限公司”，请重开。",
        "support",
        ("刘先生", "liu@example.com"),
        "normal",
        ["发票"],
        "wang",
        "open",
    ),
    (
        "退货快递一直没人取件",
        "申请退货三天了，快递员还没有上门。",
        "support",
        ("赵女士", "zhao@example.com"),
        "urgent",
        ["退货"],
        "",
        "open",
    ),
    (
        "路由器指示灯红色闪烁",
        "新换的路由器一直红灯闪烁，无法上网，需要上门检修。",
        "support",
        ("孙先生", "sun@example.com"),
        "high",
        ["上门"],
        "lina",
        "open",
    ),
    ("修改绑定手机号", "原手机号已停用，想换绑新号码。", "support", ("周女士", "zhou@example.com"), "low", [], "", "open"),
    (
        "账单多扣了一个月费用",
        "十一月的账单比套餐价多了 99 元。",
        "support",
        ("陈女士", "chen@example.com"),
        "normal",
        ["账单"],
        "wang",
        "solved",
    ),
    (
        "Order arrived damaged",
        "The box was crushed and the mug inside is broken. Photos attached later.",
        "sales",
        ("Emma Brown", "emma@example.com"),
        "high",
        ["returns"],
        "alice",
        "open",
    ),
    (
        "Discount code not accepted",
        "WELCOME10 says it has expired, but the e-mail came yesterday.",
        "sales",
        ("Liam Smith", "liam@example.com"),
        "normal",
        ["billing"],
        "",
        "open",
    ),
    (
        "Change delivery address",
        "Please ship order 10482 to my office instead.",
        "sales",
        ("Olivia Chen", "olivia@example.com"),
        "urgent",
        [],
        "bob",
        "open",
    ),
    (
        "Invoice with VAT number",
        "I need an invoice with our company VAT number for order 10311.",
        "sales",
        ("Noah Wilson", "noah@example.com"),
        "low",
        ["billing"],
        "bob",
        "solved",
    ),
    (
        "Bulk order for 200 units",
        "Can you offer a price for 200 notebooks with our logo?",
        "sales",
        ("Ava Martin", "ava@example.com"),
        "normal",
        ["lead"],
        "",
        "open",
    ),
    (
        "Wrong size delivered",
        "Ordered M, got L. Can I swap it?",
        "sales",
        ("Emma Brown", "emma@example.com"),
        "normal",
        ["returns"],
        "alice",
        "closed",
    ),
]


def _sla(hours: BusinessHours) -> None:
    """One SLA policy for every team, on the weekday calendar: first reply within 4 working hours,
    next replies within 8, solved within 3 working days (27 working hours); warned 1 hour before."""
    from tickets.sla.models import SlaPolicy

    SlaPolicy.objects.get_or_create(
        name="Standard 标准",
        defaults={
            "calendar": hours,
            "first_response_s": 4 * 3600,
            "next_response_s": 8 * 3600,
            "resolution_s": 27 * 3600,
            "warn_before_s": 3600,
        },
    )


def _macros() -> None:
    """A shared macro, so the ticket page's macro menu has something to apply."""
    from django.utils import timezone

    from tickets.automation.models import Macro

    now = timezone.now()
    Macro.objects.get_or_create(
        name="Escalate 升级处理",
        owner=None,
        defaults={
            "actions": [
                {"type": "set_priority", "value": "urgent"},
                {"type": "add_tags", "value": ["升级"]},
                {"type": "add_note", "body": "已升级处理，请主管关注。Escalated: supervisor, please keep an eye on it."},
            ],
            "created_at": now,
            "updated_at": now,
        },
    )


def _tickets(teams: dict[str, Team]) -> None:
    """A dozen tickets in both teams, in every state, once: the desk has something to show."""
    from datetime import timedelta

    from django.utils import timezone

    from contactcenter.core.customers.models import Customer
    from tickets import services
    from tickets.access import SYSTEM
    from tickets.models import Ticket

    if Ticket.objects.exists():
        return
    from tickets.models import Stage

    for desk_team in teams.values():  # bilingual names, as the demo's teams have
        if not Stage.objects.filter(team=desk_team).exists():
            stages = [
                ("New 新建", False, False),
                ("In progress 处理中", False, False),
                ("Solved 已解决", False, True),
                ("Closed 已关闭", True, True),
            ]
            for position, (name, folded, closing) in enumerate(stages):
                Stage.objects.create(team=desk_team, name=name, position=position, folded=folded, closing=closing)
    start = timezone.now() - timedelta(days=3)
    for n, (subject, description, team, (name, email), priority, tags, who, status) in enumerate(SAMPLE_TICKETS):
        now = start + timedelta(hours=5 * n)
        customer = Customer.objects.filter(email=email).first() or Customer.objects.create(name=name, email=email)
        assignee = AgentProfile.objects.get(user__username=who) if who else None
        ticket = services.create_ticket(
            actor=SYSTEM,
            team=teams[team],
            subject=subject,
            description=description,
            customer=customer,
            priority=priority,
            tags=tags,
            source="webform" if n % 3 == 0 else "email",
            assignee=assignee,
            now=now,
        )
        if assignee is not None:
            services.reply(ticket_id=ticket.pk, actor=assignee, body=_first_reply(team), now=now + timedelta(minutes=20))
        if status != "open":
            services.solve_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=now + timedelta(hours=2))
        if status == "closed":
            services.close_ticket(ticket_id=ticket.pk, actor=SYSTEM, now=now + timedelta(hours=3))


def _first_reply(team: str) -> str:
    return (
        "您好，我们已收到您的问题，正在处理，请稍候。"
        if team == "support"
        else "Thanks for writing in. We are looking into it and will get back to you today."
    )


def create_admin(*, username: str, email: str, password: str, keep_password: bool = False) -> None:
    from django.core.exceptions import ValidationError

    if not password:
        raise ValidationError("An admin needs a password (--password or CC_ADMIN_PASSWORD).")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    user.is_staff = user.is_superuser = True
    if created or not keep_password:
        user.set_password(password)
    user.save()
    AgentProfile.objects.get_or_create(user=user, defaults={"display_name": username, "role": AgentProfile.Role.ADMIN})


SHOP_TEMPLATE = Path(__file__).parent / "demo_site" / "shop.html"


def render_shop_page(*, app_url: str, channel_key: str) -> str:
    return SHOP_TEMPLATE.read_text(encoding="utf-8").replace("{{APP_URL}}", app_url).replace("{{CHANNEL_KEY}}", channel_key)


def start_shop_site(*, host: str, port: int, app_port: int) -> str:
    """Serve the sample shop on its own port: a website of another origin embedding the widget."""
    public = _public_host(host)
    page = render_shop_page(app_url=f"http://{public}:{app_port}", channel_key=DEMO_CHANNEL_KEY).encode("utf-8")

    class ShopHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((host, port), functools.partial(ShopHandler))
    threading.Thread(target=server.serve_forever, name="demo-shop", daemon=True).start()
    return f"http://{public}:{port}/"


def banner(info: DemoInfo, *, shop_url: str) -> str:
    lines = [
        "",
        "contactcenter demo is starting",
        f"  Shop page with the chat widget:  {shop_url}",
        f"  Agent console:                   {info.base_url}/console/",
        f"  Admin:                           {info.base_url}/admin/",
        "  Logins (user / password):",
    ]
    lines += [f"    {role:<11} {user} / {password}" for role, user, password in info.logins]
    lines += ["  Stop with Ctrl+C.", ""]
    return "\n".join(lines)
