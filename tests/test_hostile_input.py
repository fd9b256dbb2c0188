"""Hostile input: any text a user can type, into every command that takes text.

Never a traceback (nor an "internal error"): the exit code is 0, 1 or 2. Accepted text comes back as
typed (outer spaces trimmed on one-line fields) through `--json`, the .ics feed (icalendar, and ical.js
for a smaller sample) and the Markdown page; refused text leaves the ledger as it was. Most examples
run the real command in-process (click's CliRunner on `exports.cli.main`); a smaller sample runs the
installed `meetings` executable.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import text as limits
from ledger.text import OUTER_SPACE
from tests.calendar_tools import icaljs, require_icaljs
from tests.conftest import Cli, Database, Result, meetings_executable
from tests.support import InProcess

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any Unicode, including controls, separators, lone surrogates and NUL; weighted towards the awkward.
AWKWARD = st.sampled_from(
    [
        "\x00",
        "\n",
        "\r",
        "\t",
        "\x1b[31m",
        "\u2028",
        "\u2029",
        "\ud800",
        "\u200b",
        "\ufeff",
        ";",
        ",",
        "\\",
        ":",
        '"',
        "'",
        "<script>",
        "*",
        "#",
        "(",
        ")",
        "[",
        "]",
        "|",
        "-",
        "1.",
        "%s",
        "{0}",
        "\u202e",
        "é",
        "名前",
        "🎉",
        " ",
        "  ",
    ]
)
ANY_TEXT = st.lists(st.one_of(st.text(max_size=12), AWKWARD), max_size=8).map("".join)
# What a shell can pass in argv (no NUL, no lone surrogates).
ARGV_TEXT = ANY_TEXT.map(lambda s: s.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8"))
counter = itertools.count()


@pytest.fixture
def run(sqlite_db: Database, tmp_path: Path) -> InProcess:
    command = InProcess(sqlite_db, tmp_path)
    command.ok(
        "new",
        "target",
        "--title",
        "Target",
        "--start",
        "2099-02-01T10:00",
        "--end",
        "2099-02-01T11:00",
        "--tz",
        "Europe/Oslo",
    )
    command.ok("topic", "propose", "target", "First topic", "--by", "Ada")
    return command


def assert_handled(result: Result) -> None:
    """However bad the input: a documented exit code and at most one `Error:` line, never a traceback."""
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.err + result.out, result.err
    assert "internal error" not in result.err, result.err
    if result.code:
        assert result.err.startswith("Error: ") or result.err.startswith("Usage:"), result.err


def attempt(run: InProcess, args: tuple[str, ...], input: str | None = None) -> Result | None:
    """Run a command on hostile input; None when it was refused (then nothing was written)."""
    before = run.db.event_count()
    result = run(*args, input=input)
    assert_handled(result)
    if result.code != 0:
        assert run.db.event_count() == before, f"a refused command wrote events: {args}"
        return None
    return result


def single(value: str) -> str:
    """What a one-line field keeps of accepted text: the text without outer spaces (and byte-order marks)."""
    return OUTER_SPACE.sub("", value)


def as_name(value: str) -> str:
    """How a person's name is shown (PRODUCT.md section 10): as typed, in NFC, without invisible characters
    (soft hyphen, zero-width space, word joiner, byte-order mark...), runs of white space made one space."""
    value = unicodedata.normalize("NFC", re.sub("[\u00ad\u180e\u200b\u2060\ufeff]", "", value))
    return " ".join(single(value).split())


def ics_event(run: InProcess, slug: str) -> Any:
    import icalendar

    data = run.ok("export", "ics", slug).out.encode("utf-8")
    cal = icalendar.Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    return event


def page(run: InProcess, slug: str) -> str:
    return run.ok("export", "markdown", slug).out


def page_as_read(run: InProcess, slug: str) -> str:
    """The exported page with its backslash escapes read back as the importer reads them: names, remarks and
    titles that would read as markup are written escaped (`\\*`, `\\|`, `\\<`)."""
    from exports.pages.lines import protect, restore

    return restore(protect(page(run, slug)))


# ----- one property per kind of text -----------------------------------------------------------


@FUZZ
@given(name=ANY_TEXT, remark=ANY_TEXT)
def test_names_and_remarks_come_back_as_typed_or_are_refused(run: InProcess, name: str, remark: str) -> None:
    if attempt(run, ("signup", "target", name, "--remark", remark, "--mode", "remote")) is None:
        return
    shown = as_name(name)
    entries = run.ok("attendees", "target", "--json").json()["attendees"]
    entry = next(e for e in entries if e["name"] == shown)
    assert entry["remark"] == single(remark)
    assert shown in page_as_read(run, "target")
    run.ok("withdraw", "target", "--", shown)  # a name typed " -x" is stored as "-x", which reads as an option


@FUZZ
@given(title=ANY_TEXT, location=ANY_TEXT, description=ANY_TEXT)
def test_titles_locations_and_descriptions_come_back_as_typed(
    run: InProcess, title: str, location: str, description: str
) -> None:
    slug = f"m{next(counter)}"
    args = (
        "new",
        slug,
        "--title",
        title,
        "--start",
        "2099-02-01T10:00",
        "--end",
        "2099-02-01T11:00",
        "--tz",
        "UTC",
        "--location",
        location,
        "--description",
        description,
    )
    if attempt(run, args) is None:
        return
    shown = run.ok("show", slug, "--json").json()
    assert (shown["title"], shown["location"]) == (single(title), single(location))
    assert shown["description"] == description.replace("\r\n", "\n").strip("\ufeff")
    event = ics_event(run, slug)
    assert str(event["SUMMARY"]) == single(title)
    assert str(event.get("LOCATION", "")) == single(location)
    assert shown["description"] in str(event["DESCRIPTION"])
    assert single(title) in page_as_read(run, slug)


@FUZZ
@given(title=ANY_TEXT, retitle=ANY_TEXT, reason=ANY_TEXT)
def test_topic_titles_come_back_as_typed(run: InProcess, title: str, retitle: str, reason: str) -> None:
    if attempt(run, ("topic", "propose", "target", title, "--by", "Ada")) is None:
        return
    agenda = run.ok("agenda", "target", "--json").json()
    topic = agenda[-1]
    assert topic["title"] == single(title)
    assert single(title) in page_as_read(run, "target")
    if attempt(run, ("topic", "retitle", "target", str(topic["id"]), retitle)) is not None:
        assert run.ok("agenda", "target", "--json").json()[-1]["title"] == single(retitle)
    attempt(run, ("topic", "withdraw", "target", str(topic["id"]), "--reason", reason))


def lines_as_read(value: str) -> str:
    """Text files and stdin are read with universal newlines: CRLF and a lone CR both become LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


@FUZZ
@given(notes=ARGV_TEXT)
def test_notes_come_back_as_typed(run: InProcess, notes: str) -> None:
    if attempt(run, ("notes", "edit", "target", "--file", "-"), input=notes) is None:
        return
    assert run.ok("notes", "show", "target", "--json").json()["text"] == lines_as_read(notes).strip("\ufeff")
    if notes.strip("\ufeff").strip():
        from exports.pages.escaping import unescape_notes  # lines that would read as structure get a backslash

        assert lines_as_read(notes).strip("\ufeff").strip() in unescape_notes(page(run, "target"))


def test_notes_that_are_not_utf8_are_refused_in_one_line(run: InProcess, tmp_path: Path) -> None:
    bad = tmp_path / "notes.md"
    bad.write_bytes(b"caf\xe9 \xff\xfe\x00 notes")
    before = run.db.event_count()
    assert_handled(run("notes", "edit", "target", "--file", str(bad)))
    # The same bytes on a real process's stdin (CliRunner's stdin is not the one a shell pipes into).
    proc = subprocess.run(
        [*meetings_executable(), "notes", "edit", "target", "--file", "-"],
        input=bad.read_bytes(),
        capture_output=True,
        env=run.env,
        timeout=120,
    )
    assert_handled(Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode()))
    assert run.db.event_count() == before


@FUZZ
@given(
    slug=ANY_TEXT | st.from_regex(r"[a-z0-9][a-z0-9._-]{0,70}", fullmatch=True),
    zone=ANY_TEXT
    | st.sampled_from(
        [
            "Pacific Time",
            "Europe/Berlin",
            "UTC",
            "Etc/GMT+14",
            "../../etc/passwd",
            "America/Argentina/Buenos_Aires",
            "EST5EDT",
            "Mars/Olympus",
        ]
    ),
    start=ANY_TEXT
    | st.sampled_from(
        [
            "2099-03-01T10:00",
            "2099-13-01T10:00",
            "2099-03-01T25:00",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "2099-03-01T10:00+14:00",
            "2099-03-01",
            "now",
        ]
    ),
    end=st.sampled_from(["2099-03-01T11:00", "2099-02-28T11:00", "9999-12-31T23:59:59", "x"]),
)
def test_slugs_zones_and_times_are_checked_without_tracebacks(
    run: InProcess, slug: str, zone: str, start: str, end: str
) -> None:
    result = attempt(run, ("new", slug, "--title", "T", "--start", start, "--end", end, "--tz", zone))
    if result is None:
        return
    assert limits.SLUG_PATTERN.fullmatch(slug) and len(slug) <= limits.SLUG_MAX
    shown = run.ok("show", slug, "--json").json()
    assert shown["slug"] == slug
    ics_event(run, slug)  # a calendar program can read whatever was accepted


@FUZZ
@given(
    email=ANY_TEXT | st.emails(),
    url=ANY_TEXT
    | st.sampled_from(
        [
            "https://zoom.us/j/1",
            "javascript:alert(1)",
            "http://x/\x00",
            "https://example.org/a b",
            "ftp://x.org/",
            "https://example.org/" + "a" * 3000,
            "https://例え.jp/会議",
            "HTTPS://EXAMPLE.ORG/",
        ]
    ),
)
def test_emails_and_urls_are_checked_without_tracebacks(run: InProcess, email: str, url: str) -> None:
    name = f"Person {next(counter)}"
    if attempt(run, ("signup", "target", name, "--email", email, "--mode", "remote")) is not None:
        doc = run.ok("attendees", "target", "--json").json()
        assert any(e["name"] == name for e in doc["attendees"])
    if attempt(run, ("edit", "target", "--video-url", url)) is not None:
        shown = run.ok("show", "target", "--json").json()
        assert shown["video_url"] == single(url)
        assert single(url) == "" or single(url).lower().startswith(("http://", "https://"))


# ----- documented limits -----------------------------------------------------------------------

LIMITED: list[tuple[str, int, Callable[[str], tuple[str, ...]]]] = [
    ("name", limits.NAME_MAX, lambda v: ("signup", "target", v)),
    ("remark", limits.SHORT_TEXT_MAX, lambda v: ("signup", "target", "Remark Person", "--remark", v)),
    ("title", limits.TITLE_MAX, lambda v: ("edit", "target", "--title", v)),
    ("location", limits.SHORT_TEXT_MAX, lambda v: ("edit", "target", "--location", v)),
    ("description", limits.DESCRIPTION_MAX, lambda v: ("edit", "target", "--description", v)),
    ("topic title", limits.TITLE_MAX, lambda v: ("topic", "propose", "target", v, "--by", "Ada")),
    ("reason", limits.SHORT_TEXT_MAX, lambda v: ("cancel", "target", "--reason", v)),
    (
        "slug",
        limits.SLUG_MAX,
        lambda v: ("new", v, "--title", "T", "--start", "2099-02-01T10:00", "--end", "2099-02-01T11:00", "--tz", "UTC"),
    ),
]


@pytest.mark.parametrize(("what", "limit", "command"), LIMITED, ids=[item[0] for item in LIMITED])
def test_text_over_its_documented_limit_is_refused_with_the_limit_named(
    run: InProcess, what: str, limit: int, command: Callable[[str], tuple[str, ...]]
) -> None:
    over = attempt(run, command("a" * (limit + 1)))
    assert over is None
    result = run(*command("a" * (limit + 1)))
    assert result.code == 2
    assert result.err.strip() == f"Error: {what} is {limit + 1} characters long; the limit is {limit}"
    assert attempt(run, command("a" * limit)) is not None
    huge = run(*command("a" * 1_000_000))
    assert huge.code == 2 and f"the limit is {limit}" in huge.err


def test_notes_over_their_limit_are_refused(run: InProcess) -> None:
    result = run("notes", "edit", "target", "--file", "-", input="n" * (limits.NOTES_MAX + 1))
    assert result.code == 2 and f"the limit is {limits.NOTES_MAX}" in result.err
    run.ok("notes", "edit", "target", "--file", "-", input="n" * limits.NOTES_MAX)


def test_the_readme_documents_the_limits_the_code_enforces() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Limits", 1)[1].split("\n#", 1)[0]
    for number in (
        limits.NAME_MAX,
        limits.TITLE_MAX,
        limits.SHORT_TEXT_MAX,
        limits.DESCRIPTION_MAX,
        limits.NOTES_MAX,
        limits.URL_MAX,
        limits.SLUG_MAX,
    ):
        assert f"{number:,}" in section or str(number) in section


# ----- through other readers and the real executable -------------------------------------------


@FEW
@given(title=ARGV_TEXT, location=ARGV_TEXT, description=ARGV_TEXT)
def test_icaljs_reads_back_accepted_text(
    run: InProcess, tmp_path: Path, title: str, location: str, description: str
) -> None:
    require_icaljs()
    slug = f"js{next(counter)}"
    args = (
        "new",
        slug,
        "--title",
        title,
        "--start",
        "2099-02-01T10:00",
        "--end",
        "2099-02-01T11:00",
        "--tz",
        "America/Los_Angeles",
        "--location",
        location,
        "--description",
        description,
    )
    if attempt(run, args) is None:
        return
    path = tmp_path / f"{slug}.ics"
    path.write_bytes(run.ok("export", "ics", slug).out.encode("utf-8"))
    (event,) = icaljs(path)["events"]
    assert event["summary"] == single(title)
    assert (event["location"] or "") == single(location)
    assert description.replace("\r\n", "\n").strip("\ufeff") in event["description"]


@pytest.fixture
def process_cli(sqlite_db: Database, tmp_path: Path) -> Cli:
    """The installed `meetings` as a process, on a ledger with the meeting "target" (made in-process: setup)."""
    InProcess(sqlite_db, tmp_path).ok(
        "new",
        "target",
        "--title",
        "Target",
        "--start",
        "2099-02-01T10:00",
        "--end",
        "2099-02-01T11:00",
        "--tz",
        "Europe/Oslo",
    )
    return Cli(sqlite_db, tmp_path)


@pytest.mark.slow
@FEW
@given(name=ARGV_TEXT, remark=ARGV_TEXT, zone=ARGV_TEXT)
def test_the_real_executable_never_shows_a_traceback(process_cli: Cli, name: str, remark: str, zone: str) -> None:
    for args in (
        ("signup", "target", name, "--remark", remark),
        ("topic", "propose", "target", name),
        ("reschedule", "target", "--start", remark or "x", "--end", "2099-02-01T11:00", "--tz", zone),
    ):
        before = process_cli.db.event_count()
        try:
            result = process_cli(*args)
        except (ValueError, UnicodeEncodeError):
            continue  # argv cannot carry this text at all
        except subprocess.TimeoutExpired:
            pytest.fail(f"meetings {args} hung")
        assert_handled(result)
        if result.code:
            assert process_cli.db.event_count() == before
