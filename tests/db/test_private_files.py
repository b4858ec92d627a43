"""The data folder and the files in it are the clinic user's alone (names, birth dates, diagnoses)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from clinic.db import engine_for
from clinic.db.schema import raw
from clinic.settings import load_settings
from tests.conftest import run_async


def mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):o}"


@pytest.fixture
def usual_umask():
    """The umask most servers run with (022): what SQLite and open() would make readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def settings_in(data_dir: Path):
    return load_settings({"CLINIC_DATA_DIR": str(data_dir)})


async def write_while_open(database, check) -> None:
    """Open the database, write, and look at its files while SQLite still has them open."""
    engine = engine_for(database, create=True)
    await engine.start_connection_pool()
    try:
        await raw(engine, "CREATE TABLE IF NOT EXISTS visit (id INTEGER PRIMARY KEY, note TEXT)")
        await raw(engine, "INSERT INTO visit (note) VALUES ('seen')")
        check()
    finally:
        await engine.close_connection_pool()


def test_a_new_data_folder_is_private_and_so_are_the_database_and_its_wal_and_shm(tmp_path, usual_umask):
    settings = settings_in(tmp_path / "data")
    folder = settings.data_dir
    assert mode(folder) == "700"
    assert mode(folder / "dev-secrets.json") == "600"
    seen = {}

    def check():
        for name in ("clinic.db", "clinic.db-wal", "clinic.db-shm"):
            seen[name] = mode(folder / name)

    run_async(write_while_open, settings.database, check)
    assert seen == {"clinic.db": "600", "clinic.db-wal": "600", "clinic.db-shm": "600"}
    assert settings.warnings == ()


def test_database_files_left_readable_by_an_earlier_version_are_tightened(tmp_path, usual_umask):
    settings = settings_in(tmp_path / "data")
    database_file = settings.data_dir / "clinic.db"
    old = sqlite3.connect(database_file)  # as SQLite makes it: 644 under this umask
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY, note TEXT)")
    old.execute("INSERT INTO visit (note) VALUES ('seen')")
    old.commit()
    assert mode(database_file) == "644" and mode(Path(f"{database_file}-wal")) == "644"
    seen = {}

    def check():
        for suffix in ("", "-wal", "-shm"):
            seen[suffix] = mode(Path(f"{database_file}{suffix}"))

    try:
        run_async(write_while_open, settings.database, check)
    finally:
        old.close()
    assert seen == {"": "600", "-wal": "600", "-shm": "600"}


def test_an_existing_folder_others_can_open_is_named_once_in_a_warning_and_left_alone(tmp_path, usual_umask):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    settings = settings_in(shared)
    assert settings.warnings == (
        f"the data folder {shared} can be opened by other users of this machine (mode 755); "
        f"`chmod 700 {shared}` keeps it private",)
    assert mode(shared) == "755"  # maybe a mount point or shared on purpose: its files are private anyway
    assert mode(shared / "dev-secrets.json") == "600"


def test_the_development_secrets_file_is_private_from_its_first_byte(tmp_path, usual_umask, monkeypatch):
    # Made private when it is created, not by a chmod afterwards (which would leave a window).
    monkeypatch.setattr(Path, "chmod", lambda self, mode_, **kwargs: None)
    settings_in(tmp_path)
    assert mode(tmp_path / "dev-secrets.json") == "600"


def test_an_older_wider_secrets_file_is_made_private_when_a_secret_is_added(tmp_path, usual_umask):
    secrets_file = tmp_path / "dev-secrets.json"
    secrets_file.write_text("{}")
    assert mode(secrets_file) == "644"
    settings_in(tmp_path)
    assert mode(secrets_file) == "600"
