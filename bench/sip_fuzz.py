"""Full SIP fuzz run: 10,000+ hostile datagrams at a live `callscreen serve`, then a normal call.

    .venv/bin/python bench/sip_fuzz.py [--messages 12000] [--seed 1] [--rate 2000]

Prints: messages sent, responses by class, crashes (the process must still be alive), threads and resident memory
before / right after / after settling, OPTIONS answered afterwards, and whether a real call (sipp, legit scenario →
REFER to the agents) still succeeds. Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import random
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import free_port  # noqa: E402
from tests.harness import ServiceProcess  # noqa: E402
from tests.robustness.calls import place_legit_calls  # noqa: E402
from tests.robustness.proc import proc_status  # noqa: E402
from tests.robustness.sipfuzz import base_message, fuzz_messages  # noqa: E402

SETTLE_S = 40.0  # 64·T1: every transaction the fuzz opened has ended by then


def options_ok(sock: socket.socket, port: int) -> bool:
    msg = base_message("OPTIONS", f"127.0.0.1:{port}", f"127.0.0.1:{sock.getsockname()[1]}", random.Random(3))
    sock.sendto(msg.encode(), ("127.0.0.1", port))
    deadline = time.monotonic() + 5
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            data, _ = sock.recvfrom(65535)
            if data.startswith(b"SIP/2.0 200") and b"OPTIONS" in data:
                return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=int, default=2000, help="datagrams per second")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sipfuzz-"))
    sipp_port = free_port()
    node = ServiceProcess(tmp, env={"CALLSCREEN_SIP_AGENTS_URI": f"sip:agents@127.0.0.1:{sipp_port}"}).start()
    assert node.process is not None
    pid = node.process.pid
    result: dict[str, object] = {"messages": args.messages, "seed": args.seed}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            result["options_before"] = options_ok(sock, node.sip_port)
            before = proc_status(pid)
            sock.settimeout(0)
            classes: collections.Counter[str] = collections.Counter()

            def drain() -> None:
                while True:
                    try:
                        data = sock.recv(65535)
                    except (BlockingIOError, TimeoutError):
                        return
                    classes[data[8:9].decode("latin-1") + "xx" if data.startswith(b"SIP/2.0 ") else "request"] += 1

            started = time.monotonic()
            source = f"127.0.0.1:{sock.getsockname()[1]}"
            for i, datagram in enumerate(fuzz_messages(args.messages, f"127.0.0.1:{node.sip_port}", source,
                                                       seed=args.seed)):
                sock.sendto(datagram, ("127.0.0.1", node.sip_port))
                drain()
                pause = started + (i + 1) / args.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            sent_s = time.monotonic() - started
            time.sleep(2)
            drain()
            right_after = proc_status(pid)
            alive = node.process.poll() is None
            deadline = time.monotonic() + SETTLE_S
            settled = proc_status(pid) if alive else {}
            while alive and time.monotonic() < deadline and settled["Threads"] > before["Threads"]:
                time.sleep(1)
                settled = proc_status(pid)
            result.update({
                "send_seconds": round(sent_s, 1), "responses": dict(classes), "crashes": 0 if alive else 1,
                "threads": [before["Threads"], right_after.get("Threads"), settled.get("Threads")],
                "rss_kb": [before["VmRSS"], right_after.get("VmRSS"), settled.get("VmRSS")],
                "options_after": options_ok(sock, node.sip_port) if alive else False,
            })
        result["legit_call_after"] = (
            place_legit_calls(tmp, node.sip_port, sipp_port, 1).dropped == 0 if alive else False
        )
    finally:
        node.stop()
    print(json.dumps(result, indent=2))
    rss = result["rss_kb"]
    print(f"\n{args.messages} messages in {result['send_seconds']} s; crashes {result['crashes']}; "
          f"threads before/after/settled {result['threads']}; RSS kB {rss}; "
          f"OPTIONS after: {result['options_after']}; legit call after: {result['legit_call_after']}")
    ok = result["crashes"] == 0 and result["options_after"] and result["legit_call_after"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
