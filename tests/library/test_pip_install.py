"""``pip install .`` gives a working library: built from this checkout, installed into a fresh
virtual environment with no Blender and no checkout on its path, it streams a real request.

The wheel is built without build isolation (hatchling comes from the dev lock) and the
dependencies come from the project's download cache, so the test never needs the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.mock_server import MockServer

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CACHE_DIR") or Path.home() / ".cache" / "litellm-screenwriter")

pytestmark = pytest.mark.slow

USE_IT = r"""
import asyncio, json, sys
from importlib import resources
import litellm_screenwriter
from litellm_screenwriter.client import ClientConfig, LiteLLMClient
from litellm_screenwriter.screenplay import parse
from litellm_screenwriter.worker import Request, Worker

folder = resources.files("litellm_screenwriter.client").joinpath("schemas")
schemas = sorted(p.name for p in folder.iterdir())

async def main(url):
    async with LiteLLMClient(ClientConfig(base_url=url, api_key="sk-test")) as client:
        async with client.stream("mock-echo", [{"role": "user", "content": "Café — “ok”"}]) as s:
            text = "".join([t async for t in s])
    return text, s.completion.finish_reason

text, finish = asyncio.run(main(sys.argv[1]))
screenplay = parse("INT. LIGHTHOUSE - NIGHT\n\nMARA\nCafé — “never again”.\n")
folder = resources.files("litellm_screenwriter.screenplay").joinpath("templates")
templates = sorted(p.name for p in folder.iterdir())
print(json.dumps({
    "file": litellm_screenwriter.__file__,
    "text": text,
    "finish": finish,
    "schemas": schemas,
    "bpy": "bpy" in sys.modules,
    "scenes": [s.heading for s in screenplay.scenes],
    "characters": list(screenplay.characters),
    "templates": templates,
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps"]
    proc = subprocess.run([*cmd, "-w", str(out), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("litellm_screenwriter-*.whl")
    return built


def test_the_wheel_holds_the_library_layers_and_no_blender_code(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "litellm_screenwriter/client/client.py" in names
    assert "litellm_screenwriter/client/schemas/chat_chunk.schema.json" in names
    assert "litellm_screenwriter/screenplay/analysis.schema.json" in names
    assert "litellm_screenwriter/screenplay/templates/dialogue.txt" in names
    assert "litellm_screenwriter/__main__.py" in names
    assert any(n.startswith("litellm_screenwriter/worker") for n in names)
    blender_side = ("bridge.py", "preferences.py", "operators/", "panels/", "properties.py")
    shipped = [n for n in names if n.removeprefix("litellm_screenwriter/").startswith(blender_side)]
    assert not shipped, f"the library wheel carries Blender code: {shipped}"
    assert not any(
        n.startswith(("litellm_screenwriter/tests/", "litellm_screenwriter/tools/")) for n in names
    )
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [
        line.split(":", 1)[1].strip().split(">")[0].split("=")[0].strip()
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert set(requires) >= {"aiohttp", "jsonschema", "certifi"}


def test_installed_into_a_fresh_venv_it_streams_without_blender(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    install += ["--no-index", "--find-links", str(CACHE / "wheelhouse"), str(wheel)]
    proc = subprocess.run(install, capture_output=True, text=True)
    assert proc.returncode == 0, f"pip install of the wheel failed:\n{proc.stdout}{proc.stderr}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with MockServer() as server:
        proc = subprocess.run(
            [str(python), "-c", USE_IT, server.url],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(result["file"]).is_relative_to(venv), result["file"]
    assert result["text"] == "Echo: Café — “ok”"
    assert result["finish"] == "stop"
    assert "chat_chunk.schema.json" in result["schemas"]
    assert result["bpy"] is False
    assert result["scenes"] == ["INT. LIGHTHOUSE - NIGHT"]
    assert result["characters"] == ["MARA"]
    assert "dialogue.txt" in result["templates"]
    # The console script the wheel declares runs the command line.
    proc = subprocess.run(
        [str(venv / "bin" / "litellm-screenwriter"), "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dialogue" in proc.stdout
