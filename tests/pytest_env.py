"""Loaded with -p before Django settings: keeps test runs off the developer's var/ folder, and
removes the run's own folder when the run ends."""

import atexit
import os
import shutil
import tempfile

if "VAR_DIR" not in os.environ:
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="suite-test-var-")
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
