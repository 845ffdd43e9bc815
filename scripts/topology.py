"""The production topology on one machine, as child processes on free loopback ports.

What README "Production" lists, with production settings (DJANGO_ENV=production, HTTPS redirect
off because there is no TLS proxy on loopback): PostgreSQL (the shared server, a database of
its own that is dropped and re-created), a Redis server this script starts and owns (so a fault
run can pause or kill it without touching anyone else's), uvicorn with 2 workers, one Celery
worker per queue group and celery beat. `Topology` is a context manager: everything it started
is stopped on the way out, also after an error or Ctrl-C.

    .venv/bin/python scripts/topology.py [--db suite_faults] [--keep-db]   # up until Ctrl-C
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# README "Production": the queue groups and their workers, scaled to this host's cores.
WORKERS = {
    "default": ("default", 2),  # web-side jobs (README: -c 4)
    "speech": ("asr,tts", 1),  # speech hosts (README: -c 2)
    "media": ("image,video,vision", 1),  # one per GPU
    "streams": ("streams", 1),  # camera watchers
}
# Which worker runs which queue.
WORKER_OF_QUEUE = {q: name for name, (queues, _c) in WORKERS.items() for q in queues.split(",")}


def log(*parts: object) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, what: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.3)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s")


@dataclass
class Proc:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen | None = None
    starts: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Topology:
    """Starts the topology on enter, stops it on exit."""

    def __init__(
        self,
        *,
        db: str = "suite_faults",
        keep_db: bool = False,
        var_dir: Path | None = None,
        env: dict[str, str] | None = None,
        web_workers: int = 2,
    ) -> None:
        self.db = db
        self.keep_db = keep_db
        self.var = (var_dir or ROOT / "var" / "faults").resolve()
        self.port = free_port()
        self.redis_port = free_port()
        self.web_workers = web_workers
        self.procs: dict[str, Proc] = {}
        self.redis: Proc | None = None
        self.redis_paused = False
        self.env = {
            **os.environ,
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "suite.settings",
            "SECRET_KEY": secrets.token_urlsafe(45),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{self.port}",
            "WEBSOCKET_ALLOWED_ORIGINS": f"http://127.0.0.1:{self.port}",
            "VAR_DIR": str(self.var),
            # The bundled weights are assembled once per checkout; share them.
            "AI_CACHE_DIR": os.environ.get("AI_CACHE_DIR", str(ROOT / "var" / "models")),
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("CELERY_BROKER_URL", None)
        self.env.pop("CELERY_RESULT_BACKEND", None)

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Topology:
        self._old_handlers = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)
        }
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum, frame) -> None:
        raise SystemExit(128 + signum)

    def start(self) -> None:
        (self.var / "logs").mkdir(parents=True, exist_ok=True)
        self.start_redis()
        self.prepare_database()
        self.start_web()
        for name in WORKERS:
            self.start_worker(name)
        self.start_beat()
        for name in WORKERS:
            self.wait_worker(name)
        log(f"topology up: http://127.0.0.1:{self.port}/ redis :{self.redis_port}")

    def stop(self) -> None:
        if self.redis_paused:
            self.resume_redis()
        procs = [p for p in self.procs.values() if p.alive()]
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            # the whole group: a Celery worker's pool children, uvicorn's workers
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.popen is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.popen.wait(timeout=5)
        self.procs.clear()

    # --- processes ---------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str]) -> Proc:
        proc = self.procs.get(name) or Proc(name, argv, self.var / "logs" / f"{name}.log")
        with proc.log_path.open("ab") as out:
            out.write(f"\n--- start {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            # Its own process group: a kill reaches the pool children too, never this script.
            proc.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc.starts += 1
        self.procs[name] = proc
        return proc

    def manage(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start_redis(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
        self.redis = self.spawn(
            "redis",
            [
                server,
                "--port", str(self.redis_port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.var),
            ],
        )  # fmt: skip
        _wait(self.redis_ping, "redis", 20, self.redis.popen)

    def redis_ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
            sock.settimeout(1)
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def pause_redis(self) -> None:
        """Redis stops answering (SIGSTOP): connections stay open but nothing comes back, as
        when the network to it is cut."""
        os.kill(self.redis.pid, signal.SIGSTOP)
        self.redis_paused = True

    def resume_redis(self) -> None:
        os.kill(self.redis.pid, signal.SIGCONT)
        self.redis_paused = False

    def restart_redis(self) -> None:
        """Redis dies and comes back empty (no persistence): queued messages are gone."""
        os.killpg(self.redis.pid, signal.SIGKILL)
        self.redis.popen.wait(timeout=10)
        self.start_redis()

    def prepare_database(self) -> None:
        psql = ["-h", "127.0.0.1", "-U", "postgres"]
        if not self.keep_db:
            subprocess.run(["dropdb", *psql, "--if-exists", "--force", self.db], check=True)
            shutil.rmtree(self.var / "media", ignore_errors=True)
        made = subprocess.run(["createdb", *psql, self.db], capture_output=True, text=True)
        if made.returncode and "already exists" not in made.stderr:
            raise RuntimeError(f"createdb {self.db}: {made.stderr.strip()}")
        log("migrate, collectstatic, seed_demo")
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        self.manage("seed_demo")

    def start_web(self) -> None:
        proc = self.spawn(
            "web",
            [
                str(BIN / "uvicorn"), "suite.asgi:application",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.web_workers), "--lifespan", "off",
                "--no-proxy-headers", "--no-access-log", "--log-level", "warning",
            ],
        )  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/healthz"
        up = lambda: urllib.request.urlopen(url, timeout=5).status == 200  # noqa: E731
        _wait(up, "uvicorn", 120, proc.popen)

    def start_worker(self, name: str) -> Proc:
        queues, concurrency = WORKERS[name]
        proc = self.spawn(
            f"worker-{name}",
            [
                str(BIN / "celery"), "-A", "suite", "worker", "-Q", queues,
                "-c", str(concurrency), "-n", f"{name}@faults", "-l", "info",
                "--without-mingle", "--without-gossip",
            ],
        )  # fmt: skip
        proc.extra["ready_marker"] = proc.log_path.stat().st_size if proc.log_path.exists() else 0
        return proc

    def wait_worker(self, name: str, timeout: float = 180) -> None:
        proc = self.procs[f"worker-{name}"]
        offset = proc.extra.get("ready_marker", 0)

        def ready() -> bool:
            with proc.log_path.open("rb") as f:
                f.seek(offset)
                return b" ready." in f.read()

        _wait(ready, f"celery worker {name}", timeout, proc.popen)

    def start_beat(self) -> None:
        self.spawn(
            "beat",
            [
                str(BIN / "celery"), "-A", "suite", "beat", "-l", "info",
                "--schedule", str(self.var / "beat-schedule"),
            ],
        )  # fmt: skip

    # --- faults ------------------------------------------------------------------------------

    def worker_children(self, name: str) -> list[int]:
        import psutil

        main = psutil.Process(self.procs[f"worker-{name}"].pid)
        return [child.pid for child in main.children()]

    def kill_worker(self, name: str, *, restart: bool = True) -> None:
        """SIGKILL the whole worker (main process and pool), as when its host dies; then
        start it again, as its supervisor would."""
        proc = self.procs[f"worker-{name}"]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)
        if restart:
            self.start_worker(name)

    def kill_pool_child(self, name: str, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="suite_faults")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    with Topology(db=args.db, keep_db=args.keep_db) as topo:
        log(f"up; logs in {topo.var / 'logs'}; Ctrl-C stops everything")
        with contextlib.suppress(KeyboardInterrupt):
            while all(p.alive() for p in topo.procs.values()):
                time.sleep(1)
            dead = [p.name for p in topo.procs.values() if not p.alive()]
            log("a process stopped:", dead)


if __name__ == "__main__":
    main()
