"""The coordinator's admin pages: ``/admin`` and the pages behind it (issue 6).

Server-rendered HTML in English, German and French, on the stack of the verifier page
(:mod:`mcred.verifier_page`): every form works without JavaScript, one small script
(``/admin/assets/admin-page.js``, :data:`SCRIPT_PATH`) moves the focus to what changed and
follows a cohort's progress. Texts live in :mod:`mcred.admin_page_messages`; the language is
``?lang=`` (or the form's ``lang``), else ``Accept-Language``, else English
(:func:`mcred.offer_page.negotiate_language`).

Signing in
    ``POST /admin/login`` takes an API key (:class:`issuer.api_keys.ApiKeyService`) and sets a
    session cookie (:data:`SESSION_COOKIE`, ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when
    the public URL is https, ``Path=/admin``). The cookie holds the key's public *id*, an expiry
    and a random nonce, signed with HMAC-SHA256 under the session key
    (:func:`derive_session_key`, shared by every worker) — never the key itself. Every request
    checks the signature and the expiry, then reads the key from the key store again: a revoked
    key ends its sessions at once. ``POST /admin/logout`` clears the cookie (the session is
    stateless: a copied cookie stays usable until it expires or its key is revoked).

Forms
    Every ``POST`` form carries a per-session CSRF token (HMAC of the session's nonce,
    :meth:`SessionCodec.csrf_token`) besides ``SameSite=Strict``; a ``POST`` whose ``Origin``
    is another site, or that says ``Sec-Fetch-Site: cross-site``, is refused too (login
    included). Wrong keys are rate-limited per client address.

Pages (a coordinator sees only its alliance; anything else is a 403 page)
    * ``GET /admin/credentials`` — search: alliance, specification, learner reference, issue
      dates, status; newest first, :data:`PAGE_SIZE` at a time with a cursor. The status filter
      is applied here, to at most :data:`STATUS_SCAN_LIMIT` records a page (the stores filter
      the rest);
    * ``GET /admin/credentials/{id}`` — one credential, its state in words, its audit history,
      and forms to suspend, reinstate or revoke it with a reason
      (``POST /admin/credentials/{id}/status``), to make a wallet offer
      (``POST /admin/credentials/{id}/offers``: the link, the PIN once, the learner's page) and
      links to its certificate (``GET /admin/credentials/{id}/certificate.pdf?lang=``) when a
      certificate service is given;
    * ``GET /admin/cohorts`` and ``POST /admin/cohorts`` — upload a cohort file for an alliance
      and specification; ``GET /admin/cohorts/{id}`` follows the job (its counts as text and a
      progress bar the script refreshes every :data:`POLL_SECONDS` from
      ``GET /admin/cohorts/{id}/progress``) and links ``GET /admin/cohorts/{id}/offers.csv``.
      Shown when a cohort service (:class:`CohortJobs`) is given.

Every value is escaped with :func:`html.escape`. Pages carry a strict Content Security Policy
(scripts from this origin only, the stylesheet by hash, no external resources), ``no-store``,
``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import html
import json
import re
import secrets
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from issuer.api_keys import ApiKeyService, Principal, Role
from issuer.errors import Conflict, Forbidden, InvalidRequest, IssuerError, NotFound
from issuer.ports import ApiKeyStore, AuditEvent, CredentialQuery, CredentialRecord
from issuer.service import IssuedCredential, Issuer
from issuer.status_lists import CredentialState
from mcred.admin_page_messages import MESSAGES
from mcred.offer_page import negotiate_language, offer_page_urls, qr_svg
from mcred.offer_page_messages import LANGUAGE_NAMES
from mcred.offers import TX_CODE_LENGTH
from mcred.verifier_page import TokenBucketLimiter
from wallet_bridge.errors import WalletBridgeError
from wallet_bridge.service import CreatedOffer, WalletBridge

__all__ = [
    "MAX_COHORT_BYTES",
    "PAGE_SIZE",
    "POLL_SECONDS",
    "SCRIPT_PATH",
    "SESSION_COOKIE",
    "SESSION_TTL",
    "STATUS_SCAN_LIMIT",
    "AdminSession",
    "CertificateMaker",
    "CohortJobs",
    "CohortProgress",
    "SessionCodec",
    "build_admin_page_router",
    "derive_session_key",
]

SESSION_COOKIE: Final = "mcred_admin_session"
SESSION_TTL: Final = timedelta(hours=8)
"""How long a session lasts (a working day), whatever is done in it."""
SCRIPT_PATH: Final = "/admin/assets/admin-page.js"
PAGE_SIZE: Final = 25
STATUS_SCAN_LIMIT: Final = 500
"""The most records one result page examines when filtering by status."""
POLL_SECONDS: Final = 1
"""How often a cohort's page asks for its progress."""
MAX_FORM_BYTES: Final = 16 * 1024
MAX_COHORT_BYTES: Final = 5 * 1024 * 1024
"""The largest cohort file."""
REASON_MAX: Final = 500

_MULTIPART_SLACK = 64 * 1024
_NO_STORE: Final = "no-store"
_NEXT: Final = re.compile(r"^/admin(?:/[A-Za-z0-9._~:%/-]*)?(?:\?[A-Za-z0-9._~:%&=+-]*)?$")
_JOB_ID: Final = re.compile(r"^[A-Za-z0-9_:.-]{1,128}$")
_ACTIONS: Final = ("suspend", "reinstate", "revoke")
_STATES: Final = tuple(s.value for s in CredentialState)

_STYLE: Final = """
:root{color-scheme:light}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1a1a;background:#fff}
header,main{max-width:64rem;margin:0 auto;padding:0 1rem}
header{padding-top:.75rem;display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:baseline;
justify-content:space-between}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.25rem;margin-top:2rem}
a{color:#0b4f9c}
:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px}
.skip{position:absolute;left:-999rem}
.skip:focus{position:static}
nav ul{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;margin:0;padding:0}
nav p{margin:0;font-weight:700}
.languages{display:flex;flex-wrap:wrap;align-items:baseline;gap:.75rem}
[aria-current]{font-weight:700;text-decoration:none;border-bottom:3px solid}
.who{display:flex;flex-wrap:wrap;gap:.75rem;align-items:baseline}
.who form{margin:0}
section{border-top:1px solid #595959;margin-top:1.5rem}
fieldset{border:1px solid #595959;border-radius:.375rem;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:700;padding:0 .25rem}
label{display:block;font-weight:700;margin:.75rem 0 .25rem}
label.inline{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}
.fields{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:0 1rem}
input,select,textarea{font:inherit;color:#1a1a1a;background:#fff;border:2px solid #595959;
border-radius:.25rem;padding:.4rem;max-width:100%;box-sizing:border-box}
input[type=text],input[type=password],input[type=date],select,textarea{width:100%}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin:.15rem 0 0}
.hint{color:#3d3d3d;margin:.25rem 0}
button,.button{display:inline-block;margin:.75rem 0;padding:.6rem 1.1rem;font:inherit;
font-weight:700;border:2px solid #0b4f9c;border-radius:.375rem;background:#0b4f9c;color:#fff;
text-decoration:none;cursor:pointer}
button:hover,.button:hover{background:#083b75}
button.secondary{background:#fff;color:#0b4f9c}
button.danger{background:#a4161a;border-color:#a4161a}
button.danger:hover{background:#7a1013}
[hidden]{display:none!important}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:700;padding:.25rem 0}
th,td{border-bottom:1px solid #595959;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
.state{font-weight:700;white-space:nowrap}
.state.active{color:#1e6b2e}
.state.suspended{color:#7a4a00}
.state.revoked{color:#a4161a}
.notice{border:3px solid;border-radius:.5rem;padding:.5rem 1rem;margin:1rem 0}
.notice.ok{border-color:#1e6b2e;background:#eef7f0}
.notice.bad{border-color:#a4161a;background:#fdf0f0;border-style:double;border-width:6px}
.secret{font:700 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.2em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dl.facts dt{font-weight:700}
dl.facts dd{margin:0}
code{overflow-wrap:anywhere}
.qr{display:block;width:100%;max-width:16rem;height:auto;border:1px solid #1a1a1a}
progress{width:100%;max-width:32rem;height:1.5rem}
.actions{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:0 1.5rem}
"""
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_CSP: Final = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    f"style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@functools.cache
def _script() -> tuple[bytes, str]:
    """The page script (package data ``mcred/static/admin-page.js``) and its version tag."""
    source = files("mcred").joinpath("static/admin-page.js").read_bytes()
    return source, hashlib.sha256(source).hexdigest()[:16]


def _page_headers(lang: str) -> dict[str, str]:
    return {
        "Cache-Control": _NO_STORE,
        "Content-Security-Policy": _CSP,
        "Content-Language": lang,
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Vary": "Accept-Language, Cookie",
    }


# -- sessions ---------------------------------------------------------------------------------


def derive_session_key(secret: bytes) -> bytes:
    """A 32-byte key that signs admin sessions, from a secret every worker shares: the
    key-encryption key, or a key derived from it such as the verifier page key (HKDF-SHA256;
    useless for anything else)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"mcred/admin-page/session/v1"
    ).derive(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AdminSession:
    """What a session cookie says: the API key's public id, until when, and its nonce."""

    key_id: str
    expires_at: datetime
    nonce: str


class SessionCodec:
    """Makes and reads session cookies (``base64url(payload).base64url(HMAC)``) and their CSRF
    tokens, under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a session key has at least 32 bytes")
        self._key = key

    def _mac(self, purpose: str, message: str) -> bytes:
        return hmac.new(self._key, f"{purpose}|{message}".encode(), hashlib.sha256).digest()

    def issue(self, key_id: str, expires_at: datetime) -> str:
        """A new session of ``key_id`` (a fresh nonce: a new CSRF token)."""
        payload = f"v1|{key_id}|{int(expires_at.timestamp())}|{secrets.token_urlsafe(16)}"
        return f"{_b64(payload.encode())}.{_b64(self._mac('session', payload))}"

    def read(self, token: str | None, now: datetime) -> AdminSession | None:
        """The session of a cookie, or None when it is absent, forged, altered or expired."""
        if not token or len(token) > 512 or token.count(".") != 1:
            return None
        body, _, mac = token.partition(".")
        try:
            payload = _unb64(body).decode("ascii")
            given = _unb64(mac)
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(given, self._mac("session", payload)):
            return None
        parts = payload.split("|")
        if len(parts) != 4 or parts[0] != "v1" or not parts[2].isdigit():
            return None
        expires = datetime.fromtimestamp(int(parts[2]), UTC)
        if expires <= now:
            return None
        return AdminSession(parts[1], expires, parts[3])

    def csrf_token(self, session: AdminSession) -> str:
        """The token every form of this session carries."""
        return _b64(self._mac("csrf", f"{session.key_id}|{session.nonce}"))

    def check_csrf(self, session: AdminSession, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(self.csrf_token(session).encode(), given.encode())


# -- what other services offer the page ---------------------------------------------------------


class CertificateMaker(Protocol):
    """What :class:`mcred.certificate.CertificateService` offers the page."""

    def certificate(self, principal: Principal, credential_id: str, *, lang: str) -> Any:
        """An object with ``pdf`` (bytes), ``filename`` and ``lang``."""
        ...


@dataclass(frozen=True)
class CohortProgress:
    """A cohort job's counts: ``remaining`` is what is still to do."""

    job_id: str
    alliance_id: str
    specification_id: str
    total: int
    done: int
    failed: int
    invalid: int
    remaining: int

    @property
    def finished(self) -> bool:
        return self.remaining == 0

    @property
    def processed(self) -> int:
        return self.total - self.remaining

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.job_id,
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "invalid": self.invalid,
            "remaining": self.remaining,
            "finished": self.finished,
        }


class CohortJobs(Protocol):
    """What the page needs of the cohort service: start a job from an uploaded file, read its
    counts, and its offers as CSV. Each raises :class:`issuer.errors.IssuerError` (bad file,
    unknown job, another alliance's job)."""

    def start(
        self,
        principal: Principal,
        alliance_id: str,
        specification_id: str,
        filename: str,
        data: bytes,
    ) -> str:
        """The new job's id."""
        ...

    def progress(self, principal: Principal, job_id: str) -> CohortProgress: ...

    def offers_csv(self, principal: Principal, job_id: str) -> bytes: ...


# -- HTML -------------------------------------------------------------------------------------


def _e(value: object) -> str:
    """Escape a value for HTML text and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def _path(credential_id: str, suffix: str = "") -> str:
    return f"/admin/credentials/{quote(credential_id, safe=':')}{suffix}"


def _time(value: datetime) -> str:
    moment = value.astimezone(UTC).replace(microsecond=0)
    return f'<time datetime="{_e(moment.isoformat())}">{moment:%Y-%m-%d %H:%M} UTC</time>'


_ICONS: Final = {"active": "✔", "suspended": "⏸", "revoked": "✘"}


def _state(lang: str, state: CredentialState) -> str:
    """The state in words with an icon (never by colour alone)."""
    word = MESSAGES[lang][f"state_{state.value}"]
    return (
        f'<span class="state {_e(state.value)}"><span aria-hidden="true">'
        f"{_ICONS[state.value]}</span> {_e(word)}</span>"
    )


@dataclass(frozen=True)
class _Chrome:
    """What every signed-in page shows around its content."""

    principal: Principal
    csrf: str


def _document(
    lang: str,
    title: str,
    main: str,
    *,
    chrome: _Chrome | None = None,
    query: Mapping[str, str] | None = None,
    current: str | None = None,
    cohorts: bool = False,
    here: str | None = "",
) -> str:
    """The page shell: skip link, navigation and sign-out (when signed in), the language
    switcher (to ``here``, keeping ``query``; none when ``here`` is None), ``main``, the
    script."""
    t = MESSAGES[lang]
    languages = "".join(
        f'<li><a href="{_e(here)}?{_e(urlencode({**(query or {}), "lang": code}))}" '
        f'hreflang="{_e(code)}" '
        f'lang="{_e(code)}"'
        + (' aria-current="true"' if code == lang else "")
        + f">{_e(name)}</a></li>"
        for code, name in LANGUAGE_NAMES.items()
    )
    top = ""
    if chrome is not None:
        links = [("credentials", "/admin/credentials", t["nav_credentials"])]
        if cohorts:
            links.append(("cohorts", "/admin/cohorts", t["nav_cohorts"]))
        items = "".join(
            f'<li><a href="{href}?lang={_e(lang)}"'
            + (' aria-current="page"' if name == current else "")
            + f">{_e(label)}</a></li>"
            for name, href, label in links
        )
        who = chrome.principal
        role = t["role_admin"] if who.role is Role.ADMIN else t["role_coordinator"]
        scope = (
            t["signed_in_admin"].format(label=who.label or who.key_id, role=role)
            if who.alliance_id is None
            else t["signed_in_coordinator"].format(
                label=who.label or who.key_id, role=role, alliance=who.alliance_id
            )
        )
        top = (
            f'<nav aria-label="{_e(t["nav_label"])}"><ul>{items}</ul></nav>\n'
            f'<div class="who"><p>{_e(scope)}</p>'
            '<form method="post" action="/admin/logout">'
            f'<input type="hidden" name="csrf" value="{_e(chrome.csrf)}">'
            f'<input type="hidden" name="lang" value="{_e(lang)}">'
            f'<button type="submit" class="secondary">{_e(t["logout"])}</button></form></div>\n'
        )
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(lang)}" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)} - {_e(t['site'])}</title>\n<style>{_STYLE}</style>\n"
        f'<script src="{SCRIPT_PATH}?v={_script()[1]}" defer></script>\n</head>\n<body>\n'
        f'<a class="skip" href="#main">{_e(t["skip"])}</a>\n'
        f"<header>\n{top}"
        + (
            f'<nav class="languages" aria-labelledby="language-label">'
            f'<p id="language-label">{_e(t["language"])}</p><ul>{languages}</ul></nav>\n'
            if here is not None
            else ""
        )
        + "</header>\n"
        f'<main id="main" tabindex="-1">\n{main}</main>\n</body>\n</html>\n'
    )


def _notice(text: str, *, ok: bool, focus: bool = True) -> str:
    """A message about what just happened: a status (ok) or an alert, focused by the script."""
    role = "status" if ok else "alert"
    css = "ok" if ok else "bad"
    icon = "✔" if ok else "✘"
    focus_attr = ' tabindex="-1" data-focus' if focus else ""
    return (
        f'<div class="notice {css}" role="{role}"{focus_attr}><p>'
        f'<span aria-hidden="true">{icon}</span> {_e(text)}</p></div>\n'
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{_e(name)}" value="{_e(value)}">'


def render_login_page(
    lang: str, *, next_path: str = "", error: str | None = None, notice: str | None = None
) -> str:
    """The sign-in form (an API key), with what went wrong or what just happened."""
    t = MESSAGES[lang]
    main = (
        f"<h1>{_e(t['login_heading'])}</h1>\n<p>{_e(t['login_intro'])}</p>\n"
        + (_notice(notice, ok=True) if notice else "")
        + (_notice(error, ok=False) if error else "")
        + '<form method="post" action="/admin/login">\n'
        + _hidden("lang", lang)
        + (_hidden("next", next_path) if next_path else "")
        + f'\n<label for="key">{_e(t["login_key"])}</label>\n'
        '<input type="password" id="key" name="key" required autocomplete="off" '
        'spellcheck="false" aria-describedby="key-hint"'
        + (' aria-invalid="true"' if error else "")
        + ">\n"
        f'<p class="hint" id="key-hint">{_e(t["login_hint"])}</p>\n'
        f'<button type="submit">{_e(t["login_submit"])}</button>\n</form>\n'
    )
    return _document(lang, t["login_title"], main, here="/admin/login")


def render_message_page(
    lang: str, title: str, message: str, *, chrome: _Chrome | None = None, back: str = ""
) -> str:
    """A page that says why nothing happened."""
    t = MESSAGES[lang]
    link = back or f"/admin/credentials?lang={_e(lang)}"
    main = (
        f"<h1>{_e(title)}</h1>\n"
        + _notice(message, ok=False)
        + f'<p><a href="{_e(link)}">{_e(t["back_to_search"])}</a></p>\n'
    )
    return _document(lang, title, main, chrome=chrome, here="/admin/credentials")


@dataclass(frozen=True)
class _Names:
    """Alliances and specifications the signed-in key may see, by id, in the page language."""

    alliances: dict[str, str]
    specifications: dict[str, list[tuple[str, str]]]

    def specification(self, alliance_id: str, specification_id: str) -> str:
        for ident, title in self.specifications.get(alliance_id, ()):
            if ident == specification_id:
                return title
        return specification_id


@dataclass(frozen=True)
class _Search:
    alliance: str
    specification: str
    learner: str
    issued_from: str
    issued_until: str
    status: str
    cursor: str

    def query(self, *, cursor: str | None = None) -> dict[str, str]:
        values = {
            "alliance": self.alliance,
            "specification": self.specification,
            "learner": self.learner,
            "issued_from": self.issued_from,
            "issued_until": self.issued_until,
            "status": self.status,
            "cursor": self.cursor if cursor is None else cursor,
        }
        return {k: v for k, v in values.items() if v}


def _options(choices: Sequence[tuple[str, str]], selected: str, any_label: str | None) -> str:
    first = f'<option value="">{_e(any_label)}</option>' if any_label is not None else ""
    return first + "".join(
        f'<option value="{_e(value)}"' + (" selected" if value == selected else "") + f">"
        f"{_e(label)}</option>"
        for value, label in choices
    )


def render_search_page(
    lang: str,
    chrome: _Chrome,
    names: _Names,
    search: _Search,
    *,
    rows: Sequence[IssuedCredential],
    next_cursor: str | None,
    error: str | None = None,
    cohorts: bool = False,
) -> str:
    """``/admin/credentials``: the search form and a page of results."""
    t = MESSAGES[lang]
    alliance_choices = sorted(names.alliances.items(), key=lambda item: item[1])
    spec_choices = [
        (ident, f"{title} ({names.alliances.get(alliance, alliance)})")
        for alliance, specs in sorted(names.specifications.items())
        for ident, title in specs
    ]
    states = [(s, t[f"state_{s}"]) for s in _STATES]
    form = (
        '<form method="get" action="/admin/credentials" role="search" '
        'aria-labelledby="search-heading">\n'
        f'<h2 id="search-heading">{_e(t["search_heading"])}</h2>\n'
        + _hidden("lang", lang)
        + '\n<div class="fields">\n'
        f'<div><label for="f-alliance">{_e(t["field_alliance"])}</label>'
        f'<select id="f-alliance" name="alliance">'
        f"{_options(alliance_choices, search.alliance, t['any'])}</select></div>\n"
        f'<div><label for="f-specification">{_e(t["field_specification"])}</label>'
        f'<select id="f-specification" name="specification">'
        f"{_options(spec_choices, search.specification, t['any'])}</select></div>\n"
        f'<div><label for="f-learner">{_e(t["field_learner"])}</label>'
        f'<input type="text" id="f-learner" name="learner" value="{_e(search.learner)}" '
        f'autocomplete="off" aria-describedby="f-learner-hint">'
        f'<p class="hint" id="f-learner-hint">{_e(t["field_learner_hint"])}</p></div>\n'
        f'<div><label for="f-from">{_e(t["field_issued_from"])}</label>'
        f'<input type="date" id="f-from" name="issued_from" value="{_e(search.issued_from)}">'
        "</div>\n"
        f'<div><label for="f-until">{_e(t["field_issued_until"])}</label>'
        f'<input type="date" id="f-until" name="issued_until" value="{_e(search.issued_until)}">'
        "</div>\n"
        f'<div><label for="f-status">{_e(t["field_status"])}</label>'
        f'<select id="f-status" name="status">{_options(states, search.status, t["any"])}'
        "</select></div>\n</div>\n"
        f'<button type="submit">{_e(t["search_submit"])}</button>\n</form>\n'
    )
    if error:
        results = _notice(error, ok=False)
    elif not rows:
        results = f'<p role="status">{_e(t["no_results"])}</p>\n'
    else:
        body = "".join(
            "<tr>"
            f'<td><a href="{_e(_path(c.record.id))}?lang={_e(lang)}">'
            f"{_e(c.record.learner_ref)}</a></td>"
            f"<td>{_e(names.specification(c.record.alliance_id, c.record.specification_id))}</td>"
            f"<td>{_e(names.alliances.get(c.record.alliance_id, c.record.alliance_id))}</td>"
            f"<td>{_time(c.record.issued_at)}</td>"
            f"<td>{_state(lang, c.state)}</td>"
            "</tr>"
            for c in rows
        )
        results = (
            f'<table>\n<caption id="results-caption">'
            f"{_e(t['results_caption'].format(count=len(rows)))}</caption>\n"
            f'<thead><tr><th scope="col">{_e(t["col_learner"])}</th>'
            f'<th scope="col">{_e(t["col_specification"])}</th>'
            f'<th scope="col">{_e(t["col_alliance"])}</th>'
            f'<th scope="col">{_e(t["col_issued"])}</th>'
            f'<th scope="col">{_e(t["col_status"])}</th></tr></thead>\n'
            f"<tbody>{body}</tbody>\n</table>\n"
        )
    if next_cursor and not error:
        link = urlencode({**search.query(cursor=next_cursor), "lang": lang})
        results += f'<p><a href="/admin/credentials?{_e(link)}">{_e(t["next_page"])}</a></p>\n'
    if search.cursor:
        first = urlencode({**search.query(cursor=""), "lang": lang})
        results += f'<p><a href="/admin/credentials?{_e(first)}">{_e(t["first_page"])}</a></p>\n'
    main = (
        f"<h1>{_e(t['search_title'])}</h1>\n{form}"
        '<section aria-labelledby="results-heading">\n'
        f'<h2 id="results-heading">{_e(t["results_heading"])}</h2>\n{results}</section>\n'
    )
    return _document(
        lang,
        t["search_title"],
        main,
        chrome=chrome,
        query=search.query(),
        current="credentials",
        here="/admin/credentials",
        cohorts=cohorts,
    )


def _details(event: AuditEvent) -> str:
    if not event.details:
        return ""
    text = json.dumps(event.details, ensure_ascii=False, sort_keys=True)
    return f'<code lang="en">{_e(text[:400])}</code>'


def render_credential_page(
    lang: str,
    chrome: _Chrome,
    names: _Names,
    issued: IssuedCredential,
    events: Sequence[AuditEvent],
    *,
    notice: str | None = None,
    error: str | None = None,
    failed_action: str | None = None,
    reason: str = "",
    certificates: bool = False,
    cohorts: bool = False,
) -> str:
    """One credential: facts, state, actions with a reason, offer, certificates, history."""
    t = MESSAGES[lang]
    record: CredentialRecord = issued.record
    state = issued.state
    facts = [
        (t["fact_learner"], _e(record.learner_ref)),
        (
            t["fact_specification"],
            _e(names.specification(record.alliance_id, record.specification_id))
            + f" (<code>{_e(record.specification_id)}</code>)",
        ),
        (t["fact_alliance"], _e(names.alliances.get(record.alliance_id, record.alliance_id))),
        (t["fact_status"], _state(lang, state)),
        (t["fact_issued"], _time(record.issued_at)),
        (t["fact_issued_by"], f"<code>{_e(record.issued_by)}</code>"),
        (t["fact_formats"], ", ".join(f"<code>{_e(f)}</code>" for f in sorted(record.documents))),
        (t["fact_id"], f"<code>{_e(record.id)}</code>"),
    ]
    parts = [
        f"<h1>{_e(t['credential_title'].format(learner=record.learner_ref))}</h1>\n",
        f'<p><a href="/admin/credentials?lang={_e(lang)}">{_e(t["back_to_search"])}</a></p>\n',
    ]
    if notice:
        parts.append(_notice(notice, ok=True))
    if error:
        parts.append(_notice(error, ok=False))
    parts.append(
        '<dl class="facts">'
        + "".join(f"<dt>{_e(label)}</dt><dd>{value}</dd>" for label, value in facts)
        + "</dl>\n"
    )

    # -- status changes
    allowed = {
        CredentialState.ACTIVE: ("suspend", "revoke"),
        CredentialState.SUSPENDED: ("reinstate", "revoke"),
        CredentialState.REVOKED: (),
    }[state]
    forms = []
    for action in allowed:
        field = f"reason-{action}"
        value = reason if action == failed_action else ""
        invalid = ' aria-invalid="true"' if action == failed_action and error else ""
        css = ' class="danger"' if action == "revoke" else ""
        forms.append(
            f'<form method="post" action="{_e(_path(record.id, "/status"))}" '
            f'aria-labelledby="{action}-heading">\n'
            f'<h3 id="{action}-heading">{_e(t[f"action_{action}_heading"])}</h3>\n'
            f'<p class="hint" id="{field}-hint">{_e(t[f"action_{action}_hint"])}</p>\n'
            + _hidden("csrf", chrome.csrf)
            + _hidden("lang", lang)
            + _hidden("action", action)
            + f'\n<label for="{field}">{_e(t["reason_label"])}</label>\n'
            f'<input type="text" id="{field}" name="reason" required maxlength="{REASON_MAX}" '
            f'autocomplete="off" aria-describedby="{field}-hint" value="{_e(value)}"{invalid}>\n'
            f'<button type="submit"{css}>'
            f"{_e(t[f'action_{action}_submit'])}</button>\n</form>\n"
        )
    actions = (
        '<div class="actions">' + "".join(forms) + "</div>\n"
        if forms
        else f"<p>{_e(t['revoked_final'])}</p>\n"
    )
    parts.append(
        '<section aria-labelledby="actions-heading">\n'
        f'<h2 id="actions-heading">{_e(t["actions_heading"])}</h2>\n{actions}</section>\n'
    )

    # -- offers and certificates
    if state is not CredentialState.REVOKED:
        parts.append(
            '<section aria-labelledby="offer-heading">\n'
            f'<h2 id="offer-heading">{_e(t["offer_heading"])}</h2>\n'
            f"<p>{_e(t['offer_intro'])}</p>\n"
            f'<form method="post" action="{_e(_path(record.id, "/offers"))}">\n'
            + _hidden("csrf", chrome.csrf)
            + _hidden("lang", lang)
            + '\n<label class="inline"><input type="checkbox" name="pin" value="1" checked> '
            f"{_e(t['offer_pin'])}</label>\n"
            f'<button type="submit">{_e(t["offer_submit"])}</button>\n</form>\n</section>\n'
        )
    if certificates:
        if state is CredentialState.ACTIVE:
            links = "".join(
                f'<li><a href="{_e(_path(record.id, "/certificate.pdf"))}?lang={code}" '
                f'hreflang="{code}" download>'
                f"{_e(t['certificate_link'].format(language=name))}</a></li>"
                for code, name in LANGUAGE_NAMES.items()
            )
            body = f"<p>{_e(t['certificate_intro'])}</p>\n<ul>{links}</ul>\n"
        else:
            body = f"<p>{_e(t['certificate_unavailable'])}</p>\n"
        parts.append(
            '<section aria-labelledby="certificate-heading">\n'
            f'<h2 id="certificate-heading">{_e(t["certificate_heading"])}</h2>\n{body}</section>\n'
        )

    # -- history
    rows = "".join(
        "<tr>"
        f"<td>{_time(event.at)}</td>"
        f"<td>{_e(t.get(f'event_{event.action}', event.action))}"
        + (
            f' <code lang="en">{_e(event.action)}</code>'
            if f"event_{event.action}" not in t
            else ""
        )
        + f"</td><td><code>{_e(event.actor)}</code></td>"
        f"<td>{_e(event.reason or '')}</td>"
        f"<td>{_details(event)}</td>"
        "</tr>"
        for event in reversed(events)
    )
    parts.append(
        '<section aria-labelledby="history-heading">\n'
        f'<h2 id="history-heading">{_e(t["history_heading"])}</h2>\n'
        f'<table id="history">\n<caption>{_e(t["history_caption"])}</caption>\n'
        f'<thead><tr><th scope="col">{_e(t["col_when"])}</th>'
        f'<th scope="col">{_e(t["col_event"])}</th>'
        f'<th scope="col">{_e(t["col_actor"])}</th>'
        f'<th scope="col">{_e(t["col_reason"])}</th>'
        f'<th scope="col">{_e(t["col_details"])}</th></tr></thead>\n'
        f"<tbody>{rows}</tbody>\n</table>\n</section>\n"
    )
    return _document(
        lang,
        t["credential_title"].format(learner=record.learner_ref),
        "".join(parts),
        chrome=chrome,
        current="credentials",
        cohorts=cohorts,
        here=_path(record.id),
    )


def render_offer_made_page(
    lang: str, chrome: _Chrome, credential_id: str, offer: CreatedOffer, page_url: str
) -> str:
    """The offer just made: the PIN (shown once), the link, its QR code, the learner's page."""
    t = MESSAGES[lang]
    svg = base64.b64encode(qr_svg(offer.link)).decode("ascii")
    expires = offer.expires_at
    pin = (
        '<section aria-labelledby="pin-heading">\n'
        f'<h2 id="pin-heading">{_e(t["offer_pin_heading"])}</h2>\n'
        f'<p class="secret" id="offer-pin">{_e(offer.tx_code)}</p>\n'
        f"<p>{_e(t['offer_pin_once'])}</p>\n</section>\n"
        if offer.tx_code
        else f"<p>{_e(t['offer_no_pin'])}</p>\n"
    )
    main = (
        f"<h1>{_e(t['offer_made_title'])}</h1>\n"
        + _notice(t["offer_made"].format(when=f"{expires:%Y-%m-%d %H:%M} UTC"), ok=True)
        + pin
        + '<section aria-labelledby="page-heading">\n'
        f'<h2 id="page-heading">{_e(t["offer_page_heading"])}</h2>\n'
        f"<p>{_e(t['offer_page_intro'])}</p>\n"
        f'<p><a id="offer-page" href="{_e(page_url)}">{_e(page_url)}</a></p>\n</section>\n'
        '<section aria-labelledby="link-heading">\n'
        f'<h2 id="link-heading">{_e(t["offer_link_heading"])}</h2>\n'
        f'<label for="offer-link">{_e(t["offer_link_label"])}</label>\n'
        f'<input type="text" id="offer-link" readonly value="{_e(offer.link)}">\n'
        f'<img class="qr" src="data:image/svg+xml;base64,{svg}" alt="{_e(t["offer_qr_alt"])}" '
        'width="256" height="256">\n</section>\n'
        f'<p><a href="{_e(_path(credential_id))}?lang={_e(lang)}">'
        f"{_e(t['back_to_credential'])}</a></p>\n"
    )
    return _document(  # no language switch: the PIN is shown once
        lang, t["offer_made_title"], main, chrome=chrome, current="credentials", here=None
    )


def render_cohorts_page(
    lang: str, chrome: _Chrome, names: _Names, *, error: str | None = None
) -> str:
    """``/admin/cohorts``: upload a cohort file."""
    t = MESSAGES[lang]
    alliances = sorted(names.alliances.items(), key=lambda item: item[1])
    specs = [
        (ident, f"{title} ({names.alliances.get(alliance, alliance)})")
        for alliance, items in sorted(names.specifications.items())
        for ident, title in items
    ]
    main = (
        f"<h1>{_e(t['cohorts_title'])}</h1>\n<p>{_e(t['cohorts_intro'])}</p>\n"
        + (_notice(error, ok=False) if error else "")
        + '<form method="post" action="/admin/cohorts" enctype="multipart/form-data">\n'
        + _hidden("csrf", chrome.csrf)
        + _hidden("lang", lang)
        + f'\n<label for="c-alliance">{_e(t["field_alliance"])}</label>\n'
        f'<select id="c-alliance" name="alliance" required>{_options(alliances, "", None)}'
        "</select>\n"
        f'<label for="c-specification">{_e(t["field_specification"])}</label>\n'
        f'<select id="c-specification" name="specification" required>'
        f"{_options(specs, '', None)}</select>\n"
        f'<label for="c-file">{_e(t["cohort_file"])}</label>\n'
        '<input type="file" id="c-file" name="file" required accept=".csv,text/csv" '
        'aria-describedby="c-file-hint">\n'
        f'<p class="hint" id="c-file-hint">'
        f"{_e(t['cohort_file_hint'].format(mb=MAX_COHORT_BYTES // 2**20))}</p>\n"
        f'<button type="submit">{_e(t["cohort_submit"])}</button>\n</form>\n'
    )
    return _document(
        lang,
        t["cohorts_title"],
        main,
        chrome=chrome,
        current="cohorts",
        cohorts=True,
        here="/admin/cohorts",
    )


def render_cohort_page(lang: str, chrome: _Chrome, names: _Names, job: CohortProgress) -> str:
    """A cohort job: its counts as text and a progress bar the script refreshes."""
    t = MESSAGES[lang]
    percent = 100 if job.total == 0 else (100 * job.processed) // job.total
    progress_text = t["cohort_progress"].format(processed=job.processed, total=job.total)
    counts = "".join(
        f'<dt>{_e(t[f"count_{name}"])}</dt><dd data-count="{name}">{value}</dd>'
        for name, value in (
            ("total", job.total),
            ("done", job.done),
            ("failed", job.failed),
            ("invalid", job.invalid),
            ("remaining", job.remaining),
        )
    )
    base = f"/admin/cohorts/{quote(job.job_id, safe='')}"
    poll = (
        ""
        if job.finished
        else f' data-poll="{_e(base)}/progress" data-poll-seconds="{POLL_SECONDS}"'
    )
    live = t["cohort_finished"] if job.finished else t["cohort_running"]
    main = (
        f"<h1>{_e(t['cohort_title'])}</h1>\n"
        f"<p>{_e(names.specification(job.alliance_id, job.specification_id))}, "
        f"{_e(names.alliances.get(job.alliance_id, job.alliance_id))}</p>\n"
        f'<div id="cohort"{poll} data-text="{_e(t["cohort_progress"])}" '
        f'data-finished="{_e(t["cohort_finished"])}" data-failed="{_e(t["cohort_poll_failed"])}">\n'
        f'<p id="progress-label">{_e(t["cohort_progress_label"])}</p>\n'
        f'<div id="progress" role="progressbar" aria-labelledby="progress-label" '
        f'aria-valuemin="0" aria-valuemax="{job.total}" aria-valuenow="{job.processed}" '
        f'aria-valuetext="{_e(progress_text)}">'
        f'<progress max="100" value="{percent}" aria-hidden="true"></progress>'
        f' <span id="progress-text">{_e(progress_text)}</span></div>\n'
        f'<dl class="facts" id="counts">{counts}</dl>\n'
        f'<p id="cohort-status" role="status" aria-live="polite">{_e(live)}</p>\n</div>\n'
        f"<noscript><p>{_e(t['cohort_noscript'])} "
        f'<a href="{_e(base)}?lang={_e(lang)}">{_e(t["cohort_reload"])}</a></p></noscript>\n'
        f'<p><a id="offers-csv" href="{_e(base)}/offers.csv" download>'
        f"{_e(t['cohort_offers_csv'])}</a></p>\n"
        f'<p class="hint">{_e(t["cohort_offers_hint"])}</p>\n'
    )
    return _document(
        lang,
        t["cohort_title"],
        main,
        chrome=chrome,
        current="cohorts",
        cohorts=True,
        here=f"/admin/cohorts/{quote(job.job_id, safe='')}",
    )


# -- forms ------------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


async def _capped_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        yield chunk


async def _urlencoded(request: Request) -> dict[str, str]:
    """A small ``application/x-www-form-urlencoded`` form (first value of each name)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise ValueError("not a form")
    raw = b"".join([chunk async for chunk in _capped_stream(request, MAX_FORM_BYTES)])
    form: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
        form.setdefault(name, value)
    return form


def _day(text: str, *, end: bool) -> datetime | None:
    """A ``YYYY-MM-DD`` date as the first (or last) instant of that UTC day; ValueError if bad."""
    if not text:
        return None
    day = date.fromisoformat(text)
    return datetime.combine(day, time.max if end else time.min, UTC)


# -- the router -------------------------------------------------------------------------------


def build_admin_page_router(
    *,
    issuer: Issuer,
    api_keys: ApiKeyService,
    keys: ApiKeyStore,
    bridge: WalletBridge,
    public_url: str,
    session_key: bytes | None = None,
    certificates: CertificateMaker | None = None,
    cohorts: CohortJobs | None = None,
    session_ttl: timedelta = SESSION_TTL,
    login_limiter: TokenBucketLimiter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """The coordinator's pages (module doc). ``keys`` is read on every request (a revoked key
    ends its sessions); ``bridge`` makes offers; ``certificates`` and ``cohorts`` add their
    pages when given. ``session_key`` signs sessions (:func:`derive_session_key`; random per
    process when not given, so sessions end when the process does)."""
    router = APIRouter(tags=["admin pages"], include_in_schema=False)
    codec = SessionCodec(session_key if session_key is not None else secrets.token_bytes(32))
    limiter = login_limiter or TokenBucketLimiter(10, 6.0)
    base = public_url.rstrip("/")
    secure_cookie = base.startswith("https://")
    parts = urlsplit(base)
    own_origin = f"{parts.scheme}://{parts.netloc}".lower()

    def language(request: Request, requested: str | None = None) -> str:
        return negotiate_language(
            requested or request.query_params.get("lang"),
            request.headers.get("accept-language"),
        )

    def page(lang: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers=_page_headers(lang))

    def same_origin(request: Request) -> bool:
        """Not a POST from another site, as far as the browser says: ``Sec-Fetch-Site``, else
        ``Origin`` (``null`` under ``Referrer-Policy: no-referrer`` proves nothing either way;
        the CSRF token decides then)."""
        fetch_site = request.headers.get("sec-fetch-site", "").lower()
        if fetch_site:
            return fetch_site in ("same-origin", "none")
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return True
        here = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        return origin.lower() in (own_origin, here)

    # -- sessions --------------------------------------------------------------------------------

    def signed_in(request: Request) -> tuple[Principal, AdminSession] | None:
        """The principal of the request's session, if its key is still active."""
        session = codec.read(request.cookies.get(SESSION_COOKIE), clock())
        if session is None:
            return None
        key = keys.get(session.key_id)
        if key is None or key.revoked_at is not None:
            return None
        return Principal(key.key_id, Role(key.role), key.alliance_id, key.label), session

    def to_login(request: Request, lang: str) -> RedirectResponse:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        query = {"lang": lang}
        if _NEXT.fullmatch(target) and "//" not in target:
            query["next"] = target
        response = RedirectResponse(
            f"/admin/login?{urlencode(query)}",
            status_code=303,
            headers={"Cache-Control": _NO_STORE},
        )
        if SESSION_COOKIE in request.cookies:
            response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    def ended(lang: str) -> HTMLResponse:
        t = MESSAGES[lang]
        response = page(lang, render_login_page(lang, error=t["session_ended"]), 401)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    def refused(lang: str, key: str, status: int, chrome: _Chrome | None = None) -> HTMLResponse:
        t = MESSAGES[lang]
        return page(
            lang,
            render_message_page(lang, t[f"{key}_title"], t[key], chrome=chrome),
            status,
        )

    def failure(lang: str, exc: IssuerError, chrome: _Chrome) -> HTMLResponse:
        """The page of an error of the issuer (or of a cohort or certificate service)."""
        t = MESSAGES[lang]
        if isinstance(exc, Forbidden):
            return refused(lang, "forbidden", 403, chrome)
        if isinstance(exc, NotFound):
            return refused(lang, "not_found", 404, chrome)
        title = t["conflict_title"] if isinstance(exc, Conflict) else t["refused_title"]
        body = render_message_page(
            lang, title, t["refused_detail"].format(detail=exc.message), chrome=chrome
        )
        return page(lang, body, exc.status_code)

    def names_for(principal: Principal, lang: str) -> _Names:
        alliances: dict[str, str] = {}
        specifications: dict[str, list[tuple[str, str]]] = {}
        for ident in issuer.alliance_ids():
            if principal.alliance_id not in (None, ident):
                continue
            try:
                alliance = issuer.alliance(ident)
            except IssuerError:
                continue
            name = alliance.alliance.name
            alliances[ident] = name.get(lang) or name.get("en") or next(iter(name.values()), ident)
            specifications[ident] = [
                (s.id, s.title.get(lang) or s.title.get("en") or next(iter(s.title.values()), s.id))
                for s in alliance.specifications
            ]
        return _Names(alliances, specifications)

    def chrome_of(principal: Principal, session: AdminSession) -> _Chrome:
        return _Chrome(principal, codec.csrf_token(session))

    def page_session(request: Request) -> tuple[str, Principal, _Chrome] | Response:
        """A signed-in page's language, principal and page chrome, or the way to sign in."""
        lang = language(request)
        found = signed_in(request)
        if found is None:
            return to_login(request, lang)
        return lang, found[0], chrome_of(*found)

    async def posted_form(
        request: Request,
    ) -> tuple[str, dict[str, str], Principal, AdminSession] | Response:
        """The form of a signed-in POST with its CSRF token checked, or the refusal."""
        lang = language(request)
        if not same_origin(request):
            return refused(lang, "cross_site", 403)
        try:
            form = await _urlencoded(request)
        except _TooLarge:
            return refused(lang, "bad_form", 413)
        except (ValueError, UnicodeDecodeError):
            return refused(lang, "bad_form", 400)
        lang = language(request, form.get("lang"))
        found = await run_in_threadpool(signed_in, request)
        if found is None:
            return ended(lang)
        principal, session = found
        if not codec.check_csrf(session, form.get("csrf")):
            return refused(lang, "csrf", 403, chrome_of(principal, session))
        return lang, form, principal, session

    # -- the script, login, logout -----------------------------------------------------------

    @router.get(SCRIPT_PATH)
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

    @router.get("/admin")
    def home(request: Request) -> Response:
        lang = language(request)
        return RedirectResponse(
            f"/admin/credentials?lang={lang}",
            status_code=303,
            headers={"Cache-Control": _NO_STORE},
        )

    @router.get("/admin/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        lang = language(request)
        if signed_in(request) is not None:
            return home(request)
        next_path = request.query_params.get("next", "")
        if not _NEXT.fullmatch(next_path) or "//" in next_path:
            next_path = ""
        return page(lang, render_login_page(lang, next_path=next_path))

    @router.post("/admin/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        lang = language(request)
        if not same_origin(request):
            return refused(lang, "cross_site", 403)
        try:
            form = await _urlencoded(request)
        except _TooLarge:
            return refused(lang, "bad_form", 413)
        except (ValueError, UnicodeDecodeError):
            return refused(lang, "bad_form", 400)
        lang = language(request, form.get("lang"))
        next_path = form.get("next", "")
        if not _NEXT.fullmatch(next_path) or "//" in next_path:
            next_path = ""
        t = MESSAGES[lang]
        client = request.client.host if request.client else "unknown"
        wait = limiter.take(client)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            body = render_login_page(
                lang, next_path=next_path, error=t["login_limited"].format(seconds=seconds)
            )
            response = page(lang, body, 429)
            response.headers["Retry-After"] = str(seconds)
            return response
        token = form.get("key", "").strip()
        try:
            principal = await run_in_threadpool(api_keys.authenticate, f"Bearer {token}")
        except IssuerError:
            body = render_login_page(lang, next_path=next_path, error=t["login_wrong"])
            return page(lang, body, 401)
        target = next_path or f"/admin/credentials?lang={lang}"
        redirect = RedirectResponse(target, status_code=303, headers={"Cache-Control": _NO_STORE})
        redirect.set_cookie(
            SESSION_COOKIE,
            codec.issue(principal.key_id, clock() + session_ttl),
            max_age=int(session_ttl.total_seconds()),
            path="/admin",
            secure=secure_cookie,
            httponly=True,
            samesite="strict",
        )
        return redirect

    @router.post("/admin/logout", response_class=HTMLResponse)
    async def logout(request: Request) -> Response:
        checked = await posted_form(request)
        if isinstance(checked, Response):
            return checked
        lang = checked[0]
        response = page(lang, render_login_page(lang, notice=MESSAGES[lang]["logged_out"]))
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    # -- credentials ------------------------------------------------------------------------------

    def find(principal: Principal, search: _Search) -> tuple[list[IssuedCredential], str | None]:
        """A page of results; the status filter applied here over the stores' pages."""
        query = CredentialQuery(
            alliance_id=search.alliance or None,
            specification_id=search.specification or None,
            learner_ref=search.learner or None,
            issued_from=_day(search.issued_from, end=False),
            issued_until=_day(search.issued_until, end=True),
            limit=PAGE_SIZE,
            after=search.cursor or None,
        )
        found: list[IssuedCredential] = []
        examined = 0
        while True:
            result = issuer.search(principal, query)
            for record in result.items:
                issued = IssuedCredential(record, issuer.status.state(record.status_slots))
                if not search.status or issued.state.value == search.status:
                    found.append(issued)
            examined += len(result.items)
            if (
                not search.status
                or result.next_cursor is None
                or len(found) >= PAGE_SIZE
                or examined >= STATUS_SCAN_LIMIT
            ):
                return found, result.next_cursor
            query = CredentialQuery(**{**query.__dict__, "after": result.next_cursor})

    @router.get("/admin/credentials", response_class=HTMLResponse)
    def credentials(request: Request) -> Response:
        opened = page_session(request)
        if isinstance(opened, Response):
            return opened
        lang, principal, chrome = opened
        params = request.query_params
        search = _Search(
            *(
                (params.get(name) or "").strip()[:200]
                for name in (
                    "alliance",
                    "specification",
                    "learner",
                    "issued_from",
                    "issued_until",
                    "status",
                    "cursor",
                )
            )
        )
        t = MESSAGES[lang]
        names = names_for(principal, lang)
        error: str | None = None
        rows: list[IssuedCredential] = []
        next_cursor: str | None = None
        status = 200
        if search.status and search.status not in _STATES:
            error, status = t["bad_status"], 400
        else:
            try:
                rows, next_cursor = find(principal, search)
            except ValueError:
                error, status = t["bad_date"], 400
            except Forbidden:
                return refused(lang, "forbidden", 403, chrome)
            except InvalidRequest as exc:
                error, status = t["refused_detail"].format(detail=exc.message), 400
        body = render_search_page(
            lang,
            chrome,
            names,
            search,
            rows=rows,
            next_cursor=next_cursor,
            error=error,
            cohorts=cohorts is not None,
        )
        return page(lang, body, status)

    def credential_page(
        lang: str,
        principal: Principal,
        session: AdminSession,
        credential_id: str,
        *,
        status: int = 200,
        **options: Any,
    ) -> Response:
        chrome = chrome_of(principal, session)
        try:
            issued = issuer.get(principal, credential_id)
            events = issuer.events(principal, credential_id)
        except IssuerError as exc:
            return failure(lang, exc, chrome)
        body = render_credential_page(
            lang,
            chrome,
            names_for(principal, lang),
            issued,
            events,
            certificates=certificates is not None,
            cohorts=cohorts is not None,
            **options,
        )
        return page(lang, body, status)

    @router.get("/admin/credentials/{credential_id}", response_class=HTMLResponse)
    def credential(request: Request, credential_id: str) -> Response:
        lang = language(request)
        found = signed_in(request)
        if found is None:
            return to_login(request, lang)
        done = request.query_params.get("done")
        notice = MESSAGES[lang][f"done_{done}"] if done in _ACTIONS else None
        return credential_page(lang, *found, credential_id, notice=notice)

    def conflict_message(lang: str, action: str, state: CredentialState) -> str:
        t = MESSAGES[lang]
        if state is CredentialState.REVOKED:
            return t["conflict_revoked"]
        if action == "suspend":
            return t["conflict_suspended"]
        return t["conflict_not_suspended"]

    @router.post("/admin/credentials/{credential_id}/status", response_class=HTMLResponse)
    async def change_status(request: Request, credential_id: str) -> Response:
        checked = await posted_form(request)
        if isinstance(checked, Response):
            return checked
        lang, form, principal, session = checked
        t = MESSAGES[lang]
        action = form.get("action", "")
        reason = form.get("reason", "").strip()
        if action not in _ACTIONS:
            return refused(lang, "bad_form", 400, chrome_of(principal, session))
        if not reason or len(reason) > REASON_MAX:
            return await run_in_threadpool(
                lambda: credential_page(
                    lang,
                    principal,
                    session,
                    credential_id,
                    status=400,
                    error=t["reason_required"].format(max=REASON_MAX),
                    failed_action=action,
                    reason=reason[:REASON_MAX],
                )
            )
        change = {"suspend": issuer.suspend, "reinstate": issuer.reinstate, "revoke": issuer.revoke}
        try:
            await run_in_threadpool(change[action], principal, credential_id, reason)
        except Conflict:
            current = await run_in_threadpool(issuer.get, principal, credential_id)
            return await run_in_threadpool(
                lambda: credential_page(
                    lang,
                    principal,
                    session,
                    credential_id,
                    status=409,
                    error=conflict_message(lang, action, current.state),
                    failed_action=action,
                    reason=reason,
                )
            )
        except IssuerError as exc:
            return failure(lang, exc, chrome_of(principal, session))
        target = _path(credential_id) + "?" + urlencode({"lang": lang, "done": action})
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": _NO_STORE})

    @router.post("/admin/credentials/{credential_id}/offers", response_class=HTMLResponse)
    async def make_offer(request: Request, credential_id: str) -> Response:
        checked = await posted_form(request)
        if isinstance(checked, Response):
            return checked
        lang, form, principal, session = checked
        chrome = chrome_of(principal, session)
        t = MESSAGES[lang]

        def offer() -> CreatedOffer:
            issuer.get(principal, credential_id)  # 404 / 403 as for the record
            return bridge.create_offer(
                credential_id, tx_code_length=TX_CODE_LENGTH if form.get("pin") else None
            )

        try:
            made = await run_in_threadpool(offer)
        except IssuerError as exc:
            return failure(lang, exc, chrome)
        except WalletBridgeError as exc:
            body = render_message_page(
                lang,
                t["conflict_title"],
                t["offer_refused"].format(detail=exc.description or exc.error),
                chrome=chrome,
                back=f"{_path(credential_id)}?lang={lang}",
            )
            return page(lang, body, exc.status)
        page_url = offer_page_urls(base, made.offer_id).page + f"?lang={lang}"
        return page(lang, render_offer_made_page(lang, chrome, credential_id, made, page_url))

    @router.get("/admin/credentials/{credential_id}/certificate.pdf")
    def certificate(request: Request, credential_id: str) -> Response:
        opened = page_session(request)
        if isinstance(opened, Response):
            return opened
        lang, principal, chrome = opened
        if certificates is None:
            return refused(lang, "not_found", 404, chrome)
        try:
            made = certificates.certificate(principal, credential_id, lang=lang)
        except IssuerError as exc:
            return failure(lang, exc, chrome)
        return Response(
            made.pdf,
            media_type="application/pdf",
            headers={
                "Cache-Control": _NO_STORE,
                "Content-Disposition": f'attachment; filename="{made.filename}"',
                "Content-Language": str(made.lang),
                "X-Content-Type-Options": "nosniff",
            },
        )

    # -- cohorts --------------------------------------------------------------------------

    if cohorts is None:
        return router
    jobs: CohortJobs = cohorts

    @router.get("/admin/cohorts", response_class=HTMLResponse)
    def cohorts_page(request: Request) -> Response:
        opened = page_session(request)
        if isinstance(opened, Response):
            return opened
        lang, principal, chrome = opened
        return page(lang, render_cohorts_page(lang, chrome, names_for(principal, lang)))

    @router.post("/admin/cohorts", response_class=HTMLResponse)
    async def upload_cohort(request: Request) -> Response:
        lang = language(request)
        if not same_origin(request):
            return refused(lang, "cross_site", 403)
        found = await run_in_threadpool(signed_in, request)
        if found is None:
            return ended(lang)
        principal, session = found
        chrome = chrome_of(principal, session)
        t = MESSAGES[lang]
        media = request.headers.get("content-type", "").lower()
        if not media.startswith("multipart/form-data"):
            return refused(lang, "bad_form", 400, chrome)
        parser = MultiPartParser(
            request.headers,
            _capped_stream(request, MAX_COHORT_BYTES + _MULTIPART_SLACK),
            max_files=1,
            max_fields=8,
            max_part_size=8192,
        )
        try:
            form = await parser.parse()
        except _TooLarge:
            names = await run_in_threadpool(names_for, principal, lang)
            error = t["cohort_too_large"].format(mb=MAX_COHORT_BYTES // 2**20)
            return page(lang, render_cohorts_page(lang, chrome, names, error=error), 413)
        except MultiPartException:
            return refused(lang, "bad_form", 400, chrome)
        try:
            fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            lang = language(request, fields.get("lang"))
            t = MESSAGES[lang]
            if not codec.check_csrf(session, fields.get("csrf")):
                return refused(lang, "csrf", 403, chrome)
            upload = form.get("file")
            alliance = fields.get("alliance", "")
            specification = fields.get("specification", "")
            data = (
                await upload.read(MAX_COHORT_BYTES + 1) if isinstance(upload, UploadFile) else b""
            )
            filename = (upload.filename or "") if isinstance(upload, UploadFile) else ""
        finally:
            await form.close()
        names = await run_in_threadpool(names_for, principal, lang)
        if not data or not alliance or not specification:
            error = t["cohort_missing"]
            return page(lang, render_cohorts_page(lang, chrome, names, error=error), 400)
        if len(data) > MAX_COHORT_BYTES:
            error = t["cohort_too_large"].format(mb=MAX_COHORT_BYTES // 2**20)
            return page(lang, render_cohorts_page(lang, chrome, names, error=error), 413)
        try:
            principal.require_alliance(alliance)
            job_id = await run_in_threadpool(
                jobs.start, principal, alliance, specification, filename, data
            )
        except Forbidden:
            return refused(lang, "forbidden", 403, chrome)
        except IssuerError as exc:
            error = t["refused_detail"].format(detail=exc.message)
            body = render_cohorts_page(lang, chrome, names, error=error)
            return page(lang, body, exc.status_code)
        target = f"/admin/cohorts/{quote(job_id, safe='')}?lang={lang}"
        return RedirectResponse(target, status_code=303, headers={"Cache-Control": _NO_STORE})

    @router.get("/admin/cohorts/{job_id}", response_class=HTMLResponse)
    def cohort_page(request: Request, job_id: str) -> Response:
        opened = page_session(request)
        if isinstance(opened, Response):
            return opened
        lang, principal, chrome = opened
        if not _JOB_ID.fullmatch(job_id):
            return refused(lang, "not_found", 404, chrome)
        try:
            job = jobs.progress(principal, job_id)
        except IssuerError as exc:
            return failure(lang, exc, chrome)
        return page(lang, render_cohort_page(lang, chrome, names_for(principal, lang), job))

    @router.get("/admin/cohorts/{job_id}/progress")
    def cohort_progress(request: Request, job_id: str) -> JSONResponse:
        headers = {"Cache-Control": _NO_STORE, "X-Content-Type-Options": "nosniff"}
        found = signed_in(request)
        if found is None:
            return JSONResponse({"status": "signed_out"}, status_code=401, headers=headers)
        if not _JOB_ID.fullmatch(job_id):
            return JSONResponse({"status": "not_found"}, status_code=404, headers=headers)
        try:
            job = jobs.progress(found[0], job_id)
        except IssuerError as exc:
            return JSONResponse({"status": exc.code}, status_code=exc.status_code, headers=headers)
        return JSONResponse(job.to_dict(), headers=headers)

    @router.get("/admin/cohorts/{job_id}/offers.csv")
    def cohort_offers(request: Request, job_id: str) -> Response:
        opened = page_session(request)
        if isinstance(opened, Response):
            return opened
        lang, principal, chrome = opened
        if not _JOB_ID.fullmatch(job_id):
            return refused(lang, "not_found", 404, chrome)
        try:
            csv = jobs.offers_csv(principal, job_id)
        except IssuerError as exc:
            return failure(lang, exc, chrome)
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", job_id)[:80]
        return Response(
            csv,
            media_type="text/csv; charset=utf-8",
            headers={
                "Cache-Control": _NO_STORE,  # the offers' PINs
                "Content-Disposition": f'attachment; filename="cohort-{safe}-offers.csv"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
