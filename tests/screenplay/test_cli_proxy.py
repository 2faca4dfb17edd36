"""The command line against a real LiteLLM proxy (started here on 127.0.0.1 with
``mock_response`` models: no provider is called): the dialogue streams through LiteLLM, and the
analysis goes out with ``response_format: json_schema`` and ``/model/info`` is read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from analysis_support import analysis_json

from litellm_screenwriter.__main__ import main
from litellm_screenwriter.screenplay.samples import SHORT
from tools.litellm_proxy import ProxyProcess, ProxyStartError, start_proxy

pytestmark = pytest.mark.proxy

MASTER_KEY = "sk-screenplay-test-key"  # a test value, not a secret
TEXT = "TOMAS\nEvery hour, even when it's boring."


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one): keeps line breaks as written."""
    return json.dumps(text)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    workdir = tmp_path_factory.mktemp("screenplay-proxy")
    config = Path(workdir) / "litellm_config.yaml"
    config.write_text(
        f"""model_list:
  - model_name: screenplay-text
    litellm_params:
      model: openai/screenplay-text
      api_key: sk-mock-provider-key-not-used
      mock_response: {_quoted(TEXT)}
  - model_name: screenplay-analysis
    litellm_params:
      model: openai/screenplay-analysis
      api_key: sk-mock-provider-key-not-used
      mock_response: {_quoted(analysis_json(range(1, 14), 13))}
    model_info:
      max_input_tokens: 64000
      max_output_tokens: 8000
      supports_response_schema: true
litellm_settings:
  num_retries: 0
general_settings:
  master_key: {MASTER_KEY}
""",
        "utf-8",
    )
    try:
        process = start_proxy(config, workdir)
    except ProxyStartError as error:
        pytest.fail(f"could not start the LiteLLM proxy: {error}", pytrace=False)
    try:
        yield process
    finally:
        process.stop()


def test_dialogue_streams_through_litellm(proxy, capsys):
    code = main(["dialogue", str(SHORT), "--line", "190", "--base-url", proxy.url,
                 "--api-key", MASTER_KEY, "--model", "screenplay-text"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out == TEXT + "\n"
    assert "scene 12" in out.err


def test_analysis_through_litellm_reads_model_info_and_validates(proxy, capsys):
    code = main(["analyze", str(SHORT), "--json", "--base-url", proxy.url,
                 "--api-key", MASTER_KEY, "--model", "screenplay-analysis"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "context 64,000 tokens (from /model/info)" in out.err
    assert "json_schema" in out.err
    assert sorted(map(int, json.loads(out.out)["scenes"])) == list(range(1, 14))


def test_a_wrong_key_is_one_clear_sentence(proxy, capsys):
    code = main(["ideas", str(SHORT), "--base-url", proxy.url, "--api-key", "sk-wrong",
                 "--model", "screenplay-text"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "API key" in err
