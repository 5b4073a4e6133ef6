"""A very small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) over httpx, for
driving Debian's ``chromium`` through its ``chromedriver`` in the browser tests.

WebDriver is plain JSON over HTTP, so no Selenium or Playwright is needed: :class:`ChromeDriver`
starts ``chromedriver`` on a free loopback port, :class:`Session` opens headless Chromium and
offers the handful of commands the tests use (navigate, find, read, keyboard actions, scripts,
element screenshots). :func:`chromium_problem` says why the tests cannot run here, if they
cannot.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

__all__ = ["CHROMIUM_FLAGS", "ChromeDriver", "Keys", "Session", "chromium_problem", "wait_for"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1024,2000",
)
_ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
T = TypeVar("T")


class Keys:
    """WebDriver key codes (§17.4.2)."""

    TAB = "\ue004"
    ENTER = "\ue007"
    SPACE = " "


def chromium_problem() -> str | None:
    """``None`` when Chromium and chromedriver are installed, else why the tests skip."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists() and shutil.which(path.name) is None:
            return (
                f"{path} is missing: install Debian's browser with "
                f"`apt-get install -y chromium chromium-driver` ({package})"
            )
    return None


def requires_chromium() -> pytest.MarkDecorator:
    """The browser tests' mark: skip with the reason when Chromium is missing, except under
    ``MCRED_REQUIRE_BROWSER=1`` (CI installs it: a missing browser there is a failure)."""
    problem = chromium_problem()
    if problem is not None and os.environ.get("MCRED_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{problem} (MCRED_REQUIRE_BROWSER=1)")
    return pytest.mark.skipif(problem is not None, reason=str(problem))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Callable[[], T | None], *, seconds: float = 20.0, what: str) -> T:
    """Poll ``condition`` until it returns something truthy (a wait for an event, bounded so a
    broken page fails the test instead of hanging it; no duration is asserted)."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


class WebDriverError(Exception):
    pass


class ChromeDriver:
    """A ``chromedriver`` process on a loopback port."""

    def __init__(self) -> None:
        self.port = _free_port()
        executable = str(CHROMEDRIVER if CHROMEDRIVER.exists() else shutil.which("chromedriver"))
        self._process = subprocess.Popen(  # noqa: S603 - a fixed local binary
            [executable, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

        def ready() -> bool:
            try:
                return bool(self.http.get("/status").json()["value"]["ready"])
            except httpx.HTTPError:
                return False

        wait_for(ready, what="chromedriver to start")

    def close(self) -> None:
        self.http.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()

    @contextmanager
    def session(self) -> Iterator[Session]:
        binary = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
        capabilities = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": binary, "args": list(CHROMIUM_FLAGS)},
                }
            }
        }
        response = self.http.post("/session", json=capabilities)
        if response.status_code != 200:
            raise WebDriverError(response.text)
        session = Session(self.http, response.json()["value"]["sessionId"])
        try:
            yield session
        finally:
            self.http.delete(f"/session/{session.id}")


class Session:
    """One browser session: the commands the tests need."""

    def __init__(self, http: httpx.Client, session_id: str) -> None:
        self.http = http
        self.id = session_id

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(
            method, f"/session/{self.id}{path}", json={} if body is None else body
        )
        value = response.json().get("value")
        if response.status_code != 200:
            raise WebDriverError(f"{method} {path}: {value}")
        return value

    def get(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    @property
    def url(self) -> str:
        return str(self._call("GET", "/url"))

    def find(self, css: str) -> str:
        """The element id of the first match (WebDriverError if none)."""
        found = self._call("POST", "/element", {"using": "css selector", "value": css})
        if not isinstance(found, dict) or _ELEMENT not in found:
            raise WebDriverError(f"no element {css!r}: {found}")
        return str(found[_ELEMENT])

    def find_all(self, css: str) -> list[str]:
        found = self._call("POST", "/elements", {"using": "css selector", "value": css})
        assert isinstance(found, list), found
        return [str(item[_ELEMENT]) for item in found]

    def source(self) -> str:
        return str(self._call("GET", "/source"))

    def text(self, element: str) -> str:
        return str(self._call("GET", f"/element/{element}/text"))

    def attribute(self, element: str, name: str) -> str | None:
        value = self._call("GET", f"/element/{element}/attribute/{name}")
        return None if value is None else str(value)

    def script(self, source: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def press(self, *keys: str) -> None:
        """Type keys on whatever has the focus (the Actions API, §17.5)."""
        actions: list[dict[str, str]] = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self._call(
            "POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}
        )

    def active(self) -> dict[str, Any]:
        """What has the focus: tag, id, name, value, type, checked."""
        value = self.script(
            "const e = document.activeElement; return {tag: e.tagName.toLowerCase(), id: e.id,"
            " name: e.name || null, value: e.value === undefined ? null : e.value,"
            " type: e.type || null, checked: e.checked === undefined ? null : e.checked};"
        )
        assert isinstance(value, dict)
        return value

    def screenshot(self, element: str) -> bytes:
        return base64.b64decode(self._call("GET", f"/element/{element}/screenshot"))
