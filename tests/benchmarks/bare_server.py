"""The baseline server: waitress, as `meetings serve` runs it, answering with fixed bytes.

`python -m tests.benchmarks.bare_server PORT BODY_FILE ETAG LAST_MODIFIED CONTENT_TYPE`
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def make_app(body: bytes, etag: str, last_modified: str, content_type: str) -> Callable[..., Iterable[bytes]]:
    """Answers every GET with the body, or 304 when If-None-Match names its ETag."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = [("ETag", etag), ("Cache-Control", "no-cache")]
        if last_modified:
            headers.append(("Last-Modified", last_modified))
        if environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", headers)
            return []
        start_response("200 OK", [*headers, ("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app


def start(port: int, body_file: Path, headers: dict[str, str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """This server in its own process, with the validators and type of the answer it stands beside."""
    from tests.benchmarks.processes import REPO

    argv = [str(port), str(body_file), headers["etag"], headers.get("last-modified", ""), headers["content-type"]]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.bare_server", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )


def main(argv: list[str]) -> None:
    from exports.server.serve import serve

    port, body_file, etag, last_modified, content_type = argv
    app = make_app(Path(body_file).read_bytes(), etag, last_modified, content_type)
    # Served by the very function `meetings serve` uses: the same stack and settings.
    serve(app, "127.0.0.1", int(port))  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
