"""``make demo``: the whole product once, end to end, with nothing mocked but the model.

Starts a real LiteLLM proxy on 127.0.0.1 (mock_response models, no internet), installs the
built extension zip into real Blender (the ``bpy`` module) with Blender's own installer, opens
the project's sample screenplay, and goes through the grounded flow: the script analysis with
its structured result, one timeline marker per scene, dialogue for the scene at the cursor and
inserting it; then every other button, and what a screenwriter sees when the key is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from litellm_proxy import ProxyStartError, start_proxy

ROOT = Path(__file__).resolve().parents[1]
BLENDER_PYTHON = Path(os.environ.get("BLENDER_PYTHON", ROOT / ".venv/blender/bin/python"))
DEMO = ROOT / "tools" / "demo"


def proxy_config(folder: Path) -> Path:
    """The demo's LiteLLM config with the sample's analysis as the analysis model's answer."""
    analysis = json.loads((DEMO / "the_last_keeper_analysis.json").read_text("utf-8"))
    text = (DEMO / "litellm_config.yaml").read_text("utf-8")
    # a JSON string is a YAML double-quoted scalar
    config = folder / "litellm_config.yaml"
    answer = f"mock_response: {json.dumps(json.dumps(analysis))}"
    config.write_text(text.replace("mock_response: __ANALYSIS__", answer), "utf-8")
    return config


def main() -> int:
    zips = sorted((ROOT / "dist").glob("litellm_screenwriter-*-linux_x64.zip"))
    if not zips:
        print("no linux-x64 zip in dist/: run `make build` (make demo does)")
        return 1
    print("Starting a LiteLLM proxy on 127.0.0.1 (mock_response models, no internet)...")
    with tempfile.TemporaryDirectory(prefix="lsw-demo-") as workdir:
        try:
            proxy = start_proxy(proxy_config(Path(workdir)), Path(workdir))
        except ProxyStartError as error:
            print(f"could not start the LiteLLM proxy: {error}")
            return 1
        try:
            print(f"LiteLLM proxy ready at {proxy.url} in {proxy.startup_seconds:.1f} s\n")
            user = Path(workdir) / "blender-user"
            user.mkdir()
            env = {
                **os.environ,
                "TMPDIR": workdir,  # Blender's session temp folder goes with the workdir
                "BLENDER_USER_RESOURCES": str(user),
                "LSW_ZIP": str(zips[-1]),
                "LSW_SERVER_URL": proxy.url,
                "LSW_API_KEY": "sk-demo-master-key",
                "PYTHONUNBUFFERED": "1",
            }
            run = subprocess.run(
                [str(BLENDER_PYTHON), str(DEMO / "in_blender.py")],
                env=env,
                timeout=300,
                check=False,
            )
        finally:
            proxy.stop()
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
