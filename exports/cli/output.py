"""`-o FILE` for every export: written whole or not at all, never over an existing file unless `--force`.

The bytes go to a temporary file made safely (unpredictable name, owner-only, `O_EXCL`) beside FILE, then
take FILE's name in one step: a reader never sees half a calendar, and a crash leaves FILE as it was.
Without `--force`, the last step is a hard link, which the OS refuses if FILE appeared meanwhile.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from exports.cli.support import fail, os_error_text


def output_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """`-o/--output FILE` and `--force`."""
    f = click.option("--force", is_flag=True, help="With -o: replace FILE if it exists (else refused, exit 2).")(f)
    return click.option(
        "-o", "--output", metavar="FILE", help="Write to FILE (whole, or not at all) instead of stdout."
    )(f)


def write_output(data: bytes, output: str | None, force: bool = False) -> None:
    """To stdout, or to FILE as above; a refusal is one `Error:` line, exit 2, and FILE is untouched."""
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    if target.is_dir():
        fail(f"cannot write {output}: it is a directory", 2)
    if not force and target.exists():
        fail(f"{output} exists already; give --force to replace it", 2)
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        fail(f"cannot write {output}: {os_error_text(error)}", 2)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        if force:
            os.replace(tmp, target)
        else:
            _link_new(tmp, target)
    except FileExistsError:
        fail(f"{output} exists already; give --force to replace it", 2)
    except OSError as error:
        fail(f"cannot write {output}: {os_error_text(error)}", 2)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _link_new(tmp: str, target: Path) -> None:
    """Give the written file FILE's name only if FILE does not exist (atomically where links work)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: the check above is all there is
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.replace(tmp, target)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
