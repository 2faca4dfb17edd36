"""Gated streams: a mock-server answer that waits, mid-stream, for the Blender script.

The server writes the chunks before the gate, writes ``<gate>.sent`` (how many characters they
hold) in a folder both processes know ($LSW_GATES on the Blender side, see
scripts/workflow_support.py), and waits for the script to touch ``<gate>.go`` before it writes
the rest. Both processes read
``CLOCK_MONOTONIC`` (system-wide on Linux), so when the server saw the client go away compares
with when the script acted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.support.mock_server import MockServer, Recorded, Scripted, chunk, sse

__all__ = ["Gates"]


@dataclass
class Gates:
    """The folder of gate files, and when each gated stream saw its client go away."""

    folder: Path
    disconnected: dict[str, float] = field(default_factory=dict)

    def stream(self, name: str, before: list[str], after: list[str]) -> Scripted:
        """Stream ``before``, wait at gate ``name`` (30 s at most), then ``after`` and the end."""

        async def handle(request: web.Request, server: MockServer, recorded: Recorded):
            response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            server._stream_began()
            try:
                for index, text in enumerate(before):
                    role = "assistant" if index == 0 else None
                    await response.write(sse(chunk(text, role=role)))
                # Written, then renamed: the script never reads a half-written count.
                partial = self.folder / f"{name}.partial"
                partial.write_text(str(len("".join(before))))
                partial.replace(self.folder / f"{name}.sent")
                go = self.folder / f"{name}.go"
                deadline = time.monotonic() + 30.0
                # A file the other process touches: poll it (it cannot set an asyncio.Event).
                while not go.exists() and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                for text in after:
                    await response.write(sse(chunk(text)))
                await response.write(sse(chunk(finish_reason="stop")))
                await response.write(b"data: [DONE]\n\n")
                await response.write_eof()
            except (asyncio.CancelledError, ConnectionError):
                self.disconnected[name] = time.monotonic()
                server._client_went_away()
                raise
            return response

        return Scripted(handle, f"gated stream {name}")
