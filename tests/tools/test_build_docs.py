"""``make docs`` (tools/build_docs.py) writes an HTML page per library layer from the docstrings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_build_docs_writes_a_page_per_layer_with_the_public_names(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_docs.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    client = (tmp_path / "litellm_screenwriter" / "client.html").read_text("utf-8")
    worker = (tmp_path / "litellm_screenwriter" / "worker.html").read_text("utf-8")
    for name in ("LiteLLMClient", "ClientConfig", "RateLimitError", "Conversation", "Timeout"):
        assert f'id="{name}"' in client, name
    assert 'id="LiteLLMClient.stream"' in client
    for name in ("Worker", "Request", "Event"):
        assert f'id="{name}"' in worker, name
    assert (tmp_path / "index.html").is_file()
    # Implementation modules stay out of the reference: the public surface is each __all__.
    assert not (tmp_path / "litellm_screenwriter" / "client" / "sse.html").exists()
