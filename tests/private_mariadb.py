"""A throw-away MariaDB server of the test's own, to stop and start at will.

The shared server on 127.0.0.1:3306 serves every other test and must never be
stopped; this one lives in a temporary folder on a free port.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pymysql
import pytest

from tests.live import free_port


def skip_without_mariadbd() -> None:
    if not (shutil.which("mariadbd") and shutil.which("mariadb-install-db")):
        if os.environ.get("CI", "false").lower() == "true":
            raise RuntimeError("CI must have mariadbd for the fault tests")
        pytest.skip("mariadbd is not installed (the private-server fault tests need it)")


class PrivateMariaDB:
    def __init__(self, folder: Path):
        self.folder = folder
        self.datadir = folder / "data"
        self.socket = folder / "mariadb.sock"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/clinic"

    def install(self) -> "PrivateMariaDB":
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root"],
                       check=True, capture_output=True, timeout=120)
        self.start()
        connection = pymysql.connect(host="127.0.0.1", port=self.port, user="root")
        with connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE clinic CHARACTER SET utf8mb4")
        connection.close()
        return self

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-grant-tables", "--user=root",
             "--innodb-buffer-pool-size=32M", "--skip-log-bin", f"--pid-file={self.folder / 'mariadb.pid'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("mariadbd exited at start")
            try:
                pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=1).close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("mariadbd did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)
        self.process = None

    def remove(self) -> None:
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)
