"""Engine and session factory from DATABASE_URL, with an embedded SQLite default."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / ".state" / "unknot.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else DATABASE_URL, else the project's SQLite file."""
    url = url or os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style postgres:// is common in env files; SQLAlchemy wants postgresql://
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    private_file(DEFAULT_SQLITE_PATH)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def private_file(path: Path) -> Path:
    """Creates a database file readable by its owner only (health data), in a private folder;
    SQLite keeps the file's mode and gives its -wal and -shm files the same."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.parent.chmod(0o700)
    except OSError:
        pass
    if not path.exists():
        path.touch(mode=0o600)
    try:
        path.chmod(0o600)
    except OSError:
        pass
    return path


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        private_file(Path(url[len("sqlite:///"):]))
    engine = create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
