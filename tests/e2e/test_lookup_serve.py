"""``serve`` runs the API and the SIP endpoint in one process: ``/lookup`` reads the screener's own in-memory lists.

One index, one ListSync: the lists the API's lookups read are the very object the screener matches calls against
(no second poller, no second copy of a million entries), and a change made through the API reaches both with the
same poll.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adminapi.routes.lookup import SOURCE_HEADER
from numbering import normalize
from records import Role
from records.keys import create_key
from screening.interfaces import CallContext, PreDecision
from tests.conftest import free_port
from tests.e2e.harness import start_loopback

NUMBER = "13812345678"
AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_serve_lookup_reads_the_screeners_lists(tmp_path: Path) -> None:
    api_port = free_port(socket.SOCK_STREAM)
    loop = start_loopback(tmp_path, (), api={"enabled": True, "port": api_port}, database={"list_poll_s": 0.1})
    service = loop.service
    try:
        assert service._api is not None
        app: Any = service._api.config.app
        screener: Any = service.runner._screener
        lists = app.state.config.lists
        assert lists is not None and lists.enforced is screener.lists._inner
        with service.db.session() as session:
            _, secret = create_key(session, Role.MANAGER, label="ops", actor="test")
        base, headers = f"http://127.0.0.1:{api_port}", {"X-API-Key": secret}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            assert client.post("/api/v1/lists/entries", json={"value": NUMBER}).status_code == 201
            deadline = time.monotonic() + 10
            lookup = {"number": NUMBER}
            while (answer := client.get("/api/v1/lookup", params=lookup)).headers[SOURCE_HEADER] == "database":
                assert time.monotonic() < deadline, "the lists never reached memory"
                time.sleep(0.05)
        assert answer.json()["blocked"] is True
        pre = screener.prescreen(CallContext(call_id="t", caller=normalize(NUMBER), at=AT))
        assert pre.decision is PreDecision.BLOCKED  # the same poll brought it to the screener
    finally:
        service.stop(drain_timeout_s=1.0)
