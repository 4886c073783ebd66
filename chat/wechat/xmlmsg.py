"""Reading WeChat's XML safely: no DTD at all (so no entity expansion and no external entities), a size limit."""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

#: WeChat's messages are a few hundred bytes; anything near this is not from WeChat.
MAX_BYTES = 64 * 1024
#: The fields we read are short; a longer one is cut (Content is at most 2048 bytes by WeChat's rules).
MAX_FIELD_CHARS = 10_000


class BadXml(ValueError):
    """Not a WeChat message: too large, not XML, or XML with a DTD or entities."""


def parse(body: bytes) -> dict[str, str]:
    """The ``<xml>`` element's children as name → text (CDATA included), e.g. {"MsgType": "text", ...}."""
    if len(body) > MAX_BYTES:
        raise BadXml("too large")
    try:
        # forbid_dtd: WeChat never sends one, and a DTD is where billion laughs and XXE live.
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadXml(type(exc).__name__) from exc
    if root.tag != "xml":
        raise BadXml("the root element is not <xml>")
    return {child.tag: (child.text or "").strip()[:MAX_FIELD_CHARS] for child in root if isinstance(child.tag, str)}
