"""The ``make fuzz`` targets (tools/fuzz) hold on their seeds, replayed the way the coverage
report replays a corpus: so a change to the client that breaks a target shows in ``make test``,
not only in the next fuzz run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tools" / "fuzz" / "run.py"


@pytest.mark.parametrize("target", ["sse", "bodies"])
def test_a_fuzz_target_holds_on_its_seeds(tmp_path, target):
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import run; "
        "run.seed(sys.argv[2], __import__('pathlib').Path(sys.argv[3]))"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(RUN.parent), target, str(tmp_path)], check=True
    )
    seeds = sorted(tmp_path.iterdir())
    assert len(seeds) >= 4
    done = subprocess.run(
        [sys.executable, str(RUN), "--replay", target, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"replayed {len(seeds)} inputs of {target}: 0 broke the promise" in done.stdout


def test_a_target_catches_the_literal_eval_defect_put_back():
    """Not a check that cannot fail: with the fix of issue 9 undone (TypeError no longer among
    the errors ``ast.literal_eval`` may raise), the body target raises the TypeError the client
    used to raise, which libFuzzer reports as a finding."""
    undo = "import client.error_bodies as m; m._NOT_A_LITERAL = (ValueError, SyntaxError)"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import targets; targets.load_client(); "
        f"{undo}; targets.body_target(bytes.fromhex(sys.argv[2]))"
    )
    data = b"\x03\x00\x00\x00litellm.APIError: {[]: 1}"
    done = subprocess.run(
        [sys.executable, "-c", script, str(RUN.parent), data.hex()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.splitlines()[-1] == "TypeError: unhashable type: 'list'"
