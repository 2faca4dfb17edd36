"""Latency of 50 simple requests through the real proxy, next to the in-process mock server.

Figures only, no timed assertions (machines are noisy): they are printed in the terminal summary
and written to bench/results/proxy_latency.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import latency_report
import pytest
from proxy_support import MASTER_KEY, REPORT, TEXT_MODEL, ProxyProcess

pytestmark = pytest.mark.proxy


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 51)]

    assert latency_report.percentile(values, 50) == 25.0
    assert latency_report.percentile(values, 99) == 50.0
    assert latency_report.percentile([7.0], 99) == 7.0


def test_latency_of_fifty_requests_through_the_proxy_and_the_mock(
    litellm_proxy: ProxyProcess,
) -> None:
    report = latency_report.run(
        litellm_proxy.url,
        MASTER_KEY,
        TEXT_MODEL,
        50,
        extra={"proxy_startup_s": litellm_proxy.startup_seconds},
    )
    lines = latency_report.format_report(report)
    REPORT["latency_lines"] = lines
    print("\n" + "\n".join(lines))

    for row in (report["proxy"], report["mock_server"]):
        assert row["requests"] == 50
        for key in ("p50_ms", "p99_ms", "mean_ms", "min_ms", "max_ms"):
            assert row[key] > 0, (key, row)
        assert row["min_ms"] <= row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["reuse_ratio"] >= 0.9  # one pooled connection carried the whole run
    written = json.loads(Path(report["results_path"]).read_text("utf-8"))
    assert written["proxy"]["p50_ms"] == report["proxy"]["p50_ms"]
    assert written["mock_server"]["p99_ms"] == report["mock_server"]["p99_ms"]
    assert written["proxy_startup_s"] > 0
