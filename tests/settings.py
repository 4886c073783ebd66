"""Test settings: the real settings with a throwaway data dir and fast password hashing."""

import os
import tempfile

os.environ.setdefault("CC_DATA_DIR", tempfile.mkdtemp(prefix="cc-test-"))
# Concurrent runs (developers, CI) must not share Redis keys or a test database.
os.environ.setdefault("CC_CHANNEL_PREFIX", f"cctest{os.getpid()}")

from contactcenter.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASE_URL:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_cc_{os.getpid()}"}  # noqa: F405

# Worker threads (database_sync_to_async, the concurrency tests) must not keep a connection open
# after a test: PostgreSQL then refuses to drop the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
if not DATABASE_URL:  # noqa: F405
    # A file rather than shared-cache memory: concurrent threads then queue on SQLite's busy
    # timeout as they do in the server, instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# Server-process GC tuning (contactcenter/runtime.py) is for daphne, not for the test process,
# whose own large heap would only log pauses into the test output.
CC_GC_THRESHOLD = "python"
CC_GC_WARN_MS = 0.0
# Tests change the knowledge base between (and within) tests: the bot's index checks every time.
CC_BOT_INDEX_CHECK_S = 0.0
# Mails stay in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CC_PORTAL_MAIL_IN_BACKGROUND = False
