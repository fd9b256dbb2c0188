"""The hash chain verified by a second process while this one checks the caches (`verify --deep`).

Verifying the chain hashes every stored row; the deep check decodes and folds every event. Both are
Python work that holds the interpreter lock, so a thread would only take turns with the fold: a
second process verifies the chain on another core. It is a fresh interpreter (`python -m
ledger.chain_process`), not a fork, so no database connection or SQLite lock state crosses into it;
it opens the ledger itself, as a read command does, and answers in JSON on its stdout. Anything
that keeps it from answering (no interpreter to start, a crash, an unreadable answer) leaves the
chain to be verified in this process, exactly as without --deep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from ledger.chain import Break, Digest, Verification
from ledger.storage.database import Database

# Below this many events the deep check is done before a second interpreter has started and opened
# the ledger (about 0.2 s of a 2-core machine), so the chain is verified here, after it.
BESIDE_FROM = 20_000
WORKER = "ledger.chain_process"


class ChainBeside:
    """The chain being verified by the second process; `result()` waits for its answer."""

    def __init__(self, database: Database, expect: Digest | None) -> None:
        request = {
            "database": {"backend": database.backend, "location": database.location, "env": database.env},
            "expect": None if expect is None else str(expect),
        }
        self._process: subprocess.Popen[bytes] | None = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", WORKER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # a failure is handled by verifying here; nothing for the terminal
            )
            assert self._process.stdin is not None
            # On stdin, not the command line: a PostgreSQL password in the settings must not show in `ps`.
            self._process.stdin.write(json.dumps(request).encode())
            self._process.stdin.close()
        except OSError:  # no interpreter to start (an embedded Python), or it died before reading
            self.stop()

    def result(self) -> Verification | None:
        """The chain as the second process found it, or None when it could not say."""
        if self._process is None:
            return None
        try:
            assert self._process.stdout is not None
            out = self._process.stdout.read()
            if self._process.wait() != 0:
                return None
            return _decoded(json.loads(out))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return None
        finally:
            self.stop()

    def stop(self) -> None:
        """End the second process if it is still running (this one was interrupted, or is done with it)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def chain_beside(database: Database, expect: Digest | None, events: int) -> ChainBeside | None:
    """A second process verifying the chain, when the ledger is long enough to gain from one."""
    if events < BESIDE_FROM or not sys.executable:
        return None
    return ChainBeside(database, expect)


def _encoded(result: Verification) -> dict[str, Any]:
    broken = result.broken
    return {
        "count": result.count,
        "head": str(result.head),
        "broken": None if broken is None else list(broken),
        "expected": result.expected,
    }


def _decoded(data: dict[str, Any]) -> Verification:
    broken = data["broken"]
    return Verification(
        int(data["count"]),
        Digest.parse(data["head"]),
        None if broken is None else Break(int(broken[0]), str(broken[1]), str(broken[2]), broken[3]),
        data["expected"],
    )


def _main() -> None:
    """The second process: read the request on stdin, verify, write the answer on stdout."""
    from ledger.chain import verify_ledger
    from ledger.storage.database import open_ledger, open_recorder

    request = json.loads(sys.stdin.buffer.read())
    spec = request["database"]
    database = Database(spec["backend"], spec["location"], dict(spec["env"]))
    expect = None if request["expect"] is None else Digest.parse(request["expect"])
    # The rows alone, as `verify` reads them (its start-up is what BESIDE_FROM weighs); PostgreSQL whole,
    # the application kept referenced: collected, it would close the connections under its recorder.
    recorder = open_recorder(database)
    app = None
    if recorder is None:
        app = open_ledger(database, create=False)
        recorder = app.recorder
    answer = json.dumps(_encoded(verify_ledger(recorder, expect)))
    sys.stdout.write(answer)
    sys.stdout.flush()
    os._exit(0)  # as the `meetings` process does: nothing was written, no teardown is needed


if __name__ == "__main__":
    _main()
