"""Names the dead-code check of ``make lint`` (vulture) must not report, and why.

vulture reads this file as a user of the code; it is never run. Everything else in the scanned
layers that nothing calls is reported as dead code.
"""

from litellm_screenwriter import client, worker
from litellm_screenwriter.client.conversation import Conversation
from litellm_screenwriter.client.stats import ClientStats
from litellm_screenwriter.client.types import Completion, Health
from litellm_screenwriter.worker.messages import Event
from litellm_screenwriter.worker.thread import Worker

__all__ = ["KEPT_ALIVE", "MODULE_HOOKS", "PUBLIC_API", "READ_BY_CALLERS"]

# The library's public API (DESIGN.md): for programs other than the Blender panel.
PUBLIC_API = (
    Conversation.add_user,
    Conversation.add_assistant,
    Conversation.undo,
    Conversation.tokens,
    ClientStats.reuse_ratio,
    Health.ok,
    Event.terminal,
    Completion.cached,  # set through dataclasses.replace(hit, cached=True)
)

# Module hooks Python calls itself (PEP 562: the lazily loaded names).
MODULE_HOOKS = (client.__getattr__, client.__dir__, worker.__getattr__)

# Written, never read, on purpose: the loop keeps only weak references to tasks, so the
# shutdown task needs one strong reference while it runs.
KEPT_ALIVE = (Worker._shutdown_task,)

# An exception's cause, set for the traceback and read by whoever catches it.
READ_BY_CALLERS = (BaseException.__cause__,)
