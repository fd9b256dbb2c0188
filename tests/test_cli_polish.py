"""The CLI as people expect it (issue 21): help for bare groups, no ledger made by reading, and more.

The rules run the real command in this process (the `in_process` marker); what depends on the
process itself stays one: a real terminal or a pipe (colour, progress, the editor), the process's
time zone, the shell-completion hook of the installed command, and the README and fixture script
run as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, Database

pytestmark = pytest.mark.in_process


@pytest.fixture
def process_cli(sqlite_db: Database, tmp_path: Path) -> Cli:
    """The installed `meetings` as a process, on the same ledger and home as `sqlite_cli`."""
    return Cli(sqlite_db, tmp_path)


BARE_GROUPS = [[], ["topic"], ["notes"], ["export"], ["import"], ["feed-token"], ["account"], ["admin"], ["organizers"]]


@pytest.mark.parametrize("words", BARE_GROUPS, ids=lambda words: " ".join(words) or "meetings")
def test_a_bare_group_prints_its_help(sqlite_cli: Cli, words: list[str]) -> None:
    result = sqlite_cli(*words)
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out.startswith("Usage: meetings")
    assert "\nCommands:\n" in result.out


NEW_MEETING = ("new", "m", "--title", "M", "--start", "2030-01-01T10:00", "--end", "2030-01-01T11:00", "--tz", "UTC")
READS = [
    ["list"],
    ["show", "m"],
    ["attendees", "m"],
    ["agenda", "m"],
    ["notes", "show", "m"],
    ["notes", "history", "m"],
    ["audit"],
    ["verify"],
    ["export", "ics", "m"],
    ["export", "feed"],
    ["export", "markdown", "m"],
    ["account", "list"],
    ["organizers", "list", "m"],
]


@pytest.mark.parametrize("words", READS, ids=" ".join)
def test_a_read_on_a_missing_ledger_says_so_and_creates_nothing(
    sqlite_cli: Cli, tmp_path: Path, words: list[str]
) -> None:
    typo = tmp_path / "typo" / "ledgr.sqlite"
    result = sqlite_cli("--db", str(typo), *words)
    assert result.code == 1, result
    assert result.err.startswith(f"Error: no ledger at {typo};"), result.err
    assert result.err.count("\n") == 1
    assert not typo.parent.exists()


def test_a_read_on_an_empty_postgresql_database_says_so_and_creates_no_table(sqlite_cli: Cli) -> None:
    import psycopg

    from tests.conftest import POSTGRES_URL, _postgres_database

    if not POSTGRES_URL:
        pytest.skip("MEETINGS_TEST_POSTGRES is not set (.ci/run starts a server and sets it)")

    def tables(url: str) -> list[str]:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    for url in _postgres_database():  # a fresh database, dropped afterwards
        for words in READS:
            result = sqlite_cli("--db", url, *words)
            assert result.code == 1, (words, result)
            assert result.err.startswith(f"Error: no ledger at {url};"), (words, result.err)
            assert result.err.count("\n") == 1
        assert tables(url) == []
        sqlite_cli.ok("--db", url, *NEW_MEETING)  # a write starts the ledger there
        assert "ledger_events" in tables(url)


def test_a_write_that_starts_a_ledger_says_where(process_cli: Cli, tmp_path: Path) -> None:
    # A process: the command says so as it exits, once it has succeeded (exports.cli.group).
    fresh = tmp_path / "fresh.sqlite"
    first = process_cli.ok("--db", str(fresh), *NEW_MEETING)
    assert first.out == "Created m.\n"
    assert first.err == f"Started a new ledger at {fresh} (no ledger was there).\n"
    assert process_cli.ok("--db", str(fresh), "signup", "m", "Ann").err == ""


def test_global_options_work_after_the_command(sqlite_cli: Cli, tmp_path: Path) -> None:
    other = str(tmp_path / "other.sqlite")
    sqlite_cli.ok(*NEW_MEETING, "--db", other)
    signed = sqlite_cli.ok("signup", "m", "Ann Lee", "--json", "--db", other, "--as", "bob")
    assert set(signed.json()) == {"position", "summary"}
    assert sqlite_cli.ok("attendees", "m", "--db", other, "--json").json()["seated"][0]["name"] == "Ann Lee"
    assert "(for bob) signed up Ann Lee" in sqlite_cli.ok("audit", "m", "--db", other).out
    assert sqlite_cli.ok("notes", "show", "m", "--db", other, "--json").json()["section"] == "general"
    assert sqlite_cli.ok("export", "ics", "m", "--db", other).out.startswith("BEGIN:VCALENDAR")
    # The ledger named before the command is not touched by one named after it.
    assert sqlite_cli("show", "m").code == 1


def test_change_and_capacity_say_who_was_promoted_and_keep_the_slug_as_typed(sqlite_cli: Cli) -> None:
    sqlite_cli.ok(*NEW_MEETING, "--capacity", "1")
    for name in ("Ann", "Bob", "Cy"):
        sqlite_cli.ok("signup", "m", name)
    assert sqlite_cli.ok("change", "m", "Ann", "--mode", "remote").out == "Ann is now (Remote); promoted Bob.\n"
    assert sqlite_cli.ok("capacity", "m", "5").out == "m capacity is now 5; promoted Cy.\n"
    assert sqlite_cli.ok("change", "m", "Bob", "--remark", "late").out == "Bob is now (In Person) late.\n"
    assert sqlite_cli.ok("withdraw", "m", "Cy").out == "Withdrew Cy from m.\n"
    assert sqlite_cli.ok("capacity", "m", "none", "--json").json()["summary"] == "m capacity is now unlimited"


@pytest.mark.parametrize("when", ["2027-03-01", "20270301"])
def test_a_date_without_a_time_is_refused_with_a_hint(sqlite_cli: Cli, when: str) -> None:
    result = sqlite_cli("new", "d", "--title", "D", "--start", when, "--end", "2027-03-01T10:00", "--tz", "UTC")
    assert result.code == 2
    assert result.err == f"Error: start {when!r} has no time of day; give one, e.g. 2027-03-01T09:00\n"
    sqlite_cli.ok("new", "d", "--title", "D", "--start", "2027-03-01 09:00", "--end", "2027-03-01T10:00", "--tz", "UTC")
    assert sqlite_cli("reschedule", "d", "--start", "2027-03-02T09:00", "--end", "2027-03-02").code == 2


@pytest.fixture
def topics(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok(*NEW_MEETING)
    sqlite_cli.ok("topic", "propose", "m", "First")
    sqlite_cli.ok("topic", "propose", "m", "Second")
    return sqlite_cli


def test_an_empty_notes_edit_needs_allow_empty(topics: Cli, tmp_path: Path) -> None:
    topics.ok("notes", "edit", "m", "--file", "-", input="keep me\n")
    before = topics.db.event_count()
    empty = tmp_path / "empty.md"
    empty.write_text("")
    for args, text in ((("--file", str(empty)), None), (("--file", "-"), " \n\n")):
        refused = topics("notes", "edit", "m", *args, input=text)
        assert refused.code == 2
        assert refused.err == "Error: the new text is empty; nothing changed (give --allow-empty to blank the notes)\n"
    assert topics.db.event_count() == before
    assert topics.ok("notes", "show", "m").out == "keep me\n"
    topics.ok("notes", "edit", "m", "--file", "-", "--allow-empty", input="")
    assert topics.ok("notes", "show", "m", "--json").json()["text"] == ""


def test_notes_edit_without_a_terminal_or_file_refuses_instead_of_starting_an_editor(
    topics: Cli, process_cli: Cli
) -> None:
    # EDITOR would be "true" (saving nothing) or hang on a real editor; neither must start here.
    # A process, so that its stdin and stdout are really not a terminal.
    result = process_cli("notes", "edit", "m", input="", env={"EDITOR": "true", "VISUAL": "true"})
    assert result.code == 2
    assert result.err.startswith("Error: no terminal to open an editor in; give --file FILE")


def test_notes_show_without_topic_prints_every_section_under_its_heading(topics: Cli) -> None:
    topics.ok("notes", "edit", "m", "--file", "-", input="General words.\n")
    saved = topics.ok("notes", "edit", "m", "--topic", "2", "--file", "-", input="About the second.\n")
    assert saved.out == "Saved the notes of topic 2 of m, revision 1.\n"
    assert topics.ok("notes", "show", "m").out == "General words.\n\n## 2. Second (topic 2)\n\nAbout the second.\n"
    assert topics.ok("notes", "show", "m", "--topic", "2").out == "About the second.\n"
    # The JSON shape without --topic is still the general section alone.
    assert topics.ok("notes", "show", "m", "--json").json()["text"] == "General words.\n"


@pytest.mark.parametrize(
    "words",
    [
        ["notes", "show", "m", "--topic", "9"],
        ["notes", "history", "m", "--topic", "9"],
        ["notes", "diff", "m", "0", "--topic", "9"],
        ["notes", "edit", "m", "--topic", "9", "--file", "-"],
        ["notes", "restore", "m", "1", "--topic", "9"],
    ],
    ids=lambda words: words[1],
)
def test_an_unknown_topic_is_an_error_everywhere(topics: Cli, words: list[str]) -> None:
    result = topics(*words, input="text\n")
    assert result.code == 1, result
    assert "has no topic with id 9" in result.err and result.err.count("\n") == 1


def test_a_proposed_topic_is_named_by_its_number(topics: Cli) -> None:
    assert topics.ok("topic", "propose", "m", "Deeper", "--under", "2").out == "Proposed topic 2a for m (id 3).\n"
    assert topics.ok("topic", "propose", "m", "--json", "Third").json()["summary"] == "proposed topic 4 for m"


def test_a_notes_conflict_names_the_section_revisions_and_lines_and_is_bounded(topics: Cli) -> None:
    base = "".join(f"line {n}\n" for n in range(5000))
    topics.ok("notes", "edit", "m", "--topic", "1", "--file", "-", input=base)
    topics.ok("notes", "edit", "m", "--topic", "1", "--file", "-", input=base.upper())
    stale = topics("notes", "edit", "m", "--topic", "1", "--base", "1", "--file", "-", input=base.replace("line", "l"))
    assert stale.code == 1
    error = stale.err.splitlines()[-1]
    assert error.startswith("Error: the notes of topic 1 changed since revision 1 (now 2) in the same place")
    assert "lines 1-5000 of the current text, lines 1-5000 of yours" in error
    assert len(stale.err) < 20_000
    assert "more conflicting lines" in stale.err


def test_a_merged_stale_edit_is_held_to_the_notes_limit(topics: Cli) -> None:
    from ledger.text import NOTES_MAX

    half = NOTES_MAX // 2 + 10
    topics.ok("notes", "edit", "m", "--file", "-", input="top\nmiddle\nbottom\n")
    topics.ok("notes", "edit", "m", "--file", "-", input="x" * half + "\nmiddle\nbottom\n")
    before = topics.db.event_count()
    merged = topics("notes", "edit", "m", "--base", "1", "--file", "-", input="top\nmiddle\n" + "y" * half + "\n")
    assert merged.code == 2, merged
    assert merged.err.startswith("Error: notes is ") and "the limit is" in merged.err
    assert topics.db.event_count() == before


@pytest.mark.parametrize("what", [["ics", "m"], ["feed"], ["markdown", "m"]], ids=lambda w: w[0])
def test_o_never_clobbers_without_force_and_replaces_whole_with_it(
    sqlite_cli: Cli, tmp_path: Path, what: list[str]
) -> None:
    sqlite_cli.ok(*NEW_MEETING)
    out = tmp_path / "out.file"
    out.write_text("precious\n")
    refused = sqlite_cli("export", *what, "-o", str(out))
    assert refused.code == 2
    assert refused.err == f"Error: {out} exists already; give --force to replace it\n"
    assert out.read_text() == "precious\n"
    sqlite_cli.ok("export", *what, "-o", str(out), "--force")
    assert out.read_text() != "precious\n" and out.stat().st_size > 0
    fresh = tmp_path / "fresh.file"
    sqlite_cli.ok("export", *what, "-o", str(fresh))
    assert fresh.read_bytes() == out.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []  # no temporary left


def test_a_bad_o_path_is_exit_2_in_words(sqlite_cli: Cli, tmp_path: Path) -> None:
    sqlite_cli.ok(*NEW_MEETING)
    missing = tmp_path / "no" / "such" / "dir" / "m.ics"
    result = sqlite_cli("export", "ics", "m", "-o", str(missing))
    assert (result.code, result.err) == (2, f"Error: cannot write {missing}: No such file or directory\n")
    assert "Errno" not in result.err and "tmp-" not in result.err
    folder = sqlite_cli("export", "markdown", "m", "-o", str(tmp_path))
    assert (folder.code, folder.err) == (2, f"Error: cannot write {tmp_path}: it is a directory\n")
    unreadable = sqlite_cli("import", "markdown", str(tmp_path / "none.md"))
    assert unreadable.err == f"Error: cannot read {tmp_path / 'none.md'}: No such file or directory\n"


def test_a_topic_moved_out_of_range_is_bad_input(topics: Cli) -> None:
    result = topics("topic", "move", "m", "1", "9")
    assert (result.code, result.err) == (2, "Error: position must be between 1 and 2, not 9\n")


def test_a_file_that_cannot_be_read_is_named_with_the_reason_in_words(topics: Cli, tmp_path: Path) -> None:
    result = topics("notes", "edit", "m", "--file", str(tmp_path))
    assert (result.code, result.err) == (2, f"Error: cannot read {tmp_path}: Is a directory\n")


@pytest.mark.parametrize(
    ("command", "after"),
    [(["show"], []), (["attendees"], []), (["signup"], ["Ann"]), (["notes", "show"], [])],
    ids=lambda words: " ".join(words),
)
def test_a_slug_typo_suggests_the_nearest_meeting(sqlite_cli: Cli, command: list[str], after: list[str]) -> None:
    sqlite_cli.ok("new", "sig-node-f2f-2016", *NEW_MEETING[2:])
    sqlite_cli.ok("new", "wasm-cg-2022", *NEW_MEETING[2:])
    result = sqlite_cli(*command, "sig-node-f2f-2061", *after)
    assert (result.code, result.err) == (1, "Error: no meeting 'sig-node-f2f-2061' (did you mean sig-node-f2f-2016?)\n")
    assert sqlite_cli(*command, "zzz", *after).err == "Error: no meeting 'zzz'\n"


def test_the_feed_window_can_be_all_and_the_feed_says_what_it_holds(sqlite_cli: Cli) -> None:
    sqlite_cli.ok(
        "new", "old", "--title", "Old", "--start", "2016-11-07T13:00", "--end", "2016-11-07T16:00", "--tz", "UTC"
    )
    sqlite_cli.ok(*NEW_MEETING)
    recent = sqlite_cli.ok("export", "feed").out
    assert recent.count("BEGIN:VEVENT") == 1
    assert "X-WR-CALDESC:Upcoming meetings and those of the last 30 days" in recent
    everything = sqlite_cli.ok("export", "feed", "--past-days", "all").out
    assert everything.count("BEGIN:VEVENT") == 2 and "X-WR-CALDESC:Every meeting in the ledger" in everything
    assert sqlite_cli("export", "feed", "--past-days", "3651").code == 2


def on_a_terminal(cli: Cli, *args: str, env: dict[str, str] | None = None) -> str:
    """What `meetings ARGS` writes when stdout and stderr are a terminal (a pseudo-terminal here)."""
    import os
    import pty
    import subprocess

    from tests.conftest import meetings_executable

    leader, follower = pty.openpty()
    proc = subprocess.run(
        [*meetings_executable(), *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**cli.env, "TERM": "xterm", **(env or {})},
        timeout=120,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode in (0, 1), proc
    return b"".join(chunks).decode()


def test_list_has_a_header_and_aligned_columns(sqlite_cli: Cli, process_cli: Cli) -> None:
    sqlite_cli.ok("new", "a-much-longer-slug", *NEW_MEETING[2:])
    sqlite_cli.ok(
        "new", "old", "--title", "Old", "--start", "2016-11-07T13:00", "--end", "2016-11-07T16:00", "--tz", "UTC"
    )
    sqlite_cli.ok("cancel", "old")
    lines = sqlite_cli.ok("list").out.splitlines()
    assert lines[0].split() == ["SLUG", "WHEN", "STATUS", "TITLE"]
    assert lines[1].startswith("old                 2016-11-07 13:00-16:00 UTC  cancelled  Old")
    assert lines[2].startswith("a-much-longer-slug  2030-01-01 10:00-11:00 UTC  upcoming   M")
    assert {line.index(line.split()[-1]) for line in lines} == {len(lines[0]) - len("TITLE")}
    assert "\x1b[" not in process_cli.ok("list").out  # piped: no colour (a process: CliRunner strips colour)


def test_colour_only_on_a_terminal_and_never_with_no_color(sqlite_cli: Cli) -> None:
    sqlite_cli.ok(*NEW_MEETING, "--capacity", "1")
    sqlite_cli.ok("signup", "m", "Ann")
    sqlite_cli.ok("signup", "m", "Bob")
    sqlite_cli.ok("cancel", "m")
    shown = on_a_terminal(sqlite_cli, "attendees", "m")
    assert "\x1b[33m, waitlist 1\x1b[0m" in shown
    assert "\x1b[31m  [CANCELLED]\x1b[0m" in on_a_terminal(sqlite_cli, "show", "m")
    assert "\x1b[31mcancelled" in on_a_terminal(sqlite_cli, "list")
    assert "\x1b[31m\x1b[1mError:\x1b[0m no meeting 'zz'" in on_a_terminal(sqlite_cli, "show", "zz")
    for args in (("attendees", "m"), ("list",), ("show", "zz")):
        assert "\x1b[" not in on_a_terminal(sqlite_cli, *args, env={"NO_COLOR": "1"})


def test_as_of_without_an_offset_is_read_in_the_meetings_zone(sqlite_cli: Cli, process_cli: Cli) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    sqlite_cli.ok("new", "far", *NEW_MEETING[2:-1], "Asia/Tokyo")
    sqlite_cli.ok("signup", "far", "Ann")
    created, signed = (
        datetime.fromisoformat(e["time"]) for e in sqlite_cli.ok("audit", "far", "--format", "json").json()
    )
    between = (created + (signed - created) / 2).astimezone(tokyo).replace(tzinfo=None).isoformat()
    # The process runs with TZ=UTC: read in UTC, Tokyo's wall-clock time would be 9 hours after both events.
    # (A process for the times without an offset: this one's own zone is not the test's to set.)
    assert process_cli.ok("attendees", "far", "--json", "--as-of", between).json()["attendees"] == []
    assert sqlite_cli.ok("attendees", "far", "--json", "--as-of", between + "+09:00").json()["attendees"] == []
    later = signed.astimezone(tokyo).replace(tzinfo=None).isoformat()
    assert len(process_cli.ok("attendees", "far", "--json", "--as-of", later).json()["attendees"]) == 1


# ----- the README, run as written -------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_block(after: str, fence: str = "```sh\n") -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(fence, text.index(after)) + len(fence)
    return text[start : text.index("```", start)]


def a_fresh_user(cli: Cli, tmp_path: Path) -> dict[str, str]:
    """A new user's environment: nothing on PATH but the system's, no ledger chosen, an empty home."""
    env = {k: v for k, v in cli.env.items() if k not in ("MEETINGS_DB", "MEETINGS_ACTOR", "VIRTUAL_ENV")}
    home = tmp_path / "home"
    home.mkdir()
    return {**env, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}


def test_the_readme_main_job_runs_twice_in_a_row(sqlite_cli: Cli, tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import REPO, meetings_executable

    command = readme_block("## Set up").strip()
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/meetings import")
    # The virtualenv is the one running these tests; everything after installing it runs as written.
    installed = command.split(" && ", 2)[2].replace(".venv/bin/meetings", " ".join(meetings_executable()))
    env = a_fresh_user(sqlite_cli, tmp_path)
    runs = [
        subprocess.run(["bash", "-c", installed], cwd=REPO, env=env, capture_output=True, text=True) for _ in (1, 2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Attendees: [Limit: 25] 22 seated" in run.stdout and "1. Dawn Chen (In Person)" in run.stdout
    assert runs[0].stdout.startswith("Imported sig-node-f2f-2016 (35 events)")
    assert runs[0].stdout.split("\n", 1)[1] == runs[1].stdout.split("\n", 1)[1]  # the same list and agenda
    ledger = Path(env["XDG_DATA_HOME"]) / "meeting-ledger" / "ledger.sqlite"
    assert f"Started a new ledger at {ledger}" in runs[0].stderr
    assert "sig-node-f2f-2016 is in the ledger already; nothing imported (--skip-existing)." in runs[1].stdout


@pytest.mark.slow
def test_the_readme_tour_runs_line_by_line_on_a_fresh_ledger(sqlite_cli: Cli, tmp_path: Path) -> None:
    import subprocess
    import sys

    lines = readme_block("<!-- tour -->").replace("\\\n", " ").splitlines()
    assert lines[0].startswith(". .venv/bin/activate")
    work = tmp_path / "checkout"
    work.mkdir()
    (work / ".venv").symlink_to(sys.prefix)
    script = ["set -eo pipefail", "trap 'echo \"README tour line failed: $BASH_COMMAND\" >&2' ERR"]
    for number, line in enumerate(lines, 1):
        script += [f"echo '@@ {number}'", line]
    run = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=work,
        env=a_fresh_user(sqlite_cli, tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr
    said = dict(part.split("\n", 1) for part in run.stdout.split("@@ ")[1:])
    said = {int(k): v for k, v in said.items()}
    by_command = {line.split("#")[0].strip(): said[n] for n, line in enumerate(lines, 1)}

    def out(prefix: str) -> str:
        return next(text for command, text in by_command.items() if command.startswith(prefix))

    assert "promoted Brandon Philips" in out('meetings change sig-node-f2f-2016 "Dawn Chen"')
    assert "Brandon Philips" in out("meetings attendees sig-node-f2f-2016 --json --as-of")
    assert "Brandon Philips" not in by_command["meetings attendees sig-node-f2f-2016"]  # withdrawn since
    assert out('meetings topic propose sig-node-f2f-2016 "Nodespec').startswith("Proposed topic 1 ")
    assert out('meetings topic propose sig-node-f2f-2016 "Image').startswith("Proposed topic 1a ")
    assert "## 1a. Image validation (topic 2)" in out("meetings notes show")
    assert out("meetings verify").startswith("ok")
    assert (work / "tour.sqlite").exists() and (work / "tour.md").exists()


def test_feed_token_list_names_who_has_a_feed_url_never_the_url(sqlite_cli: Cli) -> None:
    sqlite_cli.ok(*NEW_MEETING)
    sqlite_cli.ok("signup", "m", "Ann Lee")
    sqlite_cli.ok("signup", "m", "Bob Ray")
    assert sqlite_cli.ok("feed-token", "list").out.startswith("No feed URLs issued yet.")
    url = sqlite_cli.ok("feed-token", "issue", "Bob Ray").out.strip()
    sqlite_cli.ok("feed-token", "issue", "Ann Lee")
    listed = sqlite_cli.ok("feed-token", "list")
    assert [line.split("  (issued ")[0] for line in listed.out.splitlines()] == ["Ann Lee", "Bob Ray"]
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in listed.out
    sqlite_cli.ok("feed-token", "revoke", "Ann Lee")
    assert [row["person"] for row in sqlite_cli.ok("feed-token", "list", "--json").json()] == ["Bob Ray"]


def test_shell_completion_completes_meeting_slugs(sqlite_cli: Cli, process_cli: Cli) -> None:
    sqlite_cli.ok("new", "sig-node-f2f-2016", *NEW_MEETING[2:])
    sqlite_cli.ok("new", "wasm-cg-2022", *NEW_MEETING[2:])

    def complete(*words: str, via: Cli = sqlite_cli) -> list[str]:
        env = {
            "COMP_WORDS": " ".join(["meetings", *words]),
            "COMP_CWORD": str(len(words)),
            "_MEETINGS_COMPLETE": "bash_complete",
        }
        return via.ok(env=env).out.split()

    # The hook a shell calls is the installed command's own (its variable named after it): a process once.
    assert complete("show", "sig", via=process_cli) == ["plain,sig-node-f2f-2016"]
    assert complete("notes", "show", "w") == ["plain,wasm-cg-2022"]
    assert set(complete("signup", "")) == {"plain,sig-node-f2f-2016", "plain,wasm-cg-2022"}
    assert "_meetings_completion" in process_cli.ok(env={"_MEETINGS_COMPLETE": "bash_source"}).out


def test_every_help_option_is_described(sqlite_cli: Cli) -> None:
    import click

    from exports.cli.group import main

    ctx = click.Context(main)
    undescribed = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                found = command.get_command(ctx, name)
                assert found is not None
                walk(found, [*path, name])
            return
        undescribed.extend(
            f"meetings {' '.join(path)} {p.opts[0]}"
            for p in command.params
            if isinstance(p, click.Option) and not p.help
        )

    walk(main, [])
    assert undescribed == []
    shown = sqlite_cli.ok("reschedule", "--help").out
    assert "--fold [first|second] For a local time that happens twice" in " ".join(shown.split())


def test_the_fixture_script_runs_without_meetings_on_path(sqlite_cli: Cli, tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import REPO

    env = {**sqlite_cli.env, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    script = REPO / "tests" / "fixtures" / "sig-node-f2f-2016.sh"
    if not (REPO / ".venv" / "bin" / "meetings").exists():
        pytest.skip("the checkout has no .venv (the script then uses `meetings` on PATH)")
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert sqlite_cli.ok("attendees", "sig-node-f2f-2016", "--json").json()["counts"]["seated"] >= 20


def test_verify_shows_progress_on_a_terminal_only(sqlite_cli: Cli, process_cli: Cli) -> None:
    sqlite_cli.ok(*NEW_MEETING)
    for n in range(3):
        sqlite_cli.ok("signup", "m", f"Person {n}")
    assert "Verifying" in on_a_terminal(sqlite_cli, "verify")
    piped = process_cli.ok("verify")  # a process: its stderr really a pipe
    assert "Verifying" not in piped.out + piped.err and piped.out.startswith("ok: 4 events")


def test_import_and_migrate_show_progress_on_a_terminal_only(process_cli: Cli, tmp_path: Path) -> None:
    from tests.conftest import SEED

    # A terminal and a pipe, each as a process sees them.
    drawn = on_a_terminal(process_cli, "import", "markdown", str(SEED), "--slug", "on-a-terminal")
    assert "Importing" in drawn and "100%" in drawn and "Imported on-a-terminal" in drawn
    piped = process_cli.ok("import", "markdown", str(SEED), "--slug", "piped")
    assert "Importing" not in piped.out + piped.err and piped.out.startswith("Imported piped")
    assert "Migrating" in on_a_terminal(
        process_cli, "migrate", "--encrypt-personal-data", "--to", str(tmp_path / "drawn.sqlite")
    )
    migrated = process_cli.ok("migrate", "--encrypt-personal-data", "--to", str(tmp_path / "piped.sqlite"))
    assert "Migrating" not in migrated.out + migrated.err and migrated.out.startswith("Migrated ")
