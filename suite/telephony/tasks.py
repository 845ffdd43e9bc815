"""Periodic work on calls (scheduled by celery beat through TelephonyConfig)."""

from suite.celery import app

from .services import call_sweep_orphaned


@app.task(name="suite.telephony.sweep_orphaned", ignore_result=True)
def sweep_orphaned_calls() -> int:
    """Ends as dropped the active calls whose server process stopped renewing them."""
    return call_sweep_orphaned()
