"""Where the ledger lives: a SQLite file by default, PostgreSQL when given a postgresql:// URL."""

from __future__ import annotations

import os
import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger.errors import BadInputError

if TYPE_CHECKING:
    from pathlib import Path

    from ledger.application import Ledger

POSTGRES_SCHEMES = ("postgresql", "postgres")
LEDGER_NAME = "Ledger"  # the application's name: eventsourcing reads LEDGER_-prefixed settings first


class Database(NamedTuple):
    """A parsed --db value: which backend, and the eventsourcing settings that select it."""

    backend: str  # "sqlite" or "postgres"
    location: str  # file path, or the URL without its password
    env: dict[str, str]

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgres"

    @classmethod
    def sealed(cls, backend: str, location: str, settings: dict[str, str]) -> Database:
        """The backend's settings behind our recorder for it, which seals every event into the hash chain."""
        return cls(backend, location, {"PERSISTENCE_MODULE": f"ledger.storage.recorders.{backend}", **settings})


def default_path() -> Path:
    """A SQLite file in the user's data directory (XDG on Linux, the OS's own elsewhere)."""
    from pathlib import Path

    import platformdirs  # only needed when no --db is given

    return Path(platformdirs.user_data_dir("meeting-ledger")) / "ledger.sqlite"


def resolve(db: str | None) -> Database:
    """`--db PATH|URL`, else MEETINGS_DB, else the default file."""
    value = db or os.environ.get("MEETINGS_DB") or ""
    if value.split(":", 1)[0].lower() in POSTGRES_SCHEMES and "://" in value:
        return _postgres(value)
    if "://" in value:
        raise BadInputError(f"unsupported database URL {value!r}; use a file path or postgresql://")
    # A path already written as pathlib writes it is used as it is (pathlib costs a write command start-up time).
    if _plain_path(value):
        path = value
    else:
        from pathlib import Path

        path = str(Path(value).expanduser() if value else default_path())
    if os.path.isdir(path):
        raise BadInputError(f"{path} is a directory; --db needs a file path")
    # Many processes may write at once; wait for the lock rather than fail.
    return Database.sealed("sqlite", path, {"SQLITE_DBNAME": path, "SQLITE_LOCK_TIMEOUT": _lock_timeout()})


def _plain_path(value: str) -> bool:
    """Whether `str(Path(value).expanduser())` is `value` itself, seen without importing pathlib: a POSIX
    path with no "~" to expand and nothing pathlib would normalise (empty or "." parts, a trailing "/")."""
    return (
        os.name == "posix"
        and bool(value)
        and not value.startswith(("~", "./"))
        and value != "."
        and "//" not in value
        and "/./" not in value
        and not value.endswith(("/", "/."))
        and "\x00" not in value
    )


def _lock_timeout() -> str:
    """Seconds a SQLite writer waits for the lock: 30, or MEETINGS_SQLITE_LOCK_TIMEOUT (tests lower it)."""
    return _seconds("MEETINGS_SQLITE_LOCK_TIMEOUT", "30")


def _connect_timeout() -> str:
    """Seconds a PostgreSQL command keeps trying to reach its server: 10, or MEETINGS_POSTGRES_CONNECT_TIMEOUT
    (a restart takes longer on a big server; tests lower it)."""
    return _seconds("MEETINGS_POSTGRES_CONNECT_TIMEOUT", "10")


def _seconds(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    if not value.isdigit() or int(value) < 1:
        raise BadInputError(f"{name} must be a whole number of seconds, not {value!r}")
    return value


def _postgres(url: str) -> Database:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or not parts.hostname:
        raise BadInputError("a PostgreSQL URL needs a host and a database: postgresql://user@host:port/dbname")
    try:
        port = parts.port or 5432
    except ValueError:
        raise BadInputError(f"bad port in {url!r}") from None
    user = unquote(parts.username or "") or os.environ.get("PGUSER", "") or "postgres"
    password = unquote(parts.password or "") or os.environ.get("PGPASSWORD", "")
    shown = f"postgresql://{user}@{parts.hostname}:{port}/{dbname}"
    return Database.sealed(
        "postgres",
        shown,
        {
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(port),
            "POSTGRES_USER": user,
            "POSTGRES_PASSWORD": password,
            # A CLI process holds one connection; servers raise this themselves.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "0",
            "POSTGRES_CONNECT_TIMEOUT": _connect_timeout(),
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            # Tables are created once, under a lock, by open_ledger (see below).
            "CREATE_TABLE": "n",
        },
    )


def open_ledger(database: Database, *, pool_size: int = 1, create: bool = True) -> Ledger:
    """Build the Ledger application on the database, creating its tables if needed.

    With `create=False` (read commands) a SQLite file that does not exist, or a PostgreSQL
    database without the ledger's tables, is refused, not made: a mistyped `--db` must not
    leave an empty ledger behind. A new file's path is kept in
    `app.created_file` so that the command can say it made one.
    """
    from pathlib import Path

    from eventsourcing.persistence import PersistenceError

    from ledger.application import Ledger
    from ledger.errors import NotFoundError, StorageError

    env = dict(database.env)
    created = None
    if database.is_postgres:
        env["POSTGRES_POOL_SIZE"] = str(pool_size)
    elif not create and not Path(env["SQLITE_DBNAME"]).exists():
        raise NotFoundError(_no_ledger(str(Path(database.location).absolute())))
    elif not create and _read_only(Path(env["SQLITE_DBNAME"])):
        _check_owner(Path(env["SQLITE_DBNAME"]))
        env.update(_read_only_env(Path(env["SQLITE_DBNAME"])))
    else:
        created = _prepare_sqlite_file(Path(env["SQLITE_DBNAME"]))
    try:
        app = Ledger(env=env)
        if database.is_postgres and not create and not _has_postgres_ledger(app):
            app.close()
            raise NotFoundError(_no_ledger(database.location))
        if database.is_postgres:
            _create_postgres_tables(app)
    except (PersistenceError, sqlite3.Error) as error:  # eventsourcing lets sqlite3's own errors through
        raise StorageError(f"cannot open {database.location}: {error}{_read_only_hint(database)}") from None
    app.created_file = str(Path(database.location).absolute()) if created else None  # type: ignore[attr-defined]
    return app


def open_recorder(database: Database) -> Any | None:
    """The event recorder of an existing SQLite ledger, without the application around it.

    For `verify`, which reads the stored rows and nothing else: importing the application (the
    aggregates and their event classes) was half of a verify's start-up. A missing or read-only
    file is handled as a read command's open handles it. None on PostgreSQL, where the full open
    also checks and makes the ledger's tables.
    """
    if database.is_postgres:
        return None
    from pathlib import Path

    from eventsourcing.persistence import PersistenceError
    from eventsourcing.utils import Environment

    from ledger.errors import NotFoundError, StorageError
    from ledger.storage.recorders.sqlite import SealedSQLiteFactory

    env = dict(database.env)
    path = Path(env["SQLITE_DBNAME"])
    if not path.exists():
        raise NotFoundError(_no_ledger(str(Path(database.location).absolute())))
    if _read_only(path):
        _check_owner(path)
        env.update(_read_only_env(path))
    try:
        return SealedSQLiteFactory(Environment(LEDGER_NAME, env)).application_recorder()
    except (PersistenceError, sqlite3.Error) as error:
        raise StorageError(f"cannot open {database.location}: {error}{_read_only_hint(database)}") from None


def _prepare_sqlite_file(path: Path) -> bool:
    """Create a new ledger file readable by its owner only, in a folder of its own if that is new.

    SQLite gives its -wal and -shm files the main file's permissions. An existing file that
    belongs to someone else and cannot be written is refused here with one clear line, rather
    than by SQLite's "attempt to write a readonly database" halfway through a command.
    """

    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        _check_owner(path)
        return False
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False  # another process created it first
    except OSError:
        return False  # an unwritable folder: SQLite's own error, with the read-only hint, says so
    return True


def _check_owner(path: Path) -> None:
    """Someone else's ledger that this process cannot write is refused with one line naming its owner."""
    from ledger.errors import StorageError

    owner = path.stat().st_uid
    if hasattr(os, "geteuid") and owner != os.geteuid() and not os.access(path, os.W_OK):
        raise StorageError(
            f"{path} belongs to OS user {_user_name(owner)}, and you ({_user_name(os.geteuid())}) cannot write it;"
            " run meetings as its owner, or ask them to copy the ledger for you (meetings copy)"
        )


def _read_only(path: Path) -> bool:
    """A ledger on read-only media (or a file and folder this process may not write): only to be read."""
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def _read_only_env(path: Path) -> dict[str, str]:
    """Open it read-only: SQLite then reads the file and its -wal without writing either."""
    from urllib.parse import quote

    wal = path.with_name(path.name + "-wal")
    # With events still in a -wal file SQLite must read it (mode=ro); without one, nothing can change the
    # file while it is read-only, and `immutable` lets SQLite read it without making a -shm file beside it.
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    return {"SQLITE_DBNAME": f"file:{quote(str(path.absolute()))}?{mode}", "CREATE_TABLE": "n"}


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _read_only_hint(database: Database) -> str:
    """SQLite says only "unable to open database file" when it cannot write beside the file."""
    from pathlib import Path

    if database.is_postgres:
        return ""
    path = Path(database.location)
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return " (the file or its folder is read-only)"
    return ""


def _no_ledger(location: str) -> str:
    return (
        f"no ledger at {location}; nothing was created (check --db or $MEETINGS_DB;"
        " a write such as 'meetings new' starts a new ledger there)"
    )


def _has_postgres_ledger(app: Ledger) -> bool:
    """Whether the database holds a ledger's events table (a read looks, and never creates it)."""
    datastore = app.recorder.datastore
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS ok", (f"{datastore.schema}.ledger_events",))
        row = cursor.fetchone()
    return bool(row and row["ok"])


def _create_postgres_tables(app: Ledger) -> None:
    """CREATE TABLE IF NOT EXISTS races between processes in PostgreSQL, so serialise it.

    The check is one cheap query; only the first process on a new database takes the
    lock (on a separate, short-lived connection) and creates the tables.
    """
    import psycopg

    from ledger.storage.adapter import SIDE_TABLES

    datastore = app.recorder.datastore
    with datastore.transaction(commit=False) as cursor:
        # A ledger made before the append-only trigger existed gets it on its next open (by its owner).
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = to_regclass(%s)) AS ok",
            (app.recorder.append_only_trigger, f"{datastore.schema}.ledger_events"),
        )
        row = cursor.fetchone()
        if row and row["ok"]:
            return
    env = app.env
    with psycopg.connect(
        dbname=env.get("POSTGRES_DBNAME"),
        host=env.get("POSTGRES_HOST"),
        port=env.get("POSTGRES_PORT"),
        user=env.get("POSTGRES_USER"),
        password=env.get("POSTGRES_PASSWORD"),
        autocommit=True,
    ) as lock_connection:
        lock_connection.execute("SELECT pg_advisory_lock(727001)")
        try:
            app.recorder.create_table()
            if app.snapshots is not None:
                app.snapshots.recorder.create_table()  # type: ignore[attr-defined]  # ours has it
            # Side tables too, so a role without CREATE rights can use a ledger its owner opened once.
            for table in SIDE_TABLES:
                lock_connection.execute(app.storage.sql(table.create))
        finally:
            lock_connection.execute("SELECT pg_advisory_unlock(727001)")
