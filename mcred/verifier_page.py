"""The employer's verifier page: ``/verify`` and the pages behind it (issue 5).

Server-rendered HTML in English, German and French that works without JavaScript; one small
script (``/verify/assets/verifier-page.js``, :data:`SCRIPT_PATH`) adds what needs it. Three ways
to verify a micro-credential, each ending in the same result view (:func:`render_result`): the
verdict in words and with an icon (never by colour alone), the credential in human terms (the
Annex I elements: learner, title, awarding bodies, coordinating provider, date, workload, EQF
level, learning outcomes, assessment, participation, quality assurance, grade if disclosed,
stackability; the modules with their results and who assessed them, if the credential states
them) and the named checks.

1. **Ask the learner's wallet** (OpenID4VP 1.0, :class:`verifier.openid4vp.PresentationRequests`)
   — ``POST /verify/requests`` (form: ``alliance``, any ``claims``, ``device``) creates a
   request and answers ``303`` to ``/verify/requests/{id}?t=…``, a page with the
   ``openid4vp://`` QR code and the same link as a button. ``t`` is the *page secret*
   (:func:`page_secret`: HMAC-SHA256 under the page key of the request id), so only the page
   that created a request can read its answer: ``GET /verify/requests/{id}/result?t=…`` gives
   ``{"status", "verified", "html"}`` (the result as an HTML fragment), which the script polls
   and writes into the page's ``aria-live`` region — no reload. The HR API
   (``/api/v1/presentation-requests``, API key) is not exposed: requests the HR API made have
   no page secret. Creation is rate-limited per client address (:class:`TokenBucketLimiter`).

   ``device=same`` makes a same-device request (OID4VP §8.2, §13.3): the wallet sends the
   browser to ``/verify/same-device?response_code=…``; the request id and its secret travel
   in a short-lived ``HttpOnly`` ``SameSite=Lax`` cookie set when the request was made, so the
   answer shows only in the browser that started the flow (session fixation, §14.2).
2. **Scan the learner's QR code** — ``POST /verify/scan`` (multipart: an ``image``, PNG or JPEG,
   at most :data:`MAX_IMAGE_BYTES`, at most :data:`MAX_IMAGE_PIXELS` pixels, checked from the
   header before any pixel is decoded; or the ``text`` the script's camera scan read with the
   browser's ``BarcodeDetector``). zxing-cpp decodes the QR code; a share link
   (``{base}/v/{share_id}#{key}``, :mod:`mcred.shares`) is opened and verified, an
   ``openid4vp://`` or ``openid-credential-offer://`` link or anything else gets a clear
   message. Also rate-limited (decoding images costs).
3. **Paste a credential** — ``POST /verify/paste``: a JSON credential or presentation, or a
   compact JWT / SD-JWT, verified by :class:`verifier.service.Verifier`.

The landing page of a share link, ``GET /v/{share_id}``, is served here too: the key is in the
link's fragment, which browsers never send, so the script posts the full link to
``POST /verify/share`` and shows the result it gets back (server-rendered, as everywhere).

Every value is escaped with :func:`html.escape`. Pages carry a strict Content Security Policy
(scripts from this origin only, the stylesheet by hash, no external resources),
``no-store``, ``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options: nosniff``. The
language is ``?lang=`` (or the form's ``lang``), else ``Accept-Language``, else English
(:func:`mcred.offer_page.negotiate_language`); texts live in :mod:`mcred.verifier_page_messages`.

Rate limits are in process memory: with several workers each keeps its own buckets, and behind
a reverse proxy the client address is the proxy's unless uvicorn trusts its forwarded headers
(``--proxy-headers --forwarded-allow-ips``). The page key must be the same in every worker
(:func:`derive_page_key` from the key-encryption key); without one a random key is made per
process.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import html
import io
import re
import secrets
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, quote, urlencode

import zxingcpp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from PIL import Image, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from issuer.errors import IssuerError
from issuer.service import Issuer
from mcred.offer_page import negotiate_language, qr_svg
from mcred.offer_page_messages import LANGUAGE_NAMES
from mcred.shares import ShareGone, ShareNotFound, SharesService
from mcred.verifier_page_messages import MESSAGES
from mcred.wallet import MICRO_CREDENTIAL_CLAIMS
from vc_core.errors import MalformedInputError
from vc_core.model.completeness import AnnexElement, check_completeness, has_part_item
from vc_core.model.elm import ModuleSummary, module_achievements
from vc_core.qr_payload import SHARE_PATH, ShareLinkError, is_share_id, parse_share_url
from verifier.errors import UnverifiableInputError
from verifier.formats import load_json
from verifier.openid4vp import OpenId4VpError, PresentationRequests, RequestStatus, WhatToAsk
from verifier.openid4vp.errors import AccessDenied, RequestNotFound
from verifier.openid4vp.request import request_link
from verifier.policy import DEFAULT_MAX_INPUT_BYTES
from verifier.report import VerificationReport
from verifier.service import Verifier

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "SCRIPT_PATH",
    "CredentialView",
    "Finding",
    "QrContent",
    "ScanError",
    "TokenBucketLimiter",
    "Verdict",
    "build_verifier_page_router",
    "classify_qr_text",
    "credential_view",
    "decode_qr_image",
    "derive_page_key",
    "page_secret",
    "render_result",
    "verdict_of_answer",
    "verdict_of_report",
]

MAX_IMAGE_BYTES: Final = 5 * 1024 * 1024
"""The largest uploaded picture of a QR code (a phone photo is 2-4 MB)."""
MAX_IMAGE_PIXELS: Final = 36_000_000
"""The most pixels a picture may declare (a decompression-bomb guard, checked before decoding;
Pillow's own ``Image.MAX_IMAGE_PIXELS`` guard stays on as a second line)."""
MAX_PASTE_BYTES: Final = DEFAULT_MAX_INPUT_BYTES + 4096
"""The largest paste form: the verifier's input cap plus the form's other fields."""
MAX_FORM_BYTES: Final = 16 * 1024
"""The largest request-creation or share form."""
SCRIPT_PATH: Final = "/verify/assets/verifier-page.js"
POLL_SECONDS: Final = 2
"""How often the request page asks for the answer (the script reads it from the page)."""
SAME_DEVICE_COOKIE: Final = "mcred_vp_same_device"
REQUESTED_BY: Final = "verifier-page"
"""``requested_by`` of the requests this page creates (the HR API stores the API key id)."""

_MULTIPART_SLACK = 64 * 1024
_IMAGE_FORMATS: Final = ("PNG", "JPEG")
_DEFAULT_CLAIMS: Final = ("learner", "title")
_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_CLAIM_LABELS: Final = {claim.name: claim.labels for claim in MICRO_CREDENTIAL_CLAIMS}
_ASKABLE: Final = tuple(c.name for c in MICRO_CREDENTIAL_CLAIMS if c.name in set(AnnexElement))
_NOT_DISCLOSED_IF_ABSENT: Final = frozenset(
    c.name for c in MICRO_CREDENTIAL_CLAIMS if c.disclosable
)

_STYLE: Final = """
:root{color-scheme:light}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1a1a;background:#fff}
header,main{max-width:48rem;margin:0 auto;padding:0 1rem}
header{padding-top:.75rem}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.25rem;margin-top:2rem}
h3{font-size:1.1rem}
a{color:#0b4f9c}
:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px}
.skip{position:absolute;left:-999rem}
.skip:focus{position:static}
.languages{display:flex;flex-wrap:wrap;align-items:baseline;gap:.75rem}
.languages p{margin:0;font-weight:700}
.languages ul{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;margin:0;padding:0}
.languages [aria-current]{font-weight:700;text-decoration:none;border-bottom:3px solid}
section.task{border-top:1px solid #595959;margin-top:1.5rem}
fieldset{border:1px solid #595959;border-radius:.375rem;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:700;padding:0 .25rem}
label{display:block;font-weight:700;margin:.75rem 0 .25rem}
fieldset label{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.4rem 0}
input[type=checkbox],input[type=radio]{width:1.25rem;height:1.25rem;margin:.15rem 0 0}
select,textarea,input[type=file]{font:inherit;color:#1a1a1a;background:#fff;
border:2px solid #595959;border-radius:.25rem;padding:.4rem;max-width:100%}
textarea{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace;font-size:.9rem}
.hint{color:#3d3d3d;margin:.25rem 0}
button,.button{display:inline-block;margin:.75rem 0;padding:.7rem 1.2rem;font:inherit;
font-weight:700;border:2px solid #0b4f9c;border-radius:.375rem;background:#0b4f9c;color:#fff;
text-decoration:none;cursor:pointer}
button:hover,.button:hover{background:#083b75}
button.secondary{background:#fff;color:#0b4f9c}
[hidden]{display:none!important}
.qr{display:block;width:100%;max-width:20rem;height:auto;border:1px solid #1a1a1a}
video{display:block;width:100%;max-width:24rem;border:1px solid #1a1a1a}
.verdict{border:3px solid;border-radius:.5rem;padding:.25rem 1rem;margin:1rem 0}
.verdict h3{display:flex;gap:.5rem;align-items:center;font-size:1.4rem;margin:.5rem 0}
.verdict .icon{font-size:1.6rem;line-height:1}
.verdict.ok{border-color:#1e6b2e;background:#eef7f0}
.verdict.ok h3{color:#1e6b2e}
.verdict.bad{border-color:#a4161a;background:#fdf0f0;border-style:double;border-width:6px}
.verdict.bad h3{color:#a4161a}
.verdict.wait{border-color:#595959;border-style:dashed}
dl.credential dt{font-weight:700;margin-top:.6rem}
dl.credential dd{margin:0}
dd ul,li ul{margin:0;padding-left:1.25rem}
ul.checks{list-style:none;padding:0}
ul.checks li{margin:.3rem 0}
.status{font-weight:700}
details{margin:.5rem 0}
summary{cursor:pointer}
code{overflow-wrap:anywhere}
"""
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_CSP: Final = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    f"style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_NO_STORE: Final = "no-store"


@functools.cache
def _script() -> tuple[bytes, str]:
    """The page script (package data ``mcred/static/verifier-page.js``) and its version tag,
    read once, on first use."""
    source = files("mcred").joinpath("static/verifier-page.js").read_bytes()
    return source, hashlib.sha256(source).hexdigest()[:16]


def _page_headers(lang: str, *, camera: bool = False) -> dict[str, str]:
    return {
        "Cache-Control": _NO_STORE,
        "Content-Security-Policy": _CSP,
        "Content-Language": lang,
        "Permissions-Policy": "camera=(self)" if camera else "camera=()",
        "Referrer-Policy": "no-referrer",  # request URLs carry their page secret
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Language",
    }


# -- the page secret --------------------------------------------------------------------------


def derive_page_key(key_encryption_key: bytes) -> bytes:
    """A 32-byte page key for :func:`page_secret` from the key-encryption key (HKDF-SHA256), the
    same in every worker and instance, and useless for anything else."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"mcred/verifier-page/v1"
    ).derive(key_encryption_key)


def page_secret(page_key: bytes, request_id: str, state: str, *, same_device: bool = False) -> str:
    """The ``t`` of a request's page URL: base64url HMAC-SHA256 of the request id, its
    ``state`` (the page rebuilds the ``openid4vp://`` link from it) and the device."""
    message = f"{'same' if same_device else 'cross'}:{request_id}:{state}".encode()
    digest = hmac.new(page_key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class _PageRef:
    """What a request page's URL names: the request, its ``state``, the device, the secret."""

    request_id: str
    state: str
    same_device: bool
    secret: str

    def query(self, lang: str | None = None) -> dict[str, str]:
        query = {"s": self.state, "t": self.secret}
        if self.same_device:
            query["same"] = "1"
        if lang is not None:
            query["lang"] = lang
        return query

    def url(self, lang: str, suffix: str = "") -> str:
        path = f"/verify/requests/{quote(self.request_id, safe='')}{suffix}"
        return f"{path}?{urlencode(self.query(lang))}"


def _page_ref(
    page_key: bytes, request_id: str, state: str | None, secret: str | None, same_device: bool
) -> _PageRef | None:
    """The reference if ``secret`` is the page secret of the rest, else None."""
    if not secret or not state or not _REQUEST_ID.fullmatch(request_id):
        return None
    if not _REQUEST_ID.fullmatch(state):
        return None
    expected = page_secret(page_key, request_id, state, same_device=same_device)
    if not hmac.compare_digest(expected.encode(), secret.encode("utf-8", "replace")):
        return None
    return _PageRef(request_id, state, same_device, secret)


# -- rate limits ------------------------------------------------------------------------------


class TokenBucketLimiter:
    """Per-client token buckets in process memory: ``capacity`` requests at once, one more
    every ``refill_seconds``. At most ``max_clients`` buckets are kept (full ones are dropped
    first, then the oldest), so the table cannot grow without bound."""

    def __init__(
        self,
        capacity: int = 6,
        refill_seconds: float = 10.0,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or refill_seconds <= 0:
            raise ValueError("a bucket holds at least one token and refills")
        self._capacity = float(capacity)
        self._rate = 1.0 / refill_seconds
        self._max = max_clients
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float | None:
        """Spend a token of ``client``: ``None`` when allowed, else seconds until the next."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(client, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - then) * self._rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                self._prune(now)
                return None
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self._rate

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= self._max:
            return
        full = [k for k, (t, then) in self._buckets.items() if t + (now - then) * self._rate >= 1]
        for key in full[: len(self._buckets) - self._max]:
            del self._buckets[key]
        while len(self._buckets) > self._max:
            del self._buckets[next(iter(self._buckets))]  # dicts keep insertion order


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- QR codes ---------------------------------------------------------------------------------


class ScanError(Exception):
    """A picture that yields no QR code text; ``code`` names a message of the page."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def decode_qr_image(data: bytes) -> str:
    """The text of the first QR code in a PNG or JPEG picture; :class:`ScanError` otherwise
    (``too_large`` 413, ``bad_image`` 415, ``too_many_pixels`` 413, ``no_qr`` 422)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ScanError("too_large", 413)
    try:
        with Image.open(io.BytesIO(data), formats=_IMAGE_FORMATS) as image:
            width, height = image.size  # from the header: nothing is decoded yet
            if width * height > MAX_IMAGE_PIXELS:
                raise ScanError("too_many_pixels", 413)
            gray = image.convert("L")
    except Image.DecompressionBombError:
        raise ScanError("too_many_pixels", 413) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ScanError("bad_image", 415) from None
    found = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    texts = [b.text for b in found if b.valid and b.text]
    if not texts:
        raise ScanError("no_qr", 422)
    return texts[0]


QrContent = Literal["share", "presentation_request", "credential_offer", "unknown"]


def classify_qr_text(text: str) -> QrContent:
    """What a scanned QR code holds: a share link (``…/v/{id}#{key}``), an OpenID4VP request,
    an OpenID4VCI offer, or something else."""
    stripped = text.strip()
    scheme = stripped.partition(":")[0].lower()
    if scheme in ("openid4vp", "haip-vp", "mdoc-openid4vp", "eudi-openid4vp"):
        return "presentation_request"
    if scheme in ("openid-credential-offer", "haip-vci"):
        return "credential_offer"
    try:
        parse_share_url(stripped)
    except ShareLinkError:
        return "unknown"
    return "share"


# -- what the result shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A check of a report: ``check`` names it (a :class:`~verifier.report.CheckName`, or
    ``query``/``request`` for OpenID4VP), with its status, code and developer message."""

    check: str
    status: str
    code: str
    message: str


@dataclass(frozen=True)
class ModuleLine:
    """A module of the credential: its title, its result and who assessed it (the awarding
    bodies' names), as :func:`vc_core.model.elm.module_achievements` reads them."""

    title: str
    result: str | None
    assessed_by: tuple[str, ...]


@dataclass(frozen=True)
class CredentialView:
    """One credential in human terms: the Annex I elements found (element name → values),
    the coordinating provider and alliance as the trust check named them, and its checks."""

    verified: bool
    format: str
    elements: Mapping[str, tuple[str, ...]]
    issuer: str | None
    alliance: str | None
    checks: tuple[Finding, ...]
    disclosure: Literal["full", "selective"]
    modules: tuple[ModuleLine, ...] = ()
    """The modules the (ELM) credential states, in its order."""


@dataclass(frozen=True)
class Verdict:
    """The outcome shown: ``verified``, the credentials, and what failed outside them
    (``problems``); ``note`` is a message of the page (with its parameters) instead of a
    verdict (the request expired, the wallet declined, the answer shows elsewhere)."""

    verified: bool
    credentials: tuple[CredentialView, ...] = ()
    problems: tuple[Finding, ...] = ()
    note: tuple[str, Mapping[str, str]] | None = None


def _findings(report: Mapping[str, Any]) -> tuple[Finding, ...]:
    checks = report.get("checks")
    if not isinstance(checks, list):
        return ()
    return tuple(
        Finding(
            str(c.get("name", "")),
            str(c.get("status", "")),
            str(c.get("code", "")),
            str(c.get("message", "")),
        )
        for c in checks
        if isinstance(c, Mapping)
    )


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list):
        return next((t for t in map(_text_of, value) if t), None)
    if isinstance(value, Mapping):
        for key in sorted(value, key=lambda k: (k != "en", str(k))):
            text = _text_of(value[key])
            if text:
                return text
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float) and str(v).strip())
    if isinstance(value, int | float):
        return (str(value),)
    return ()


def credential_view(report: Mapping[str, Any]) -> CredentialView:
    """The human view of one credential's report (``VerificationReport.to_dict()``): the
    ``dc+sd-jwt`` claims named by :class:`AnnexElement` as disclosed, the Annex I elements of
    any other (ELM) credential as :func:`check_completeness` reads them."""
    fmt = str(report.get("format", ""))
    document = report.get("document")
    elements: dict[str, tuple[str, ...]] = {}
    lines: tuple[ModuleLine, ...] = ()
    if isinstance(document, Mapping):
        if fmt == "dc+sd-jwt":
            for element in AnnexElement:
                values = _strings(document.get(element.value))
                if values:
                    elements[element.value] = values
        else:
            try:
                completeness = check_completeness(document)
            except MalformedInputError:
                completeness = None
            if completeness is not None:
                elements = {str(e.element): e.items for e in completeness.elements if e.present}
            modules = _modules(document)
            stackability = AnnexElement.INTEGRATION_STACKABILITY.value
            if modules and stackability in elements:  # the modules are listed on their own
                listed = {has_part_item(m.title) for m in modules}
                kept = tuple(i for i in elements[stackability] if i not in listed)
                if kept:
                    elements[stackability] = kept
                else:
                    del elements[stackability]
            lines = tuple(
                ModuleLine(
                    _text_of(m.title) or m.module or "—",
                    _text_of(m.grade),
                    tuple(t for t in map(_text_of, m.awarding_bodies) if t),
                )
                for m in modules
            )
    checks = _findings(report)
    issuer: str | None = None
    alliance: str | None = None
    for check in report.get("checks") or ():
        if isinstance(check, Mapping) and check.get("name") == "issuer_trust":
            details = check.get("details")
            if isinstance(details, Mapping):
                found = details.get("issuer")
                if isinstance(found, Mapping):
                    issuer = _text_of(found.get("legal_name"))
                named = details.get("alliance")
                if isinstance(named, Mapping):
                    alliance = _text_of(named.get("name"))
    if issuer is None and isinstance(document, Mapping):
        raw = document.get("issuer") or document.get("iss")
        issuer = (
            _text_of(raw.get("legalName") or raw.get("id"))
            if isinstance(raw, Mapping)
            else (_text_of(raw))
        )
    verified = bool(report.get("verified")) and not any(c.status == "failed" for c in checks)
    return CredentialView(
        verified=verified,
        format=fmt,
        elements=elements,
        issuer=issuer,
        alliance=alliance,
        checks=checks,
        disclosure="selective" if fmt == "dc+sd-jwt" else "full",
        modules=lines,
    )


def _modules(document: Mapping[str, Any]) -> tuple[ModuleSummary, ...]:
    """The modules of an ELM document (the credential, or the ``vc`` claim of a JWT)."""
    inner = document.get("vc")
    body = inner if "credentialSubject" not in document and isinstance(inner, Mapping) else document
    return module_achievements(body)


def verdict_of_report(report: Mapping[str, Any]) -> Verdict:
    """The verdict of a :class:`~verifier.report.VerificationReport` (as a dict)."""
    if report.get("kind") == "presentation":
        problems = tuple(f for f in _findings(report) if f.status == "failed")
        credentials = tuple(
            credential_view(c) for c in report.get("credentials") or () if isinstance(c, Mapping)
        )
        return Verdict(bool(report.get("verified")), credentials, problems)
    view = credential_view(report)
    return Verdict(view.verified and bool(report.get("verified")), (view,))


def verdict_of_answer(status: RequestStatus) -> Verdict:
    """The verdict of a presentation request: pending, expired, the wallet's error, or the
    verified response (:class:`verifier.openid4vp.response.ResponseReport` as a dict)."""
    if status.status == "expired":
        return Verdict(False, note=("request_expired", {}))
    answer = status.answer
    if answer is None:
        return Verdict(False, note=("waiting", {}))
    if answer.wallet_error is not None:
        return Verdict(False, note=("wallet_declined", {"code": answer.wallet_error["error"]}))
    report = answer.report or {}
    credentials: list[CredentialView] = []
    problems: list[Finding] = []
    queries = report.get("credential_queries")
    for outcome in queries.values() if isinstance(queries, Mapping) else ():
        for presented in outcome.get("presentations") or ():
            if presented.get("problem"):
                problems.append(Finding("request", "failed", "problem", presented["problem"]))
            verification = presented.get("verification")
            if isinstance(verification, Mapping):
                problems += [f for f in _findings(verification) if f.status == "failed"]
                credentials += [
                    credential_view(c)
                    for c in verification.get("credentials") or ()
                    if isinstance(c, Mapping)
                ]
            match = presented.get("query_match")
            if isinstance(match, Mapping) and not match.get("matches"):
                problems.append(
                    Finding("query", "failed", str(match.get("code")), str(match.get("message")))
                )
    verified = bool(answer.verified)
    if not verified and not problems and all(c.verified for c in credentials):
        problems.append(
            Finding(
                "query",
                "failed",
                "query_not_satisfied",
                "the presented credentials do not satisfy the request",
            )
        )
    return Verdict(verified, tuple(credentials), tuple(problems))


# -- HTML -------------------------------------------------------------------------------------


def _e(value: object) -> str:
    """Escape a value for HTML text and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def _document(
    lang: str,
    title: str,
    main: str,
    *,
    query: Mapping[str, str] | None = None,
    script: bool = False,
) -> str:
    """The page shell: language switcher (keeping ``query``), skip link, ``main``."""
    t = MESSAGES[lang]
    links = "".join(
        f'<li><a href="?{_e(urlencode({**(query or {}), "lang": code}))}" hreflang="{_e(code)}" '
        f'lang="{_e(code)}"'
        + (' aria-current="page"' if code == lang else "")
        + f">{_e(name)}</a></li>"
        for code, name in LANGUAGE_NAMES.items()
    )
    tag = f'<script src="{SCRIPT_PATH}?v={_script()[1]}" defer></script>\n' if script else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(lang)}" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n{tag}</head>\n<body>\n"
        f'<a class="skip" href="#main">{_e(t["skip"])}</a>\n'
        f'<header><nav class="languages" aria-labelledby="language-label">'
        f'<p id="language-label">{_e(t["language"])}</p><ul>{links}</ul></nav></header>\n'
        f'<main id="main" tabindex="-1">\n{main}</main>\n</body>\n</html>\n'
    )


def _date(lang: str, value: str) -> str:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    t = MESSAGES[lang]
    month = t["months"].split("|")[when.month - 1]
    return t["date_format"].format(day=when.day, month=month, year=when.year)


_HOURS: Final = re.compile(r"^PT(\d+(?:[.,]\d+)?)H$")


def _value(lang: str, element: str, item: str) -> str:
    """One value of an element, in words where mcred knows its shape."""
    t = MESSAGES[lang]
    if element == AnnexElement.DATE_OF_ISSUE:
        return _date(lang, item)
    if element == AnnexElement.WORKLOAD and (hours := _HOURS.fullmatch(item)):
        return t["hours"].format(hours=hours.group(1))
    if element == AnnexElement.INTEGRATION_STACKABILITY:
        if item == "isPartialQualification=true":
            return t["partial"]
        if item.startswith("part of: "):
            return t["part_of"].format(name=item.removeprefix("part of: "))
    return item


def _claim_label(lang: str, name: str) -> str:
    labels = _CLAIM_LABELS.get(name)
    return labels.get(lang, labels["en"]) if labels else name


def _check_label(lang: str, name: str) -> str:
    return MESSAGES[lang].get(f"check_{name}", name)


def _status_word(lang: str, status: str) -> str:
    return MESSAGES[lang].get(f"status_{status}", status)


_ICONS: Final = {"passed": "✔", "failed": "✘", "skipped": "\u2013"}


def _render_checks(lang: str, checks: Sequence[Finding]) -> str:
    t = MESSAGES[lang]
    items = "".join(
        f'<li><span aria-hidden="true">{_ICONS.get(c.status, "?")}</span> '
        f"{_e(_check_label(lang, c.check))}: "
        f'<span class="status">{_e(_status_word(lang, c.status))}</span></li>'
        for c in checks
    )
    technical = "".join(
        f"<li><code>{_e(c.check)}</code> <code>{_e(c.status)}</code> "
        f"<code>{_e(c.code)}</code>: {_e(c.message)}</li>"
        for c in checks
    )
    return (
        f'<ul class="checks">{items}</ul>'
        f"<details><summary>{_e(t['technical'])}</summary>"
        f'<ul lang="en">{technical}</ul></details>'
    )


def _render_credential(lang: str, view: CredentialView, heading: str) -> str:
    t = MESSAGES[lang]
    rows: list[str] = []

    def row(label: str, values: Sequence[str]) -> None:
        if len(values) == 1:
            body = _e(values[0])
        else:
            body = "<ul>" + "".join(f"<li>{_e(v)}</li>" for v in values) + "</ul>"
        rows.append(f"<dt>{_e(label)}</dt><dd>{body}</dd>")

    for element in AnnexElement:
        name = element.value
        items = view.elements.get(name)
        if items:
            row(_claim_label(lang, name), [_value(lang, name, i) for i in items])
        elif view.disclosure == "selective" and name in _NOT_DISCLOSED_IF_ABSENT:
            row(_claim_label(lang, name), [t["not_disclosed"]])
        if element is AnnexElement.AWARDING_BODIES and view.issuer:
            row(t["coordinating_provider"], [view.issuer])
    if view.modules:
        row(t["modules"], [_module_text(lang, module) for module in view.modules])
    on_behalf = ""
    if view.issuer and view.alliance:
        on_behalf = (
            f"<p>{_e(t['issued_on_behalf'].format(issuer=view.issuer, alliance=view.alliance))}</p>"
        )
    return (
        f"<h3>{_e(heading)}</h3>\n{on_behalf}"
        f'<dl class="credential">{"".join(rows)}</dl>\n'
        f"<h4>{_e(t['checks_heading'])}</h4>\n{_render_checks(lang, view.checks)}\n"
    )


def _module_text(lang: str, module: ModuleLine) -> str:
    t = MESSAGES[lang]
    text = module.title
    if module.result:
        text = t["module_result"].format(module=text, result=module.result)
    if module.assessed_by:
        text = t["module_assessed_by"].format(module=text, bodies=", ".join(module.assessed_by))
    return text


def render_result(lang: str, verdict: Verdict) -> str:
    """The result fragment (what the ``aria-live`` region shows): the verdict in words with an
    icon, what failed, then each credential in human terms and its checks."""
    t = MESSAGES[lang]
    if verdict.note is not None:
        key, params = verdict.note
        css = "wait" if key == "waiting" else "bad"
        return f'<div class="verdict {css}"><p>{_e(t[key].format(**params))}</p></div>\n'
    if verdict.verified:
        head = (
            '<div class="verdict ok"><h3><span class="icon" aria-hidden="true">✔</span> '
            f"{_e(t['verified'])}</h3><p>{_e(t['verified_body'])}</p></div>\n"
        )
    else:
        failed = list(verdict.problems) + [
            f for view in verdict.credentials for f in view.checks if f.status == "failed"
        ]
        listed = "".join(
            f"<li>{_e(_check_label(lang, f.check))} "
            f'<span lang="en">(<code>{_e(f.code)}</code>: {_e(f.message)})</span></li>'
            for f in failed
        )
        if not verdict.credentials:
            listed += f"<li>{_e(t['no_credential'])}</li>"
        head = (
            '<div class="verdict bad"><h3><span class="icon" aria-hidden="true">✘</span> '
            f"{_e(t['not_verified'])}</h3><p>{_e(t['not_verified_body'])}</p>"
            f"<ul>{listed}</ul></div>\n"
        )
    parts = [head]
    several = len(verdict.credentials) > 1
    for number, view in enumerate(verdict.credentials, start=1):
        heading = t["credential_heading_n"].format(n=number) if several else t["credential_heading"]
        parts.append(_render_credential(lang, view, heading))
    return "".join(parts)


def _result_section(lang: str, fragment: str, *, attributes: str = "") -> str:
    t = MESSAGES[lang]
    return (
        '<section aria-labelledby="result-heading">\n'
        f'<h2 id="result-heading">{_e(t["result_heading"])}</h2>\n'
        f'<div id="result" role="status" aria-live="polite"{attributes}>\n{fragment}</div>\n'
        "</section>\n"
    )


def _back(lang: str) -> str:
    return f'<p><a href="/verify?lang={_e(lang)}">{_e(MESSAGES[lang]["new_request"])}</a></p>\n'


def render_result_page(lang: str, verdict: Verdict) -> str:
    """A whole page around one result (scan, paste, same-device return)."""
    t = MESSAGES[lang]
    main = (
        f"<h1>{_e(t['heading'])}</h1>\n"
        + _result_section(lang, render_result(lang, verdict))
        + _back(lang)
    )
    return _document(lang, t["page_title"], main)


def render_message_page(lang: str, message: str) -> str:
    """A page that says why nothing could be verified (``message`` is plain text)."""
    t = MESSAGES[lang]
    main = (
        f"<h1>{_e(t['error_title'])}</h1>\n"
        f'<p role="alert">{_e(message)}</p>\n'
        f'<p><a href="/verify?lang={_e(lang)}">{_e(t["back"])}</a></p>\n'
    )
    return _document(lang, t["error_title"], main)


def render_verifier_page(lang: str, alliances: Sequence[tuple[str, str]]) -> str:
    """``/verify``: the three ways to verify (every form works without JavaScript)."""
    t = MESSAGES[lang]
    lang_field = f'<input type="hidden" name="lang" value="{_e(lang)}">'
    if alliances:
        options = "".join(
            f'<option value="{_e(ident)}">{_e(name)}</option>' for ident, name in alliances
        )
        boxes = "".join(
            f'<label><input type="checkbox" name="claims" value="{_e(name)}"'
            + (" checked" if name in _DEFAULT_CLAIMS else "")
            + f"> {_e(_claim_label(lang, name))}</label>"
            for name in _ASKABLE
        )
        ask = (
            '<form method="post" action="/verify/requests">\n'
            f"{lang_field}\n"
            f'<label for="alliance">{_e(t["alliance_label"])}</label>\n'
            f'<select id="alliance" name="alliance" required>{options}</select>\n'
            '<fieldset aria-describedby="claims-hint">\n'
            f"<legend>{_e(t['claims_legend'])}</legend>\n"
            f'<p class="hint" id="claims-hint">{_e(t["claims_hint"])}</p>\n{boxes}\n'
            "</fieldset>\n<fieldset>\n"
            f"<legend>{_e(t['device_legend'])}</legend>\n"
            '<label><input type="radio" name="device" value="cross" checked> '
            f"{_e(t['device_other'])}</label>\n"
            '<label><input type="radio" name="device" value="same"> '
            f"{_e(t['device_same'])}</label>\n</fieldset>\n"
            f'<button type="submit">{_e(t["ask_submit"])}</button>\n</form>\n'
        )
    else:
        ask = f"<p>{_e(t['no_alliance'])}</p>\n"
    main = (
        f"<h1>{_e(t['heading'])}</h1>\n<p>{_e(t['intro'])}</p>\n"
        '<section class="task" aria-labelledby="ask-heading">\n'
        f'<h2 id="ask-heading">{_e(t["ask_heading"])}</h2>\n<p>{_e(t["ask_intro"])}</p>\n'
        f"{ask}</section>\n"
        '<section class="task" aria-labelledby="scan-heading">\n'
        f'<h2 id="scan-heading">{_e(t["scan_heading"])}</h2>\n<p>{_e(t["scan_intro"])}</p>\n'
        '<form id="camera-form" method="post" action="/verify/scan" '
        'enctype="multipart/form-data" hidden>\n'
        f'{lang_field}<input type="hidden" name="text" id="camera-text">\n'
        f'<button type="button" id="camera-start" data-stop="{_e(t["camera_stop"])}" '
        f'data-start="{_e(t["camera_start"])}" '
        f'data-unavailable="{_e(t["camera_unavailable"])}" '
        f'data-looking="{_e(t["camera_looking"])}">{_e(t["camera_start"])}</button>\n'
        f'<video id="camera-video" muted playsinline aria-label="{_e(t["camera_label"])}" '
        "hidden></video>\n"
        '<p id="camera-status" role="status" aria-live="polite"></p>\n</form>\n'
        '<form method="post" action="/verify/scan" enctype="multipart/form-data">\n'
        f"{lang_field}\n"
        f'<label for="image">{_e(t["upload_label"].format(mb=MAX_IMAGE_BYTES // 2**20))}</label>\n'
        '<input type="file" id="image" name="image" accept="image/png,image/jpeg" required>\n'
        f'<br><button type="submit">{_e(t["upload_submit"])}</button>\n</form>\n</section>\n'
        '<section class="task" aria-labelledby="paste-heading">\n'
        f'<h2 id="paste-heading">{_e(t["paste_heading"])}</h2>\n'
        '<form method="post" action="/verify/paste">\n'
        f"{lang_field}\n"
        f'<label for="credential">{_e(t["paste_label"])}</label>\n'
        '<textarea id="credential" name="credential" rows="8" required spellcheck="false" '
        'autocomplete="off"></textarea>\n'
        f'<button type="submit">{_e(t["paste_submit"])}</button>\n</form>\n</section>\n'
    )
    return _document(lang, t["page_title"], main, script=True)


def _qr_image(link: str, alt: str) -> str:
    svg = base64.b64encode(qr_svg(link)).decode("ascii")
    return (
        f'<img class="qr" src="data:image/svg+xml;base64,{svg}" alt="{_e(alt)}" '
        'width="320" height="320">'
    )


def render_request_page(
    lang: str, ref: _PageRef, link: str, status: RequestStatus, verdict: Verdict
) -> str:
    """A presentation request's page: while pending, the QR code (cross-device) or the wallet
    button (same-device) and a live region the script fills with the answer."""
    t = MESSAGES[lang]
    same_device = ref.same_device
    pending = status.status == "pending"
    parts = [f"<h1>{_e(t['request_title'] if pending else t['heading'])}</h1>\n"]
    if pending:
        expires = status.expires_at.astimezone(UTC)
        parts.append(
            f'<div id="request-ask">\n<p>{_e(t["request_intro"])}</p>\n'
            f'<p><time datetime="{_e(expires.isoformat())}">'
            f"{_e(t['expires_at'].format(d=expires))}</time></p>\n"
        )
        if not same_device:
            parts.append(_qr_image(link, t["qr_alt"]) + "\n")
        parts.append(
            '<section aria-labelledby="same-device-heading">\n'
            f'<h2 id="same-device-heading">{_e(t["same_device_heading"])}</h2>\n'
            f'<p><a class="button" href="{_e(link)}">{_e(t["same_device_link"])}</a></p>\n'
            + (f"<p>{_e(t['same_device_hint'])}</p>\n" if same_device else "")
            + "</section>\n</div>\n"
        )
    poll = ""
    if pending:
        url = ref.url(lang, "/result")
        poll = f' data-poll="{_e(url)}" data-poll-seconds="{POLL_SECONDS}"'
    parts.append(_result_section(lang, render_result(lang, verdict), attributes=poll))
    if pending:
        here = ref.url(lang)
        parts.append(
            f"<noscript><p>{_e(t['noscript_reload'])} "
            f'<a href="{_e(here)}">{_e(t["check_now"])}</a></p></noscript>\n'
        )
    parts.append(_back(lang))
    return _document(lang, t["page_title"], "".join(parts), query=ref.query(), script=pending)


def render_share_page(lang: str) -> str:
    """``/v/{share_id}``: the script reads the key from the fragment and asks for the result."""
    t = MESSAGES[lang]
    working = f'<div class="verdict wait"><p>{_e(t["share_verifying"])}</p></div>\n'
    main = (
        f"<h1>{_e(t['share_title'])}</h1>\n"
        + _result_section(
            lang,
            working,
            attributes=(
                f' data-share="/verify/share?lang={_e(lang)}" '
                f'data-no-key="{_e(t["share_no_key"])}" '
                f'data-failed="{_e(t["share_failed"])}"'
            ),
        )
        + f"<noscript><p>{_e(t['share_noscript'])} "
        f'<a href="/verify?lang={_e(lang)}">{_e(t["back"])}</a></p></noscript>\n' + _back(lang)
    )
    return _document(lang, t["share_title"], main, script=True)


# -- forms ------------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


async def _capped_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        yield chunk


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    return b"".join([chunk async for chunk in _capped_stream(request, limit)])


async def _urlencoded(request: Request, limit: int) -> list[tuple[str, str]]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise ValueError("not a form")
    raw = await _read_capped(request, limit)
    return parse_qsl(raw.decode("utf-8"), keep_blank_values=True)


def _one(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k == name), None)


# -- the router -------------------------------------------------------------------------------


def build_verifier_page_router(
    *,
    requests: PresentationRequests,
    verifier: Verifier,
    issuer: Issuer,
    public_url: str,
    shares: SharesService | None = None,
    page_key: bytes | None = None,
    create_limiter: TokenBucketLimiter | None = None,
    scan_limiter: TokenBucketLimiter | None = None,
) -> APIRouter:
    """The employer's pages (module doc). ``requests`` makes the OpenID4VP requests,
    ``verifier`` verifies pasted and shared credentials, ``issuer`` names the alliances,
    ``shares`` opens share links (``None``: shared links are not verified here). ``page_key``
    signs page URLs (:func:`derive_page_key`; random per process when not given)."""
    router = APIRouter(tags=["verifier page"])
    key = page_key if page_key is not None else secrets.token_bytes(32)
    creating = create_limiter or TokenBucketLimiter(6, 10.0)
    scanning = scan_limiter or TokenBucketLimiter(10, 6.0)
    base = public_url.rstrip("/")
    secure_cookie = base.startswith("https://")
    html_only: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}}}

    def language(request: Request, requested: str | None = None) -> str:
        return negotiate_language(
            requested or request.query_params.get("lang"),
            request.headers.get("accept-language"),
        )

    def page(lang: str, body: str, status: int = 200, *, camera: bool = False) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers=_page_headers(lang, camera=camera))

    def message(lang: str, key_: str, status: int, **params: object) -> HTMLResponse:
        return page(lang, render_message_page(lang, MESSAGES[lang][key_].format(**params)), status)

    def limited(lang: str, retry_after: float) -> HTMLResponse:
        seconds = max(1, int(retry_after + 0.999))
        response = message(lang, "rate_limited", 429, seconds=seconds)
        response.headers["Retry-After"] = str(seconds)
        return response

    def alliances(lang: str) -> list[tuple[str, str]]:
        named: list[tuple[str, str]] = []
        for ident in issuer.alliance_ids():
            try:
                names = issuer.alliance(ident).alliance.name
            except (IssuerError, KeyError):
                continue
            named.append((ident, names.get(lang) or names.get("en") or ident))
        return named

    # -- the page ----------------------------------------------------------------------------

    @router.get(
        "/verify",
        response_class=HTMLResponse,
        summary="The employer's verifier page (ask a wallet, scan a QR code, paste)",
        responses=html_only,
    )
    async def verifier_page(request: Request) -> HTMLResponse:
        lang = language(request)
        named = await run_in_threadpool(alliances, lang)
        return page(lang, render_verifier_page(lang, named), camera=True)

    @router.get(SCRIPT_PATH, include_in_schema=False)
    def script() -> Response:
        return Response(
            _script()[0],
            media_type="text/javascript; charset=utf-8",
            headers={
                "Cache-Control": "public, max-age=3600",
                "Content-Security-Policy": "default-src 'none'",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # -- OpenID4VP ---------------------------------------------------------------------------

    @router.post(
        "/verify/requests",
        response_class=HTMLResponse,
        summary="Create a presentation request from the page: 303 to its page",
        responses={303: {"description": "To /verify/requests/{id}?t=…"}, 429: {}},
    )
    async def create_request(request: Request) -> Response:
        try:
            form = await _urlencoded(request, MAX_FORM_BYTES)
        except (_TooLarge, ValueError, UnicodeDecodeError):
            return message(language(request), "bad_form", 400)
        lang = language(request, _one(form, "lang"))
        wait = creating.take(_client(request))
        if wait is not None:
            return limited(lang, wait)
        alliance = _one(form, "alliance")
        if not alliance:
            return message(lang, "bad_form", 400)
        claims = tuple(v for k, v in form if k == "claims")
        same_device = _one(form, "device") == "same"
        what = WhatToAsk(
            alliance=alliance,
            claims=claims or None,
            redirect_uri=f"{base}/verify/same-device" if same_device else None,
        )
        try:
            created = await run_in_threadpool(
                lambda: requests.create(what, requested_by=REQUESTED_BY)
            )
        except OpenId4VpError as exc:
            return message(lang, "request_refused", 400, detail=exc.description or exc.error)
        state = created.request_uri.rstrip("/").rsplit("/", 1)[-1]
        secret = page_secret(key, created.id, state, same_device=same_device)
        ref = _PageRef(created.id, state, same_device, secret)
        response = RedirectResponse(
            ref.url(lang), status_code=303, headers={"Cache-Control": _NO_STORE}
        )
        if same_device:
            ttl = max(60, int((created.expires_at - datetime.now(UTC)).total_seconds()) + 300)
            response.set_cookie(
                SAME_DEVICE_COOKIE,
                f"{created.id}.{state}.{secret}",
                max_age=ttl,
                path="/verify/same-device",
                secure=secure_cookie,
                httponly=True,
                samesite="lax",
            )
        return response

    def lookup(request_id: str, response_code: str | None = None) -> RequestStatus | str:
        """The request's status, or the page message key when it cannot be shown."""
        try:
            return requests.status(request_id, response_code=response_code)
        except AccessDenied:
            return "answered_elsewhere"
        except (RequestNotFound, OpenId4VpError):
            return "request_gone"

    def reference(request: Request, request_id: str) -> _PageRef | None:
        params = request.query_params
        same = params.get("same") == "1"
        return _page_ref(key, request_id, params.get("s"), params.get("t"), same)

    def wallet_link(ref: _PageRef) -> str:
        settings = requests.settings
        return request_link(
            requests.client_id, settings.request_uri(ref.state), settings.request_uri_method
        )

    @router.get(
        "/verify/requests/{request_id}",
        response_class=HTMLResponse,
        summary="A presentation request's page: the QR code, then the answer",
        responses={**html_only, 404: {"content": {"text/html": {}}}},
    )
    async def request_page(request: Request, request_id: str) -> HTMLResponse:
        lang = language(request)
        ref = reference(request, request_id)
        if ref is None:
            return message(lang, "request_gone", 404)
        found = await run_in_threadpool(lookup, request_id)
        if isinstance(found, str):
            if found == "answered_elsewhere":
                verdict = Verdict(False, note=("answered_elsewhere", {}))
                return page(lang, render_result_page(lang, verdict))
            return message(lang, found, 404)
        body = render_request_page(lang, ref, wallet_link(ref), found, verdict_of_answer(found))
        return page(lang, body)

    @router.get(
        "/verify/requests/{request_id}/result",
        summary="The answer of a page's presentation request: {status, verified, html}",
        responses={404: {"description": "Unknown request, or not this page's (no secret)"}},
    )
    async def request_result(request: Request, request_id: str) -> JSONResponse:
        lang = language(request)
        headers = {"Cache-Control": _NO_STORE, "X-Content-Type-Options": "nosniff"}
        if reference(request, request_id) is None:
            return JSONResponse({"status": "not_found"}, status_code=404, headers=headers)
        found = await run_in_threadpool(lookup, request_id)
        if isinstance(found, str):
            if found == "request_gone":
                return JSONResponse({"status": "not_found"}, status_code=404, headers=headers)
            verdict = Verdict(False, note=(found, {}))
            body = {"status": "answered", "verified": None, "html": render_result(lang, verdict)}
            return JSONResponse(body, headers=headers)
        verdict = verdict_of_answer(found)
        return JSONResponse(
            {
                "status": found.status,
                "verified": verdict.verified if found.status == "answered" else None,
                "html": render_result(lang, verdict),
            },
            headers=headers,
        )

    @router.get(
        "/verify/same-device",
        response_class=HTMLResponse,
        summary="Where the wallet sends the browser back after a same-device presentation",
        responses=html_only,
    )
    async def same_device_return(request: Request) -> HTMLResponse:
        lang = language(request)
        cookie = request.cookies.get(SAME_DEVICE_COOKIE, "")
        request_id, _, rest = cookie.partition(".")
        state, _, secret = rest.partition(".")
        code = request.query_params.get("response_code")
        if not code or _page_ref(key, request_id, state, secret, True) is None:
            return message(lang, "request_gone", 404)
        found = await run_in_threadpool(lookup, request_id, code)
        if isinstance(found, str):
            return message(lang, "request_gone", 404)
        response = page(lang, render_result_page(lang, verdict_of_answer(found)))
        response.delete_cookie(SAME_DEVICE_COOKIE, path="/verify/same-device")
        return response

    # -- scan, paste, share ------------------------------------------------------------------------

    def verify_share_url(url: str) -> Verdict | str:
        """The verdict of a share link, or the page message key when it cannot be opened."""
        if shares is None:
            return "share_disabled"
        try:
            shared = shares.resolve(url)
        except (ShareNotFound, ShareGone, MalformedInputError):
            return "share_unavailable"  # unknown, withdrawn, expired, or the key does not fit
        except IssuerError:
            return "share_failed"
        try:
            report = verifier.verify_credential(shared.credential)
        except MalformedInputError:
            return "share_failed"
        return verdict_of_report(report.to_dict())

    @router.post(
        "/verify/scan",
        response_class=HTMLResponse,
        summary="Verify the QR code a learner shows (a picture, or the camera's text)",
        responses={**html_only, 400: {}, 413: {}, 415: {}, 422: {}, 429: {}},
    )
    async def scan(request: Request) -> HTMLResponse:
        lang = language(request)
        media = request.headers.get("content-type", "")
        if not media.lower().startswith("multipart/form-data"):
            return message(lang, "bad_form", 400)
        limit = MAX_IMAGE_BYTES + _MULTIPART_SLACK
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return message(lang, "too_large", 413, mb=MAX_IMAGE_BYTES // 2**20)
        parser = MultiPartParser(
            request.headers,
            _capped_stream(request, limit),
            max_files=1,
            max_fields=4,
            max_part_size=8192,
        )
        try:
            form = await parser.parse()
        except _TooLarge:
            return message(lang, "too_large", 413, mb=MAX_IMAGE_BYTES // 2**20)
        except MultiPartException:
            return message(lang, "bad_form", 400)
        try:
            requested = form.get("lang")
            lang = language(request, requested if isinstance(requested, str) else None)
            wait = scanning.take(_client(request))
            if wait is not None:
                return limited(lang, wait)
            text = form.get("text")
            image = form.get("image")
            if isinstance(text, str) and text.strip():
                content = text.strip()
            elif isinstance(image, UploadFile) and image.size:
                data = await image.read(MAX_IMAGE_BYTES + 1)
                try:
                    content = await run_in_threadpool(decode_qr_image, data)
                except ScanError as exc:
                    params: dict[str, object] = {
                        "mb": MAX_IMAGE_BYTES // 2**20,
                        "megapixels": MAX_IMAGE_PIXELS // 1_000_000,
                    }
                    return message(lang, exc.code, exc.status, **params)
            else:
                return message(lang, "no_file", 400)
        finally:
            await form.close()
        kind = classify_qr_text(content)
        if kind == "presentation_request":
            return message(lang, "qr_is_request", 422)
        if kind == "credential_offer":
            return message(lang, "qr_is_offer", 422)
        if kind == "unknown":
            return message(lang, "qr_unknown", 422)
        outcome = await run_in_threadpool(verify_share_url, content)
        if isinstance(outcome, str):
            return message(lang, outcome, 404 if outcome == "share_unavailable" else 422)
        return page(lang, render_result_page(lang, outcome))

    def verify_pasted(text: str) -> VerificationReport:
        if text.startswith(("{", "[")):
            document = load_json(text, what="the pasted credential")
            if not isinstance(document, dict):
                raise UnverifiableInputError("a credential is a JSON object")
            types = document.get("type")
            kinds = {types} if isinstance(types, str) else set(types or ())
            if "VerifiablePresentation" in kinds or "EnvelopedVerifiablePresentation" in kinds:
                return verifier.verify_presentation(document)
            return verifier.verify_credential(document)
        return verifier.verify_jwt(text)

    @router.post(
        "/verify/paste",
        response_class=HTMLResponse,
        summary="Verify a pasted credential or presentation (JSON, JWT, SD-JWT)",
        responses={**html_only, 400: {}, 413: {}},
    )
    async def paste(request: Request) -> HTMLResponse:
        try:
            form = await _urlencoded(request, MAX_PASTE_BYTES)
        except _TooLarge:
            lang = language(request)
            detail = f"over {MAX_PASTE_BYTES // 1024} KiB"
            return message(lang, "paste_unreadable", 413, detail=detail)
        except (ValueError, UnicodeDecodeError):
            return message(language(request), "bad_form", 400)
        lang = language(request, _one(form, "lang"))
        text = (_one(form, "credential") or "").strip()
        if not text:
            return message(lang, "paste_empty", 400)
        try:
            report = await run_in_threadpool(verify_pasted, text)
        except MalformedInputError as exc:
            return message(lang, "paste_unreadable", 400, detail=exc.message)
        return page(lang, render_result_page(lang, verdict_of_report(report.to_dict())))

    @router.get(
        f"/{SHARE_PATH}/{{share_id}}",
        response_class=HTMLResponse,
        summary="The landing page of a share link (the key stays in the fragment)",
        responses={**html_only, 404: {"content": {"text/html": {}}}},
    )
    async def share_page(request: Request, share_id: str) -> HTMLResponse:
        lang = language(request)
        if not is_share_id(share_id):
            return message(lang, "share_unavailable", 404)
        return page(lang, render_share_page(lang))

    @router.post(
        "/verify/share",
        summary="The result of a share link for its landing page: {status, verified, html}",
    )
    async def share_result(request: Request) -> JSONResponse:
        lang = language(request)
        headers = {"Cache-Control": _NO_STORE, "X-Content-Type-Options": "nosniff"}
        try:
            body = load_json(await _read_capped(request, MAX_FORM_BYTES), what="the body")
        except (_TooLarge, UnverifiableInputError):
            body = None
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or classify_qr_text(url) != "share":
            fragment = render_result(lang, Verdict(False, note=("share_no_key", {})))
            return JSONResponse(
                {"status": "invalid", "verified": False, "html": fragment},
                status_code=400,
                headers=headers,
            )
        outcome = await run_in_threadpool(verify_share_url, url)
        if isinstance(outcome, str):
            fragment = render_result(lang, Verdict(False, note=(outcome, {})))
            return JSONResponse(
                {"status": "unavailable", "verified": False, "html": fragment},
                status_code=404 if outcome == "share_unavailable" else 502,
                headers=headers,
            )
        return JSONResponse(
            {
                "status": "verified" if outcome.verified else "not_verified",
                "verified": outcome.verified,
                "html": render_result(lang, outcome),
            },
            headers=headers,
        )

    return router
