"""The meeting's web page in a real browser: headless Chromium (Debian's) driven by Selenium, against a real
`meetings serve` on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_ATTENDEES, Cli, Database
from tests.test_feed_server import Server
from tests.web_support import SLUG, chromium, console_errors, require_chromium, save_screenshot, seeded, server_for

pytestmark = pytest.mark.slow  # a real Chromium for each test

PHONE, DESKTOP = 390, 1280


@pytest.fixture(scope="module")
def seed_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    home = tmp_path_factory.mktemp("web-seed")
    cli = seeded(Cli(Database("sqlite", str(home / "ledger.sqlite")), home))
    cli.ok("edit", SLUG, "--attendee-list", "full")  # the wiki page showed remarks to everyone
    return cli


@pytest.fixture(scope="module")
def seed_server(seed_cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_chromium()
    yield from server_for(seed_cli, tmp_path_factory.mktemp("web-seed-server"))


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


def texts(driver: Any, selector: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_the_seed_meeting_page_shows_what_the_wiki_page_showed(
    seed_server: Server, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{seed_server.base}/meetings/{SLUG}")
    items = browser.find_elements(By.CSS_SELECTOR, "ol.attendees > li")
    assert [int(li.get_attribute("value")) for li in items] == list(range(1, 24))
    assert [li.find_element(By.CSS_SELECTOR, ".name").text for li in items] == [a[0] for a in SEED_ATTENDEES]
    brandon = items[6]
    assert "2:30pm+ b/c of OSC Panel. Remove me if you need the room" in brandon.text
    assert "(In Person)" in items[0].text and "(TBD)" in items[18].text
    assert "limit 25" in browser.find_element(By.ID, "attendees").text
    numbers = texts(browser, "ol.agenda .number")
    assert numbers == ["1.", "2.", "3.", "4.", "4a.", "5.", "5a."]
    agenda = browser.find_element(By.ID, "agenda").text
    assert "Performance-Sensitive Application Platform (Jeremy Eder)" in agenda
    assert "Image validation, kernel validation (Dawn)" in agenda
    assert "Sig-cluster-lifecycle related work (Euan)" in agenda
    topic_one = browser.find_element(By.ID, "notes-1").text
    assert "Laundry list of features" in topic_one and "Taints and tolerations" in topic_one
    assert "America/Los_Angeles" in browser.find_element(By.ID, "details").text
    assert "Your time:" in browser.find_element(By.CSS_SELECTOR, ".viewer-zone").text  # the script ran
    assert console_errors(browser) == []

    desktop = save_screenshot(browser, tmp_path, "meeting-desktop", DESKTOP, 1000)
    browser.set_window_size(PHONE, 900)
    assert browser.execute_script("return window.innerWidth") <= PHONE + 20
    # One column: nothing is wider than the phone's screen.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    phone = save_screenshot(browser, tmp_path, "meeting-phone", PHONE, 844)
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000


def test_the_page_works_from_the_keyboard_and_names_its_landmarks(seed_server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{seed_server.base}/meetings/{SLUG}")
    for landmark in ("header", "nav", "main", "footer"):
        assert browser.find_elements(By.CSS_SELECTOR, landmark), landmark
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to the content"
    skip.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#content")
    # Every form control has a label.
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.outerHTML)"
    )
    assert unlabelled == []


HOSTILE_NOTES = """# Hostile notes

<script>document.title = "pwned"; alert("script")</script>

<img src="x" onerror="document.title = 'pwned'; alert('img')">

[a javascript link](javascript:alert('link')) and [another](JaVaScRiPt:document.title='pwned')

<a href="javascript:alert('raw')">raw anchor</a> <iframe src="javascript:alert('frame')"></iframe>

[a fine link](https://example.org/agenda)
"""
HOSTILE_REMARK = '<b onmouseover="alert(1)">bold</b><script>alert("remark")</script>'


def test_hostile_notes_and_remarks_run_no_script_and_show_as_text(
    sqlite_cli: Cli, tmp_path: Path, browser: Any
) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    seeded(sqlite_cli)
    sqlite_cli.ok("notes", "edit", SLUG, "--topic", "1", "--file", "-", input=HOSTILE_NOTES)
    sqlite_cli.ok("signup", SLUG, "Mallory <img src=x onerror=alert(2)>", "--remark", HOSTILE_REMARK)
    sqlite_cli.ok("edit", SLUG, "--attendee-list", "full")  # remarks on the public page too
    for server in server_for(sqlite_cli, tmp_path):
        for path in (f"/meetings/{SLUG}", f"/meetings/{SLUG}/history"):
            browser.get(server.base + path)
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text
            assert browser.title != "pwned"
            assert console_errors(browser) == [], path
            assert not browser.find_elements(By.CSS_SELECTOR, "main script, main img, main iframe")
            hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, "main a")]
            assert not [h for h in hrefs if h.lower().startswith("javascript")], hrefs
        browser.get(f"{server.base}/meetings/{SLUG}")
        notes = browser.find_element(By.ID, "notes-1").text
        assert '<script>document.title = "pwned"; alert("script")</script>' in notes
        assert '<img src="x" onerror=' in notes
        assert "[a javascript link](javascript:alert('link'))" in notes
        fine = browser.find_element(By.LINK_TEXT, "a fine link")
        assert fine.get_attribute("href") == "https://example.org/agenda"
        attendees = browser.find_element(By.ID, "attendees").text
        assert "Mallory <img src=x onerror=alert(2)>" in attendees and HOSTILE_REMARK in attendees
        # The browser logged nothing, not even a refused inline script: there was none to refuse.
        assert console_errors(browser) == []


def act_as(driver: Any, name: str) -> None:
    """Every request this browser makes names `name` in the trusted proxy header (as an SSO proxy would)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-User": name}})


def submit(driver: Any, label: str, **fields: str) -> str:
    """Fill the form of that label by keyboard and mouse like a person, send it, and return the flashed message."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    form = driver.find_element(By.CSS_SELECTOR, f'form[aria-label="{label}"]')
    details = driver.execute_script("return arguments[0].closest('details')", form)
    if details is not None and not details.get_attribute("open"):
        details.find_element(By.TAG_NAME, "summary").click()
    for name, value in fields.items():
        element = form.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    driver.execute_script("document.documentElement.dataset.leaving = 'yes'")  # marks the page we leave
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # The click only starts the POST and its redirect: wait for the page it lands on (a loaded
    # machine takes its time) before reading the message. Mid-navigation, Chromium may answer a
    # script with an error instead of a result: that is "not there yet".
    def landed(d: Any) -> bool:
        try:
            return bool(
                d.execute_script(
                    "return document.readyState === 'complete' && !document.documentElement.dataset.leaving"
                )
            )
        except WebDriverException:
            return False

    WebDriverWait(driver, 60).until(landed)
    flashes = driver.find_elements(By.CSS_SELECTOR, "p.flash")
    return " ".join(f.text for f in flashes)


@pytest.fixture
def room(sqlite_cli: Cli, tmp_path: Path) -> Iterator[Server]:
    require_chromium()
    sqlite_cli.ok(
        "new",
        "room",
        "--title",
        "Small room",
        "--start",
        "2099-03-01T10:00",
        "--end",
        "2099-03-01T12:00",
        "--tz",
        "Europe/Paris",
        "--capacity",
        "1",
    )
    yield from server_for(sqlite_cli, tmp_path, "--trust-proxy-header", "X-Forwarded-User")


def test_a_participant_signs_up_changes_and_withdraws_and_the_waitlist_moves(
    room: Server, sqlite_cli: Cli, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    act_as(browser, "Zoe Quinn")
    browser.get(f"{room.base}/meetings/room")
    assert "Signed up Zoe Quinn for room (In Person)" in submit(browser, "Sign up", mode="in-person")
    sqlite_cli.ok("signup", "room", "Wai Ting")  # the room is full: waitlisted
    browser.refresh()
    assert "(In Person, waitlist 1)" in browser.find_element(By.ID, "attendees").text
    assert "Zoe Quinn is now" in submit(browser, "Change your sign-up", mode="remote")
    listing = browser.find_element(By.CSS_SELECTOR, "ol.attendees").text
    assert "Wai Ting (In Person)" in listing and "waitlist" not in listing  # promoted, and the page says so
    assert "Withdrew Zoe Quinn from room" in submit(browser, "Withdraw", reason="cannot come")
    assert "Zoe Quinn" not in browser.find_element(By.CSS_SELECTOR, "ol.attendees").text

    # A participant sees no organizer controls, and an organizer action forged from their own
    # page (their session, their CSRF token) is refused with the role it needs; nothing is written.
    assert "Organizer controls" not in browser.find_element(By.TAG_NAME, "main").text
    before = len(sqlite_cli.ok("audit", "room", "--format", "json").json())
    browser.execute_script(
        """const form = document.createElement("form");
        form.method = "post"; form.action = "/meetings/room/capacity";
        for (const [name, value] of [["csrf_token", document.querySelector("input[name=csrf_token]").value],
                                     ["seats", "0"]]) {
          const input = document.createElement("input");
          input.type = "hidden"; input.name = name; input.value = value; form.append(input);
        }
        document.body.append(form); form.submit();"""
    )
    from selenium.webdriver.support.ui import WebDriverWait

    def flashed(driver: Any) -> str:  # the submit navigates: wait for the page it lands on
        return " ".join(f.text for f in driver.find_elements(By.CSS_SELECTOR, "p.flash"))

    refusal = WebDriverWait(browser, 20).until(flashed)
    assert "Not saved: Zoe Quinn may not change the capacity of room: that needs the organizer role" in refusal
    assert len(sqlite_cli.ok("audit", "room", "--format", "json").json()) == before

    sqlite_cli.ok("signup", "room", "Xu Wang")  # waitlisted behind Wai Ting's seat
    sqlite_cli.ok("account", "add", "olga", "--person", "Olga Organizer")
    sqlite_cli.ok("organizers", "add", "room", "olga")
    act_as(browser, "olga")
    browser.get(f"{room.base}/meetings/room")
    assert "capacity is now 0" in submit(browser, "Change the capacity", seats="0")
    assert "over capacity" in browser.find_element(By.ID, "attendees").text  # lowering removes no one
    assert "capacity is now 2" in submit(browser, "Change the capacity", seats="2")
    assert "Xu Wang (In Person)" in browser.find_element(By.CSS_SELECTOR, "ol.attendees").text

    browser.get(f"{room.base}/meetings/room/history")
    history = browser.find_element(By.TAG_NAME, "main").text
    assert "promoted" in history
    audit = sqlite_cli.ok("audit", "room", "--format", "json").json()
    by_account = {(e["action"], e["principal"]) for e in audit if e["principal"] != "alice"}
    assert ("signed-up", "Zoe Quinn") in by_account and ("withdrew", "Zoe Quinn") in by_account
    assert ("attendance-changed", "Zoe Quinn") in by_account
    assert ("capacity-changed", "olga") in by_account
    assert console_errors(browser) == []


def test_two_browsers_editing_one_notes_section_merge_or_keep_both_texts(
    room: Server, sqlite_cli: Cli, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    sqlite_cli.ok("notes", "edit", "room", "--file", "-", input="alpha\nbeta\ngamma\ndelta\n")
    ada, bob = chromium(tmp_path / "ada"), chromium(tmp_path / "bob")
    try:
        act_as(ada, "Ada Lovelace")
        act_as(bob, "Bob Dylan")
        for driver in (ada, bob):
            driver.get(f"{room.base}/meetings/room")  # both open the same revision
        assert "Saved notes revision 2" in submit(ada, "Edit the notes: General", text="ALPHA\nbeta\ngamma\ndelta\n")
        # Bob's page is stale; his change does not overlap Ada's: merged.
        assert "Saved notes revision 3" in submit(bob, "Edit the notes: General", text="alpha\nbeta\ngamma\nDELTA\n")
        assert sqlite_cli.ok("--json", "notes", "show", "room").json()["text"] == "ALPHA\nbeta\ngamma\nDELTA\n"
        ada.refresh()
        bob.refresh()
        submit(ada, "Edit the notes: General", text="ALPHA\nBeta by Ada\ngamma\nDELTA\n")
        submit(bob, "Edit the notes: General", text="ALPHA\nBeta by Bob\ngamma\nDELTA\n")
        conflict = bob.find_element(By.CSS_SELECTOR, ".conflict").text
        assert "Not saved" in conflict and "Beta by Ada" in conflict  # the text saved meanwhile
        mine = bob.find_element(By.CSS_SELECTOR, 'form[aria-label="Edit the notes: General"] textarea')
        assert mine.get_attribute("value") == "ALPHA\nBeta by Bob\ngamma\nDELTA\n"  # and Bob's own, kept
        assert sqlite_cli.ok("--json", "notes", "show", "room").json()["text"] == "ALPHA\nBeta by Ada\ngamma\nDELTA\n"
    finally:
        ada.quit()
        bob.quit()
