"""Watches every live camera continuously until SIGTERM or Ctrl-C (see video_analytics.watching)."""

import signal

from django.core.management.base import BaseCommand, CommandError

from suite.tenancy.models import Tenant
from video_analytics.watching import StreamSupervisor


class Command(BaseCommand):
    help = (
        "Keeps one reader per live stream camera (RTSP, HTTP, file), with reconnects and "
        "back-off; re-reads the cameras every --poll seconds. Stops cleanly on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", action="append", default=[], help="tenant slug (repeat)")
        parser.add_argument("--poll", type=float, default=10.0, help="seconds between re-reads")
        parser.add_argument("--retry-cap", type=float, default=300.0, help="longest wait, s")
        parser.add_argument(
            "--max-seconds", type=float, default=None, help="stop after this long (smoke runs)"
        )

    def handle(self, *args, tenant, poll, retry_cap, max_seconds, **options):
        tenant_ids = None
        if tenant:
            found = dict(Tenant.objects.filter(slug__in=tenant).values_list("slug", "pk"))
            missing = sorted(set(tenant) - set(found))
            if missing:
                raise CommandError(f"No such tenant: {', '.join(missing)}")
            tenant_ids = list(found.values())
        if poll <= 0 or retry_cap <= 0:
            raise CommandError("--poll and --retry-cap must be positive.")
        supervisor = StreamSupervisor(tenant_ids=tenant_ids, poll_s=poll, retry_cap_s=retry_cap)

        def stop(signum, frame):
            self.stdout.write("stopping: waiting for the readers to finish their frame")
            supervisor.stop()

        before = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"watching live cameras (re-read every {poll:g} s); Ctrl-C to stop")
        try:
            supervisor.run(max_seconds=max_seconds)
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)
        self.stdout.write("stopped")
