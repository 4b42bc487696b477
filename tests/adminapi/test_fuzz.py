"""Property-based run of the OpenAPI schema (schemathesis, bounded): no input may produce a 5xx.

The suite runs each phase once with few examples per operation; ``bench/api_fuzz.py`` is the long run (a time
budget spent repeating the fuzzing phase, ≈8,700 requests per backend), with its figures in BENCHMARKS.md.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from records import Role
from tests.adminapi.conftest import ApiHarness
from tests.adminapi.fuzz import run_schemathesis

MAX_EXAMPLES = 10


@pytest.mark.slow
def test_no_server_errors_for_generated_requests(api: ApiHarness, tmp_path: Path) -> None:
    # as `callscreen serve` builds it (admin_app): with an evidence-signing key, so evidence packs are fuzzed too
    # rather than answering 503 "no key configured"
    api.app.state.config = replace(api.app.state.config, evidence_key=tmp_path / "var" / "key.pem")
    url = str(api.client.base_url).rstrip("/")
    result = run_schemathesis(url, api.keys[Role.ADMIN], tmp_path, max_examples=MAX_EXAMPLES)
    assert result.returncode == 0, result.output[-8000:]
