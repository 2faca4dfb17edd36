"""The automatic status check: through the worker, at most once a minute, only while a
Screenwriter panel is on screen, and never when online access forbids reaching the server.

The timer (``bridge.pump``) asks ``maybe_check`` on each tick; panels only mark where they drew
(``screen.watch``). The check is the worker's ``Query("check")``: the health endpoint, then
the model list, which proves the key. Its answer, like every request's outcome, lands in
``status``.
"""

from __future__ import annotations

from . import job_state, screen, status
from .online import online_access_problem, server_url

__all__ = ["maybe_check", "reset", "seconds_until_due"]

seconds_until_due = status.seconds_until_due


def maybe_check(now: float) -> bool:
    """Send a status check if one is due; True when the status changed or a check went out."""
    if not status.check_due(now):
        return False
    if any(j.automatic and j.active for j in job_state.jobs()):
        return False
    if not screen.panel_regions():
        return False
    status.record_attempt(now)  # whatever happens next, the next try waits a full interval
    problem = online_access_problem(server_url())
    if problem:
        status.record_blocked(problem)
        return True
    from . import bridge
    from .worker import Query

    bridge.submit_query(Query("check"), title="Status check", automatic=True)
    return True


def reset() -> None:
    status.reset()
