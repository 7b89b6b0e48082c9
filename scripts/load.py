#!/usr/bin/env python3
"""Bounded load test of gitpat on loopback (issue "Load").

Starts `gitpat emulator` and `gitpat serve` on free ports with a temporary database and key, seeds
users (members of one account) and GitHub runtimes, signs every user in, and runs one worker thread
per user doing a random mix of add / replace / delete token, token page and token list for a fixed
time. Each worker alone uses its user's session, so the order of that user's acknowledged writes is
well defined; at the end the server is stopped with SIGTERM and `gitpat admin verify` must show
exactly the last acknowledged token of every (user, runtime): nothing lost, nothing extra.

Exit status: 0 when there was no 5xx, no transport error, no mismatch; 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import random
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gitpat_harness as gh  # noqa: E402

KINDS = ("add", "replace", "delete", "page", "list")


class Worker(threading.Thread):
    """Drives one user's session. `state[rt]` is the last acknowledged token (None: no token);
    `maybe[rt]` is set only after a write whose outcome we cannot know (5xx or transport error)."""

    def __init__(self, idx: int, email: str, sess: gh.Session, runtimes: list[int], pool: list[str],
                 deadline: float, budget: "Budget", seed: int):
        super().__init__(daemon=True, name=f"worker-{idx}")
        self.email, self.sess, self.runtimes, self.pool = email, sess, runtimes, pool
        self.deadline, self.budget = deadline, budget
        self.rng = random.Random(seed)
        self.state: dict[int, str | None] = {rt: None for rt in runtimes}
        self.maybe: dict[int, set[str | None]] = {}
        self.lat: dict[str, list[float]] = collections.defaultdict(list)
        self.status: collections.Counter = collections.Counter()  # (kind, status)
        self.reasons: collections.Counter = collections.Counter()  # (kind, reason) of non-2xx
        self.transport: collections.Counter = collections.Counter()  # (kind, exception text)
        self.read_mismatch: list[str] = []

    def run(self) -> None:
        while time.monotonic() < self.deadline and self.budget.take():
            r = self.rng.random()
            if r < 0.15:
                self.op("page", self.sess.token_page)
            elif r < 0.35:
                self.op("list", lambda: self.sess.call("tokens"))
            else:
                self.write(self.rng.choice(self.runtimes))

    def write(self, rt: int) -> None:
        current = self.state[rt]
        if current is not None and self.rng.random() < 0.4:
            kind, new = "delete", None
            resp = self.op(kind, lambda: self.sess.call("delete_token", runtime_id=rt))
        else:
            kind = "add" if current is None else "replace"
            new = self.rng.choice([t for t in self.pool if t != current])  # a change is detectable
            resp = self.op(kind, lambda: self.sess.call("add_token", runtime_id=rt, token=new))
        if resp is not None and resp.status // 100 == 2:
            self.state[rt] = new
            self.maybe.pop(rt, None)
        elif resp is None or resp.status >= 500:
            # Unknown outcome: the failure is counted and fails the run; the final comparison
            # still accepts either value so that any *other* loss is reported on its own.
            self.maybe.setdefault(rt, {current}).add(new)
        # Any other status (4xx) is a refusal: nothing changed.

    def op(self, kind: str, fn) -> gh.Response | None:
        try:
            resp = fn()
        except (OSError, http.client.HTTPException) as e:
            self.transport[(kind, type(e).__name__ + ": " + str(e)[:80])] += 1
            time.sleep(0.05)
            return None
        self.lat[kind].append(resp.seconds)
        self.status[(kind, resp.status)] += 1
        if resp.status // 100 != 2:
            self.reasons[(kind, resp.reason())] += 1
        elif kind == "list":
            self.check_list(resp)
        elif kind == "page" and gh.PAGE_MARK not in resp.body:
            self.read_mismatch.append(f"{self.email}: token page without the runtime rows")
        return resp

    def check_list(self, resp: gh.Response) -> None:
        """Read-your-writes: only this worker changes this user's tokens, so the list must show
        exactly the acknowledged state (by last 4 characters)."""
        try:
            rows = {row["runtime"]["id"]: row.get("token") for row in json.loads(resp.body)}
        except (ValueError, KeyError, TypeError) as e:
            self.read_mismatch.append(f"{self.email}: unreadable token list ({type(e).__name__})")
            return
        for rt in self.runtimes:
            if rt not in rows:
                self.read_mismatch.append(f"{self.email} rt {rt}: runtime missing from the list")
                continue
            shown = (rows[rt] or {}).get("last4")
            allowed = self.maybe.get(rt, {self.state[rt]})
            if shown not in {t[-4:] if t else None for t in allowed}:
                self.read_mismatch.append(f"{self.email} rt {rt}: list shows "
                                          f"{'a token' if shown else 'no token'} unlike the acknowledged state")


class Budget:
    """An optional cap on the total number of operations, shared by the workers."""

    def __init__(self, n: int | None):
        self.n, self.lock = n, threading.Lock()

    def take(self) -> bool:
        if self.n is None:
            return True
        with self.lock:
            self.n -= 1
            return self.n >= 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="~5 s of load, 8 users x 5 runtimes")
    ap.add_argument("--bin", type=Path, default=gh.DEFAULT_BIN, help="gitpat binary (copied before use)")
    ap.add_argument("--users", type=int, help="users = workers (default 20, quick 8)")
    ap.add_argument("--runtimes", type=int, help="runtimes in the account (default 10, quick 5)")
    ap.add_argument("--duration", type=float, help="seconds of load (default 20, quick 5)")
    ap.add_argument("--ops", type=int, help="stop after this many operations in total")
    ap.add_argument("--tokens-per-user", type=int, default=24)
    ap.add_argument("--seed", type=int, help="random seed (printed; pass it to repeat a run's op mix)")
    ap.add_argument("--timeout", type=int, default=300, help="hard limit for the whole run, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    a = ap.parse_args()
    users = a.users or (8 if a.quick else 20)
    runtimes = a.runtimes or (5 if a.quick else 10)
    duration = a.duration or (5.0 if a.quick else 20.0)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    gh.install_hard_timeout(a.timeout)

    h = gh.Harness(a.bin)
    try:
        return run(h, users, runtimes, duration, a.ops, a.tokens_per_user, seed)
    except (gh.HarnessError, gh.HardTimeout) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        h.close(keep=a.keep)


def run(h: gh.Harness, users: int, runtimes: int, duration: float, ops: int | None,
        tokens_per_user: int, seed: int) -> int:
    print(f"load: {users} users x {runtimes} runtimes, {duration:g} s, seed {seed}, binary copy in {h.tmp}")
    rng = random.Random(seed)
    t0 = time.monotonic()
    h.start_emulator()
    emails, rt_ids = h.seed(users, runtimes)
    # Unique, valid tokens per user; generated from the seed so a run can be repeated.
    pools = [gh.token_pool(rng, tokens_per_user) for _ in emails]
    h.register_tokens([t for p in pools for t in p])
    t1 = time.monotonic()
    srv = h.start_server()
    sessions = gh.sign_in_all(srv.port, emails)
    print(f"setup: seeding {t1 - t0:.1f} s, server start + {users} sign-ins {time.monotonic() - t1:.1f} s")

    budget = Budget(ops)
    deadline = time.monotonic() + duration
    workers = [Worker(i, e, s, rt_ids, p, deadline, budget, rng.randrange(1 << 30))
               for i, (e, s, p) in enumerate(zip(emails, sessions, pools))]
    start = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        while w.is_alive():  # a timed join keeps the main thread responsive to the hard timeout
            w.join(0.5)
    elapsed = time.monotonic() - start
    for s in sessions:
        s.close()

    # Figures.
    lat, status, reasons, transport = collections.defaultdict(list), collections.Counter(), \
        collections.Counter(), collections.Counter()
    mismatches: list[str] = []
    for w in workers:
        for k, v in w.lat.items():
            lat[k] += v
        status.update(w.status)
        reasons.update(w.reasons)
        transport.update(w.transport)
        mismatches += w.read_mismatch
    total = sum(status.values())
    print(f"\n{total} requests in {elapsed:.1f} s = {total / elapsed:.0f} req/s ({len(workers)} workers)")
    print(f"{'kind':8} {'ops':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for k in KINDS:
        v = lat.get(k, [])
        print(f"{k:8} {len(v):7d} {gh.percentile(v, 50) * 1e3:8.1f} {gh.percentile(v, 99) * 1e3:8.1f} "
              f"{(max(v) if v else float('nan')) * 1e3:8.1f}")
    n5xx = sum(n for (k, st), n in status.items() if st >= 500)
    other = sum(n for (k, st), n in status.items() if st // 100 != 2 and st < 500)
    print(f"5xx: {n5xx}   other non-2xx: {other}   transport errors: {sum(transport.values())}")
    for (k, why), n in sorted(reasons.items()):
        print(f"  {n:5d} x {k}: {why}")
    for (k, why), n in sorted(transport.items()):
        print(f"  {n:5d} x {k}: transport error {why}")
    if mismatches:
        print(f"read-your-writes mismatches: {len(mismatches)}")
        for m in mismatches[:10]:
            print(f"  {m}")

    # A graceful stop must finish in-flight work and exit 0.
    rc = h.stop(srv.proc, signal.SIGTERM, timeout=15)
    failures = []
    if rc != 0:
        failures.append(f"server did not stop cleanly on SIGTERM (exit {rc}; None = needed SIGKILL)")

    # Durable state must equal the last acknowledged state, exactly.
    v = h.verify()
    expected, uncertain = {}, 0
    for w in workers:
        for rt in rt_ids:
            allowed = w.maybe.get(rt, {w.state[rt]})
            uncertain += rt in w.maybe
            expected[(w.email, rt)] = {gh.sha256_hex(t) if t else None for t in allowed}
    lost, wrong, extra, undecryptable = [], [], [], []
    for k in sorted(set(expected) | set(v.rows)):
        ok, got = expected.get(k, {None}), v.rows.get(k)
        if got in ok:
            continue
        (lost if got is None else undecryptable if got == gh.UNREADABLE else extra if ok == {None}
         else wrong).append(k)
    stored = len(v.rows)
    want = sum(1 for ok in expected.values() if None not in ok)
    print(f"\nverify: exit {v.rc}, {stored} tokens stored, {want} expected "
          f"(+{uncertain} pairs with an unknown outcome), integrity_check: {v.integrity}")
    for line in v.other:
        print(f"  verify: {line}")
    if v.rc != 0:
        failures.append(f"gitpat admin verify exited {v.rc}")
    if v.integrity != "ok":
        failures.append(f"PRAGMA integrity_check: {v.integrity}")
    for name, keys in (("lost (acknowledged token missing)", lost),
                       ("wrong token stored", wrong),
                       ("extra row (deleted or never written)", extra),
                       ("stored token that does not decrypt", undecryptable)):
        if keys:
            failures.append(f"{len(keys)} {name}: {keys[:5]}")
    if n5xx:
        failures.append(f"{n5xx} responses with 5xx")
    if transport:
        failures.append(f"{sum(transport.values())} transport errors")
    if mismatches:
        failures.append(f"{len(mismatches)} read-your-writes mismatches")
    if failures:
        print("\nFAIL:\n  " + "\n  ".join(failures))
        print(f"(server log tail)\n{gh.tail(srv.log)}")
        return 1
    print("\nOK: no 5xx, no transport errors, stored tokens == last acknowledged state")
    return 0


if __name__ == "__main__":
    sys.exit(main())
