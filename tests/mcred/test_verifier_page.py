"""The employer's verifier page (mcred.verifier_page), server side: languages and accessibility
markers, escaping of hostile credential values, QR pictures (segno → zxing-cpp → share link →
result), refused pictures, the rate limit, the page secret of a presentation request, the wallet's
answer (cross-device and same-device) and the share landing page."""

from __future__ import annotations

import html
import io
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.offer_page_messages import LANGUAGE_NAMES
from mcred.settings import Settings
from mcred.verifier_page import (
    MAX_IMAGE_BYTES,
    SAME_DEVICE_COOKIE,
    SCRIPT_PATH,
    TokenBucketLimiter,
    Verdict,
    build_verifier_page_router,
    classify_qr_text,
    credential_view,
    decode_qr_image,
    page_secret,
    render_result,
    verdict_of_answer,
    verdict_of_report,
)
from mcred.verifier_page_messages import MESSAGES
from mcred.wallet import IssuerCredentialSource
from tests.verifier.vp_wallet import HeldCredential, VpWallet, WalletRefusal
from tests.verifier.world import seeded_key
from vc_core.dids.did_key import did_key_from_public_key
from verifier.openid4vp import RequestStatus, WhatToAsk
from verifier.openid4vp.ports import Answer
from wallet_bridge.metadata import (
    JWT_VC_JSON_CONFIGURATION_ID,
    LDP_VC_CONFIGURATION_ID,
    SD_JWT_CONFIGURATION_ID,
)
from wallet_bridge.ports import HolderKey

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def issuance(given_name: str = "Ada") -> dict[str, Any]:
    return {
        "alliance": "arqus",
        "specification": "sustainable-urban-mobility",
        "learner": {"given_name": given_name, "family_name": "Lovelace", "learner_ref": "s-1815"},
        "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    http: TestClient
    services: Services
    clock: FakeClock

    def issue(self, given_name: str = "Ada") -> dict[str, Any]:
        response = self.http.post(
            "/api/v1/credentials",
            json=issuance(given_name),
            headers={**ADMIN, "Idempotency-Key": f"k-{given_name}-{self.clock.now}"},
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def share_url(self, credential_id: str) -> str:
        response = self.http.post(
            f"/api/v1/credentials/{credential_id}/shares", json={}, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        url: str = response.json()["share_url"]
        return url

    def create_request(self, **form: Any) -> str:
        """POST the page's form; the request page URL it redirects to."""
        body = {"lang": "en", "alliance": "arqus", "claims": ["learner", "title"], **form}
        response = self.http.post("/verify/requests", data=body, follow_redirects=False)
        assert response.status_code == 303, response.text
        location: str = response.headers["location"]
        return location


def with_page_routes_first(app: FastAPI, services: Services, **options: Any) -> None:
    """Put this test's verifier page routes before any the app already has (the lead wires
    the default router in create_app; a test needs its own limiter)."""
    router = build_verifier_page_router(
        requests=services.presentation_requests,
        verifier=services.verifier,
        issuer=services.issuer,
        public_url=services.settings.public_url,
        shares=services.shares,
        **options,
    )
    app.router.routes[:0] = router.routes


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    clock = FakeClock()
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, public_url=BASE))
    services: Services = app.state.services
    with_page_routes_first(
        app,
        services,
        page_key=b"k" * 32,
        create_limiter=TokenBucketLimiter(3, 60.0, clock=clock),
        scan_limiter=TokenBucketLimiter(50, 1.0, clock=clock),
    )
    with TestClient(app, base_url=BASE) as http:
        yield Site(http, services, clock)


class Markup(HTMLParser):
    """What an accessibility review reads off a page: the html lang, controls and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.wrapped: list[dict[str, str | None]] = []
        self.live: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_lang = found.get("lang")
        if tag == "label":
            self.label_depth += 1
            if found.get("for"):
                self.label_for.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append(found)
            if self.label_depth:
                self.wrapped.append(found)
        if found.get("aria-live"):
            self.live.append(found)
        if tag == "script":
            self.scripts.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1


def markup(page: str) -> Markup:
    parsed = Markup()
    parsed.feed(page)
    return parsed


def result_region(page: str) -> str:
    match = re.search(r'<div id="result"[^>]*>(.*?)</div>\n</section>', page, re.S)
    assert match, page
    return match.group(1)


# -- texts ------------------------------------------------------------------------------------


def test_every_language_has_the_same_texts_and_placeholders() -> None:
    assert set(MESSAGES) == set(LANGUAGE_NAMES)
    formatter = string.Formatter()
    for key, english in MESSAGES["en"].items():
        wanted = {name for _, name, _, _ in formatter.parse(english) if name}
        for lang, texts in MESSAGES.items():
            assert key in texts, (lang, key)
            assert {n for _, n, _, _ in formatter.parse(texts[key]) if n} == wanted, (lang, key)
            assert "<" not in texts[key], (lang, key)  # plain text: the page escapes it
    for texts in MESSAGES.values():
        assert len(texts["months"].split("|")) == 12


@pytest.mark.parametrize(
    ("query", "accept", "lang", "heading"),
    [
        ("", None, "en", "Verify a micro-credential"),
        ("?lang=de", "fr", "de", "Ein Microcredential prüfen"),
        ("", "fr-CH, de;q=0.5", "fr", "Vérifier une micro-certification"),
        ("?lang=xx", "es, de;q=0.2", "de", "Ein Microcredential prüfen"),
    ],
)
def test_the_page_speaks_the_visitors_language(
    site: Site, query: str, accept: str | None, lang: str, heading: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = site.http.get(f"/verify{query}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    assert f"<h1>{heading}</h1>" in response.text
    page = markup(response.text)
    assert page.html_lang == lang
    # every control has a label (for= or wrapping), the camera is allowed on this page only
    for control in page.controls:
        assert control in page.wrapped or control.get("id") in page.label_for, control
    assert {c.get("name") for c in page.controls} >= {"alliance", "claims", "image", "credential"}
    assert response.headers["permissions-policy"] == "camera=(self)"
    assert page.scripts == [{"src": page.scripts[0]["src"], "defer": None}]
    assert str(page.scripts[0]["src"]).startswith(SCRIPT_PATH + "?v=")


def test_pages_carry_a_strict_policy_and_the_script_is_served(site: Site) -> None:
    response = site.http.get("/verify")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "'unsafe-inline'" not in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "http://" not in re.sub(r'href="http://localhost:8000', "", response.text.lower())
    script = site.http.get(SCRIPT_PATH)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert b"BarcodeDetector" in script.content
    assert b"http" not in script.content.replace(b"https://", b"")  # nothing external


# -- paste ------------------------------------------------------------------------------------


def test_a_pasted_credential_is_shown_in_human_terms(site: Site) -> None:
    issued = site.issue()
    response = site.http.post(
        "/verify/paste",
        data={"lang": "de", "credential": json.dumps(issued["credentials"]["ldp_vc"])},
    )
    assert response.status_code == 200, response.text
    region = result_region(response.text)
    assert '<div class="verdict ok">' in region
    assert "Geprüft</h3>" in region  # the verdict in words, not only by colour
    for text in (
        "<dt>Lernende Person</dt><dd>Ada Lovelace</dd>",
        "<dt>Titel</dt><dd>Sustainable Urban Mobility</dd>",
        "<li>Leipzig University</li>",
        "<dt>Koordinierende Einrichtung</dt><dd>University of Granada</dd>",
        "<dt>EQR-Niveau</dt><dd>EQF 6</dd>",
        "<li>5 ECTS</li>",
        "<li>125 Stunden</li>",
        "<dt>Note</dt>",
        "Teil einer umfassenderen Qualifikation",
        "Arqus European University Alliance",
        'Vertrauenswürdige Ausstellung (Allianz): <span class="status">bestanden</span>',
    ):
        assert text in region, text


def test_a_pasted_tampered_credential_is_not_verified(site: Site) -> None:
    document = site.issue()["credentials"]["ldp_vc"]
    document["credentialSubject"]["givenName"] = "Eve"
    response = site.http.post(
        "/verify/paste", data={"lang": "fr", "credential": json.dumps(document)}
    )
    assert response.status_code == 200
    region = result_region(response.text)
    assert '<div class="verdict bad">' in region
    assert "Non vérifiée</h3>" in region
    assert "Signature numérique" in region
    assert "Eve" not in region  # a document whose proof fails is not shown


@pytest.mark.parametrize(
    ("text", "status", "key"),
    [
        ("", 400, "paste_empty"),
        ("{not json", 400, None),
        ('["a list"]', 400, None),
        ("not-a-jwt", 400, None),
    ],
)
def test_unreadable_pastes_get_a_clear_message(
    site: Site, text: str, status: int, key: str | None
) -> None:
    response = site.http.post("/verify/paste", data={"lang": "en", "credential": text})
    assert response.status_code == status
    assert 'role="alert"' in response.text
    expected = MESSAGES["en"][key] if key else "This is not a credential that can be read:"
    assert expected in response.text


def test_an_oversized_paste_is_refused(site: Site) -> None:
    response = site.http.post(
        "/verify/paste", data={"lang": "en", "credential": "x" * (300 * 1024)}
    )
    assert response.status_code == 413
    assert "This is not a credential that can be read" in response.text


# -- escaping ---------------------------------------------------------------------------------


def test_hostile_values_of_a_signed_credential_are_escaped(site: Site) -> None:
    issued = site.issue(given_name=HOSTILE)
    response = site.http.post(
        "/verify/paste",
        data={"lang": "en", "credential": json.dumps(issued["credentials"]["ldp_vc"])},
    )
    assert response.status_code == 200
    region = result_region(response.text)
    assert "<script" not in region
    assert "<img" not in region
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in region


def test_hostile_values_of_a_disclosed_sd_jwt_and_of_messages_are_escaped() -> None:
    report = {
        "verified": False,
        "kind": "credential",
        "format": "dc+sd-jwt",
        "checks": [
            {"name": "proof", "status": "failed", "code": HOSTILE, "message": HOSTILE},
            {
                "name": "issuer_trust",
                "status": "passed",
                "code": "ok",
                "message": "m",
                "details": {"issuer": {"legal_name": HOSTILE}, "alliance": {"name": HOSTILE}},
            },
        ],
        "document": {"learner": [HOSTILE], "title": HOSTILE, "grade": ["A"]},
    }
    for lang in MESSAGES:
        fragment = render_result(lang, verdict_of_report(report))
        assert "<script" not in fragment
        assert "<img" not in fragment
        assert fragment.count("&lt;script&gt;") >= 4


def test_selectively_disclosed_claims_not_shared_are_said_so() -> None:
    view = credential_view(
        {
            "verified": True,
            "kind": "credential",
            "format": "dc+sd-jwt",
            "checks": [],
            "document": {"title": ["Sustainable Urban Mobility"], "workload": ["5 ECTS"]},
        }
    )
    assert view.elements == {"title": ("Sustainable Urban Mobility",), "workload": ("5 ECTS",)}
    fragment = render_result("en", Verdict(True, (view,)))
    assert "<dt>Learner</dt><dd>not shared</dd>" in fragment
    assert "<dt>Grade</dt><dd>not shared</dd>" in fragment
    assert "<dt>Prerequisites</dt>" not in fragment  # not disclosable: absent is just absent


# -- QR pictures ------------------------------------------------------------------------------


def qr_picture(text: str, kind: str = "png") -> bytes:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=6, border=4)
    if kind == "png":
        return out.getvalue()
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(out.getvalue())).convert("RGB").save(jpeg, format="JPEG", quality=90)
    return jpeg.getvalue()


def scan(site: Site, picture: bytes, name: str = "qr.png", media: str = "image/png") -> Any:
    return site.http.post(
        "/verify/scan", data={"lang": "en"}, files={"image": (name, picture, media)}
    )


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_picture_of_a_share_qr_is_decoded_verified_and_shown(site: Site, kind: str) -> None:
    issued = site.issue()
    url = site.share_url(issued["id"])
    assert decode_qr_image(qr_picture(url, kind)) == url
    response = scan(site, qr_picture(url, kind), f"qr.{kind}", f"image/{kind}")
    assert response.status_code == 200, response.text
    region = result_region(response.text)
    assert "Verified</h3>" in region
    assert "<dt>Learner</dt><dd>Ada Lovelace</dd>" in region
    assert url.split("#")[1] not in response.text  # the key is not echoed back


def test_the_camera_text_of_a_share_qr_is_verified(site: Site) -> None:
    url = site.share_url(site.issue()["id"])
    response = site.http.post("/verify/scan", data={"lang": "de"}, files={"text": (None, url)})
    assert response.status_code == 200, response.text
    assert "Geprüft</h3>" in response.text


def test_a_share_qr_with_a_wrong_key_or_unknown_id_is_unavailable(site: Site) -> None:
    url = site.share_url(site.issue()["id"])
    wrong_key = url[: url.index("#") + 1] + "A" * 43
    unknown = BASE + "/v/" + "B" * 21 + "A" + url[url.index("#") :]
    for text in (wrong_key, unknown):
        response = scan(site, qr_picture(text))
        assert response.status_code == 404
        assert MESSAGES["en"]["share_unavailable"] in response.text


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr", "qr_is_request"),
        ("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fi.example", "qr_is_offer"),
        ("https://example.org/some/page", "qr_unknown"),
        ("WIFI:S:guest;T:WPA;P:secret;;", "qr_unknown"),
    ],
)
def test_other_qr_codes_get_a_clear_message(site: Site, text: str, key: str) -> None:
    response = scan(site, qr_picture(text))
    assert response.status_code == 422
    assert MESSAGES["en"][key] in response.text
    assert classify_qr_text(text) != "share"


def _pixels_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (7000, 6000)).save(out, format="PNG")  # 42 Mpx in a few kilobytes
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("L", (10, 10)).save(out, format="GIF")
    return out.getvalue()


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (200, 200), 255).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("picture", "status", "key"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_IMAGE_BYTES + 10), 413, "too_large"),
        (b"this is no picture", 415, "bad_image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR broken", 415, "bad_image"),
        (_gif(), 415, "bad_image"),
        (_pixels_bomb(), 413, "too_many_pixels"),
        (_blank_png(), 422, "no_qr"),
    ],
    ids=["oversize", "text", "broken-png", "gif", "too-many-pixels", "no-qr"],
)
def test_bad_pictures_are_refused_with_a_clear_message(
    site: Site, picture: bytes, status: int, key: str
) -> None:
    response = scan(site, picture)
    assert response.status_code == status
    text = MESSAGES["en"][key].format(mb=5, megapixels=36)
    assert text in response.text.replace("&#x27;", "'")


def test_a_scan_without_a_picture_or_not_multipart_is_refused(site: Site) -> None:
    response = site.http.post("/verify/scan", data={"lang": "en"}, files={"other": (None, "x")})
    assert response.status_code == 400
    assert MESSAGES["en"]["no_file"] in response.text
    response = site.http.post("/verify/scan", data={"lang": "en", "text": "x"})
    assert response.status_code == 400


# -- the rate limit ---------------------------------------------------------------------------


def test_creating_requests_is_rate_limited_per_client(site: Site) -> None:
    for _ in range(3):
        site.create_request()
    refused = site.http.post(
        "/verify/requests", data={"lang": "de", "alliance": "arqus"}, follow_redirects=False
    )
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "Zu viele Anfragen" in refused.text
    site.clock.now += 60
    site.create_request()


def test_the_token_bucket_refills_and_stays_bounded() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(2, 10.0, max_clients=3, clock=clock)
    assert limiter.take("a") is None
    assert limiter.take("a") is None
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.take("b") is None  # another client has its own bucket
    clock.now += 5
    assert limiter.take("a") == pytest.approx(5.0)
    clock.now += 5
    assert limiter.take("a") is None
    for client in ("c", "d", "e", "f"):
        assert limiter.take(client) is None
    assert len(limiter._buckets) <= 3
    with pytest.raises(ValueError, match="token"):
        TokenBucketLimiter(0, 1.0)


# -- presentation requests --------------------------------------------------------------------


def _poll_url(page: str) -> str:
    match = re.search(r'data-poll="([^"]+)"', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def _link(page: str) -> str:
    match = re.search(r'<a class="button" href="(openid4vp://[^"]+)"', page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def wallet_of(site: Site, *formats: str) -> VpWallet:
    """A wallet holding the learner's credential, bound to its key, in ``formats``."""
    return holding(site.services, site.issue()["id"], BASE, *formats, http=site.http)


def holding(
    services: Services, credential_id: str, base: str, *formats: str, http: Any
) -> VpWallet:
    """A test wallet (``http`` its client) with the credential issued to its key."""
    holder = seeded_key("verifier-page-holder")
    did = did_key_from_public_key(holder.public_key)
    source = IssuerCredentialSource(services.issuer, services.identity, base)
    held = []
    for fmt, configuration in (
        ("ldp_vc", LDP_VC_CONFIGURATION_ID),
        ("jwt_vc_json", JWT_VC_JSON_CONFIGURATION_ID),
        ("dc+sd-jwt", SD_JWT_CONFIGURATION_ID),
    ):
        if fmt in formats:
            key = HolderKey(did, holder.public_key.to_jwk(), holder.public_key)
            credential = source.issue_for_holder(credential_id, configuration, key)
            held.append(HeldCredential(fmt, credential))
    return VpWallet(http, services.resolver, holder, held, lambda: datetime.now(UTC))


@pytest.mark.parametrize(
    ("fmt", "claims"),
    [
        ("ldp_vc", ["learner", "title"]),
        ("jwt_vc_json", ["learner", "title"]),
        ("dc+sd-jwt", ["learner", "title", "grade"]),  # the grade: SD-JWT only
    ],
)
def test_the_request_page_shows_the_wallets_answer(site: Site, fmt: str, claims: list[str]) -> None:
    location = site.create_request(claims=claims)
    page = site.http.get(location)
    assert page.status_code == 200
    assert '<img class="qr" src="data:image/svg+xml;base64,' in page.text
    assert 'role="status" aria-live="polite"' in page.text
    assert html.escape(MESSAGES["en"]["waiting"]) in page.text
    poll = _poll_url(page.text)
    assert site.http.get(poll).json()["status"] == "pending"

    wallet = wallet_of(site, fmt)
    posted = wallet.run(_link(page.text))
    assert posted.status_code == 200, posted.text

    answer = site.http.get(poll).json()
    assert answer["status"] == "answered"
    assert answer["verified"] is True
    assert "Verified</h3>" in answer["html"]
    assert "<dt>Learner</dt><dd>Ada Lovelace</dd>" in answer["html"]
    assert "<dt>Grade</dt><dd>A (Spanish university grading scale (0-10))</dd>" in answer["html"]
    # answered once: the same link again is refused, the page shows the result without JS
    with pytest.raises(WalletRefusal):
        wallet.run(_link(page.text))
    again = site.http.get(location)
    assert "Verified</h3>" in again.text
    assert "data-poll" not in again.text


def test_the_answer_needs_the_page_secret(site: Site) -> None:
    location = site.create_request()
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    request_id = parts.path.rsplit("/", 1)[1]
    for changed in (
        {**query, "t": query["t"][:-2] + "AA"},
        {k: v for k, v in query.items() if k != "t"},
        {k: v for k, v in query.items() if k != "s"},
        {**query, "same": "1"},  # the secret of a cross-device page is not a same-device one
    ):
        encoded = "&".join(f"{k}={v}" for k, v in changed.items())
        assert site.http.get(f"{parts.path}?{encoded}").status_code == 404
        result = site.http.get(f"{parts.path}/result?{encoded}")
        assert result.status_code == 404
        assert result.json() == {"status": "not_found"}
    # a request the HR API made has no page secret; guessing it with another key fails
    created = site.services.presentation_requests.create(WhatToAsk("arqus"), requested_by="hr")
    state = created.request_uri.rsplit("/", 1)[1]
    forged = page_secret(b"not the page key".ljust(32), created.id, state)
    response = site.http.get(f"/verify/requests/{created.id}/result?s={state}&t={forged}")
    assert response.status_code == 404
    assert request_id != created.id


def test_an_unknown_alliance_or_claim_is_refused_clearly(site: Site) -> None:
    response = site.http.post(
        "/verify/requests", data={"lang": "en", "alliance": "nope"}, follow_redirects=False
    )
    assert response.status_code == 400
    assert "The request could not be created" in response.text
    response = site.http.post(
        "/verify/requests",
        data={"lang": "en", "alliance": "arqus", "claims": ["<b>bogus</b>"]},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "<b>bogus" not in response.text


def test_the_same_device_flow_shows_the_answer_in_the_starting_browser(site: Site) -> None:
    response = site.http.post(
        "/verify/requests",
        data={"lang": "en", "alliance": "arqus", "claims": ["learner"], "device": "same"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SAME_DEVICE_COOKIE in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/verify/same-device" in cookie
    page = site.http.get(response.headers["location"])
    assert '<img class="qr"' not in page.text  # the wallet is on this device: a button
    wallet = wallet_of(site, "ldp_vc")
    posted = wallet.run(_link(page.text))
    assert posted.status_code == 200, posted.text
    redirect = posted.json()["redirect_uri"]
    assert redirect.startswith(f"{BASE}/verify/same-device?response_code=")
    # the page that polls learns only that the answer is shown elsewhere
    answer = site.http.get(_poll_url(page.text)).json()
    assert MESSAGES["en"]["answered_elsewhere"] in answer["html"]
    assert "Ada" not in answer["html"]
    # another browser (no cookie) cannot read it; this one can
    path = redirect.removeprefix(BASE)
    with TestClient(site.http.app, base_url=BASE) as other:
        assert other.get(path).status_code == 404
    shown = site.http.get(path)
    assert shown.status_code == 200
    assert "Verified</h3>" in shown.text
    assert "<dt>Learner</dt><dd>Ada Lovelace</dd>" in shown.text


def _status(status: str, answer: Answer | None = None) -> RequestStatus:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return RequestStatus("r", status, now, now + timedelta(minutes=10), answer)  # type: ignore[arg-type]


def test_expired_declined_and_unsatisfied_answers_are_said_in_words() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert verdict_of_answer(_status("expired")).note == ("request_expired", {})
    declined = verdict_of_answer(
        _status("answered", Answer(now, verified=False, wallet_error={"error": "access_denied"}))
    )
    assert "declined the request (access_denied)" in render_result("en", declined)
    unsatisfied = verdict_of_answer(
        _status(
            "answered",
            Answer(
                now,
                verified=False,
                report={"verified": False, "query_satisfied": False, "credential_queries": {}},
            ),
        )
    )
    fragment = render_result("de", unsatisfied)
    assert "Nicht bestätigt</h3>" in fragment
    assert "query_not_satisfied" in fragment


# -- shared links -----------------------------------------------------------------------------


def test_the_share_landing_page_asks_for_the_result_with_its_script(site: Site) -> None:
    url = site.share_url(site.issue()["id"])
    share_id = url.split("/v/")[1].split("#")[0]
    page = site.http.get(f"/v/{share_id}?lang=fr")
    assert page.status_code == 200
    assert 'data-share="/verify/share?lang=fr"' in page.text
    assert markup(page.text).live  # the result arrives in an aria-live region
    assert "<noscript>" in page.text
    result = site.http.post("/verify/share?lang=fr", json={"url": url})
    assert result.status_code == 200
    assert result.json()["verified"] is True
    assert "Vérifiée</h3>" in result.json()["html"]
    assert site.http.get("/v/not-a-share-id").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"url": "https://example.org/v/x"}, 400),
        ({"nope": 1}, 400),
        ("not json", 400),
        ({"url": BASE + "/v/" + "C" * 21 + "A#" + "D" * 42 + "A"}, 404),
    ],
)
def test_bad_share_posts_get_a_fragment_that_says_why(site: Site, body: Any, status: int) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = site.http.post("/verify/share?lang=en", content=content)
    assert response.status_code == status
    assert response.json()["verified"] is False
    assert response.json()["html"].startswith('<div class="verdict bad">')
