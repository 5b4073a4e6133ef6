"""The employer's verifier page in a real browser: Debian's headless Chromium, driven over W3C
WebDriver (tests/browser/webdriver.py), against mcred served by uvicorn on loopback.

* the employer chooses what to ask for with the keyboard (focus order, visible focus), submits,
  sees the QR code (decoded from a screenshot: it is the page's ``openid4vp://`` link); the test
  OpenID4VP wallet answers; the page shows the verified result in its ``aria-live`` region
  without reloading;
* a share link's landing page reads the key from the fragment and shows the verified result.

Skipped, with the reason, when Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import zxingcpp
from PIL import Image

from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.settings import Settings
from tests.browser.webdriver import ChromeDriver, Keys, Session, requires_chromium, wait_for
from tests.mcred.test_verifier_page import holding, issuance, with_page_routes_first

pytestmark = requires_chromium()

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}


@dataclass
class Served:
    base: str
    services: Services
    http: httpx.Client
    issued: list[dict[str, Any]]

    def issue(self) -> dict[str, Any]:
        response = self.http.post(
            "/api/v1/credentials",
            json=issuance(),
            headers={**ADMIN, "Idempotency-Key": f"browser-{id(self)}-{len(self.issued)}"},
        )
        assert response.status_code == 201, response.text
        self.issued.append(response.json())
        issued: dict[str, Any] = self.issued[-1]
        return issued


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """mcred on a free loopback port (``localhost``: did:web refuses IP addresses), served by
    uvicorn in a thread from a socket bound here."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://localhost:{sock.getsockname()[1]}"
    data_dir: Path = tmp_path_factory.mktemp("browser")
    app = create_app(Settings(_env_file=None, data_dir=data_dir, public_url=base))
    services: Services = app.state.services
    with_page_routes_first(app, services)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn to start")
    with httpx.Client(base_url=base, timeout=30) as http:
        yield Served(base, services, http, [])
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


def _result_with(session: Session, words: str) -> str | None:
    """The live region's text once it says ``words``."""
    text = session.text(session.find("#result"))
    return text if words in text else None


def _tab_to(session: Session, wanted: dict[str, Any], *, limit: int = 40) -> dict[str, Any]:
    """Press Tab until the focused element has the ``wanted`` properties; the stops passed."""
    for _ in range(limit):
        session.press(Keys.TAB)
        active = session.active()
        if all(active.get(k) == v for k, v in wanted.items()):
            return active
    raise AssertionError(f"Tab never reached {wanted}")


def test_the_employer_asks_a_wallet_and_sees_the_answer_without_reload(
    served: Served, browser: Session
) -> None:
    issued = served.issue()
    browser.get(f"{served.base}/verify?lang=de")
    assert browser.script("return document.documentElement.lang") == "de"

    # keyboard only: the skip link comes first, then the languages, then the form
    browser.press(Keys.TAB)
    assert browser.active()["tag"] == "a"
    assert browser.script("return document.activeElement.className") == "skip"
    _tab_to(browser, {"id": "alliance"})
    learner = _tab_to(browser, {"type": "checkbox"})
    assert learner["value"] == "learner"
    assert learner["checked"] is True
    grade = _tab_to(browser, {"type": "checkbox", "value": "grade"})
    assert grade["checked"] is False
    browser.press(Keys.SPACE)
    assert browser.active()["checked"] is True
    submit = _tab_to(browser, {"tag": "button"})
    assert submit["type"] == "submit"
    outline = browser.script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    browser.press(Keys.ENTER)

    wait_for(lambda: "/verify/requests/" in browser.url, what="the request page")
    qr = wait_for(lambda: browser.find_all("img.qr"), what="the QR code")[0]
    link = browser.attribute(browser.find("a.button"), "href")
    assert link is not None
    assert link.startswith("openid4vp://")
    shot = Image.open(io.BytesIO(browser.screenshot(qr)))
    decoded = [b.text for b in zxingcpp.read_barcodes(shot)]
    assert decoded == [link]  # what the employer's screen shows is the request

    region = browser.find("#result")
    assert browser.attribute(region, "aria-live") == "polite"
    browser.script("window.mcredTestMarker = 'not reloaded';")

    with httpx.Client(timeout=30) as wallet_http:
        wallet = holding(served.services, issued["id"], served.base, "dc+sd-jwt", http=wallet_http)
        posted = wallet.run(link)
    assert posted.status_code == 200, posted.text

    shown = wait_for(
        lambda: _result_with(browser, "Geprüft"),
        what="the answer in the live region",
    )
    assert browser.script("return window.mcredTestMarker") == "not reloaded"
    assert "Ada Lovelace" in shown
    assert "Sustainable Urban Mobility" in shown
    assert "A (Spanish university grading scale (0-10))" in shown  # the grade, asked for
    assert browser.script("return document.getElementById('request-ask').hidden") is True


def test_a_share_link_opens_on_its_landing_page(served: Served, browser: Session) -> None:
    issued = served.issue()
    response = served.http.post(
        f"/api/v1/credentials/{issued['id']}/shares", json={}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    url = response.json()["share_url"]
    browser.get(url.replace("#", "?lang=fr#"))
    shown = wait_for(
        lambda: _result_with(browser, "Vérifiée"),
        what="the shared credential's result",
    )
    assert "Ada Lovelace" in shown
    assert browser.attribute(browser.find("#result"), "data-status") == "verified"


def test_a_share_link_without_its_key_says_so(served: Served, browser: Session) -> None:
    browser.get(f"{served.base}/v/{'A' * 22}?lang=en")
    shown = wait_for(
        lambda: _result_with(browser, "incomplete"),
        what="the missing-key message",
    )
    assert "the part after “#” is missing" in shown
