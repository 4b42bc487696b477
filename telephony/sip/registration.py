"""Register mode: callscreen as an extension on a PBX — REGISTER with digest, refresh, clean unregister.

Why not pyVoIP's ``SIPClient.register``: it binds its own socket (ours already owns the SIP port), blocks its
caller up to 30 s, computes the digest over ``sip:<server>;transport=UDP`` instead of the Request-URI, has no
``qop=auth`` and no 407, and a 403 does not raise (it prints and retries). This module reuses our transport and
transaction layer instead; the digest is RFC 2617 MD5, with ``qop=auth`` when the challenge offers it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from typing import Protocol

from telephony.sip.dialog import LocalParty
from telephony.sip.errors import RegistrationError
from telephony.sip.headers import new_tag, split_hostport
from telephony.sip.message import Headers, SipRequest, SipResponse

log = logging.getLogger(__name__)
ANSWER_TIMEOUT_S = 35.0  # the transaction layer itself gives up at 64·T1 = 32 s
REFRESH_FRACTION = 0.8
UNREGISTER_TIMEOUT_S = 3.0  # shutdown must not hang on a registrar that went away


class RequestSender(Protocol):
    local: LocalParty

    def send_request(
        self, request: SipRequest, address: tuple[str, int], on_result: Callable[[SipResponse | None], None]
    ) -> None: ...


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise RegistrationError(f"unsupported authentication scheme {scheme!r}")
    params: dict[str, str] = {}
    for part in rest.split(","):
        key, _, val = part.strip().partition("=")
        params[key.strip().lower()] = val.strip().strip('"')
    return params


def digest_authorization(
    challenge: dict[str, str], method: str, uri: str, username: str, password: str, *, cnonce: str | None = None
) -> str:
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    fields = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"', "algorithm=MD5"]
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    if "auth" in qops:
        cnonce = cnonce or secrets.token_hex(8)
        response = _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = _md5(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in challenge:
        fields.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(fields)


class Registration:
    def __init__(
        self,
        sender: RequestSender,
        registrar: str,
        username: str,
        password: str,
        *,
        expires_s: int = 300,
        on_state: Callable[[bool, str], None] | None = None,
    ) -> None:
        host, port = split_hostport(registrar, 5060)
        if not host:
            raise RegistrationError("register mode needs sip.registrar (host[:port])")
        self._sender = sender
        self._address = (host, port or 5060)
        self._domain = registrar
        self._username = username
        self._password = password
        self._expires = expires_s
        self._on_state = on_state or (lambda ok, detail: None)
        self._call_id = f"{secrets.token_hex(8)}@{sender.local.host}"
        self._tag = new_tag()
        self._cseq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.registered = False
        self._timeout = ANSWER_TIMEOUT_S

    def _request(self, expires: int, authorization: tuple[str, str] | None) -> SipRequest:
        self._cseq += 1
        local = self._sender.local
        aor = f"<sip:{self._username}@{self._domain}>"
        items = [
            ("Via", local.via()),
            ("Max-Forwards", "70"),
            ("From", f"{aor};tag={self._tag}"),
            ("To", aor),
            ("Call-ID", self._call_id),
            ("CSeq", f"{self._cseq} REGISTER"),
            ("Contact", local.contact),
            ("Expires", str(expires)),
        ]
        if authorization is not None:
            items.append(authorization)
        return SipRequest("REGISTER", f"sip:{self._domain}", Headers(tuple(items)))

    def _send(self, request: SipRequest) -> SipResponse:
        done = threading.Event()
        result: list[SipResponse | None] = [None]

        def on_result(response: SipResponse | None) -> None:
            result[0] = response
            done.set()

        self._sender.send_request(request, self._address, on_result)
        if not done.wait(self._timeout) or result[0] is None:
            raise RegistrationError(f"registrar {self._domain} did not answer REGISTER")
        return result[0]

    def register_once(self, expires: int | None = None) -> int:
        """One REGISTER (answering one challenge); returns the granted expiry. Raises on refusal."""
        expires = self._expires if expires is None else expires
        request = self._request(expires, None)
        response = self._send(request)
        if response.status in (401, 407):
            header = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
            challenge = parse_challenge(response.headers.get(header) or "")
            auth_name = "Authorization" if response.status == 401 else "Proxy-Authorization"
            value = digest_authorization(challenge, "REGISTER", request.uri, self._username, self._password)
            response = self._send(self._request(expires, (auth_name, value)))
        if not 200 <= response.status < 300:
            raise RegistrationError(f"registrar {self._domain} refused REGISTER: {response.status} {response.reason}")
        granted = response.headers.get("Expires")
        return int(granted) if granted and granted.isdigit() else expires

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sip-register", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                granted = self.register_once()
                self.registered = True
                self._on_state(True, f"registered at {self._domain} for {granted} s")
                wait = max(5.0, granted * REFRESH_FRACTION)
            except RegistrationError as exc:
                self.registered = False
                log.error("%s", exc)
                self._on_state(False, str(exc))
                wait = 30.0
            self._stop.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        if self.registered:
            self._timeout = UNREGISTER_TIMEOUT_S
            try:
                self.register_once(0)
                log.info("unregistered from %s", self._domain)
            except RegistrationError as exc:
                log.warning("unregister failed: %s", exc)
            self.registered = False
