"""The benchmark behind docs/performance.md: run it through scripts/bench.sh (which builds the
release first). Loopback only, bounded, stops by itself. Load comes from wrk (Debian's package).

1. One user with 50 runtimes over 3 accounts, tokens on half: wrk on the token page (signed-in
   SSR) and on /healthz, one after the other in the same run, and their throughput ratio.
2. The add-token and delete-token server functions at 64 connections against the emulator with
   no latency, first saturated, then paced at half the peak rate: each request touches another
   (user, runtime), so every add stores a new token and every delete removes one.
3. The JS + WASM + CSS the token page makes the browser download, raw and brotli, and the
   lazy-route chunks fetched later.
4. In headless Chromium: from the click on Add Token in the drawer to the row showing the new
   token (p50), against the emulator with no latency.
5. 10,000 stored tokens re-validated by the server's background job against the emulator
   answering in 50 ms, and the server's peak RSS meanwhile.

With --postgres URL, all of it runs again on a fresh database on that PostgreSQL server, and the
figures of both engines are printed side by side (scripts/bench.sh --postgres starts one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gitpat_harness import (  # noqa: E402
    PASSWORD, REPO, TOKEN_PAGE, Harness, HarnessError, Session, install_hard_timeout, percentile,
    sign_in_all,
)

CONNECTIONS = 64
TARGETS = {"ratio": 0.40, "fn_p99_ms": 10.0, "brotli_kb": 250.0, "revalidate_s": 30.0, "rss_mb": 60.0, "cpu_page_ms": 1.5}

# Each wrk thread walks its own share of the (cookie, runtime) lines and stops when they run out
# (the run must end first: the bench checks). With a pace (ms), each connection waits a random
# 0..2*pace before each request: a steady offered rate whose arrivals are not synchronised.
FN_LUA = r"""
local n = 0
function setup(thread)
  thread:set("id", n)
  n = n + 1
end
function init(args)
  mode, origin, token, nthreads, pace = args[1], args[2], args[3], tonumber(args[5]), tonumber(args[6])
  work = {}
  for line in io.lines(args[4]) do
    local cookie, rt = line:match("^(%S+)%s+(%d+)$")
    work[#work + 1] = { cookie, rt }
  end
  i = id + 1
  math.randomseed(id + 1)
end
function delay()
  if pace == 0 then return 0 end
  return math.random(0, 2 * pace)
end
function request()
  local w = work[i]
  if w == nil then
    wrk.thread:stop()
    w = work[1]
  end
  i = i + nthreads
  local body = "runtime_id=" .. w[2]
  if mode == "add" then body = body .. "&token=" .. token end
  return wrk.format("POST", "/api/" .. mode .. "_token", {
    ["Cookie"] = "gitpat_session=" .. w[1],
    ["Origin"] = origin,
    ["Accept"] = "application/json",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
"""


class Echo(list):
    """The report so far: each line is printed as it is added, so a long run shows progress."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def ms(v: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    if not m:
        raise HarnessError(f"unreadable wrk latency {v!r}")
    n, unit = float(m[1]), m[2]
    return n * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: int, *extra: str, script_args: tuple[str, ...] = ()) -> dict:
    """Runs wrk and returns requests/s, p50/p99 (ms), requests and non-2xx/3xx answers."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", *extra, url]
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    if not (lat and rps and total):
        raise HarnessError(f"unreadable wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "rps": float(rps[1]), "p50": ms(lat["50"]), "p99": ms(lat["99"]), "requests": int(total[1]),
        "bad": int(bad[1]) if bad else 0, "socket_errors": errors[1] if errors else "",
    }


def cpu_ms_per_request(pid: int, url: str, *extra: str) -> float:
    """The server's CPU time (user + system, /proc/PID/stat) per request over a 5 s wrk run at 16
    connections: steadier than throughput on a noisy machine."""
    def cpu_ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    before = cpu_ticks()
    cmd = ["wrk", "-t2", "-c16", "-d5s", *extra, url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    if not total:
        raise HarnessError(f"unreadable wrk output:\n{out}")
    return (cpu_ticks() - before) * 1000 / os.sysconf("SC_CLK_TCK") / int(total[1])


def row(name: str, r: dict) -> str:
    extra = f"  non-2xx: {r['bad']}" if r["bad"] else ""
    extra += f"  socket errors: {r['socket_errors']}" if r["socket_errors"] else ""
    return f"  {name:<32} {r['rps']:>9.0f} req/s   p50 {r['p50']:>7.2f} ms   p99 {r['p99']:>7.2f} ms{extra}"


def token_pairs(h: Harness, cookie_of: dict[str, str], has_token: bool) -> list[tuple[str, int]]:
    """(session cookie, runtime id) of the signed-in users' pairs with (or without) a token."""
    rows = h.sql(
        "SELECT u.email, r.id FROM users u CROSS JOIN runtimes r WHERE "
        f"(SELECT COUNT(*) FROM git_tokens t WHERE t.user_id = u.id AND t.runtime_id = r.id) = {int(has_token)}"
    )
    return [(cookie_of[email], rt) for email, rt in rows if email in cookie_of]


def revalidated(h: Harness) -> int:
    """Tokens the server has re-validated since they were seeded (seeding dates them 2 days back)."""
    day_ago = "now() - interval '1 day'" if h.postgres else "datetime('now', '-1 day')"
    return h.sql(f"SELECT COUNT(*) FROM git_tokens WHERE last_validated_at > {day_ago}")[0][0]


def wait_revalidated(h: Harness, total: int, srv, limit: float = 300) -> tuple[float, int]:
    """Polls until the server's first pass has re-validated `total` tokens; returns the seconds it
    took and the server's peak RSS (kB) seen meanwhile."""
    started, peak_kb = time.monotonic(), 0
    while time.monotonic() - started < limit:
        status = Path(f"/proc/{srv.proc.pid}/status").read_text()
        peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status)[1])
        if revalidated(h) >= total:
            return time.monotonic() - started, peak_kb
        time.sleep(0.05)
    raise HarnessError(f"only {revalidated(h)} of {total} tokens re-validated in {limit:.0f} s")


def pages_and_functions(bin_path: Path, postgres: str | None, seconds: int, users: int) -> tuple[list[str], dict]:
    h = Harness(bin_path, postgres)
    h.site_root = bin_path.parent.parent / "site"  # target/release/gitpat → target/site
    lines, figures = Echo(), {}
    try:
        emu = h.start_emulator()
        # seed-1 is the page's user (50 runtimes, 25 tokens); the others give the server
        # functions distinct (user, runtime) pairs: runtimes 1-25 to delete, 26-50 to add.
        h.admin("seed", "--users", str(users + 1), "--accounts", "3", "--runtimes", "50",
                "--tokens", "25", "--emulator", emu, stdin=PASSWORD + "\n")
        srv = h.start_server()
        token = "ghp_bench0000000000000000000000000000000"
        h.register_tokens([token])
        page_user = Session(srv.port)
        page_user.login("seed-1@gitpat.test")
        page = page_user.token_page()
        if page.status != 200 or page.body.count(b"<tr") < 51:
            raise HarnessError(f"the token page did not list the 50 runtimes: {page.status}")
        cookie = f"Cookie: gitpat_session={page_user.cookie}"
        wait_revalidated(h, 25 * (users + 1), srv)  # the start-up pass must not overlap the runs

        lines.append(f"Token page vs /healthz (wrk, 2 threads, {CONNECTIONS} connections, {seconds} s each)")
        health = wrk(f"{srv.origin}/healthz", seconds)
        ssr = wrk(f"{srv.origin}{TOKEN_PAGE}", seconds, "-H", cookie)
        lines.append(row("/healthz", health))
        lines.append(row("token page (signed-in SSR)", ssr))
        figures.update(ratio=ssr["rps"] / health["rps"], page_rps=ssr["rps"], health_rps=health["rps"])
        lines.append(f"  ratio: token page = {figures['ratio'] * 100:.1f} % of /healthz throughput")
        if ssr["bad"] or health["bad"]:
            raise HarnessError("non-2xx answers while measuring pages")
        cpu_page = cpu_ms_per_request(srv.proc.pid, f"{srv.origin}{TOKEN_PAGE}", "-H", cookie)
        cpu_health = cpu_ms_per_request(srv.proc.pid, f"{srv.origin}/healthz")
        figures["cpu_page_ms"] = cpu_page
        lines.append(f"  server CPU per request (16 connections): token page {cpu_page:.2f} ms, /healthz {cpu_health:.3f} ms")

        others = [f"seed-{u}@gitpat.test" for u in range(2, users + 2)]
        sessions = sign_in_all(srv.port, others)
        lua = h.tmp / "fn.lua"
        lua.write_text(FN_LUA)
        lines.append(f"Server functions (wrk, {CONNECTIONS} connections, each request another (user, runtime))")
        # Saturated (each connection sends as soon as it has its answer, so latency is the queue:
        # Little's law), then paced at half that peak rate. Each run's work is read from the
        # database: adds go to pairs without a token, deletes to pairs with one.
        cookie_of = dict(zip(others, (s.cookie for s in sessions)))
        peak = {}
        for mode, seconds, paced in (("add", 5, False), ("delete", 5, False),
                                     ("add", 10, True), ("delete", 10, True)):
            pairs = token_pairs(h, cookie_of, has_token=mode == "delete")
            random.Random(len(pairs)).shuffle(pairs)
            work = h.tmp / f"{mode}-{paced}.txt"
            work.write_text("".join(f"{c} {rt}\n" for c, rt in pairs))
            pace_ms = CONNECTIONS * 1000 / (peak[mode] / 2) if paced else 0
            r = wrk(f"{srv.origin}/", seconds, "-s", str(lua),
                    script_args=(mode, srv.origin, token, str(work), "2", f"{pace_ms:.0f}"))
            if r["requests"] >= len(pairs):
                raise HarnessError(f"{mode}_token ran out of work ({len(pairs)} pairs): raise --fn-users")
            if r["bad"]:
                raise HarnessError(f"{r['bad']} {mode}_token requests were refused")
            label = "half that rate" if paced else "saturated"
            lines.append(row(f"{mode}_token ({label})", r))
            if not paced:
                peak[mode] = figures[f"{mode}_rps"] = r["rps"]
            figures[f"{mode}_p99{'' if paced else '_saturated'}"] = r["p99"]
        stored = h.sql("SELECT COUNT(*) FROM git_tokens")[0][0]
        lines.append(f"  stored tokens after the runs: {stored} (before: {25 * (users + 1)})")

        lines.append("Assets the token page loads (as served, Accept-Encoding: br)")
        html = page_user.token_page().body.decode()
        assets = sorted(set(re.findall(r'(?:href|src)="(/pkg/[^"]+\.(?:js|wasm|css))"', html)))
        raw_total = br_total = 0
        for path in assets:  # grows: a module's static imports load with it
            raw = page_user.request("GET", path)
            if path.endswith(".js"):
                for dep in re.findall(r'(?:from|import)\s*"\./([^"]+\.js)"', raw.body.decode()):
                    if f"/pkg/{dep}" not in assets:
                        assets.append(f"/pkg/{dep}")
            br = page_user.request("GET", path, headers={"Accept-Encoding": "br"})
            if raw.status != 200 or br.headers.get("Content-Encoding") != "br":
                raise HarnessError(f"{path} is not served brotli-compressed (run scripts/precompress.mjs)")
            raw_total += len(raw.body)
            br_total += len(br.body)
            lines.append(f"  {path:<48} {len(raw.body) / 1024:>8.1f} KB raw {len(br.body) / 1024:>8.1f} KB brotli")
        lines.append(f"  total {raw_total / 1024:.1f} KB raw, {br_total / 1024:.1f} KB brotli")
        figures["brotli_kb"] = br_total / 1024
        # The rest of the site's code: lazy-route chunks, fetched when a route first needs them.
        lines.append("Chunks fetched on navigation (lazy routes; on disk, raw and brotli)")
        pkg = h.site_root / "pkg"
        first = {a.rsplit("/", 1)[-1] for a in assets}
        for f in sorted(pkg.iterdir()):
            if f.suffix in (".wasm", ".js") and f.name not in first:
                br_file = f.with_name(f.name + ".br")
                br_size = br_file.stat().st_size if br_file.exists() else 0
                lines.append(f"  {f.name:<48} {f.stat().st_size / 1024:>8.1f} KB raw {br_size / 1024:>8.1f} KB brotli")
        h.stop(srv.proc)
    finally:
        h.close()
    return lines, figures


def browser_add_token(bin_path: Path, postgres: str | None, runs: int = 20) -> tuple[list[str], dict]:
    """Headless Chromium: click on Add Token in the drawer → the row shows the new token."""
    h = Harness(bin_path, postgres)
    h.site_root = bin_path.parent.parent / "site"  # target/release/gitpat → target/site
    lines, figures = Echo(), {}
    try:
        emu = h.start_emulator()
        h.seed(1, 5)
        # Two tokens taken in turn, so each run replaces the row's token with another.
        tokens = ["ghp_browserBench000000000000000000001a", "ghp_browserBench000000000000000000002b"]
        h.register_tokens(tokens)
        srv = h.start_server()
        out = subprocess.run(
            ["node", str(REPO / "end2end" / "bench" / "add_token.mjs"), srv.origin, "seed-1@gitpat.test",
             PASSWORD, "runtime-001", str(runs), *tokens],
            capture_output=True, text=True, timeout=180,
        )
        if out.returncode != 0:
            raise HarnessError(f"browser timing failed: {out.stderr.strip()[-400:]}")
        times = json.loads(out.stdout.strip().splitlines()[-1])
        figures["browser_add_p50"] = percentile(times, 50)
        lines.append(f"Browser (headless Chromium, emulator without latency, {runs} runs)")
        lines.append(f"  Add Token click → row shows the new token: p50 {percentile(times, 50):.0f} ms, "
                     f"p90 {percentile(times, 90):.0f} ms")
        h.stop(srv.proc)
    finally:
        h.close()
    return lines, figures


def revalidation(bin_path: Path, postgres: str | None, users: int, runtimes: int,
                 delay_ms: int) -> tuple[list[str], dict]:
    h = Harness(bin_path, postgres)
    lines, figures = Echo(), {}
    try:
        emu = h.start_emulator()
        h.admin("seed", "--users", str(users), "--accounts", "1", "--runtimes", str(runtimes),
                "--tokens", str(runtimes), "--emulator", emu, "--delay-ms", str(delay_ms),
                stdin=PASSWORD + "\n")
        total = users * runtimes
        started = time.monotonic()
        srv = h.start_server()  # its first re-validation pass starts at once: every token is due
        _, peak_kb = wait_revalidated(h, total, srv)
        elapsed = time.monotonic() - started
        h.stop(srv.proc)
        lines.append(f"Re-validation of {total} stored tokens, emulator answering in {delay_ms} ms")
        lines.append(f"  {elapsed:.1f} s from server start ({total / elapsed:.0f} tokens/s), "
                     f"peak RSS {peak_kb / 1024:.1f} MB")
        figures.update(revalidate_s=elapsed, rss_mb=peak_kb / 1024)
    finally:
        h.close()
    return lines, figures


def run(args, postgres: str | None) -> dict:
    """Every measurement on one engine; prints as it goes and returns the figures."""
    print(f"== {'PostgreSQL' if postgres else 'SQLite'} ==", flush=True)
    _, figures = pages_and_functions(args.bin, postgres, args.seconds, args.fn_users)
    figures.update(browser_add_token(args.bin, postgres)[1])
    figures.update(revalidation(args.bin, postgres, max(1, args.tokens // 100), min(100, args.tokens), 50)[1])
    return figures


CHECKS = [  # (label, figure, comparison, target, unit)
    ("token page / healthz throughput", "ratio", ">=", "ratio", "%"),
    ("add_token p99, half peak rate", "add_p99", "<", "fn_p99_ms", "ms"),
    ("delete_token p99, half peak rate", "delete_p99", "<", "fn_p99_ms", "ms"),
    ("add_token p99, saturated", "add_p99_saturated", "<", "fn_p99_ms", "ms"),
    ("delete_token p99, saturated", "delete_p99_saturated", "<", "fn_p99_ms", "ms"),
    ("JS+WASM+CSS brotli", "brotli_kb", "<=", "brotli_kb", "KB"),
    ("token page CPU per request", "cpu_page_ms", "<=", "cpu_page_ms", "ms"),
    ("10k re-validations", "revalidate_s", "<", "revalidate_s", "s"),
    ("peak RSS", "rss_mb", "<", "rss_mb", "MB"),
]
# Shown beside the targets when both engines ran: the figures that depend on the database.
EXTRA = [
    ("token page req/s", "page_rps", ""), ("/healthz req/s", "health_rps", ""),
    ("add_token req/s, saturated", "add_rps", ""), ("delete_token req/s, saturated", "delete_rps", ""),
    ("Add Token in the browser, p50", "browser_add_p50", "ms"),
]


def report(per_engine: dict[str, dict]) -> None:
    """The targets, one column per engine measured in this run."""
    names = list(per_engine)
    print("Targets" if len(names) == 1 else "Side by side (the same run)")
    print(f"  {'':<32} " + " ".join(f"{n:>12}" for n in names) + "   target")
    for label, key, op, target_key, unit in CHECKS:
        target = TARGETS[target_key] * (100 if unit == "%" else 1)
        cells = []
        for n in names:
            value = per_engine[n][key] * (100 if unit == "%" else 1)
            met = value >= target if op == ">=" else value <= target if op == "<=" else value < target
            cells.append(f"{value:>7.1f}{'' if met else ' MISS':<5}")
        print(f"  {label:<32} " + " ".join(f"{c:>12}" for c in cells) + f"   {op} {target:g} {unit}")
    if len(names) > 1:
        for label, key, unit in EXTRA:
            print(f"  {label:<32} " + " ".join(f"{per_engine[n][key]:>7.0f}{'':<5}" for n in names) + f"   {unit}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", type=Path, default=REPO / "target" / "release" / "gitpat")
    ap.add_argument("--seconds", type=int, default=10, help="length of each wrk page run")
    ap.add_argument("--fn-users", type=int, default=300, help="users whose pairs the server functions use")
    ap.add_argument("--tokens", type=int, default=10_000, help="tokens to re-validate (100 per user)")
    ap.add_argument("--postgres", metavar="URL",
                    help="also measure on this PostgreSQL server (postgres://USER@HOST:PORT/postgres), "
                         "after SQLite, and print both side by side")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk; scripts/bench.sh does it)", file=sys.stderr)
        return 2
    install_hard_timeout(1800 if args.postgres else 900)
    per_engine = {"SQLite": run(args, None)}
    if args.postgres:
        per_engine["PostgreSQL"] = run(args, args.postgres)
    report(per_engine)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
