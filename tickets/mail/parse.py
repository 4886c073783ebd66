"""Reading one raw e-mail: headers and charsets as real mail has them, the text, attachments, auto-reply signs.

Pure functions over bytes (no database). Real mail lies about its charset: a message labelled gb2312
usually contains GBK characters, so the GB family is decoded as gb18030 (their superset), Big5 as
Big5-HKSCS; unlabelled 8-bit text is tried as UTF-8, then gb18030.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.header import Header, decode_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr

import nh3

#: Charset labels that lie: decode them as the superset.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
}

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_TICKET_NUMBER = re.compile(r"\[\s*(T-\d{6,})\s*\]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MailAttachment:
    filename: str
    content: bytes
    declared_type: str


@dataclass(frozen=True, slots=True)
class ParsedMail:
    message_id: str
    subject: str
    from_address: str
    from_name: str
    text: str
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[MailAttachment, ...] = ()
    #: Why this is machine mail we must not answer nor open tickets for ("" for a person's mail).
    automated: str = ""
    to_addresses: tuple[str, ...] = field(default=())

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first (In-Reply-To, then References from the newest)."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)

    @property
    def ticket_number(self) -> str:
        match = _TICKET_NUMBER.search(self.subject)
        return match.group(1).upper() if match else ""


def codec_for(charset: str | None) -> str:
    label = (charset or "").strip().strip('"').lower()
    if not label or label in {"us-ascii", "ascii", "utf8"}:
        return "utf-8"
    return _CHARSET_ALIASES.get(label, label)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset (aliased), else UTF-8, else gb18030; never raises."""
    tried: list[str] = []
    for codec in (codec_for(charset), "utf-8", "gb18030"):
        if codec in tried:
            continue
        tried.append(codec)
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode(codec_for(charset) if _known(codec_for(charset)) else "utf-8", errors="replace")


def _known(codec: str) -> bool:
    try:
        b"".decode(codec)
    except LookupError:
        return False
    return True


def decode_header_value(raw: object) -> str:
    """An RFC 2047 header (``=?gb2312?B?...?=``) or raw 8-bit bytes, as text, whitespace folded.

    ``raw`` is what a compat32 parser returns: a str, or a Header holding undecoded 8-bit bytes."""
    if not raw:
        return ""
    parts: list[str] = []
    try:
        chunks = decode_header(raw if isinstance(raw, Header) else str(raw))
    except Exception:  # a broken encoded word: keep what is there
        chunks = [(str(raw), None)]
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset))
        else:
            parts.append(_undo_surrogates(chunk))
    return " ".join("".join(parts).split())


def _undo_surrogates(text: str) -> str:
    # Raw 8-bit header bytes arrive as surrogate escapes: put the bytes back and decode them properly.
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    return text


def message_ids(raw: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of In-Reply-To / References, without brackets, in order."""
    return tuple(dict.fromkeys(_MESSAGE_ID.findall(raw or "")))


def parse_message(raw: bytes) -> ParsedMail:
    """One RFC 5322 message from its bytes. Raises ValueError only when nothing usable is there."""
    if not raw.strip():
        raise ValueError("empty message")
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    message_id = next(iter(message_ids(str(headers.get("Message-ID", "")))), "")
    if not message_id:
        # No (or a broken) Message-ID: a stable stand-in from the bytes, so a re-fetch is still seen as one.
        message_id = f"{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id"
    from_name, from_address = sender_of(headers)
    to_addresses = tuple(addr.lower() for _, addr in getaddresses([decode_header_value(v) for v in headers.get_all("To", [])]) if addr)
    text, attachments = _body_and_attachments(message)
    return ParsedMail(
        message_id=message_id[:255],
        subject=decode_header_value(headers.get("Subject")),
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        text=text,
        in_reply_to=message_ids(str(headers.get("In-Reply-To", ""))),
        references=message_ids(str(headers.get("References", ""))),
        attachments=tuple(attachments),
        automated=automated_reason(headers, message),
        to_addresses=to_addresses,
    )


def sender_of(headers: Message) -> tuple[str, str]:
    """(name, address) of From: the address split off before decoding, so a decoded name cannot fake one."""
    raw = headers.get("From")
    if isinstance(raw, Header):  # raw 8-bit bytes: decode the whole header first
        return parseaddr(decode_header_value(raw))
    name, address = parseaddr(str(raw or ""))
    return decode_header_value(name), address


def automated_reason(headers: Message, message: Message) -> str:
    """Why a message is machine mail (auto-reply, out-of-office, bounce, read receipt), or "".

    Such mail never opens a ticket and is never answered: that is what keeps two robots from mailing
    each other forever (RFC 3834)."""
    auto_submitted = str(headers.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto-submitted"
    precedence = str(headers.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "auto_reply", "auto-reply"}:
        return f"precedence-{precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if str(headers.get(name, "")).strip():
            return name.lower()
    # Exchange marks its automatic mail so; DR/RN/NRN alone (receipts) also appear on people's mail.
    suppress = {v.strip().lower() for v in str(headers.get("X-Auto-Response-Suppress", "")).split(",")}
    if suppress & {"all", "oof", "autoreply"}:
        return "x-auto-response-suppress"
    return_path = str(headers.get("Return-Path", "")).strip()
    if return_path == "<>":
        return "bounce"
    _, sender = sender_of(headers)
    local = sender.split("@", 1)[0].lower()
    if local in {"mailer-daemon", "postmaster"}:
        return "bounce"
    if message.get_content_type() == "multipart/report":
        return "report"
    return ""


def report_text(raw: bytes) -> str:
    """Every header and decoded text of a (delivery) report, nested parts included: where a bounce's
    status, diagnostic and the returned original's Message-ID are found."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw[:2_000_000])
    texts: list[str] = []
    for part in message.walk():
        texts.append("".join(f"{name}: {decode_header_value(value)}\n" for name, value in part.items()))
        if not part.is_multipart():
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                texts.append(decode_bytes(data, part.get_content_charset()))
    return "\n".join(texts)


# -- body ---------------------------------------------------------------------------------------------


def _body_and_attachments(message: EmailMessage) -> tuple[str, list[MailAttachment]]:
    plain: list[str] = []
    html_parts: list[str] = []
    attachments: list[MailAttachment] = []
    for part in _leaves(message):
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if content_type in {"text/plain", "text/html"} and disposition != "attachment" and not filename:
            text = _part_text(part)
            (plain if content_type == "text/plain" else html_parts).append(text)
            continue
        if content_type in {"message/delivery-status", "message/disposition-notification"}:
            continue
        data = _part_bytes(part)
        if data:
            attachments.append(MailAttachment(filename=filename or _fallback_name(content_type), content=data, declared_type=content_type))
    text = "\n\n".join(p.strip() for p in plain if p.strip())
    if not text and html_parts:
        text = "\n\n".join(t for t in (html_to_text(h) for h in html_parts) if t)
    return normalise_text(text), attachments


def _leaves(part: Message) -> list[Message]:
    """The non-multipart parts in order; a forwarded message (message/rfc822) stays one part, an attachment."""
    if part.get_content_type() == "message/rfc822":
        return [part]
    if part.is_multipart():
        leaves: list[Message] = []
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                leaves.extend(_leaves(child))
        return leaves
    return [part]


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner.as_bytes() if isinstance(inner, Message) else b""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken transfer encoding: nothing usable
        return b""
    return data if isinstance(data, bytes) else b""


def _part_text(part: Message) -> str:
    return decode_bytes(_part_bytes(part), part.get_content_charset())


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return decode_header_value(name) if "=?" in name else _undo_surrogates(name)


def _fallback_name(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "message.eml"
    return "attachment" + (mimetypes.guess_extension(content_type) or "")


# -- HTML and text ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>|([^<]+)")
_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}
#: Tags whose whole content is dropped (not only the tag): code, styles, the head's title.
_DROPPED = {"script", "style", "title", "head", "noscript", "template", "iframe", "object", "svg", "math"}
_KEPT_FOR_LAYOUT = {*_BLOCKS, "br", "td", "th"}


def html_to_text(markup: str) -> str:
    """What an HTML-only mail says, as plain text: sanitised with nh3 first (nothing executable or
    hidden survives), then block tags become line breaks, cells tabs, quoted blocks (``<blockquote>``)
    ``>`` lines, whitespace collapses as a browser would, and every tag is stripped."""
    cleaned = nh3.clean(markup, tags=_KEPT_FOR_LAYOUT, attributes={}, clean_content_tags=_DROPPED, strip_comments=True)
    lines: list[str] = []
    current: list[str] = []
    quote_depth = pre_depth = 0

    def end_line() -> None:
        line = "".join(current).strip(" ")
        current.clear()
        lines.append(("> " * quote_depth + line) if quote_depth and line else line)

    for match in _TOKEN.finditer(cleaned):
        closing, tag, text = match.groups()
        if text is not None:
            text = html.unescape(text).replace("\xa0", " ")
            current.append(text if pre_depth else re.sub(r"\s+", " ", text))
            continue
        tag = tag.lower()
        if tag == "br" or tag in _BLOCKS:
            end_line()
        if tag == "blockquote":
            quote_depth = max(quote_depth - 1, 0) if closing else quote_depth + 1
        elif tag == "pre":
            pre_depth = max(pre_depth - 1, 0) if closing else pre_depth + 1
        elif tag in {"td", "th"} and closing:
            current.append("\t")
    end_line()
    return normalise_text("\n".join(line.rstrip("\t ") for line in lines))


def normalise_text(text: str) -> str:
    lines = [line.rstrip().replace("\xa0", " ") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    joined = "\n".join(lines).strip()
    joined = re.sub(r"\n{3,}", "\n\n", joined)
    return "".join(ch for ch in joined if ch in "\n\t" or ch.isprintable())


# -- quoted replies -----------------------------------------------------------------------------------

_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}写道[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*(原始邮件|Original Message|转发邮件|Forwarded message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above its "From:" block
]
_FROM_BLOCK = re.compile(r"^\s*(From|发件人)\s*[:：]", re.IGNORECASE)
_FROM_BLOCK_NEXT = re.compile(r"^\s*(Sent|Date|To|Subject|Cc|发送时间|日期|时间|收件人|主题|抄送)\s*[:：]", re.IGNORECASE)


def trim_quoted(text: str) -> str:
    """A reply without the mail it quotes: cut at the first "On … wrote:" / "在 … 写道：" /
    "-----原始邮件-----" line or Outlook "From: / Sent: / To:" block, and drop ">" lines. If nothing
    would remain (a mail that is all quote), the text is kept whole."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        two = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line  # Gmail wraps the "wrote:" line
        if any(p.match(line) for p in _QUOTE_HEADERS) or (_QUOTE_HEADERS[0].match(two) and line.lstrip().lower().startswith("on ")):
            cut = index
            break
        if _FROM_BLOCK.match(line) and any(_FROM_BLOCK_NEXT.match(nxt) for nxt in lines[index + 1 : index + 5]):
            cut = index
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    trimmed = normalise_text("\n".join(kept))
    return trimmed or normalise_text(text)
