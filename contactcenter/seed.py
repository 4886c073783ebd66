"""``contactcenter seed --tickets N``: a realistic bilingual ticket desk (teams, agents, customers, tickets, timelines) in bulk.

What it makes: 5 teams with their stages, 12 agents per team plus one supervisor, 6 ticket types,
30 tags, M customers (default N / 5), and N tickets over the last 365 days in Chinese (70%) and
English: priorities, stages (open, solved, closed; older tickets are more often done), 0-3 tags,
assignees (open assigned tickets hold a routing entry, as the desk's invariant wants), due dates,
urges, and a timeline each (created, public replies of both sides, internal notes, field changes,
status changes); one ticket in 500 (at least one) gets exactly ``LONG_TIMELINE`` entries. The
search column is built by :mod:`tickets.search`, as the services do.

It refuses a database that already has tickets (:class:`SeedRefused`): seeding is for an empty
desk (a fresh ``--data-dir`` or database), never on top of real work. Rows go in with
``bulk_create`` in batches (``batch`` tickets and their rows per transaction), so 100,000 tickets
take minutes on PostgreSQL; the same ``seed`` gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import search
from tickets.models import Priority, Source, Stage, Status, Tag, Ticket, TicketCounter, TicketType, TimelineEntry, Urge
from tickets.services import ticket_queue

LONG_TIMELINE = 200
LONG_EVERY = 500
AGENTS_PER_TEAM = 12
SUPERVISOR_USERNAME = "seed-supervisor"

TEAMS = [("seed-support", "售后服务 Support"), ("seed-sales", "销售 Sales"), ("seed-billing", "账务 Billing"),
         ("seed-field", "上门服务 Field service"), ("seed-vip", "VIP 专席")]  # fmt: skip
STAGES = [("新建 New", False, False), ("处理中 In progress", False, False), ("等待客户 Waiting on customer", False, False),
          ("已解决 Solved", False, True), ("已关闭 Closed", True, True)]  # fmt: skip
TYPES = [
    ("咨询 Inquiry", "#1f77b4", []),
    (
        "投诉 Complaint",
        "#d62728",
        [{"name": "severity", "label": "Severity", "kind": "choice", "required": False, "choices": ["minor", "major"]}],
    ),
    ("报修 Repair", "#ff7f0e", [{"name": "device", "label": "Device", "kind": "text", "required": False}]),
    ("退换货 Return", "#2ca02c", [{"name": "order_no", "label": "Order", "kind": "text", "required": False}]),
    ("账单 Billing", "#9467bd", []),
    ("建议 Feedback", "#8c564b", []),
]
TAGS = ["退款", "物流", "发票", "会员", "积分", "售后", "安装", "报修", "催单", "差评", "优惠券", "账户", "登录",
        "refund", "shipping", "invoice", "vip", "billing", "login", "password", "app", "crash", "warranty",
        "installation", "coupon", "delivery", "complaint", "feature-request", "urgent-customer", "b2b"]  # fmt: skip

ZH_SUBJECTS = ["订单 {order} 退款还没到账", "无法登录账户，提示密码错误", "快递已经五天了还没送达", "发票抬头填错了需要重开",
    "空调不制冷，申请上门维修", "会员积分没有到账", "App 打开就闪退", "想修改收货地址", "优惠券无法使用",
    "收到的商品有破损", "申请退换货：尺码不合适", "账单金额和订单不一致", "洗衣机噪音很大需要报修", "客服电话一直打不通",
    "热水器安装预约改期", "重复扣款，请尽快处理", "手机号换了无法收到验证码", "物流信息一直不更新", "建议增加夜间配送",
    "投诉：配送员态度很差"]  # fmt: skip
EN_SUBJECTS = ["Refund for order {order} not received", "Cannot log in to my account", "Package delayed for a week",
    "Invoice needs a correction", "Air conditioner not cooling, please send a technician", "Loyalty points missing",
    "App crashes on start", "Change my delivery address", "Coupon code does not work", "Item arrived damaged",
    "Return request: wrong size", "Charged twice for one order", "Washing machine very noisy", "Password reset e-mail never arrives",
    "Reschedule the installation appointment", "Billing amount does not match the order", "Tracking has not updated",
    "Feature request: dark mode", "Complaint about the courier", "Upgrade my plan to business"]  # fmt: skip
ZH_DETAILS = ["我在 {day} 下的单，订单号 {order}。", "已经联系过两次了，还是没有解决。", "麻烦尽快处理，谢谢。",
    "附件是截图，请查看。", "我的会员等级是金卡。", "型号是 KF-{model}，去年购买的，还在保修期内。",
    "下午三点以后家里有人。", "希望给个明确的处理时间。", "页面一直显示系统繁忙。", "退款原路返回到支付宝就可以。"]  # fmt: skip
EN_DETAILS = ["I placed the order on {day}, order number {order}.", "I have contacted you twice already.",
    "Please sort this out quickly, thanks.", "Screenshot attached.", "I am a gold member.",
    "The model is KF-{model}, bought last year, still under warranty.", "Someone is home after 3 pm.",
    "Please tell me when this will be fixed.", "The page keeps saying the system is busy.",
    "A refund to the original card is fine."]  # fmt: skip
ZH_AGENT = ["您好，已收到您的反馈，正在为您核实。", "已为您提交退款申请，预计 3 个工作日内到账。", "维修师傅会在明天上午联系您。",
    "抱歉给您带来不便，已加急处理。", "请提供一下订单截图，方便我们核实。", "问题已经解决，请您确认。"]  # fmt: skip
EN_AGENT = ["Thanks for reaching out, we are checking this now.", "The refund has been submitted; expect it within 3 business days.",
    "A technician will call you tomorrow morning.", "Sorry for the trouble, this is now escalated.",
    "Could you send a screenshot of the order?", "This should be fixed now, could you confirm?"]  # fmt: skip
ZH_CUSTOMER = ["好的，谢谢。", "还是没有到账，请再查一下。", "什么时候能处理好？", "已经收到了，谢谢！", "截图已上传。"]
EN_CUSTOMER = [
    "OK, thanks.",
    "Still nothing, please check again.",
    "When will this be done?",
    "Received it, thank you!",
    "Screenshot uploaded.",
]
NOTES = ["跟仓库确认过，周三补发。", "客户情绪较大，注意语气。", "Checked with logistics: lost parcel, reship.",
         "Escalated to tier 2.", "重复扣款已提交财务。", "Possible fraud, verify identity first."]  # fmt: skip
ZH_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强", "婷", "雪", "超"]
EN_FIRST = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Ivy", "Jack", "Kate", "Liam", "Mia", "Noah"]
EN_LAST = ["Smith", "Brown", "Wilson", "Taylor", "Lee", "Martin", "Clark", "Walker", "Young", "King"]


class SeedRefused(Exception):
    """The database already holds tickets: seeding is for an empty desk."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    teams: int
    agents: int
    customers: int
    tickets: int
    timeline_entries: int
    long_timeline_ticket_ids: list[int]
    supervisor_id: int
    seconds: float


@dataclass(slots=True)
class _Desk:
    teams: list[Team]
    stages: dict[int, list[Stage]]
    agents_by_team: dict[int, list[AgentProfile]]
    types: list[TicketType]
    tags: list[Tag]
    customer_ids: list[tuple[int, str]]  # (id, language)
    supervisor: AgentProfile


def seed_tickets(
    *,
    tickets: int,
    now: datetime,
    customers: int | None = None,
    seed: int = 1,
    batch: int = 2000,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Seed an empty desk with ``tickets`` tickets (see the module docstring); SeedRefused if there are tickets already."""
    import time

    if tickets < 1:
        raise ValueError("tickets must be positive")
    existing = Ticket.objects.count()
    if existing:
        raise SeedRefused(
            f"the database already has {existing} tickets; seed fills an empty desk only (use a fresh database or --data-dir)"
        )
    started = time.perf_counter()
    rng = random.Random(seed)
    desk = _desk(customers=customers if customers is not None else max(10, tickets // 5), now=now, rng=rng)
    long_every = min(LONG_EVERY, tickets)
    made = entries = 0
    long_ids: list[int] = []
    while made < tickets:
        count = min(batch, tickets - made)
        ids, written = _ticket_batch(desk, first_number=made + 1, count=count, now=now, rng=rng, long_every=long_every)
        long_ids.extend(ids)
        made += count
        entries += written
        if progress:
            progress(f"{made}/{tickets} tickets, {entries} timeline entries, {time.perf_counter() - started:.0f} s")
    TicketCounter.objects.update_or_create(prefix="T-", defaults={"last_value": tickets})
    agents = len({a.pk for team_agents in desk.agents_by_team.values() for a in team_agents})
    return SeedResult(
        len(desk.teams), agents, len(desk.customer_ids), tickets, entries, long_ids, desk.supervisor.pk, time.perf_counter() - started
    )


def _desk(*, customers: int, now: datetime, rng: random.Random) -> _Desk:
    """Teams, stages, agents, types, tags and customers: get-or-create by name, so a rerun after a refusal reuses them."""
    user_model = get_user_model()
    teams = []
    for slug, name in TEAMS:
        team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
        teams.append(team)
    stages: dict[int, list[Stage]] = {}
    for team in teams:
        Stage.objects.bulk_create(
            [Stage(team=team, name=name, position=n, folded=folded, closing=closing) for n, (name, folded, closing) in enumerate(STAGES)],
            ignore_conflicts=True,
        )
        stages[team.pk] = list(Stage.objects.filter(team=team).order_by("position", "id"))
    usernames = [f"seed-agent-{n:03d}" for n in range(1, AGENTS_PER_TEAM * len(teams) + 1)]
    # "!" is Django's unusable password: seeded agents cannot sign in.
    unusable = "!"
    user_model.objects.bulk_create(
        [user_model(username=name, password=unusable) for name in [*usernames, SUPERVISOR_USERNAME]], ignore_conflicts=True
    )
    users = {u.username: u for u in user_model.objects.filter(username__in=[*usernames, SUPERVISOR_USERNAME])}
    AgentProfile.objects.bulk_create(
        [
            AgentProfile(
                user=users[name],
                display_name=_person(rng, zh=n % 3 != 0),
                role=AgentProfile.Role.SUPERVISOR if name == SUPERVISOR_USERNAME else AgentProfile.Role.AGENT,
                languages=["zh", "en"] if n % 3 else ["en"],
            )
            for n, name in enumerate([*usernames, SUPERVISOR_USERNAME])
        ],
        ignore_conflicts=True,
    )
    profiles = {p.user.username: p for p in AgentProfile.objects.filter(user__in=users.values()).select_related("user")}
    through = AgentProfile.teams.through
    memberships = []
    agents_by_team: dict[int, list[AgentProfile]] = {team.pk: [] for team in teams}
    for n, name in enumerate(usernames):
        home = teams[n % len(teams)]
        member_of = [home] if n % 4 else [home, teams[(n + 1) % len(teams)]]
        for team in member_of:
            memberships.append(through(agentprofile_id=profiles[name].pk, team_id=team.pk))
            agents_by_team[team.pk].append(profiles[name])
    through.objects.bulk_create(memberships, ignore_conflicts=True)
    types = []
    for name, colour, schema in TYPES:
        ticket_type, _ = TicketType.objects.get_or_create(name=name, defaults={"colour": colour, "field_schema": schema})
        types.append(ticket_type)
    Tag.objects.bulk_create([Tag(name=name) for name in TAGS], ignore_conflicts=True)
    tags = list(Tag.objects.filter(name__in=TAGS).order_by("name"))
    customer_ids = list(Customer.objects.filter(email__endswith="@seed.example").values_list("id", "language"))
    missing = customers - len(customer_ids)
    for start in range(0, max(0, missing), 5000):
        rows = []
        for n in range(len(customer_ids) + start, len(customer_ids) + min(start + 5000, missing)):
            zh = rng.random() < 0.7
            rows.append(
                Customer(
                    name=_person(rng, zh=zh),
                    email=f"customer{n:06d}@seed.example",
                    phone=f"1{rng.randint(30, 89)}{rng.randint(10_000_000, 99_999_999)}",
                    language="zh-hans" if zh else "en",
                )
            )
        Customer.objects.bulk_create(rows, batch_size=1000)
    customer_ids = list(Customer.objects.filter(email__endswith="@seed.example").order_by("id").values_list("id", "language"))
    return _Desk(teams, stages, agents_by_team, types, tags, customer_ids, profiles[SUPERVISOR_USERNAME])


def _person(rng: random.Random, *, zh: bool) -> str:
    if zh:
        return rng.choice(ZH_NAMES) + rng.choice(ZH_GIVEN) + (rng.choice(ZH_GIVEN) if rng.random() < 0.5 else "")
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def _fill(template: str, rng: random.Random, created: datetime) -> str:
    return template.format(order=f"{rng.randint(10**9, 10**10 - 1)}", day=created.date().isoformat(), model=rng.randint(100, 999))


def _ticket_batch(
    desk: _Desk, *, first_number: int, count: int, now: datetime, rng: random.Random, long_every: int
) -> tuple[list[int], int]:
    """One transaction: ``count`` tickets with their tags, timelines, urges and routing entries."""
    from routing.models import Kind, QueueEntry

    plans: list[dict[str, Any]] = []
    rows: list[Ticket] = []
    for offset in range(count):
        number = first_number + offset
        customer_id, language = rng.choice(desk.customer_ids)
        zh = language.startswith("zh")
        created = now - timedelta(seconds=rng.randint(600, 365 * 86400))
        age_days = (now - created).days
        team = rng.choice(desk.teams)
        stages = desk.stages[team.pk]
        done_odds = min(0.95, 0.2 + age_days / 60)
        done = rng.random() < done_odds
        stage = (stages[3] if rng.random() < 0.7 else stages[4]) if done else rng.choice(stages[:3])
        status = Status.OPEN if not stage.closing else Status.CLOSED if stage.folded else Status.SOLVED
        agents = desk.agents_by_team[team.pk]
        assignee = rng.choice(agents) if status != Status.OPEN or rng.random() < 0.75 else None
        long = number % long_every == 0
        subject = _fill(rng.choice(ZH_SUBJECTS if zh else EN_SUBJECTS), rng, created)
        details = ZH_DETAILS if zh else EN_DETAILS
        description = ("" if zh else " ").join(_fill(rng.choice(details), rng, created) for _ in range(rng.randint(1, 4)))
        entries = _timeline(rng, zh=zh, created=created, now=now, long=long, status=status, agents=agents, assignee=assignee,
                            customer_id=customer_id, stages=stages)  # fmt: skip
        updated = max(e.created_at for e in entries)
        ticket_type = rng.choice(desk.types)
        custom: dict[str, Any] = {}
        if ticket_type.field_schema and rng.random() < 0.6:
            spec = ticket_type.field_schema[0]
            custom[spec["name"]] = rng.choice(spec["choices"]) if spec["kind"] == "choice" else f"KF-{rng.randint(100, 999)}"
        urges = rng.choice([1, 1, 2, 3]) if status == Status.OPEN and rng.random() < 0.1 else 0
        replies = [e.body for e in entries if e.kind == TimelineEntry.Kind.PUBLIC_REPLY]
        rows.append(
            Ticket(
                number=f"T-{number:06d}",
                subject=subject[:200],
                description=description,
                type=ticket_type,
                category=rng.choice(["", "订单", "售后", "账户", "orders", "after-sales", "account"]),
                priority=rng.choices(list(Priority.values), weights=[15, 60, 20, 5])[0],
                status=status,
                stage=stage,
                team=team,
                assignee=assignee,
                customer_id=customer_id,
                source=rng.choices(list(Source.values), weights=[35, 15, 5, 15, 10, 10, 5, 5])[0],
                custom_fields=custom,
                due_at=created + timedelta(days=rng.randint(1, 7)) if rng.random() < 0.4 else None,
                urge_count=urges,
                last_urged_at=updated if urges else None,
                search_text=search.build(subject, description, *replies),
                created_at=created,
                updated_at=updated,
                solved_at=updated if status != Status.OPEN else None,
                closed_at=updated if status == Status.CLOSED else None,
            )
        )
        plans.append({"entries": entries, "tags": rng.sample(desk.tags, rng.choice([0, 1, 1, 2, 2, 3])), "urges": urges, "long": long})
    with transaction.atomic():
        Ticket.objects.bulk_create(rows, batch_size=500)
        timeline: list[TimelineEntry] = []
        tag_rows: list[Any] = []
        urge_rows: list[Urge] = []
        held: list[QueueEntry] = []
        through = Ticket.tags.through
        queues = {team.pk: ticket_queue(team=team) for team in desk.teams}
        for ticket, plan in zip(rows, plans, strict=True):
            for entry in plan["entries"]:
                entry.ticket = ticket
            timeline.extend(plan["entries"])
            tag_rows.extend(through(ticket_id=ticket.pk, tag_id=tag.pk) for tag in plan["tags"])
            urge_rows.extend(
                Urge(ticket=ticket, by_customer_id=ticket.customer_id, created_at=ticket.updated_at - timedelta(hours=n))
                for n in range(plan["urges"])
            )
            if ticket.status == Status.OPEN and ticket.assignee_id is not None:
                held.append(
                    QueueEntry(
                        queue=queues[ticket.team_id],
                        kind=Kind.TICKET,
                        item_id=ticket.pk,
                        status=QueueEntry.Status.ASSIGNED,
                        enqueued_at=ticket.created_at,
                        assigned_agent_id=ticket.assignee_id,
                        assigned_at=ticket.created_at,
                        source={"via": "seed"},
                    )
                )
        TimelineEntry.objects.bulk_create(timeline, batch_size=1000)
        through.objects.bulk_create(tag_rows, batch_size=2000)
        Urge.objects.bulk_create(urge_rows, batch_size=1000)
        QueueEntry.objects.bulk_create(held, batch_size=1000)
    return [t.pk for t, plan in zip(rows, plans, strict=True) if plan["long"]], len(timeline)


def _timeline(
    rng: random.Random,
    *,
    zh: bool,
    created: datetime,
    now: datetime,
    long: bool,
    status: str,
    agents: Sequence[AgentProfile],
    assignee: AgentProfile | None,
    customer_id: int,
    stages: Sequence[Stage],
) -> list[TimelineEntry]:
    """The history of one ticket, in time order: created, then replies, notes and field changes, then the status change."""
    size = LONG_TIMELINE if long else min(40, 1 + int(rng.expovariate(1 / 4)))
    span = max(60, int((now - created).total_seconds()) - 60)
    times = sorted(created + timedelta(seconds=rng.randint(1, span)) for _ in range(size - 1))
    kind = TimelineEntry.Kind
    entries = [
        TimelineEntry(kind=kind.SYSTEM, event="created", new_value={"source": "seed"}, author_customer_id=customer_id, created_at=created)
    ]
    worker = assignee or rng.choice(agents)
    finishing = status != Status.OPEN
    for n, at in enumerate(times):
        if finishing and n == len(times) - 1:
            entries.append(TimelineEntry(kind=kind.FIELD_CHANGE, field="status", old_value="open", new_value=status,
                                         author_agent=worker, created_at=at))  # fmt: skip
            continue
        roll = rng.random()
        if roll < 0.35:
            entries.append(
                TimelineEntry(kind=kind.PUBLIC_REPLY, body=rng.choice(ZH_AGENT if zh else EN_AGENT), author_agent=worker, created_at=at)
            )
        elif roll < 0.6:
            entries.append(
                TimelineEntry(
                    kind=kind.PUBLIC_REPLY,
                    body=rng.choice(ZH_CUSTOMER if zh else EN_CUSTOMER),
                    author_customer_id=customer_id,
                    created_at=at,
                )
            )
        elif roll < 0.75:
            entries.append(TimelineEntry(kind=kind.INTERNAL_NOTE, body=rng.choice(NOTES), author_agent=worker, created_at=at))
        elif roll < 0.9:
            field, old, new = rng.choice(
                [
                    ("priority", "normal", "high"),
                    ("priority", "high", "urgent"),
                    ("stage", {"id": stages[0].pk, "name": stages[0].name}, {"id": stages[1].pk, "name": stages[1].name}),
                    ("assignee", None, {"id": worker.pk, "name": worker.display_name}),
                    ("tags", [], ["退款"]),
                ]
            )
            entries.append(
                TimelineEntry(kind=kind.FIELD_CHANGE, field=field, old_value=old, new_value=new, author_agent=worker, created_at=at)
            )
        else:
            entries.append(TimelineEntry(kind=kind.SYSTEM, event="urged", body="", author_customer_id=customer_id, created_at=at))
    return entries
