from __future__ import annotations

import socket
import threading

import pytest

from telephony.rtp import PortPoolExhaustedError, RtpPortPool
from tests.conftest import free_port


def test_hands_out_even_ports_in_range_until_exhausted() -> None:
    pool = RtpPortPool(20001, 20008)
    ports = [pool.acquire() for _ in range(pool.size)]
    assert sorted(ports) == [20002, 20004, 20006, 20008]
    with pytest.raises(PortPoolExhaustedError, match="no free even RTP port in 20002-20008"):
        pool.acquire()
    pool.release(20004)
    assert pool.acquire() == 20004


def test_released_port_is_not_reused_at_once() -> None:
    pool = RtpPortPool(30000, 30010)
    first = pool.acquire()
    pool.release(first)
    assert pool.acquire() != first


def test_thread_safe_no_port_handed_out_twice() -> None:
    pool = RtpPortPool(40000, 40399)
    got: list[int] = []
    lock = threading.Lock()

    def grab() -> None:
        for _ in range(25):
            port = pool.acquire()
            with lock:
                got.append(port)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == len(set(got)) == 200
    assert pool.in_use == 200


def test_with_host_skips_ports_bound_by_someone_else() -> None:
    port = free_port()
    port -= port % 2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        try:
            squatter.bind(("127.0.0.1", port))
        except OSError:
            pytest.skip("port race with another process")
        pool = RtpPortPool(port, port + 2, host="127.0.0.1")
        assert pool.acquire() == port + 2


@pytest.mark.parametrize(("low", "high"), [(5, 5), (10, 9), (0, 10), (65535, 65535)])
def test_range_without_even_ports_is_refused(low: int, high: int) -> None:
    with pytest.raises(ValueError, match=f"RTP port range {low}-{high}"):
        RtpPortPool(low, high)
