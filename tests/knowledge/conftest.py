"""Fixtures: a loaded knowledge base on SQLite, and on PostgreSQL when it is reachable.

PostgreSQL is found at POSTGRES_TEST_URL (default: the local server of these machines,
database unknot_test, created if missing); without it those cases are skipped.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from knowledge import models
from knowledge.db import make_engine
from knowledge.loader import load_into_database
from knowledge.query import KnowledgeBase, clear_caches
from knowledge.schema import CONTENT_DIR

POSTGRES_URL = os.environ.get("POSTGRES_TEST_URL", "postgresql://postgres@127.0.0.1:5432/unknot_test")


def _postgres_engine():
    admin_url = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    name = POSTGRES_URL.rsplit("/", 1)[1]
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_engine(POSTGRES_URL)
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    else:
        eng = _postgres_engine()
        models.Base.metadata.drop_all(eng)
    clear_caches()
    yield eng
    if request.param == "postgresql":
        models.Base.metadata.drop_all(eng)
    eng.dispose()
    clear_caches()


@pytest.fixture
def kb(engine) -> KnowledgeBase:
    loaded, _ = load_into_database(engine)
    assert loaded
    return KnowledgeBase(engine)


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the real content, for breaking it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target
