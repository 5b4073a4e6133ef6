"""The coordinator's admin pages (mcred.admin_page), server side: signing in and out, the
session cookie (tampered, expired, its key revoked), CSRF and cross-site refusals, a
coordinator's alliance scope, the search filters, status changes with a reason (the status
list flips, the audit history shows it, a revoked credential cannot come back), offers,
certificates, cohorts (against an in-memory cohort service), languages and escaping."""

from __future__ import annotations

import base64
import html
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile
from issuer.errors import InvalidRequest, NotFound
from mcred.admin_page import (
    SCRIPT_PATH,
    SESSION_COOKIE,
    SESSION_TTL,
    CohortProgress,
    SessionCodec,
    build_admin_page_router,
    derive_session_key,
)
from mcred.admin_page_messages import MESSAGES
from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.certificate import CertificateService
from mcred.offer_page_messages import LANGUAGE_NAMES
from mcred.settings import Settings
from mcred.verifier_page import TokenBucketLimiter
from vc_core.status.bitstring_status_list import BitstringStatusList

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SYSTEM = Principal("test", Role.ADMIN, None, "test")
SESSION_KEY = b"s" * 32


def issuance(learner_ref: str = "s-1815", alliance: str = "arqus") -> dict[str, Any]:
    return {
        "alliance": alliance,
        "specification": "sustainable-urban-mobility",
        "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": learner_ref},
        "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
    }


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeCohorts:
    """An in-memory cohort service: a job of ``total`` lines advances by one on every read."""

    jobs: dict[str, CohortProgress] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def start(
        self,
        principal: Principal,
        alliance_id: str,
        specification_id: str,
        filename: str,
        data: bytes,
    ) -> str:
        principal.require_alliance(alliance_id)
        lines = [line for line in data.decode().splitlines()[1:] if line.strip()]
        if not lines:
            raise InvalidRequest("the cohort file has no learner")
        job_id = f"job-{len(self.jobs) + 1}"
        self.jobs[job_id] = CohortProgress(
            job_id, alliance_id, specification_id, len(lines), 0, 0, 0, len(lines)
        )
        self.files[job_id] = data
        return job_id

    def progress(self, principal: Principal, job_id: str) -> CohortProgress:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no cohort job {job_id!r}")
        principal.require_alliance(job.alliance_id)
        if job.remaining:
            self.jobs[job_id] = replace(job, done=job.done + 1, remaining=job.remaining - 1)
        return job

    def offers_csv(self, principal: Principal, job_id: str) -> bytes:
        self.progress(principal, job_id)
        return b"learner_ref,offer_url,tx_code\ns-1,openid-credential-offer://x,123456\n"


@dataclass
class Site:
    http: TestClient
    services: Services
    clock: Clock
    cohorts: FakeCohorts

    def issue(self, learner_ref: str = "s-1815", alliance: str = "arqus") -> dict[str, Any]:
        response = self.http.post(
            "/api/v1/credentials",
            json=issuance(learner_ref, alliance),
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def login(self, token: str = DEV_ADMIN_TOKEN, lang: str = "en") -> None:
        response = self.http.post(
            "/admin/login", data={"key": token, "lang": lang}, follow_redirects=False
        )
        assert response.status_code == 303, response.text

    def csrf(self, path: str = "/admin/credentials") -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def change(self, credential_id: str, action: str, reason: str, **extra: str) -> Any:
        data = {"csrf": self.csrf(), "action": action, "reason": reason, "lang": "en", **extra}
        return self.http.post(
            f"/admin/credentials/{credential_id}/status", data=data, follow_redirects=False
        )


def second_alliance(services: Services, alliance_id: str = "unic") -> None:
    data = yaml.safe_load(files("mcred.demo").joinpath("alliance.yaml").read_text("utf-8"))
    data["alliance"]["id"] = alliance_id
    data["alliance"]["name"] = {"en": "UNIC European University"}
    services.issuer.load_alliance(AllianceFile.parse(data), SYSTEM)


def admin_router(services: Services, clock: Clock, cohorts: FakeCohorts, **options: Any) -> Any:
    return build_admin_page_router(
        issuer=services.issuer,
        api_keys=services.api_keys,
        keys=services.api_key_store,
        bridge=services.wallet_bridge,
        public_url=services.settings.public_url,
        session_key=SESSION_KEY,
        certificates=CertificateService(issuer=services.issuer, shares=services.shares),
        cohorts=cohorts,
        clock=clock,
        **options,
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    clock = Clock()
    cohorts = FakeCohorts()
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, public_url=BASE))
    services: Services = app.state.services
    # this test's routes (its clock, fake cohorts, limiter) before the ones create_app wired
    router = admin_router(services, clock, cohorts, login_limiter=TokenBucketLimiter(5, 60.0))
    app.router.routes[:0] = router.routes
    with TestClient(app, base_url=BASE) as http:
        yield Site(http, services, clock, cohorts)


class Markup(HTMLParser):
    """What an accessibility review reads off a page: the html lang, controls and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.wrapped: list[dict[str, str | None]] = []
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
        if tag == "script":
            self.scripts.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1


def markup(page: str) -> Markup:
    parsed = Markup()
    parsed.feed(page)
    return parsed


def assert_accessible(page: str, lang: str) -> None:
    parsed = markup(page)
    assert parsed.html_lang == lang
    for control in parsed.controls:
        assert control in parsed.wrapped or control.get("id") in parsed.label_for, control
    assert parsed.scripts == [{"src": parsed.scripts[0]["src"], "defer": None}]
    assert str(parsed.scripts[0]["src"]).startswith(SCRIPT_PATH + "?v=")


def said(text: str) -> str:
    """A text as the page writes it (escaped)."""
    return html.escape(text, quote=True)


def history(page: str) -> str:
    match = re.search(r'<table id="history">(.*?)</table>', page, re.S)
    assert match, page
    return match.group(1)


def status_value(site: Site, issued: dict[str, Any]) -> int:
    slot = issued["status"][0]
    response = site.http.get(f"/status/{slot['list']}")
    assert response.status_code == 200
    subject = response.json()["credentialSubject"]
    bits = BitstringStatusList.from_credential_subject(subject, status_size=slot["status_size"])
    return bits.get(slot["index"])


# -- texts ------------------------------------------------------------------------------------


def test_every_language_has_the_same_texts_and_placeholders() -> None:
    assert set(MESSAGES) == set(LANGUAGE_NAMES)
    formatter = string.Formatter()
    for key, english in MESSAGES["en"].items():
        wanted = {name for _, name, _, _ in formatter.parse(english) if name}
        for lang, texts in MESSAGES.items():
            assert key in texts, (lang, key)
            assert {n for _, n, _, _ in formatter.parse(texts[key]) if n} == wanted, (lang, key)
            assert "<" not in texts[key], (lang, key)
    assert all(set(texts) == set(MESSAGES["en"]) for texts in MESSAGES.values())


@pytest.mark.parametrize(
    ("query", "accept", "lang", "heading"),
    [
        ("", None, "en", "Sign in to mcred administration"),
        ("?lang=de", "fr", "de", "Bei der mcred-Verwaltung anmelden"),
        ("", "fr-CH, de;q=0.5", "fr", "Se connecter à l'administration mcred"),
    ],
)
def test_the_login_page_speaks_the_visitors_language(
    site: Site, query: str, accept: str | None, lang: str, heading: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = site.http.get(f"/admin/login{query}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    assert f"<h1>{said(heading)}</h1>" in response.text
    assert_accessible(response.text, lang)
    assert 'type="password" id="key" name="key"' in response.text


def test_pages_carry_a_strict_policy_and_the_script_is_served(site: Site) -> None:
    response = site.http.get("/admin/login")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "'unsafe-inline'" not in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    script = site.http.get(SCRIPT_PATH)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"aria-valuenow" in script.content
    assert b"http" not in script.content  # nothing external
    assert b"innerHTML" not in script.content  # numbers are written as text


# -- signing in and out -----------------------------------------------------------------------


def test_signing_in_sets_a_signed_session_that_never_holds_the_key(site: Site) -> None:
    start = site.http.get("/admin/credentials", follow_redirects=False)
    assert start.status_code == 303
    assert start.headers["location"].startswith("/admin/login?")
    assert parse_qs(urlsplit(start.headers["location"]).query)["next"] == ["/admin/credentials"]

    response = site.http.post(
        "/admin/login",
        data={"key": DEV_ADMIN_TOKEN, "lang": "de", "next": "/admin/credentials?status=active"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/credentials?status=active"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Path=/admin", "SameSite=strict"):
        assert attribute.lower() in cookie.lower(), cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    payload = base64.urlsafe_b64decode(value.split(".")[0] + "==").decode()
    key_id = site.services.api_keys.authenticate(ADMIN["Authorization"]).key_id
    assert payload.split("|")[1] == key_id
    assert DEV_ADMIN_TOKEN not in payload
    assert DEV_ADMIN_TOKEN not in value

    page = site.http.get("/admin/credentials?lang=en")
    assert page.status_code == 200
    assert "Signed in as development (administrator, all alliances)" in page.text
    assert_accessible(page.text, "en")


def test_an_https_site_marks_the_cookie_secure(site: Site) -> None:
    app = FastAPI()
    app.include_router(
        build_admin_page_router(
            issuer=site.services.issuer,
            api_keys=site.services.api_keys,
            keys=site.services.api_key_store,
            bridge=site.services.wallet_bridge,
            public_url="https://admin.example.org",
        )
    )
    with TestClient(app, base_url="https://admin.example.org") as http:
        response = http.post("/admin/login", data={"key": DEV_ADMIN_TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_wrong_key_is_refused_and_sets_no_cookie(site: Site) -> None:
    response = site.http.post(
        "/admin/login", data={"key": "mcred_not_a_key", "lang": "fr"}, follow_redirects=False
    )
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'role="alert"' in response.text
    assert said(MESSAGES["fr"]["login_wrong"]) in response.text
    assert 'aria-invalid="true"' in response.text


def test_wrong_keys_are_rate_limited(site: Site) -> None:
    statuses = [
        site.http.post("/admin/login", data={"key": f"wrong-{n}"}).status_code for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_an_open_redirect_is_not_followed(site: Site) -> None:
    response = site.http.post(
        "/admin/login",
        data={"key": DEV_ADMIN_TOKEN, "next": "//evil.example/admin"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin/credentials?lang=en"
    page = site.http.get("/admin/login?next=https://evil.example", follow_redirects=False)
    assert page.status_code == 303  # signed in already: to the credentials
    assert page.headers["location"].startswith("/admin/credentials")


def test_signing_out_ends_the_session(site: Site) -> None:
    site.login()
    response = site.http.post("/admin/logout", data={"csrf": site.csrf(), "lang": "de"})
    assert response.status_code == 200
    assert said(MESSAGES["de"]["logged_out"]) in response.text
    assert f"{SESSION_COOKIE}=" in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert site.http.get("/admin/credentials", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("how", ["payload", "signature", "other_key", "garbage"])
def test_a_tampered_session_is_refused(site: Site, how: str) -> None:
    site.login()
    value = site.http.cookies[SESSION_COOKIE]
    body, mac = value.split(".")
    payload = base64.urlsafe_b64decode(body + "==").decode()
    if how == "payload":  # a later expiry, the old signature
        parts = payload.split("|")
        parts[2] = str(int(parts[2]) + 10**6)
        forged = base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")
        value = f"{forged}.{mac}"
    elif how == "signature":
        value = f"{body}.{'A' * len(mac)}"
    elif how == "other_key":  # a session made under another key
        value = SessionCodec(b"x" * 32).issue(payload.split("|")[1], site.clock() + SESSION_TTL)
    else:
        value = "not-a-session"
    site.http.cookies.clear()
    site.http.cookies.set(SESSION_COOKIE, value, domain="localhost", path="/admin")
    response = site.http.get("/admin/credentials", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


def test_an_expired_session_is_refused(site: Site) -> None:
    site.login()
    assert site.http.get("/admin/credentials").status_code == 200
    site.clock.now += SESSION_TTL + timedelta(seconds=1)
    response = site.http.get("/admin/credentials", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


def test_revoking_the_api_key_ends_its_sessions(site: Site) -> None:
    key, token = site.services.api_keys.create("coordinator", alliance_id="arqus", label="c")
    site.login(token)
    csrf = site.csrf()
    site.services.api_keys.revoke(key.key_id)
    response = site.http.get("/admin/credentials", follow_redirects=False)
    assert response.status_code == 303
    issued = site.issue()
    posted = site.http.post(
        f"/admin/credentials/{issued['id']}/status",
        data={"csrf": csrf, "action": "revoke", "reason": "gone"},
    )
    assert posted.status_code == 401
    assert said(MESSAGES["en"]["session_ended"]) in posted.text
    assert site.services.issuer.get(SYSTEM, issued["id"]).state.value == "active"


def test_a_session_key_is_derived_and_refuses_short_keys() -> None:
    assert derive_session_key(b"k" * 32) != derive_session_key(b"j" * 32)
    assert len(derive_session_key(b"k" * 32)) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        SessionCodec(b"short")


# -- CSRF -------------------------------------------------------------------------------------


def test_a_form_without_this_sessions_csrf_token_is_refused(site: Site) -> None:
    issued = site.issue()
    site.login()
    path = f"/admin/credentials/{issued['id']}/status"
    missing = site.http.post(path, data={"action": "suspend", "reason": "r"})
    assert missing.status_code == 403
    assert said(MESSAGES["en"]["csrf"]) in missing.text
    # the token of another session of the same key (same session key, another nonce)
    codec = SessionCodec(SESSION_KEY)
    key_id = site.services.api_keys.authenticate(ADMIN["Authorization"]).key_id
    other = codec.read(codec.issue(key_id, site.clock() + SESSION_TTL), site.clock())
    assert other is not None
    foreign = codec.csrf_token(other)
    wrong = site.http.post(path, data={"csrf": foreign, "action": "suspend", "reason": "r"})
    assert wrong.status_code == 403
    cross = site.http.post(
        path,
        data={"csrf": site.csrf(), "action": "suspend", "reason": "r"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert said(MESSAGES["en"]["cross_site"]) in cross.text
    for fetch_site in ("cross-site", "same-site"):
        fetched = site.http.post(
            path,
            data={"csrf": site.csrf(), "action": "suspend", "reason": "r"},
            headers={"Sec-Fetch-Site": fetch_site, "Origin": BASE},
        )
        assert fetched.status_code == 403, fetch_site
    assert site.services.issuer.get(SYSTEM, issued["id"]).state.value == "active"
    assert [e.action for e in site.services.issuer.events(SYSTEM, issued["id"])] == ["issued"]


def test_a_cross_site_login_is_refused(site: Site) -> None:
    response = site.http.post(
        "/admin/login",
        data={"key": DEV_ADMIN_TOKEN},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


# -- scope ------------------------------------------------------------------------------------


def test_a_coordinator_sees_only_its_alliance(site: Site) -> None:
    second_alliance(site.services)
    ours = site.issue("ours-1")
    theirs = site.issue("theirs-1", alliance="unic")
    _, token = site.services.api_keys.create("coordinator", alliance_id="arqus", label="Arqus")
    site.login(token)

    listed = site.http.get("/admin/credentials")
    assert "ours-1" in listed.text
    assert "theirs-1" not in listed.text
    assert "Signed in as Arqus (coordinator of arqus)" in listed.text
    assert 'value="unic"' not in listed.text  # the other alliance is not offered

    forbidden = site.http.get("/admin/credentials?alliance=unic")
    assert forbidden.status_code == 403
    assert said(MESSAGES["en"]["forbidden"]) in forbidden.text
    detail = site.http.get(f"/admin/credentials/{theirs['id']}")
    assert detail.status_code == 403
    assert "theirs-1" not in detail.text
    changed = site.change(theirs["id"], "revoke", "not mine")
    assert changed.status_code == 403
    assert site.services.issuer.get(SYSTEM, theirs["id"]).state.value == "active"
    assert site.http.get(f"/admin/credentials/{ours['id']}").status_code == 200
    offered = site.http.post(
        f"/admin/credentials/{theirs['id']}/offers", data={"csrf": site.csrf(), "pin": "1"}
    )
    assert offered.status_code == 403
    assert site.http.get(f"/admin/credentials/{theirs['id']}/certificate.pdf").status_code == 403


def test_an_unknown_credential_is_a_404_page(site: Site) -> None:
    site.login()
    response = site.http.get("/admin/credentials/urn:uuid:00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert said(MESSAGES["en"]["not_found"]) in response.text


# -- search -----------------------------------------------------------------------------------


def rows(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a></td>', page)


def test_the_search_filters(site: Site) -> None:
    second_alliance(site.services)
    first = site.issue("s-1")
    site.issue("s-2")
    site.issue("s-3", alliance="unic")
    site.login()
    assert rows(site.http.get("/admin/credentials").text) == ["s-3", "s-2", "s-1"]
    assert rows(site.http.get("/admin/credentials?learner=s-2").text) == ["s-2"]
    assert rows(site.http.get("/admin/credentials?alliance=unic").text) == ["s-3"]
    query = "/admin/credentials?alliance=arqus&specification=sustainable-urban-mobility"
    assert rows(site.http.get(query).text) == ["s-2", "s-1"]
    today = datetime.now(UTC).date()
    assert rows(site.http.get(f"/admin/credentials?issued_from={today}").text) == [
        "s-3",
        "s-2",
        "s-1",
    ]
    later = today + timedelta(days=1)
    empty = site.http.get(f"/admin/credentials?issued_from={later}")
    assert rows(empty.text) == []
    assert said(MESSAGES["en"]["no_results"]) in empty.text
    earlier = today - timedelta(days=1)
    assert rows(site.http.get(f"/admin/credentials?issued_until={earlier}").text) == []

    assert site.change(first["id"], "suspend", "checking").status_code == 303
    suspended = site.http.get("/admin/credentials?status=suspended")
    assert rows(suspended.text) == ["s-1"]
    assert "⏸</span> Suspended" in suspended.text  # the state in words, with an icon
    assert rows(site.http.get("/admin/credentials?status=active").text) == ["s-3", "s-2"]

    bad = site.http.get("/admin/credentials?issued_from=yesterday")
    assert bad.status_code == 400
    assert said(MESSAGES["en"]["bad_date"]) in bad.text
    assert site.http.get("/admin/credentials?status=lost").status_code == 400
    cursor = site.http.get("/admin/credentials?cursor=not-ours")
    assert cursor.status_code == 400
    assert 'role="alert"' in cursor.text


def test_results_come_a_page_at_a_time(site: Site) -> None:
    for n in range(27):
        site.issue(f"p-{n:02d}")
    site.login()
    first = site.http.get("/admin/credentials?status=active")
    assert len(rows(first.text)) == 25
    link = re.search(r'<a href="(/admin/credentials\?[^"]+)">Next page</a>', first.text)
    assert link
    second = site.http.get(link.group(1).replace("&amp;", "&"))
    assert rows(second.text) == ["p-01", "p-00"]
    assert "Next page" not in second.text


# -- status changes ---------------------------------------------------------------------------


def test_revoking_with_a_reason_flips_the_status_list_and_shows_in_the_history(
    site: Site,
) -> None:
    issued = site.issue()
    site.login()
    assert status_value(site, issued) == 0
    response = site.change(issued["id"], "revoke", "Fraudulent assessment")
    assert response.status_code == 303
    location = response.headers["location"]
    assert "done=revoke" in location
    assert status_value(site, issued) == 1  # the published list says revoked

    page = site.http.get(location)
    assert page.status_code == 200
    assert said(MESSAGES["en"]["done_revoke"]) in page.text
    assert 'role="status" tabindex="-1" data-focus' in page.text
    table = history(page.text)
    assert table.index("Revoked") < table.index("Issued")  # newest first
    assert "<td>Fraudulent assessment</td>" in table
    key_id = site.services.api_keys.authenticate(ADMIN["Authorization"]).key_id
    assert f"<code>apikey:{key_id}</code>" in table
    assert said(MESSAGES["en"]["revoked_final"]) in page.text
    assert 'name="action" value="reinstate"' not in page.text  # nothing left to do


def test_suspend_then_reinstate(site: Site) -> None:
    issued = site.issue()
    site.login()
    assert site.change(issued["id"], "suspend", "exam under review").status_code == 303
    assert status_value(site, issued) == 2
    page = site.http.get(f"/admin/credentials/{issued['id']}")
    assert 'name="action" value="reinstate"' in page.text
    assert site.change(issued["id"], "reinstate", "review passed").status_code == 303
    assert status_value(site, issued) == 0
    events = site.services.issuer.events(SYSTEM, issued["id"])
    assert [(e.action, e.reason) for e in events] == [
        ("issued", None),
        ("suspended", "exam under review"),
        ("reinstated", "review passed"),
    ]


def test_reinstating_a_revoked_credential_says_why_not(site: Site) -> None:
    issued = site.issue()
    site.login()
    assert site.change(issued["id"], "revoke", "fraud").status_code == 303
    response = site.change(issued["id"], "reinstate", "mistake", lang="de")
    assert response.status_code == 409
    assert 'role="alert"' in response.text
    assert said(MESSAGES["de"]["conflict_revoked"]) in response.text
    # the language switch of a page answering a POST leads to a page, not to the POST
    assert f'<a href="/admin/credentials/{issued["id"]}?lang=en" hreflang="en"' in response.text
    assert status_value(site, issued) == 1
    assert [e.action for e in site.services.issuer.events(SYSTEM, issued["id"])] == [
        "issued",
        "revoked",
    ]
    again = site.change(site.issue("s-2")["id"], "reinstate", "not suspended")
    assert again.status_code == 409
    assert said(MESSAGES["en"]["conflict_not_suspended"]) in again.text


@pytest.mark.parametrize(("reason", "action"), [("   ", "suspend"), ("x" * 501, "revoke")])
def test_a_status_change_needs_a_reason(site: Site, reason: str, action: str) -> None:
    issued = site.issue()
    site.login()
    response = site.change(issued["id"], action, reason)
    assert response.status_code == 400
    assert said(MESSAGES["en"]["reason_required"].format(max=500)) in response.text
    assert 'aria-invalid="true"' in response.text
    assert site.services.issuer.get(SYSTEM, issued["id"]).state.value == "active"
    unknown = site.change(issued["id"], "delete", "because")
    assert unknown.status_code == 400


# -- escaping ---------------------------------------------------------------------------------


def test_hostile_values_are_escaped(site: Site) -> None:
    issued = site.issue(learner_ref=HOSTILE)
    site.login()
    assert site.change(issued["id"], "suspend", HOSTILE).status_code == 303
    for path in (
        f"/admin/credentials/{issued['id']}",
        "/admin/credentials",
        f"/admin/credentials?learner={HOSTILE}&lang=%22%3E%3Cscript%3E",
    ):
        response = site.http.get(path)
        assert response.status_code == 200, path
        page = response.text
        assert page.count("<script") == 1, path  # only the page's own script
        assert "<img" not in page, path
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, path
    detail = site.http.get(f"/admin/credentials/{issued['id']}").text
    assert "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img" in history(detail)


# -- offers and certificates ------------------------------------------------------------------


def test_an_offer_shows_the_link_the_pin_once_and_the_learners_page(site: Site) -> None:
    issued = site.issue()
    site.login()
    response = site.http.post(
        f"/admin/credentials/{issued['id']}/offers",
        data={"csrf": site.csrf(), "pin": "1", "lang": "fr"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert_accessible(page, "fr")
    pin = re.search(r'<p class="secret" id="offer-pin">(\d+)</p>', page)
    assert pin
    assert len(pin.group(1)) == 6
    assert said(MESSAGES["fr"]["offer_pin_once"]) in page
    assert 'class="languages"' not in page  # no switch that would lose the PIN
    link = re.search(r'id="offer-link" readonly value="([^"]+)"', page)
    assert link
    assert link.group(1).startswith("openid-credential-offer://")
    learner_page = re.search(r'<a id="offer-page" href="([^"]+)"', page)
    assert learner_page
    assert learner_page.group(1).startswith(f"{BASE}/offers/")
    shown = site.http.get(learner_page.group(1).replace("&amp;", "&"))
    assert shown.status_code == 200
    assert pin.group(1) not in shown.text  # the learner's page never shows the PIN

    no_pin = site.http.post(f"/admin/credentials/{issued['id']}/offers", data={"csrf": site.csrf()})
    assert 'id="offer-pin"' not in no_pin.text
    assert said(MESSAGES["en"]["offer_no_pin"]) in no_pin.text


def test_a_revoked_credential_gets_no_offer(site: Site) -> None:
    issued = site.issue()
    site.login()
    site.change(issued["id"], "revoke", "fraud")
    response = site.http.post(
        f"/admin/credentials/{issued['id']}/offers", data={"csrf": site.csrf()}
    )
    assert response.status_code == 409
    assert 'role="alert"' in response.text


def test_certificates_download_in_each_language(site: Site) -> None:
    issued = site.issue()
    site.login()
    page = site.http.get(f"/admin/credentials/{issued['id']}").text
    for code in LANGUAGE_NAMES:
        assert f'/certificate.pdf?lang={code}" hreflang="{code}" download>' in page
    response = site.http.get(f"/admin/credentials/{issued['id']}/certificate.pdf?lang=de")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response.headers["content-language"] == "de"
    assert "attachment" in response.headers["content-disposition"]
    site.change(issued["id"], "suspend", "review")
    refused = site.http.get(f"/admin/credentials/{issued['id']}/certificate.pdf?lang=en")
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text
    site.http.cookies.clear()
    signed_out = site.http.get(
        f"/admin/credentials/{issued['id']}/certificate.pdf", follow_redirects=False
    )
    assert signed_out.status_code == 303


# -- cohorts ----------------------------------------------------------------------------------


COHORT = b"given_name,family_name,learner_ref\nAda,Lovelace,s-1\nAlan,Turing,s-2\n"


def upload(site: Site, data: bytes = COHORT, alliance: str = "arqus", **form: str) -> Any:
    fields = {
        "csrf": site.csrf("/admin/cohorts"),
        "lang": "en",
        "alliance": alliance,
        "specification": "sustainable-urban-mobility",
        **form,
    }
    return site.http.post(
        "/admin/cohorts",
        data=fields,
        files={"file": ("cohort.csv", data, "text/csv")},
        follow_redirects=False,
    )


def test_a_cohort_upload_starts_a_job_whose_progress_the_page_follows(site: Site) -> None:
    site.login()
    form = site.http.get("/admin/cohorts")
    assert form.status_code == 200
    assert_accessible(form.text, "en")
    response = upload(site)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/admin/cohorts/job-1")
    assert site.cohorts.files["job-1"] == COHORT

    page = site.http.get(location).text
    assert 'role="progressbar"' in page
    assert 'aria-valuemin="0" aria-valuemax="2" aria-valuenow="0"' in page
    assert "0 of 2 processed" in page
    assert 'data-poll="/admin/cohorts/job-1/progress" data-poll-seconds="1"' in page
    assert 'aria-live="polite"' in page
    progress = site.http.get("/admin/cohorts/job-1/progress")
    assert progress.headers["cache-control"] == "no-store"
    assert progress.json() == {
        "id": "job-1",
        "total": 2,
        "done": 1,
        "failed": 0,
        "invalid": 0,
        "remaining": 1,
        "finished": False,
    }
    site.http.get("/admin/cohorts/job-1/progress")
    finished = site.http.get(location).text
    assert "data-poll=" not in finished
    assert said(MESSAGES["en"]["cohort_finished"]) in finished
    csv = site.http.get("/admin/cohorts/job-1/offers.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["cache-control"] == "no-store"
    assert csv.content.startswith(b"learner_ref,offer_url,tx_code")


def test_cohort_uploads_are_checked(site: Site) -> None:
    second_alliance(site.services)
    _, token = site.services.api_keys.create("coordinator", alliance_id="arqus", label="c")
    site.login(token)
    assert upload(site, alliance="unic").status_code == 403
    empty = upload(site, data=b"given_name,family_name,learner_ref\n")
    assert empty.status_code == 400
    assert "the cohort file has no learner" in empty.text
    no_csrf = upload(site, csrf="forged")
    assert no_csrf.status_code == 403
    assert site.cohorts.jobs == {}
    assert site.http.get("/admin/cohorts/job-9").status_code == 404
    assert site.http.get("/admin/cohorts/job-9/progress").status_code == 404
    site.http.cookies.clear()
    assert site.http.get("/admin/cohorts/job-9/progress").status_code == 401
