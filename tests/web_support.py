"""What the web tests share: a real `meetings serve` on the seed meeting, an HTTP client with cookies, and
headless Chromium driven by Selenium."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, Cli
from tests.test_feed_server import Server, start_server

SEED_PAGE = REPO / "tests" / "fixtures" / "sig-node-f2f-2016.md"
SLUG = "sig-node-f2f-2016"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def seeded(cli: Cli) -> Cli:
    cli.ok("import", "markdown", str(SEED_PAGE))
    return cli


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """A plain HTTP client that keeps cookies and never follows redirects: a browser without JavaScript."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(
        self, path: str, *, data: dict[str, str] | None = None, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        sent = headers or {}
        payload = None
        if data is not None:
            payload = urllib.parse.urlencode(data).encode()
            sent = {"Content-Type": "application/x-www-form-urlencoded", **sent}
        elif body is not None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent = {"Content-Type": "application/json", **sent}
        request = urllib.request.Request(self.server.base + path, data=payload, headers=sent)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def csrf(self, path: str) -> str:
        found = re.search(rb'name="csrf_token" value="([^"]+)"', self.request(path).body)
        assert found, f"no CSRF token on {path}"
        return found.group(1).decode()

    def sign_in(self, link: str) -> None:
        path = urllib.parse.urlsplit(link).path
        page = self.request(path)
        assert page.status == 200, page.body[:300]
        token = re.search(rb'name="token" value="([^"]+)"', page.body)
        assert token
        reply = self.request("/sign-in", data={"csrf_token": self.csrf(path), "token": token.group(1).decode()})
        assert reply.status == 303, reply.body[:300]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def server_for(cli: Cli, tmp_path: Path, *options: str) -> Iterator[Server]:
    running = start_server(cli, tmp_path / "server.log", *options)
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=30)


def require_chromium() -> None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium is not installed (bash .ci/install.d/browser.sh)")


def chromium(profile: Path, width: int = 1280, height: int = 900) -> Any:
    """Headless Chromium with a fresh profile, its console log kept for the test to read."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def save_screenshot(driver: Any, tmp_path: Path, name: str, width: int, height: int) -> Path:
    """A screenshot of the page's first screen at that size, in the test's tmp dir and in tests/artifacts/."""
    driver.set_window_size(width, height)
    driver.execute_script("window.scrollTo(0, 0)")
    target = tmp_path / f"{name}.png"
    driver.save_screenshot(str(target))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(target, ARTIFACTS / target.name)
    return target


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
