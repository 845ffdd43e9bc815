"""The mypy baseline only goes down: more errors in a file, or any in a new file, fail."""

import importlib.util
from collections import Counter
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "mypy_ratchet", Path(__file__).resolve().parents[2] / "scripts" / "mypy_ratchet.py"
)
ratchet = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ratchet)

OUTPUT = """\
suite/ai/gateway.py:12: error: Incompatible types in assignment  [assignment]
suite/ai/gateway.py:40: error: Item "None" of "str | None" has no attribute "strip"  [union-attr]
suite/ai/gateway.py:41: note: By default the bodies of untyped functions are not checked
video_ringtone/new_module.py:3: error: Missing return statement  [return]
Found 3 errors in 2 files (checked 321 source files)
"""


def test_errors_are_counted_per_file_and_notes_are_not_errors():
    assert ratchet.errors_per_file(OUTPUT) == Counter(
        {"suite/ai/gateway.py": 2, "video_ringtone/new_module.py": 1}
    )


def test_a_new_file_with_errors_or_a_file_above_its_baseline_fails_and_fewer_is_reported():
    found = ratchet.errors_per_file(OUTPUT)
    worse, better = ratchet.compare(found, {"suite/ai/gateway.py": 2, "suite/api/views.py": 4})
    assert worse == ["video_ringtone/new_module.py: 1 mypy errors (baseline 0)"]
    assert better == ["suite/api/views.py: 0 mypy errors (baseline 4)"]

    worse, _better = ratchet.compare(found, {"suite/ai/gateway.py": 1})
    assert "suite/ai/gateway.py: 2 mypy errors (baseline 1)" in worse
