"""Browser end-to-end: the console's ticket desk on the demo's sample tickets — views, search, keys,
bulk changes, saved views, merge, a ticket's reply / note / grab / urge, and an on-site visit record
signed on a phone's screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import start_demo
from tests.e2e.servers import DEMO_PASSWORD, shell_json
from tests.liveserver import LiveServer

pytestmark = pytest.mark.e2e

OpenPage = Callable[..., Any]
Snapshot = Callable[[Any, str], None]


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo(Path(tmp_path_factory.mktemp("desk-server")), env={"CC_DEMO_TICKETS": "1"})
    yield server
    server.stop()


def sign_in(page: Page, server: LiveServer, username: str) -> Page:
    page.goto(f"{server.url}/console/tickets/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{server.url}/console/tickets/**")
    return page


def rows(page: Page) -> Any:
    return page.get_by_test_id("ticket-row")


def row(page: Page, subject: str) -> Any:
    return rows(page).filter(has_text=subject)


def ticket_field(server: LiveServer, subject: str, expression: str) -> Any:
    return shell_json(server, f"from tickets.models import Ticket\nt = Ticket.objects.get(subject={subject!r})\nresult = {expression}")


def test_an_agent_works_the_desk_with_views_search_keys_and_bulk_changes(
    desk_server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    page = sign_in(open_page("lina", locale="zh-CN"), desk_server, "lina")
    # The first view is her own open tickets, and she sees only her team's (Support) tickets anywhere.
    expect(rows(page)).to_have_count(2)
    expect(row(page, "宽带每天晚上掉线")).to_have_count(1)
    expect(row(page, "路由器指示灯红色闪烁")).to_have_count(1)
    page.get_by_test_id("view-all").click()
    expect(rows(page)).to_have_count(6)
    expect(page.get_by_text("Bulk order for 200 units")).to_have_count(0)

    page.get_by_test_id("view-pool").click()
    expect(rows(page)).to_have_count(2)
    # The demo's SLA policy puts a clock on every open ticket: the pool's unanswered ones are long overdue.
    expect(rows(page).first.get_by_test_id("sla-chip")).to_have_attribute("data-state", "breached")
    snapshot(page, "pool")

    # Keys: / searches, j moves, x selects.
    page.keyboard.press("/")
    expect(page.get_by_test_id("ticket-search")).to_be_focused()
    page.keyboard.type("快递")
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("退货快递一直没人取件")
    page.get_by_test_id("ticket-search").blur()
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_test_id("bulk-bar")).to_be_visible()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("1")

    # Bulk: every open Support ticket to high priority, by selecting the page.
    page.get_by_test_id("bulk-clear").click()
    page.get_by_test_id("view-open").click()
    expect(rows(page)).to_have_count(5)
    page.get_by_test_id("select-page").check()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("5")
    page.get_by_test_id("bulk-add-tag").scroll_into_view_if_needed()
    page.get_by_test_id("bulk-tag").fill("周报")
    page.get_by_test_id("bulk-add-tag").click()
    expect(page.get_by_test_id("bulk-bar")).to_be_hidden()
    expect(rows(page).filter(has_text="周报")).to_have_count(5)
    assert ticket_field(desk_server, "修改绑定手机号", "sorted(t.tags.values_list('name', flat=True))") == ["周报"]

    # A saved view: personal, listed under My views, and it reproduces the filter.
    page.get_by_test_id("filter-priority").select_option("high")
    expect(rows(page)).to_have_count(2)
    page.get_by_test_id("save-view").click()
    page.get_by_test_id("view-name").fill("紧急的宽带")
    page.get_by_test_id("view-save-submit").click()
    saved = page.locator("[data-role=my-views] a", has_text="紧急的宽带")
    expect(saved).to_have_count(1)
    page.get_by_test_id("view-all").click()
    expect(rows(page)).to_have_count(6)
    saved.click()
    expect(rows(page)).to_have_count(2)

    # Merge from the list: the newer of two tickets of one customer into the older.
    page.get_by_test_id("view-all").click()
    row(page, "宽带每天晚上掉线").get_by_test_id("row-check").check()
    row(page, "账单多扣了一个月费用").get_by_test_id("row-check").check()
    page.get_by_test_id("bulk-merge").click()
    expect(page.get_by_test_id("merge-survivor")).to_have_count(2)
    snapshot(page, "merge-dialog")
    page.get_by_test_id("merge-submit").click()
    expect(page.get_by_test_id("merge-dialog")).to_be_hidden()
    merged = ticket_field(desk_server, "账单多扣了一个月费用", "t.merged_into.subject if t.merged_into else None")
    assert merged == "宽带每天晚上掉线"


def test_an_agent_grabs_replies_notes_and_urges_on_a_ticket_page(desk_server: LiveServer, open_page: OpenPage, snapshot: Snapshot) -> None:
    page = sign_in(open_page("wang"), desk_server, "wang")
    page.get_by_test_id("view-pool").click()
    target = row(page, "修改绑定手机号")
    expect(target).to_have_count(1)
    target.get_by_test_id("ticket-link").click()
    page.wait_for_url("**/console/tickets/*/")
    expect(page.get_by_test_id("ticket-subject")).to_have_text("修改绑定手机号")

    expect(page.get_by_test_id("ticket-sla")).to_be_visible()
    page.get_by_test_id("grab-button").click()
    expect(page.get_by_test_id("prop-assignee").locator("option:checked")).to_contain_text("王强")
    expect(page.get_by_test_id("grab-button")).to_be_hidden()

    # r: public reply; Ctrl+Enter sends.
    page.keyboard.press("r")
    page.get_by_test_id("ticket-composer-input").fill("已为您提交换绑申请，请留意短信。")
    page.keyboard.press("Control+Enter")
    reply = page.locator("[data-testid=timeline-entry][data-kind=public_reply]")
    expect(reply).to_contain_text("已为您提交换绑申请")
    # n: internal note, marked as such.
    page.get_by_test_id("ticket-composer-input").blur()
    page.keyboard.press("n")
    page.get_by_test_id("ticket-composer-input").fill("Check the old number in the CRM first.")
    page.get_by_test_id("ticket-send").click()
    note = page.locator("[data-testid=timeline-entry][data-kind=internal_note]")
    expect(note).to_contain_text("Check the old number")
    expect(note).to_contain_text("Internal note")

    page.get_by_test_id("prop-priority").select_option("urgent")
    expect(page.locator("[data-testid=timeline-entry][data-kind=field_change]", has_text="priority")).to_have_count(1)
    page.get_by_test_id("urge-button").click()
    page.get_by_test_id("urge-note").fill("客户第三次来电")
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("ticket-urged")).to_be_visible()
    # 追单: a reminder for tomorrow shows on the ticket and in the list's sidebar.
    page.get_by_test_id("remind-button").click()
    page.get_by_test_id("remind-note").fill("确认短信是否收到")
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("ticket-reminder")).to_contain_text("确认短信是否收到")
    snapshot(page, "ticket-page")

    facts = ticket_field(
        desk_server,
        "修改绑定手机号",
        "{'assignee': t.assignee.display_name, 'priority': t.priority, 'urges': t.urge_count, "
        "'kinds': list(t.timeline.order_by('id').values_list('kind', flat=True))}",
    )
    assert facts["assignee"] == "王强" and facts["priority"] == "urgent" and facts["urges"] == 1
    assert {"public_reply", "internal_note", "field_change"} <= set(facts["kinds"])

    # Link it to another ticket by number, then hand it on to a teammate with a reason.
    other = ticket_field(desk_server, "宽带每天晚上掉线", "t.number")
    page.get_by_test_id("link-button").click()
    page.get_by_test_id("link-kind").select_option("related")
    page.get_by_test_id("link-to").fill(other)
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("ticket-link-item")).to_contain_text(other)
    page.get_by_test_id("redispatch-button").click()
    page.get_by_test_id("redispatch-reason").fill("休假，转给李娜")
    page.get_by_test_id("redispatch-target").select_option(label="李娜")
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("prop-assignee").locator("option:checked")).to_contain_text("李娜")
    expect(page.locator("[data-testid=timeline-entry][data-event=redispatched]")).to_contain_text("休假，转给李娜")
    assert ticket_field(desk_server, "修改绑定手机号", "[t.assignee.display_name, t.links_out.count() + t.links_in.count()]") == ["李娜", 1]

    page.get_by_test_id("back-to-list").click()
    expect(page.get_by_test_id("reminder")).to_contain_text("修改绑定手机号")


def test_a_field_agent_records_a_visit_signed_on_the_phone(desk_server: LiveServer, open_page: OpenPage, snapshot: Snapshot) -> None:
    phone = open_page("lina-phone", locale="zh-CN", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = sign_in(phone, desk_server, "lina")
    # On a phone the views are a picker, not a sidebar.
    expect(page.get_by_test_id("view-picker")).to_be_visible()
    row(page, "路由器指示灯红色闪烁").get_by_test_id("ticket-link").click()
    page.wait_for_url("**/console/tickets/*/")
    page.get_by_test_id("visit-button").click()
    page.get_by_test_id("visit-work").fill("更换了电源适配器，指示灯恢复正常。")
    pad = page.get_by_test_id("signature-pad")
    box = pad.bounding_box()
    assert box is not None
    # Saving before the customer signs is refused with a clear message.
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("ticket-dialog").locator("[data-role=error]")).to_be_visible()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (18 if step % 2 else -18))
    page.mouse.up()
    snapshot(page, "signing")
    page.get_by_test_id("ticket-dialog-submit").click()
    entry = page.locator("[data-testid=timeline-entry][data-kind=public_reply]", has_text="更换了电源适配器")
    expect(entry).to_have_count(1)
    expect(entry.locator("img")).to_have_count(1)
    snapshot(page, "signed-record")
    stored = ticket_field(
        desk_server,
        "路由器指示灯红色闪烁",
        "[(a.content_type, a.size > 500, a.entry.kind, a.file.open('rb').read(8)[1:4].decode()) for a in t.attachments.all()]",
    )
    assert stored == [["image/png", True, "public_reply", "PNG"]]


def test_an_agent_opens_a_ticket_for_a_caller_and_corrects_its_subject(
    desk_server: LiveServer, open_page: OpenPage, snapshot: Snapshot
) -> None:
    page = sign_in(open_page("wang-new"), desk_server, "wang")
    expect(rows(page).first).to_be_visible()  # the desk has loaded (teams and types for the dialog)
    page.get_by_test_id("new-ticket").click()
    page.get_by_test_id("new-subject").fill("电话报修：光猫没有信号")
    page.get_by_test_id("new-description").fill("客户来电，光猫 LOS 灯红色。")
    page.get_by_test_id("new-customer-search").fill("chen@")
    page.get_by_test_id("new-customer-option").first.click()
    expect(page.get_by_test_id("new-customer-chosen")).to_contain_text("陈女士")
    page.get_by_test_id("new-priority").select_option("high")
    snapshot(page, "new-ticket-dialog")
    page.get_by_test_id("new-ticket-submit").click()
    page.wait_for_url("**/console/tickets/*/")
    expect(page.get_by_test_id("ticket-subject")).to_have_text("电话报修：光猫没有信号")
    expect(page.get_by_test_id("prop-assignee").locator("option:checked")).to_contain_text("王强")

    page.get_by_test_id("edit-ticket").click()
    page.get_by_test_id("edit-subject").fill("电话报修：光猫 LOS 红灯")
    page.get_by_test_id("ticket-dialog-submit").click()
    expect(page.get_by_test_id("ticket-subject")).to_have_text("电话报修：光猫 LOS 红灯")
    stored = ticket_field(
        desk_server, "电话报修：光猫 LOS 红灯", "[t.customer.name, t.priority, t.source, t.team.slug, t.assignee.display_name]"
    )
    assert stored == ["陈女士", "high", "agent", "support", "王强"]

    # The demo's shared macro: priority, a tag and a note in one step.
    page.get_by_test_id("macro-picker").select_option(label="Escalate 升级处理")
    expect(page.get_by_test_id("prop-tags")).to_have_value("升级")
    expect(page.locator("[data-testid=timeline-entry][data-kind=internal_note]", has_text="已升级处理")).to_have_count(1)
    assert ticket_field(desk_server, "电话报修：光猫 LOS 红灯", "t.priority") == "urgent"

    # Back to the pool, then dispatched through the team's ticket queue (nobody online: it waits there).
    page.get_by_test_id("prop-assignee").select_option("")
    expect(page.get_by_test_id("dispatch-button")).to_be_visible()
    page.get_by_test_id("dispatch-button").click()
    expect(page.locator(".toast--ok", has_text="queue").or_(page.locator(".toast--ok", has_text="队列"))).to_have_count(1)
