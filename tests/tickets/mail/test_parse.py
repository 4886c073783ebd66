"""Reading mail as it really arrives: charsets that lie, transfer encodings, HTML-only, attachments, quotes."""

from __future__ import annotations

import base64
import quopri
from email.message import EmailMessage

from tests.tickets.mail.conftest import raw_mail
from tickets.mail.parse import decode_header_value, html_to_text, parse_message, trim_quoted


def test_a_gbk_mail_in_base64_reads_as_chinese() -> None:
    mail = parse_message(raw_mail(charset="gbk", encoding="base64"))
    assert mail.subject == "订单问题"
    assert mail.text == "您好，我的订单还没有发货。"
    assert (mail.from_name, mail.from_address) == ("王芳", "wang@example.com")
    assert mail.message_id == "m1@example.com"


def test_gb2312_labelled_mail_with_gbk_only_characters_still_decodes() -> None:
    # 镕 and 喆 are in GBK but not in GB2312: real clients label such mail gb2312 anyway.
    body = "朱镕基和陶喆的订单"
    raw = raw_mail(body=body, subject="陶喆", charset="gbk").replace(b'charset="gbk"', b'charset="gb2312"').replace(b"=?gbk?", b"=?gb2312?")
    mail = parse_message(raw)
    assert mail.text == body
    assert mail.subject == "陶喆"


def test_quoted_printable_utf8_and_big5_bodies_decode() -> None:
    assert parse_message(raw_mail(body="退款 refund ½", charset="utf-8", encoding="quoted-printable")).text == "退款 refund ½"
    assert parse_message(raw_mail(body="請問發票", subject="發票", charset="big5")).text == "請問發票"
    assert parse_message(raw_mail(body="请问发票", charset="gb18030", encoding="8bit")).text == "请问发票"


def test_unlabelled_8bit_headers_and_body_are_guessed() -> None:
    raw = "From: 张三 <z@example.com>\r\nSubject: 退货\r\nMessage-ID: <x@y>\r\n\r\n请帮我退货\r\n".encode("gbk")
    mail = parse_message(raw)
    assert mail.subject == "退货"
    assert mail.text == "请帮我退货"
    assert mail.from_address == "z@example.com"


def test_an_unknown_charset_does_not_crash() -> None:
    mail = parse_message(raw_mail(body="hello", charset="utf-8").replace(b'charset="utf-8"', b'charset="x-no-such"'))
    assert mail.text == "hello"


def test_html_only_mail_becomes_sanitised_text() -> None:
    hostile = (
        "<html><head><title>t</title><style>p{color:red}</style><script>alert(1)</script></head>"
        '<body><p>第一段 <b>bold</b></p><div>second<img src=x onerror="alert(2)"></div>'
        '<a href="javascript:alert(3)">link</a><iframe src="https://evil.example">frame text</iframe>'
        "<p>&lt;script&gt;not code&lt;/script&gt;</p></body></html>"
    )
    mail = parse_message(raw_mail(body=hostile, charset="utf-8", content_type="text/html"))
    assert [line for line in mail.text.splitlines() if line] == ["第一段 bold", "second", "link", "<script>not code</script>"]
    for trace in ("alert", "color:red", "onerror", "frame text"):
        assert trace not in mail.text


def test_multipart_prefers_the_plain_part_and_collects_attachments() -> None:
    message = EmailMessage()
    message["From"] = "Li <li@example.com>"
    message["Subject"] = "发票"
    message["Message-ID"] = "<multi@example.com>"
    message.set_content("请看附件", charset="gbk")
    message.add_alternative("<p>请看<b>附件</b></p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="发票.pdf")
    mail = parse_message(message.as_bytes())
    assert mail.text == "请看附件"
    assert [(a.filename, a.declared_type, a.content) for a in mail.attachments] == [("发票.pdf", "application/pdf", b"%PDF-1.4 fake")]


def test_threading_headers_and_ticket_number() -> None:
    mail = parse_message(
        raw_mail(
            subject="Re: 订单问题 [T-000123]",
            headers={"In-Reply-To": "<b@desk>", "References": "<a@desk> <b@desk>"},
        )
    )
    assert mail.thread_ids == ("b@desk", "a@desk")
    assert mail.ticket_number == "T-000123"


def test_a_mail_without_message_id_gets_a_stable_stand_in() -> None:
    raw = raw_mail(message_id="")
    assert parse_message(raw).message_id == parse_message(raw).message_id
    assert parse_message(raw).message_id.endswith("@no-message-id")


def test_malformed_headers_are_read_as_far_as_they_go() -> None:
    raw = (
        b"From: =?gbk?B?broken!!?= <a@b.c>\r\nSubject: =?unknown-x?Q?hi?=\r\n"
        b"In-Reply-To: garbage\r\nContent-Type: text/plain; charset\r\n\r\nbody"
    )
    mail = parse_message(raw)
    assert mail.from_address == "a@b.c"
    assert mail.text == "body"
    assert mail.in_reply_to == ()
    assert decode_header_value(None) == ""


def test_auto_replies_and_bounces_are_recognised() -> None:
    cases = {
        "auto-submitted": {"Auto-Submitted": "auto-replied"},
        "precedence-bulk": {"Precedence": "bulk"},
        "precedence-auto_reply": {"Precedence": "auto_reply"},
        "x-autoreply": {"X-Autoreply": "yes"},
        "x-auto-response-suppress": {"X-Auto-Response-Suppress": "All"},
        "bounce": {"Return-Path": "<>"},
    }
    for reason, headers in cases.items():
        assert parse_message(raw_mail(headers=headers)).automated == reason, reason
    assert parse_message(raw_mail(sender="MAILER-DAEMON@mx.example")).automated == "bounce"
    assert parse_message(raw_mail(headers={"Auto-Submitted": "no"})).automated == ""
    assert parse_message(raw_mail(headers={"X-Auto-Response-Suppress": "DR, RN"})).automated == ""
    assert parse_message(raw_mail(headers={"X-Auto-Response-Suppress": "DR, OOF"})).automated == "x-auto-response-suppress"
    report = EmailMessage()
    report["From"] = "mx@example.com"
    report.set_content("undeliverable")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    assert parse_message(report.as_bytes()).automated == "report"


def test_quoted_replies_are_trimmed() -> None:
    english = "Thanks, that works.\n\nOn Mon, 2 Mar 2026 at 09:00, Shop help <help@shop.example>\nwrote:\n> Please try again.\n"
    assert trim_quoted(english) == "Thanks, that works."
    chinese = "好的，谢谢。\n\n在 2026年3月2日 09:00，Shop help 写道：\n> 请再试一次。"
    assert trim_quoted(chinese) == "好的，谢谢。"
    foxmail = "收到\n\n------------------ 原始邮件 ------------------\n发件人: help@shop.example\n"
    assert trim_quoted(foxmail) == "收到"
    outlook = "OK\n\nFrom: Shop help <help@shop.example>\nSent: Monday\nTo: wang@example.com\nSubject: Re: x\n\nold text"
    assert trim_quoted(outlook) == "OK"
    netease = "已处理\n-----原始邮件-----\n发件人：help@shop.example"
    assert trim_quoted(netease) == "已处理"
    assert trim_quoted("new line\n> quoted\nmore") == "new line\nmore"


def test_a_mail_that_is_all_quote_is_kept_and_from_lines_in_text_stay() -> None:
    assert trim_quoted("> only a quote") == "> only a quote"
    assert trim_quoted("From: the warehouse, the parcel left today.") == "From: the warehouse, the parcel left today."


def test_html_to_text_keeps_table_cells_apart() -> None:
    assert html_to_text("<table><tr><td>订单</td><td>123</td></tr></table>") == "订单\t123"


def test_html_source_line_breaks_are_spaces_and_blockquotes_become_quotes() -> None:
    markup = (
        "<p>The parcel\nleft   today.</p><blockquote><p>Where is\nmy parcel?</p><blockquote>older</blockquote></blockquote>"
        "<pre>a\n  b</pre>"
    )
    lines = [line for line in html_to_text(markup).split("\n") if line]
    assert lines == ["The parcel left today.", "> Where is my parcel?", "> > older", "a", "  b"]


def test_an_html_only_gmail_reply_is_trimmed_to_the_new_text() -> None:
    markup = (
        '<div dir="ltr">谢谢，收到了。</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "On Mon, Mar 2, 2026 at 9:00 AM Shop help &lt;help@shop.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex">您好，已为您加急发货。</blockquote></div>'
    )
    mail = parse_message(raw_mail(body=markup, charset="utf-8", content_type="text/html"))
    assert trim_quoted(mail.text) == "谢谢，收到了。"


def test_an_html_only_qq_mail_reply_in_gbk_is_trimmed_to_the_new_text() -> None:
    markup = (
        "<div>好的，明天等快递。</div><div><br></div><div>&nbsp;</div>"
        '<div style="font-size: 12px;">------------------&nbsp;原始邮件&nbsp;------------------</div>'
        '<div><b>发件人:</b>&nbsp;"Shop help"&lt;help@shop.example&gt;;</div><div><b>发送时间:</b>&nbsp;2026年3月2日</div>'
        "<div>您好，已为您加急发货。</div>"
    )
    mail = parse_message(raw_mail(body=markup, charset="gb18030", content_type="text/html"))
    assert trim_quoted(mail.text) == "好的，明天等快递。"


def test_an_outlook_style_gbk_mail_with_an_inline_image_and_encoded_file_names() -> None:
    gbk_name = "=?gb2312?B?" + base64.b64encode("报价单.pdf".encode("gbk")).decode() + "?="
    raw = (
        "From: =?gb2312?B?" + base64.b64encode("李经理".encode("gbk")).decode() + "?= <li@corp.example>\r\n"
        "Subject: =?gb2312?B?" + base64.b64encode("询价".encode("gbk")).decode() + "?=\r\n"
        "Message-ID: <outlook@corp.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\n"
        'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        "--rel\r\n"
        'Content-Type: text/html; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring('<p>请报价，附件是清单。</p><img src="cid:image001">'.encode("gbk")).decode()
        + "\r\n--rel\r\n"
        "Content-Type: image/png\r\nContent-ID: <image001>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
        + "\r\n--rel--\r\n"
        "--outer\r\n"
        f'Content-Type: application/pdf; name="{gbk_name}"\r\n'
        f'Content-Disposition: attachment; filename="{gbk_name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 quote").decode() + "\r\n"
        "--outer\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Disposition: attachment; filename*=gbk''%C7%E5%B5%A5.txt\r\n\r\n"
        "item 1\r\n"
        "--outer--\r\n"
    ).encode()
    mail = parse_message(raw)
    assert (mail.from_name, mail.subject, mail.text) == ("李经理", "询价", "请报价，附件是清单。")
    assert [(a.filename, a.declared_type) for a in mail.attachments] == [
        ("attachment.png", "image/png"),
        ("报价单.pdf", "application/pdf"),
        ("清单.txt", "text/plain"),
    ]
