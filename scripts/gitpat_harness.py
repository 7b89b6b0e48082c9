"""Helpers for scripts/bench.py (Python 3.11, standard library only).

A `Harness` owns one temporary directory holding a private copy of the gitpat binary, the SQLite
database (or, given a PostgreSQL server, a database of its own there, dropped at the end), the key
file and the child processes' logs. Every child listens on 127.0.0.1 only and is
killed (with its process group) when the harness closes, on a hard timeout, or when this process dies.
"""

from __future__ import annotations

import base64
import ctypes
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-1"  # throwaway users in a throwaway database
TOKEN_PAGE = "/git-personal-access-tokens"


class HarnessError(Exception):
    """A failure of the environment (a process would not start, a command failed)."""


class HardTimeout(BaseException):
    """Raised in the main thread when the run exceeds its time budget (BaseException so that
    `except Exception` in a request path cannot swallow it)."""


def install_hard_timeout(seconds: int) -> None:
    """Aborts the main thread after `seconds`; the callers' `finally` blocks then kill the children."""

    def on_signal(sig, _frame):
        raise HardTimeout(f"hard timeout of {seconds}s reached" if sig == signal.SIGALRM else "terminated")

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)  # e.g. from a CI runner: clean up the same way
    signal.alarm(seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))]


def _die_with_parent() -> None:
    # Linux: the child gets SIGKILL if this Python process dies without cleaning up.
    # (Children are only ever spawned from the main thread, which lives as long as the process.)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Harness:
    bin_src: Path
    # A PostgreSQL server (postgres://USER@HOST:PORT/postgres): the harness makes a database there.
    postgres: str | None = None
    tmp: Path = field(init=False)
    database_url: str = field(init=False)
    bin: Path = field(init=False)
    procs: list[subprocess.Popen] = field(default_factory=list)
    emulator_url: str = ""
    # LEPTOS_SITE_ROOT: static files are needed only by the bench (asset sizes)
    site_root: Path | None = None
    _logs: int = 0

    def __post_init__(self) -> None:
        if not os.access(self.bin_src, os.X_OK):
            raise HarnessError(f"{self.bin_src} is not an executable (build it first)")
        self.tmp = Path(tempfile.mkdtemp(prefix="gitpat-harness-"))
        # A private copy: a concurrent `cargo build` may replace target/debug/gitpat mid-run.
        self.bin = self.tmp / "gitpat"
        shutil.copy2(self.bin_src, self.bin)
        # cargo-leptos' asset hashes, which the server reads beside its binary
        if (self.bin_src.parent / "hash.txt").exists():
            shutil.copy2(self.bin_src.parent / "hash.txt", self.tmp / "hash.txt")
        (self.tmp / "site").mkdir()
        # PostgreSQL takes the master key from the environment (every node shares it).
        self.master_key = base64.b64encode(secrets.token_bytes(32)).decode()
        if self.postgres:
            self.db_name = f"gitpat_bench_{secrets.token_hex(6)}"
            _psql(self.postgres, f"CREATE DATABASE {self.db_name}")
            self.database_url = f"{self.postgres.rsplit('/', 1)[0]}/{self.db_name}"
        else:
            self.database_url = f"sqlite://{self.db_path}?mode=rwc"

    @property
    def db_path(self) -> Path:
        return self.tmp / "gitpat.db"

    def sql(self, query: str) -> list[tuple]:
        """Rows of a read-only query on the harness' database, either engine (integers as int)."""
        if self.postgres:
            out = _psql(self.database_url, query)
            return [tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t"))
                    for line in out.splitlines()]
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def env(self, **extra: str) -> dict[str, str]:
        # Drop inherited GITPAT_*/LEPTOS_* settings (e.g. GITPAT_MASTER_KEY) so only ours apply.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITPAT_", "LEPTOS_"))}
        env.update(
            GITPAT_DATABASE_URL=self.database_url,
            LEPTOS_SITE_ROOT=str(self.site_root or self.tmp / "site"),
            GITPAT_REVALIDATE_EVERY="1h",  # no background re-validation writes during a run
            GITPAT_LOGIN_ATTEMPTS_PER_MINUTE="100000",
            GITPAT_USER_PROVIDER_CALLS_PER_MINUTE="100000",
            GITPAT_ALLOW_PRIVATE_NETWORKS="127.0.0.0/8",  # the emulator
            RUST_LOG="warn",
        )
        if self.postgres:
            env["GITPAT_MASTER_KEY"] = self.master_key
        else:
            env["GITPAT_KEY_FILE"] = str(self.tmp / "master.key")
        env.update(extra)
        return env

    # ---- processes -------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        self._logs += 1
        log = self.tmp / f"{self._logs:02d}-{name}.log"
        with open(log, "wb") as f:
            p = subprocess.Popen(
                [str(self.bin), *args],
                cwd=self.tmp,  # relative defaults (data/, .env) resolve inside the temp dir
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=f,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches any grandchildren
                preexec_fn=_die_with_parent,
            )
        self.procs.append(p)
        return p, log

    def start_emulator(self) -> str:
        port = free_port()
        addr = f"127.0.0.1:{port}"
        p, log = self._spawn("emulator", ["emulator"], self.env(GITPAT_EMULATOR_ADDR=addr))
        _wait_tcp(port, p, log, 20)
        self.emulator_url = f"http://{addr}"
        return self.emulator_url

    def start_server(self, timeout: float = 30) -> Server:
        port = free_port()
        p, log = self._spawn("serve", ["serve"], self.env(LEPTOS_SITE_ADDR=f"127.0.0.1:{port}"))
        srv = Server(p, port, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise HarnessError(f"gitpat serve exited with {p.returncode}:\n{tail(log)}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    return srv
                c.close()
            except OSError:
                pass
            time.sleep(0.1)
        raise HarnessError(f"gitpat serve not healthy after {timeout}s:\n{tail(log)}")

    def stop(self, p: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        """Sends `sig` and waits; returns the exit code, or None when it had to be SIGKILLed."""
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
                return None
        return p.returncode

    def close(self, keep: bool = False) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        if keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.postgres:
                _psql(self.postgres, f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")

    # ---- admin CLI -------------------------------------------------------------------------

    def admin(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(
            [str(self.bin), "admin", *args],
            cwd=self.tmp,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_die_with_parent,
        )
        if check and r.returncode != 0:
            raise HarnessError(f"gitpat admin {args[0]} {args[1] if len(args) > 1 else ''} failed "
                               f"({r.returncode}): {r.stderr.strip()}")
        return r

    def seed(self, users: int, runtimes: int) -> tuple[list[str], list[int]]:
        """`gitpat admin seed`: `users` members of one account with `runtimes` GitHub runtimes at the
        emulator and no tokens (so every stored token is one this run wrote). One password hash for
        all users, where `admin user add` would cost an argon2id hash (~1 s in a debug build) each.
        Returns (emails, runtime ids) as stored."""
        self.admin("seed", "--users", str(users), "--accounts", "1", "--runtimes", str(runtimes),
                   "--tokens", "0", "--emulator", self.emulator_url, stdin=PASSWORD + "\n")
        emails = [r[0] for r in self.sql("SELECT email FROM users ORDER BY id")]
        rt_ids = [r[0] for r in self.sql("SELECT id FROM runtimes ORDER BY id")]
        if len(emails) != users or len(rt_ids) != runtimes:
            raise HarnessError(f"seed made {len(emails)} users and {len(rt_ids)} runtimes")
        return emails, rt_ids

    def register_tokens(self, tokens: list[str]) -> None:
        """Registers valid GitHub tokens (scope `repo`) at the emulator over one keep-alive connection."""
        u = urllib.parse.urlsplit(self.emulator_url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            for t in tokens:
                body = json.dumps({"token": t, "login": "loadtester", "scopes": ["repo"], "delay_ms": 0})
                c.request("POST", "/_emulator/tokens", body, {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                if r.status // 100 != 2:
                    raise HarnessError(f"emulator refused a token registration: {r.status}")
        finally:
            c.close()


def _psql(url: str, query: str) -> str:
    """Runs one statement with Debian's psql; tab-separated rows without headers."""
    r = subprocess.run(["psql", url, "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", query],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise HarnessError(f"psql: {r.stderr.strip()}")
    return r.stdout


def parallel(fn, items: list, workers: int = 2) -> list:
    """`map` on a small thread pool; on an error or the hard timeout the queued items are dropped."""
    ex = ThreadPoolExecutor(workers)
    try:
        return list(ex.map(fn, items))
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _wait_tcp(port: int, p: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise HarnessError(f"{p.args[1]} exited with {p.returncode}:\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise HarnessError(f"nothing listens on port {port} after {timeout}s:\n{tail(log)}")


def tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


# ---- HTTP ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    headers: http.client.HTTPMessage
    seconds: float

    def reason(self) -> str:
        """A short description for reports: status plus the server function's error message."""
        text = self.body[:200].decode(errors="replace")
        try:
            obj = json.loads(text)
            if isinstance(obj, dict) and len(obj) == 1:
                (kind, msg), = obj.items()
                text = f"{kind}: {msg}"
        except ValueError:
            pass
        return f"{self.status} {text}".strip()


class Session:
    """One browser-like session: a keep-alive connection, the session cookie, and the same-origin
    `Origin` header that every non-GET request needs. Not thread-safe: one per worker."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.timeout = timeout
        self.cookie: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> Response:
        h = dict(headers or {})
        if method != "GET":
            h["Origin"] = self.origin
        if self.cookie:
            h["Cookie"] = f"gitpat_session={self.cookie}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        t0 = time.perf_counter()
        try:
            self.conn.request(method, path, body, h)
            r = self.conn.getresponse()
            data = r.read()
        except BaseException:
            self.close()  # the connection's state is unknown; the next request opens a new one
            raise
        dt = time.perf_counter() - t0
        for v in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = v.partition("=")
            if name.strip() == "gitpat_session":
                self.cookie = rest.split(";", 1)[0]
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(r.status, data, r.headers, dt)

    def login(self, email: str, password: str = PASSWORD) -> Response:
        body = urllib.parse.urlencode({"email": email, "password": password})
        r = self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 303 or not self.cookie:
            raise HarnessError(f"sign-in of a seeded user failed: {r.reason()}")
        return r

    def call(self, endpoint: str, **fields) -> Response:
        """A server function as the hydrated client calls it (JSON answer, no redirect)."""
        body = urllib.parse.urlencode({k: v for k, v in fields.items() if v is not None})
        return self.request("POST", f"/api/{endpoint}", body, {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        })

    def token_page(self) -> Response:
        return self.request("GET", TOKEN_PAGE)


def sign_in_all(port: int, emails: list[str]) -> list[Session]:
    """One signed-in session per email. Two at a time: each sign-in costs an argon2id verification."""

    def one(email: str) -> Session:
        s = Session(port)
        s.login(email)
        return s

    return parallel(one, emails)
