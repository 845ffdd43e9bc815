"""mypy at a baseline that only goes down.

Runs mypy (configured in pyproject.toml) and compares its errors per file with
`mypy-baseline.json`: a file with more errors than its baseline, or with errors and no baseline
(every new file), fails the run. When a file has fewer, the run says so; `--update` writes the
lower counts (it never raises one; with no baseline yet it writes the first).

    .venv/bin/python scripts/mypy_ratchet.py [--update]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.json"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


def errors_per_file(output: str) -> Counter[str]:
    return Counter(m["path"] for line in output.splitlines() if (m := ERROR.match(line)))


def compare(found: Counter[str], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(worse, better): one line per file above or below its baseline."""
    worse = [
        f"{path}: {count} mypy errors (baseline {baseline.get(path, 0)})"
        for path, count in sorted(found.items())
        if count > baseline.get(path, 0)
    ]
    better = [
        f"{path}: {found.get(path, 0)} mypy errors (baseline {count})"
        for path, count in sorted(baseline.items())
        if found.get(path, 0) < count
    ]
    return worse, better


def main() -> int:
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        print(run.stdout, run.stderr, sep="\n")
        return run.returncode
    found = errors_per_file(run.stdout)
    first = not BASELINE.exists()
    baseline = {} if first else json.loads(BASELINE.read_text())
    worse, better = compare(found, baseline)
    if "--update" in sys.argv and (first or not worse):
        lowered = {path: found[path] for path in sorted(found)}
        BASELINE.write_text(json.dumps(lowered, indent=1, sort_keys=True) + "\n")
        print(f"mypy baseline written: {sum(lowered.values())} errors in {len(lowered)} files")
        return 0
    if worse:
        print(run.stdout)
        print("mypy: more errors than the baseline (mypy-baseline.json):", *worse, sep="\n  ")
        return 1
    print(f"mypy: {sum(found.values())} errors, none above the baseline")
    if better:
        print("Fewer than the baseline; lower it with --update:", *better, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
