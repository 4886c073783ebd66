"""Fixtures for the e-mail channel: a real IMAP server (Debian's dovecot, started here in a temp dir),
a real SMTP server (aiosmtpd, in-process), a team mailbox, and builders for raw mails."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from contactcenter.core.staff.models import Team
from tests.conftest import need
from tickets.mail.models import Mailbox

DOVECOT = os.environ.get("CC_DOVECOT", "/usr/sbin/dovecot")
_users = itertools.count(1)
USERS = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    """A dovecot serving IMAP on 127.0.0.1:port, passwd-file users, maildirs in its temp dir."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]

    def add_user(self) -> tuple[str, str]:
        """A fresh, empty mailbox (written into the passwd file at start: dovecot caches that file by mtime)."""
        number = next(_users)
        assert number <= USERS, "raise USERS"
        return f"desk{number}@example.com", "secret"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _dovecot_config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses to run its login and mail processes as root: the package's own users.
        login, internal = "dovenull", "dovecot"
        mail_user = pwd.getpwnam("dovecot")
    else:
        login = internal = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = pwd.getpwuid(os.geteuid())
    for sub in ("mail", "home"):
        (root / sub).mkdir()
        os.chown(root / sub, mail_user.pw_uid, mail_user.pw_gid)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    need("dovecot", shutil.which(DOVECOT) is not None or Path(DOVECOT).exists(), "install Debian's dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="cc-dovecot-"))
    root.chmod(0o755)  # its mail user must reach the maildirs below
    port = free_port()
    (root / "passwd").write_text("".join(f"desk{n}@example.com:{{PLAIN}}secret\n" for n in range(1, USERS + 1)))
    (root / "dovecot.conf").write_text(_dovecot_config(root, port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Dovecot(root=root, port=port, process=process)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                process.kill()
                pytest.fail(f"dovecot did not start: {stderr}\n{server.log()}")
            time.sleep(0.05)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpSink:
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: bool = False


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """aiosmtpd on a free port, collecting every message (or refusing them all with a 451 when ``refuse``)."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if sink.refuse:
                return "451 4.3.0 try again later"
            sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            sink.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def mailbox(team: Team) -> Mailbox:
    """The team's mailbox; no servers behind it (tests of one message call process_raw directly)."""
    return Mailbox.objects.create(
        team=team,
        address="help@shop.example",
        display_name="Shop help",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_user="help",
        imap_password="imap-secret",
        smtp_host="127.0.0.1",
        smtp_port=1,
        smtp_password="smtp-secret",
    )


def raw_mail(
    *,
    body: str = "您好，我的订单还没有发货。",
    subject: str = "订单问题",
    sender: str = "王芳 <wang@example.com>",
    to: str = "help@shop.example",
    charset: str = "gbk",
    encoding: str = "base64",
    message_id: str = "<m1@example.com>",
    headers: dict[str, str] | None = None,
    content_type: str = "text/plain",
) -> bytes:
    """A single-part mail as a customer's client would send it: the body in ``charset`` and
    ``encoding``, Chinese headers as RFC 2047 encoded words in the same charset."""
    import base64
    import quopri
    from email.header import Header

    lines = [
        f"From: {Header(sender.split('<')[0].strip(), charset).encode()} <{sender.split('<')[1]}" if "<" in sender else f"From: {sender}",
        f"To: {to}",
        f"Subject: {Header(subject, charset).encode()}",
        "Date: Mon, 02 Mar 2026 09:00:00 +0800",
        "MIME-Version: 1.0",
        f'Content-Type: {content_type}; charset="{charset}"',
        f"Content-Transfer-Encoding: {encoding}",
    ]
    if message_id:
        lines.insert(0, f"Message-ID: {message_id}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    data = body.encode(charset)
    payload = base64.encodebytes(data) if encoding == "base64" else quopri.encodestring(data) if encoding == "quoted-printable" else data
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + payload.replace(b"\n", b"\r\n")
