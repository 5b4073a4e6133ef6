"""The learner's credential offer page: ``GET /offers/{offer_id}`` and its QR codes.

A coordinator makes an offer (``POST /api/v1/credentials/{id}/offers`` or ``mcred offer``) and
sends the learner two things by two channels: the page URL (``offer_page_url``) and the PIN
(``tx_code``). The page, server-rendered HTML without scripts, shows:

* the course (title, awarding bodies, alliance, ECTS) from the issuer's record;
* the QR code of the offer link (``openid-credential-offer://?credential_offer_uri=…``, always
  by reference, so the code stays small) for a wallet on another device, and the same link as
  a button for a wallet on this device;
* when the offer expires, step-by-step instructions, and that the PIN comes by another channel
  (the page never shows it).

The language is ``?lang=`` if supported, else the best of ``Accept-Language``, else English;
texts live in :mod:`mcred.offer_page_messages`. Every value is escaped with :func:`html.escape`.
An expired, redeemed or unknown offer gets a friendly page with status 404 in that language.

``GET /offers/{offer_id}/qr.svg`` and ``/qr.png`` (segno) encode the same link; like the page
they are ``Cache-Control: no-store`` (the link is single-use and short-lived).

This module sits in the composition root because it joins two roles: the wallet bridge owns
the offer, the issuer's record names the course.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

import segno
from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response

from issuer.api_keys import Principal, Role
from issuer.errors import IssuerError
from issuer.service import Issuer
from mcred.offer_page_messages import DEFAULT_LANGUAGE, LANGUAGE_NAMES, MESSAGES
from mcred.problems import problem_response
from wallet_bridge.ports import Offer
from wallet_bridge.service import WalletBridge

__all__ = [
    "CourseSummary",
    "LocalizedText",
    "OfferPageUrls",
    "build_offer_page_router",
    "course_summary",
    "live_offer",
    "negotiate_language",
    "offer_link",
    "offer_page_urls",
    "offer_qr",
    "qr_png",
    "qr_svg",
    "render_gone_page",
    "render_offer_page",
]

OFFER_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
"""What an offer id can look like (``secrets.token_urlsafe``); anything else is unknown."""

_READER = Principal("offer-page", Role.ADMIN, None, "learner offer page")
_NO_STORE = "no-store"
_QR_ERROR = "m"  # 15 % of the code may be damaged (a smudged screen, a phone held at an angle)

_STYLE: Final = """
:root{color-scheme:light}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1a1a1a;background:#fff}
header,main{max-width:42rem;margin:0 auto;padding:0 1rem}
header{padding-top:.75rem}
h1{font-size:1.6rem;line-height:1.25}
h2{font-size:1.2rem;margin-top:1.75rem}
a{color:#0b4f9c}
a:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px}
.languages{display:flex;flex-wrap:wrap;align-items:baseline;gap:.75rem}
.languages p{margin:0;font-weight:700}
.languages ul{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;margin:0;padding:0}
.languages [aria-current]{font-weight:700;text-decoration:none;border-bottom:3px solid}
dt{font-weight:700}
dd{margin:0 0 .75rem}
dd ul{margin:0;padding-left:1.25rem}
.qr{display:block;width:100%;max-width:20rem;height:auto;border:1px solid #1a1a1a}
.button{display:inline-block;padding:.75rem 1.25rem;border:2px solid #0b4f9c;
border-radius:.375rem;background:#0b4f9c;color:#fff;font-weight:700;text-decoration:none}
.button:hover{background:#083b75}
.note{border-left:4px solid #1a1a1a;padding-left:.75rem}
ol li{margin-bottom:.5rem}
"""

_CSP: Final = (
    "default-src 'none'; img-src 'self'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS: Final = {
    "Cache-Control": _NO_STORE,
    "Content-Security-Policy": _CSP,
    "Referrer-Policy": "no-referrer",  # the page URL is the learner's capability
    "X-Content-Type-Options": "nosniff",
    "Vary": "Accept-Language",
}


# -- URLs and the link ----------------------------------------------------------------------


@dataclass(frozen=True)
class OfferPageUrls:
    """Where the learner's page and its QR images of one offer are."""

    page: str
    qr_svg: str
    qr_png: str


def offer_page_urls(public_url: str, offer_id: str) -> OfferPageUrls:
    """The page and QR URLs of an offer under mcred's public base URL."""
    page = f"{public_url.rstrip('/')}/offers/{quote(offer_id, safe='')}"
    return OfferPageUrls(page, f"{page}/qr.svg", f"{page}/qr.png")


def offer_link(bridge: WalletBridge, offer_id: str) -> str:
    """The ``openid-credential-offer://`` link of an offer by reference (OID4VCI 1.0 §4.1.3):
    what the QR codes encode and the same-device button opens, whether the offer was first
    handed out by value or by reference (the wallet fetches the same offer object)."""
    return bridge.reference_link(offer_id)


def live_offer(bridge: WalletBridge, offer_id: str) -> Offer | None:
    """The live offer (its credential and expiry), or None when unknown, expired or redeemed
    (ids that cannot be ours are not looked up)."""
    if not OFFER_ID.fullmatch(offer_id):
        return None
    return bridge.live_offer(offer_id)


# -- QR codes -------------------------------------------------------------------------------


def offer_qr(link: str) -> Any:
    """The QR code (``segno.QRCode``) of a link: error level M, the smallest version that fits."""
    return segno.make_qr(link, error=_QR_ERROR)


def qr_svg(link: str, *, title: str | None = None) -> bytes:
    """An SVG image of the link's QR code (black on white, a quiet zone of 4 modules)."""
    out = io.BytesIO()
    offer_qr(link).save(out, kind="svg", scale=8, border=4, dark="#000", light="#fff", title=title)
    return out.getvalue()


def qr_png(link: str) -> bytes:
    """A PNG image of the link's QR code (8 pixels a module, a quiet zone of 4 modules)."""
    out = io.BytesIO()
    offer_qr(link).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


# -- language ---------------------------------------------------------------------------------


def negotiate_language(requested: str | None, accept_language: str | None) -> str:
    """``requested`` (``?lang=``) when the page speaks it, else the best language of
    ``Accept-Language`` (RFC 9110 §12.5.4) it speaks, else English."""
    if requested:
        primary = requested.strip().split("-")[0].lower()
        if primary in MESSAGES:
            return primary
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in MESSAGES and 0 < quality <= 1:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else DEFAULT_LANGUAGE


# -- what the page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizedText:
    """A text and the language it is in (the page marks text in another language)."""

    lang: str
    text: str


def _pick(texts: Mapping[str, str], *preferred: str) -> LocalizedText:
    for lang in (*preferred, DEFAULT_LANGUAGE):
        if texts.get(lang):
            return LocalizedText(lang, texts[lang])
    lang = next(iter(texts))
    return LocalizedText(lang, texts[lang])


@dataclass(frozen=True)
class CourseSummary:
    title: LocalizedText
    alliance: LocalizedText
    awarding_bodies: tuple[LocalizedText, ...]
    ects: str


def course_summary(issuer: Issuer, credential_id: str, lang: str) -> CourseSummary | None:
    """The course of the offered credential in ``lang`` where the catalogue has it."""
    try:
        record = issuer.get(_READER, credential_id).record
        alliance = issuer.alliance(record.alliance_id)
        spec = alliance.specification(record.specification_id)
        bodies = tuple(
            _pick(alliance.partner(p).legal_name, lang, spec.primary_language)
            for p in spec.awarding_bodies
        )
    except (IssuerError, KeyError):
        return None  # the page still works without the course
    ects = spec.workload.ects_point.replace(".", MESSAGES[lang]["decimal_mark"])
    return CourseSummary(
        title=_pick(spec.title, lang, spec.primary_language),
        alliance=_pick(alliance.alliance.name, lang, spec.primary_language),
        awarding_bodies=bodies,
        ects=ects,
    )


def _e(value: object) -> str:
    """Escape a value for HTML text and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def _in_lang(text: LocalizedText, page_lang: str) -> str:
    if text.lang == page_lang:
        return _e(text.text)
    return f'<span lang="{_e(text.lang)}">{_e(text.text)}</span>'


def _document(lang: str, title: str, main: str) -> str:
    t = MESSAGES[lang]
    links = "".join(
        f'<li><a href="?lang={_e(code)}" hreflang="{_e(code)}" lang="{_e(code)}"'
        + (' aria-current="page"' if code == lang else "")
        + f">{_e(name)}</a></li>"
        for code, name in LANGUAGE_NAMES.items()
    )
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(lang)}" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><nav class="languages" aria-labelledby="language-label">'
        f'<p id="language-label">{_e(t["language"])}</p><ul>{links}</ul></nav></header>\n'
        f'<main id="main">\n{main}</main>\n</body>\n</html>\n'
    )


def render_offer_page(
    lang: str,
    offer_id: str,
    link: str,
    expires_at: datetime,
    *,
    needs_pin: bool,
    course: CourseSummary | None,
    now: datetime,
) -> str:
    """The page of a live offer in ``lang`` (every value escaped)."""
    t = MESSAGES[lang]
    expires = expires_at.astimezone(UTC).replace(microsecond=0)
    minutes = max(0, math.ceil((expires_at - now).total_seconds() / 60))
    facts: list[str] = []
    if course is not None:
        bodies = "".join(f"<li>{_in_lang(body, lang)}</li>" for body in course.awarding_bodies)
        facts += [
            f"<dt>{_e(t['course'])}</dt><dd>{_in_lang(course.title, lang)}</dd>",
            f"<dt>{_e(t['awarded_by'])}</dt><dd><ul>{bodies}</ul></dd>",
            f"<dt>{_e(t['alliance'])}</dt><dd>{_in_lang(course.alliance, lang)}</dd>",
            f"<dt>{_e(t['workload'])}</dt>"
            f"<dd>{_e(t['workload_value'].format(ects=course.ects))}</dd>",
        ]
    facts.append(
        f"<dt>{_e(t['expires'])}</dt><dd>"
        f'<time datetime="{_e(expires.isoformat())}">{_e(t["expires_at"].format(d=expires))}'
        f"</time> {_e(t['minutes_left'].format(minutes=minutes))}</dd>"
    )
    steps = [t["step_wallet"], t["step_scan"].format(button=t["open_wallet"])]
    if needs_pin:
        steps.append(t["step_pin"])
    steps.append(t["step_accept"])
    quoted = quote(offer_id, safe="")
    main = (
        f"<h1>{_e(t['heading'])}</h1>\n<p>{_e(t['intro'])}</p>\n"
        f"<dl>{''.join(facts)}</dl>\n"
        '<section aria-labelledby="qr-heading">\n'
        f'<h2 id="qr-heading">{_e(t["qr_heading"])}</h2>\n'
        f'<img class="qr" src="{_e(quoted)}/qr.svg" alt="{_e(t["qr_alt"])}" '
        'width="320" height="320">\n'
        f'<p><a href="{_e(quoted)}/qr.png" download="credential-offer-qr.png">'
        f"{_e(t['qr_png'])}</a></p>\n</section>\n"
        '<section aria-labelledby="same-device-heading">\n'
        f'<h2 id="same-device-heading">{_e(t["same_device_heading"])}</h2>\n'
        f'<p><a class="button" href="{_e(link)}">{_e(t["open_wallet"])}</a></p>\n'
        f"<p>{_e(t['open_wallet_hint'])}</p>\n</section>\n"
        '<section aria-labelledby="steps-heading">\n'
        f'<h2 id="steps-heading">{_e(t["steps_heading"])}</h2>\n'
        f"<ol>{''.join(f'<li>{_e(step)}</li>' for step in steps)}</ol>\n</section>\n"
        '<section aria-labelledby="pin-heading">\n'
        f'<h2 id="pin-heading">{_e(t["pin_heading"])}</h2>\n'
        f"<p>{_e(t['pin_elsewhere'] if needs_pin else t['pin_none'])}</p>\n</section>\n"
        f'<p class="note">{_e(t["once"])}</p>\n'
    )
    return _document(lang, t["page_title"], main)


def render_gone_page(lang: str) -> str:
    """The page for an offer that expired, was redeemed or never existed."""
    t = MESSAGES[lang]
    main = (
        f"<h1>{_e(t['gone_title'])}</h1>\n<p>{_e(t['gone_body'])}</p>\n"
        f"<p>{_e(t['gone_done'])}</p>\n"
    )
    return _document(lang, t["gone_title"], main)


def _needs_pin(offer: Mapping[str, Any]) -> bool:
    grants = offer.get("grants")
    if not isinstance(grants, Mapping):
        return False
    return any(isinstance(g, Mapping) and "tx_code" in g for g in grants.values())


def _gone_qr() -> Response:
    return problem_response(
        404,
        {
            "type": "urn:mcred:problem:not_found",
            "title": "NotFound",
            "detail": "no such credential offer, or it expired or was used",
            "code": "not_found",
        },
    )


# -- routes ---------------------------------------------------------------------------------


def build_offer_page_router(bridge: WalletBridge, issuer: Issuer) -> APIRouter:
    """The learner-facing routes of the offers ``bridge`` makes; ``issuer`` names the course."""
    router = APIRouter(tags=["learners"])
    gone = {"description": "The offer expired, was redeemed or does not exist"}

    @router.get(
        "/offers/{offer_id}",
        response_class=HTMLResponse,
        summary="The learner's page of a credential offer (QR code, wallet button, steps)",
        responses={404: {**gone, "content": {"text/html": {}}}},
    )
    def offer_page(
        offer_id: str,
        lang: Annotated[
            str | None,
            Query(description="Page language: en, de or fr (else Accept-Language, else en)"),
        ] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        chosen = negotiate_language(lang, accept_language)
        headers = {**_PAGE_HEADERS, "Content-Language": chosen}
        offer = live_offer(bridge, offer_id)
        if offer is None:
            return HTMLResponse(render_gone_page(chosen), status_code=404, headers=headers)
        page = render_offer_page(
            chosen,
            offer_id,
            offer_link(bridge, offer_id),
            offer.expires_at,
            needs_pin=_needs_pin(offer.offer),
            course=course_summary(issuer, offer.credential_id, chosen),
            now=datetime.now(UTC),
        )
        return HTMLResponse(page, headers=headers)

    def _qr(offer_id: str, media_type: str, render: Callable[[str], bytes]) -> Response:
        if live_offer(bridge, offer_id) is None:
            return _gone_qr()
        return Response(
            render(offer_link(bridge, offer_id)),
            media_type=media_type,
            headers={"Cache-Control": _NO_STORE, "X-Content-Type-Options": "nosniff"},
        )

    @router.get(
        "/offers/{offer_id}/qr.svg",
        response_class=Response,
        summary="The QR code of a credential offer link (SVG)",
        responses={200: {"content": {"image/svg+xml": {}}}, 404: gone},
    )
    def offer_qr_svg(offer_id: str) -> Response:
        return _qr(offer_id, "image/svg+xml", lambda link: qr_svg(link, title="QR code"))

    @router.get(
        "/offers/{offer_id}/qr.png",
        response_class=Response,
        summary="The QR code of a credential offer link (PNG)",
        responses={200: {"content": {"image/png": {}}}, 404: gone},
    )
    def offer_qr_png(offer_id: str) -> Response:
        return _qr(offer_id, "image/png", qr_png)

    return router
