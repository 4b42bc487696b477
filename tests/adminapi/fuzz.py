"""One schemathesis run of the admin API's OpenAPI schema, shared by the suite's bounded test and the long bench.

The suite (``tests/adminapi/test_fuzz.py``) runs every phase once with few examples per operation; the long run
(``bench/api_fuzz.py``) gives the fuzzing phase a time budget, which schemathesis spends repeating it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PHASES = "examples,coverage,fuzzing"
SEED = 7
# A hang guard, not the bound (the bound is the example count): ≈10 s unloaded, past 120 s measured on this 2-core
# machine shared with seven other test runs.
OVERHEAD_S = 600


@dataclass(frozen=True)
class FuzzResult:
    returncode: int
    output: str


def run_schemathesis(
    base_url: str, admin_key: str, report_dir: Path, *, max_examples: int, max_time_s: int | None = None
) -> FuzzResult:
    """Run schemathesis against ``base_url`` with the check "no response is a server error"."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{base_url}/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", PHASES,
        "--max-examples", str(max_examples),
        "--workers", "1",
        "--seed", str(SEED),
        "--generation-database", "none",
        "--generation-allow-x00", "true",
        "--header", f"X-API-Key: {admin_key}",
        "--exclude-method", "DELETE",  # revoking keys and deleting entries at random would only starve the run
        "--report", "junit", "--report-dir", str(report_dir),
        "--no-color",
    ]  # fmt: skip
    timeout = OVERHEAD_S
    if max_time_s is not None:
        command += ["--max-time", str(max_time_s)]
        timeout += max_time_s
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=report_dir, check=False)
    output = result.stdout + result.stderr
    (report_dir / "schemathesis.out").write_text(output)
    return FuzzResult(result.returncode, output)
