"""Loaded with -p before Django settings: keeps test runs off the developer's var/ folder."""

import os
import tempfile

os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="suite-test-var-"))
