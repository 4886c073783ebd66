"""Test settings: the real settings with a throwaway data dir and fast password hashing."""

import os
import tempfile

os.environ.setdefault("CC_DATA_DIR", tempfile.mkdtemp(prefix="cc-test-"))
# Concurrent runs (developers, CI) must not share Redis keys or a test database.
os.environ.setdefault("CC_CHANNEL_PREFIX", f"cctest{os.getpid()}")

from contactcenter.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASE_URL:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_cc_{os.getpid()}"}  # noqa: F405
