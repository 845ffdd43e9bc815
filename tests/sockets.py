"""The WebSocket test client every socket test uses.

channels' communicator gives each step one second by default. A handshake passes through the
middleware's database thread, which on a busy CI machine (the other core running a worker or a
model) has been seen to take longer: a test then failed on a connection the server was about to
accept. Waiting longer costs a failing test a few seconds and a passing one nothing; tests that
assert that nothing arrives use `receive_nothing` with its own short timeout. `disconnect` keeps
channels' second: it waits for the consumer to finish and then cancels it anyway, so a longer wait
would only slow every test whose consumer lingers on the channel layer.
"""

from channels.testing import WebsocketCommunicator

STEP_TIMEOUT_S = 10.0


class Communicator(WebsocketCommunicator):
    async def connect(self, timeout: float = STEP_TIMEOUT_S):
        return await super().connect(timeout)

    async def receive_from(self, timeout: float = STEP_TIMEOUT_S):
        return await super().receive_from(timeout)

    async def receive_json_from(self, timeout: float = STEP_TIMEOUT_S):
        return await super().receive_json_from(timeout)

    async def receive_output(self, timeout: float = STEP_TIMEOUT_S):
        return await super().receive_output(timeout)
