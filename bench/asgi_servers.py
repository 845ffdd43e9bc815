"""Benchmark the ASGI servers the suite can run under: uvicorn against daphne.

Each server serves ``suite.asgi:application`` (embedded default: SQLite, locmem cache,
in-memory channel layer, filesystem broker) from a temporary VAR_DIR on a free 127.0.0.1 port,
one at a time. A fixed number of GET requests per path is sent from a pool of keep-alive
clients. Rounds alternate the server order (uvicorn first, then daphne first, ...) so neither
always runs on a warmer or quieter machine; each figure is the median over the rounds. The run
prints one JSON object with requests/s and p50/p99 latency per server and path, plus the
uvicorn/daphne ratios. Only 127.0.0.1 is contacted; the run is bounded and stops by itself.

    .venv/bin/python bench/asgi_servers.py [--requests 2000] [--concurrency 16] [--rounds 3]
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = "suite.asgi:application"
STARTUP_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(name: str, port: int) -> list[str]:
    """Both with one process, access logs off, as close to equal footing as the CLIs allow."""
    if name == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            APP,
            "--host=127.0.0.1",
            f"--port={port}",
            "--workers=1",
            "--lifespan=off",
            "--no-access-log",
            "--log-level=warning",
        ]
    if name == "daphne":
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0", APP]
    raise ValueError(name)


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def wait_until_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            status, _ = get(conn, "/healthz")
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer /healthz within {STARTUP_TIMEOUT_S}s")


def load(port: int, path: str, total: int, concurrency: int) -> dict:
    """`total` GETs of `path` from `concurrency` clients, each on its own keep-alive connection."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()
    base, extra = divmod(total, concurrency)
    shares = [base + (1 if i < extra else 0) for i in range(concurrency)]

    def client(count: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        mine: list[float] = []
        codes: dict[int, int] = {}
        failed = 0
        for _ in range(count):
            try:
                status, seconds = get(conn, path)
                mine.append(seconds)
                codes[status] = codes.get(status, 0) + 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n
            errors += failed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(client, shares))
    elapsed = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    return {
        "requests": total,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2) if q else None,
        "p99_ms": round(q[98] * 1000, 2) if q else None,
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
        "errors": errors,
    }


def bench_server(name: str, env: dict, paths: list[str], total: int, concurrency: int) -> dict:
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            server_command(name, port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(port, proc)
            warmup = max(concurrency * 10, 100)
            results = {}
            for path in paths:
                load(port, path, warmup, concurrency)
                results[path] = load(port, path, total, concurrency)
            return results
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def summarize(rounds: list[dict], paths: list[str]) -> dict:
    """Median of each figure over the rounds; the per-round requests/s show the spread."""
    summary = {}
    for path in paths:
        per_round = [r[path] for r in rounds]
        statuses: dict[str, int] = {}
        for r in per_round:
            for code, n in r["statuses"].items():
                statuses[code] = statuses.get(code, 0) + n
        summary[path] = {
            "requests_per_s": round(statistics.median(r["requests_per_s"] for r in per_round), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in per_round), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in per_round), 2),
            "requests_per_s_by_round": [r["requests_per_s"] for r in per_round],
            "statuses": statuses,
            "errors": sum(r["errors"] for r in per_round),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per server and path")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--paths", default="/healthz,/login/")
    parser.add_argument("--servers", default="uvicorn,daphne")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 256:
        parser.error("--requests must be 1..100000 and --concurrency 1..256")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be 1..10")
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]

    var_dir = tempfile.mkdtemp(prefix="suite-bench-")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="suite.settings",
        DJANGO_ENV="development",
        DJANGO_DEBUG="false",  # what production serves: no debug toolbar pages, no query log
        VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL="filesystem://",
        PYTHONDONTWRITEBYTECODE="1",
    )
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        runs: dict[str, list[dict]] = {name: [] for name in servers}
        for round_no in range(args.rounds):
            order = servers if round_no % 2 == 0 else servers[::-1]
            for name in order:
                runs[name].append(bench_server(name, env, paths, args.requests, args.concurrency))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)

    results = {name: summarize(name_runs, paths) for name, name_runs in runs.items()}
    report: dict = {
        "app": APP,
        "requests_per_path": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(terse=True),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "servers": results,
    }
    if {"uvicorn", "daphne"} <= results.keys():
        report["uvicorn_over_daphne"] = {
            path: {
                "requests_per_s": round(
                    results["uvicorn"][path]["requests_per_s"]
                    / results["daphne"][path]["requests_per_s"],
                    2,
                ),
                "p50_latency": round(
                    results["uvicorn"][path]["p50_ms"] / results["daphne"][path]["p50_ms"], 2
                ),
                "p99_latency": round(
                    results["uvicorn"][path]["p99_ms"] / results["daphne"][path]["p99_ms"], 2
                ),
            }
            for path in paths
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
