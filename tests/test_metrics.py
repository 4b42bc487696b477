"""`/metrics` on a running node exposes the Prometheus counters, and they move when calls are made."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, require_tool
from tests.harness import ServiceProcess
from tests.robustness.calls import place_legit_calls

FAMILIES = (
    "callscreen_calls_total", "callscreen_active_calls", "callscreen_decision_latency_seconds",
    "callscreen_asr_lag_seconds", "callscreen_fail_open_total", "callscreen_db_errors_total",
    "callscreen_sip_requests_total", "callscreen_sip_responses_total", "callscreen_model_loaded",
)


def _canonical(sample: str) -> str:
    """``name{b="2",a="1"}`` → ``name{a="1",b="2"}``: label order is the library's business, not the test's."""
    if "{" not in sample:
        return sample
    name, labels = sample[:-1].split("{", 1)
    return name + "{" + ",".join(sorted(re.findall(r'\w+="[^"]*"', labels))) + "}"


def scrape(node: ServiceProcess) -> dict[str, float]:
    with urllib.request.urlopen(f"{node.api}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[_canonical(name)] = float(value)
    for family in FAMILIES:
        assert re.search(rf"^# TYPE {family.removesuffix('_total')}", text, flags=re.M), family
    return samples


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[ServiceProcess, int]]:
    require_tool("sipp")
    sipp_port = free_port()
    service = ServiceProcess(tmp_path, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"})
    try:
        yield service.start(), sipp_port
    finally:
        service.stop()


def test_metrics_move_when_calls_are_made(node: tuple[ServiceProcess, int], tmp_path: Path) -> None:
    service, sipp_port = node
    before = scrape(service)
    assert before["callscreen_model_loaded"] == 0  # no model here: caller-ID/time mode, also for monitoring
    run = place_legit_calls(tmp_path, service.sip_port, sipp_port, 3)
    assert run.dropped == 0, run.output
    after = scrape(service)
    deadline = time.monotonic() + 10  # the last call's flow records just after sipp's final BYE
    while after["callscreen_active_calls"] > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        after = scrape(service)
    calls = {k: v for k, v in after.items() if k.startswith("callscreen_calls_total{")}
    assert sum(calls.values()) - sum(v for k, v in before.items() if k in calls) == 3
    assert calls[_canonical('callscreen_calls_total{route="agents",verdict="allow"}')] == 3
    invites = _canonical('callscreen_sip_requests_total{direction="in",method="INVITE"}')
    assert after[invites] - before.get(invites, 0) == 3
    assert after[_canonical('callscreen_sip_requests_total{direction="out",method="REFER"}')] >= 3
    assert after[_canonical('callscreen_sip_responses_total{direction="out",code="200"}')] >= 3
    assert after[_canonical('callscreen_decision_latency_seconds_count{stage="prescreen"}')] >= 3
    assert after["callscreen_active_calls"] == 0


def test_overload_and_lag_are_counted() -> None:
    from telephony.metrics import Metrics

    metrics = Metrics()
    metrics.failed_open("asr_overload")
    metrics.failed_open("prescreen")
    metrics.asr_lag(0.4)
    text = metrics.render().decode()
    assert "callscreen_asr_overloads_total 1.0" in text
    assert 'callscreen_fail_open_total{reason="asr_overload"} 1.0' in text
    assert "callscreen_asr_lag_seconds_count 1.0" in text


def test_the_recogniser_pool_is_read_at_scrape_time() -> None:
    """The engine's own counts, as they are when Prometheus scrapes: a retirement shows without anyone reporting it."""
    from dataclasses import dataclass

    from telephony.metrics import Metrics, RecogniserPool

    @dataclass
    class Pool:
        created: int = 6
        retired: int = 0
        pooled: int = 6

    pool = Pool()
    assert isinstance(pool, RecogniserPool)
    metrics = Metrics()
    metrics.watch_recognisers(pool)
    pool.created, pool.retired, pool.pooled = 7, 1, 5  # one freed after its audio bound, one warmed in its place
    text = metrics.render().decode()
    assert "callscreen_asr_recognisers_created_total 7.0" in text
    assert "callscreen_asr_recognisers_retired_total 1.0" in text
    assert "callscreen_asr_recognisers_pooled 5.0" in text
