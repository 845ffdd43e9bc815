"""suite.realtime.publish: best-effort delivery to tenant groups."""

from suite.jobs.services import JOBS_GROUP


def test_publishing_while_redis_is_unreachable_loses_the_event_not_the_caller_s_work(
    monkeypatch,
):
    from redis.exceptions import TimeoutError as RedisTimeout

    from suite.realtime import publish

    class Unreachable:
        def add(self, *args, **kwargs):
            raise RedisTimeout("Timeout reading from socket")

        incr = add

    monkeypatch.setattr(publish, "cache", Unreachable())
    publish.tenant_group_send(1, JOBS_GROUP, {"type": "job.updated"})  # must not raise
