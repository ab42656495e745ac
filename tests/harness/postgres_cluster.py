"""A PostgreSQL cluster of the harness's own, to stop and start at will; the shared server is left alone.

`initdb` and `pg_ctl` of the newest PostgreSQL under /usr/lib/postgresql/, a data directory in a
temporary folder, a free port on 127.0.0.1 and the Unix socket in the same folder, trust
authentication. PostgreSQL refuses to run as root: as root, the commands run as the `postgres`
user (`runuser`), which then owns the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

USER = "postgres"


def postgres_bin() -> Path | None:
    """The bin directory of the newest installed PostgreSQL with initdb and pg_ctl, if any."""
    found = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "initdb").exists()]
    found = [path for path in found if path.parent.name.isdigit() and (path / "pg_ctl").exists()]
    return max(found, key=lambda path: int(path.parent.name), default=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or postgres_bin()
        if found is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/")
        self.bin_dir = found
        self.folder = Path(tempfile.mkdtemp(prefix="trackify-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, USER, USER)

    # -- commands ------------------------------------------------------------------------------------

    def _run(self, program: str, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            log = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}\n{log}")

    def init(self) -> PostgresCluster:
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                # A throwaway cluster: durability across an OS crash is not what is tested here.
                "fsync = off\nfull_page_writes = off\n"
            )
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: open sessions are ended (their clients see 'terminating connection'), then a clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, *, down_for: float = 0.0) -> float:
        """Stop (fast), stay down `down_for` seconds, start again; returns the seconds the server was away."""
        started = time.monotonic()
        self.stop()
        time.sleep(down_for)  # the outage itself: connections are refused meanwhile
        self.start()
        return time.monotonic() - started

    # -- databases -----------------------------------------------------------------------------------

    def url(self, name: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{name}"

    def connect(self, name: str = "postgres", **options: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname=name, **options)

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> PostgresCluster:
        try:
            self.init().start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):  # removed below either way
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
