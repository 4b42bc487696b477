"""Long schemathesis run of the admin API (the suite runs a bounded one: ``tests/adminapi/test_fuzz.py``).

    .venv/bin/python bench/api_fuzz.py [--max-examples 20] [--max-time 100]
                                      [--database-url postgresql://postgres@127.0.0.1/test]

A live ``python -m adminapi`` in its own process on a throwaway database (SQLite, or a schema on the PostgreSQL at
``--database-url``) with an admin key; schemathesis runs the examples, coverage and fuzzing phases with
``--max-examples`` per operation and then repeats fuzzing until ``--max-time`` is spent. Check: no response is a
server error. Prints schemathesis's summary; the exit code is schemathesis's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # runnable as `python bench/<name>.py`

from bench._records_server import api_server, database  # noqa: E402
from records import Role  # noqa: E402
from records.keys import create_key  # noqa: E402
from tests.adminapi.fuzz import run_schemathesis  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-time", type=int, default=100, help="seconds; fuzzing repeats until they are spent")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with database(args.database_url) as db, tempfile.TemporaryDirectory(prefix="api-fuzz-") as tmp:
        with db.session() as s:
            _, key = create_key(s, Role.ADMIN, label="bench-fuzz", actor="bench")
        with api_server(db) as url:
            result = run_schemathesis(url, key, Path(tmp), max_examples=args.max_examples, max_time_s=args.max_time)
    summary = result.output[result.output.rfind("SUMMARY") :] if "SUMMARY" in result.output else result.output
    backend = "postgresql" if args.database_url else "sqlite (WAL)"
    print(f"API fuzz bench: {backend}, {args.max_examples} examples per operation, fuzzing budget {args.max_time} s")
    print(summary)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
