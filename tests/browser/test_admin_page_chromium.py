"""The coordinator's admin pages in a real browser: Debian's headless Chromium, driven over W3C
WebDriver (tests/browser/webdriver.py), against mcred served by uvicorn on loopback.

* the coordinator signs in with the development admin key by keyboard alone, searches for a
  learner, opens the credential, suspends it with a reason (the message about it gets the
  focus, the audit history shows the reason), then reinstates it;
* a cohort file is uploaded through the form and the job page follows its progress without
  reloading (progress bar ``aria-valuenow`` and counts), against an in-memory cohort service.

Skipped, with the reason, when Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from mcred.admin_page import build_admin_page_router, derive_session_key
from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.certificate import CertificateService
from mcred.settings import Settings
from tests.browser.webdriver import ChromeDriver, Keys, Session, requires_chromium, wait_for
from tests.mcred.test_admin_page import FakeCohorts, issuance

pytestmark = requires_chromium()

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}


@dataclass
class Served:
    base: str
    services: Services
    http: httpx.Client
    cohorts: FakeCohorts
    tmp: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """mcred with the admin pages on a free loopback port, served by uvicorn in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://localhost:{sock.getsockname()[1]}"
    data_dir: Path = tmp_path_factory.mktemp("admin-browser")
    app = create_app(Settings(_env_file=None, data_dir=data_dir, public_url=base))
    services: Services = app.state.services
    cohorts = FakeCohorts()
    router = build_admin_page_router(  # before create_app's: with the stand-in cohorts
        issuer=services.issuer,
        api_keys=services.api_keys,
        keys=services.api_key_store,
        bridge=services.wallet_bridge,
        public_url=base,
        session_key=derive_session_key(services.page_key),
        certificates=CertificateService(issuer=services.issuer, shares=services.shares),
        cohorts=cohorts,
    )
    app.router.routes[:0] = router.routes
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn to start")
    with httpx.Client(base_url=base, timeout=30) as http:
        yield Served(base, services, http, cohorts, data_dir)
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Session]:
    driver = ChromeDriver()
    try:
        with driver.session() as session:
            yield session
    finally:
        driver.close()


def _tab_until(session: Session, condition: str, *, limit: int = 60) -> None:
    """Press Tab until the JavaScript ``condition`` on ``e`` (the focused element) holds."""
    for _ in range(limit):
        session.press(Keys.TAB)
        if session.script(f"const e = document.activeElement; return Boolean({condition});"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def _type(session: Session, text: str) -> None:
    session.press(*text)


def _signed_in(session: Session, served: Served) -> None:
    """Sign in by keyboard alone: skip link first, then the key field, then Enter."""
    session.get(f"{served.base}/admin/login?lang=en")
    session._call("DELETE", "/cookie")  # signed out: each test signs in afresh
    session.get(f"{served.base}/admin/login?lang=en")
    session.press(Keys.TAB)
    assert session.script("return document.activeElement.className") == "skip"
    _tab_until(session, "e.id === 'key'")
    outline = session.script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    _type(session, DEV_ADMIN_TOKEN)
    session.press(Keys.ENTER)
    wait_for(lambda: "/admin/credentials" in session.url, what="the credentials page")


def _state(session: Session) -> str:
    return str(
        session.script(
            "const dt = [...document.querySelectorAll('dl.facts dt')]"
            ".find(d => d.textContent === 'Status'); return dt.nextElementSibling.textContent;"
        )
    )


def test_a_coordinator_suspends_and_reinstates_a_credential_by_keyboard(
    served: Served, browser: Session
) -> None:
    learner = "s-browser-1"
    response = served.http.post("/api/v1/credentials", json=issuance(learner), headers=ADMIN)
    assert response.status_code == 201, response.text
    credential_id = response.json()["id"]

    _signed_in(browser, served)
    assert "Signed in as development" in browser.text(browser.find("header"))

    # search for the learner: Tab to the field, type, Enter
    _tab_until(browser, "e.id === 'f-learner'")
    _type(browser, learner)
    browser.press(Keys.ENTER)
    wait_for(lambda: f"learner={learner}" in browser.url, what="the search results")
    links = browser.find_all("tbody a")
    assert [browser.text(link) for link in links] == [learner]

    # open it from the keyboard
    _tab_until(browser, f"e.tagName === 'A' && e.textContent === '{learner}'")
    browser.press(Keys.ENTER)
    wait_for(lambda: "/admin/credentials/urn" in browser.url, what="the credential page")
    assert "Active" in _state(browser)

    # suspend it with a reason
    _tab_until(browser, "e.id === 'reason-suspend'")
    _type(browser, "exam under review")
    browser.press(Keys.ENTER)
    wait_for(lambda: "done=suspend" in browser.url, what="the suspension")
    notice = browser.script("return document.activeElement.getAttribute('role')")
    assert notice == "status"  # the script moved the focus to what happened
    assert "The credential is suspended." in browser.text(browser.find("[data-focus]"))
    assert "Suspended" in _state(browser)
    rows = browser.find_all("#history tbody tr")
    assert len(rows) == 2
    newest = browser.text(rows[0])
    assert "Suspended" in newest
    assert "exam under review" in newest
    state = served.services.issuer.get(
        served.services.api_keys.authenticate(ADMIN["Authorization"]), credential_id
    ).state
    assert state.value == "suspended"

    # reinstate it
    _tab_until(browser, "e.id === 'reason-reinstate'")
    _type(browser, "review passed")
    browser.press(Keys.ENTER)
    wait_for(lambda: "done=reinstate" in browser.url, what="the reinstatement")
    assert "Active" in _state(browser)
    rows = browser.find_all("#history tbody tr")
    assert len(rows) == 3
    assert "review passed" in browser.text(rows[0])


def test_a_cohort_upload_shows_its_progress_without_reloading(
    served: Served, browser: Session
) -> None:
    _signed_in(browser, served)
    cohort = served.tmp / "cohort.csv"
    cohort.write_text(
        "given_name,family_name,learner_ref\nAda,Lovelace,c-1\nAlan,Turing,c-2\nGrace,Hopper,c-3\n"
    )
    browser.get(f"{served.base}/admin/cohorts?lang=en")
    field = browser.find("#c-file")
    browser._call("POST", f"/element/{field}/value", {"text": str(cohort)})
    _tab_until(
        browser,
        "e.tagName === 'BUTTON' && e.closest('form').getAttribute('action') === '/admin/cohorts'",
    )
    browser.press(Keys.ENTER)
    wait_for(lambda: "/admin/cohorts/job-" in browser.url, what="the job page")
    browser.script("window.mcredTestMarker = 'not reloaded';")
    region = browser.find("#cohort")
    wait_for(
        lambda: browser.attribute(region, "data-status") == "finished",
        what="the job to finish on the page",
    )
    assert browser.script("return window.mcredTestMarker") == "not reloaded"
    bar = browser.find("#progress")
    assert browser.attribute(bar, "aria-valuenow") == "3"
    assert browser.attribute(bar, "aria-valuemax") == "3"
    assert browser.text(browser.find("#progress-text")) == "3 of 3 processed"
    assert browser.text(browser.find('[data-count="done"]')) == "3"
    assert browser.text(browser.find('[data-count="remaining"]')) == "0"
    assert browser.text(browser.find("#cohort-status")) == "Finished."
    csv = browser.attribute(browser.find("#offers-csv"), "href")
    assert csv is not None
    assert csv.endswith("/offers.csv")
