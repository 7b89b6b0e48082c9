#!/usr/bin/env python3
"""Crash test of gitpat on loopback (issue "Faults").

Starts `gitpat emulator` and `gitpat serve` (temporary database and key), seeds users and GitHub
runtimes, runs a concurrent write load (add / replace / delete token, one worker per user) and
SIGKILLs the server after a random but bounded delay. A write answered 2xx is "acknowledged" and must
survive; a write in flight at the kill is "uncertain" (either outcome is fine). The server is then
restarted on the same database and key (it must come up healthy and serve a user's token page with
the same session), stopped with SIGTERM, and `gitpat admin verify` plus Python's own
`PRAGMA integrity_check` must show an intact database in which every (user, runtime) holds the last
acknowledged token — or the uncertain write's outcome — and every token decrypts. Repeated N times.

Exit status: 0 when every cycle verified; 1 otherwise.
"""

from __future__ import annotations

import argparse
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


class Writer(threading.Thread):
    """One user's write load. `state[rt]` is the last acknowledged token (None: no token);
    `uncertain` is the write in flight when the connection died, as (runtime, token or None)."""

    def __init__(self, email: str, sess: gh.Session, state: dict[int, str | None], pool: list[str],
                 killed: threading.Event, seed: int):
        super().__init__(daemon=True, name=f"writer-{email}")
        self.email, self.sess, self.state, self.pool, self.killed = email, sess, state, pool, killed
        self.rng = random.Random(seed)
        self.acked = 0
        self.uncertain: tuple[int, str | None] | None = None
        self.errors: list[str] = []  # failures: 5xx, transport errors before the kill

    def run(self) -> None:
        while not self.killed.is_set():
            rt = self.rng.choice(list(self.state))
            cur = self.state[rt]
            if cur is not None and self.rng.random() < 0.4:
                new, call = None, lambda: self.sess.call("delete_token", runtime_id=rt)
            else:
                new = self.rng.choice([t for t in self.pool if t != cur])
                call = lambda: self.sess.call("add_token", runtime_id=rt, token=new)  # noqa: E731
            try:
                resp = call()
            except (OSError, http.client.HTTPException) as e:
                # After the kill this is expected and the write's outcome is unknown.
                self.uncertain = (rt, new)
                if not self.killed.is_set():
                    self.errors.append(f"transport error before the kill: {type(e).__name__}: {e}")
                return
            if resp.status // 100 == 2:
                self.state[rt] = new
                self.acked += 1
            else:
                # The user's state is known exactly, so no write should be refused.
                self.errors.append(f"{'delete' if new is None else 'add'} on rt {rt}: {resp.reason()}")
                if resp.status >= 500:
                    self.uncertain = (rt, new)
                    return


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 cycle, 4 users x 3 runtimes, kill after 0.5-1.5 s")
    ap.add_argument("--bin", type=Path, default=gh.DEFAULT_BIN, help="gitpat binary (copied before use)")
    ap.add_argument("--cycles", type=int, help="kill/restart cycles (default 3, quick 1)")
    ap.add_argument("--users", type=int, help="users = concurrent writers (default 8, quick 4)")
    ap.add_argument("--runtimes", type=int, help="runtimes in the account (default 5, quick 3)")
    ap.add_argument("--tokens-per-user", type=int, default=24)
    ap.add_argument("--seed", type=int, help="random seed (printed; pass it to repeat the delays and op mix)")
    ap.add_argument("--timeout", type=int, default=300, help="hard limit for the whole run, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    a = ap.parse_args()
    cycles = a.cycles or (1 if a.quick else 3)
    users = a.users or (4 if a.quick else 8)
    runtimes = a.runtimes or (3 if a.quick else 5)
    delays = (0.5, 1.5) if a.quick else (1.0, 3.0)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    gh.install_hard_timeout(a.timeout)

    h = gh.Harness(a.bin)
    try:
        return run(h, cycles, users, runtimes, delays, a.tokens_per_user, seed)
    except (gh.HarnessError, gh.HardTimeout) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        h.close(keep=a.keep)


def run(h: gh.Harness, cycles: int, users: int, runtimes: int, delays: tuple[float, float],
        tokens_per_user: int, seed: int) -> int:
    print(f"crash: {cycles} cycles, {users} users x {runtimes} runtimes, kill after "
          f"{delays[0]:g}-{delays[1]:g} s, seed {seed}, binary copy in {h.tmp}")
    rng = random.Random(seed)
    h.start_emulator()
    emails, rt_ids = h.seed(users, runtimes)
    pools = {e: gh.token_pool(rng, tokens_per_user) for e in emails}
    h.register_tokens([t for p in pools.values() for t in p])
    by_sha = {gh.sha256_hex(t): t for p in pools.values() for t in p}
    # The verified durable state; the next cycle's writers start from it.
    known: dict[str, dict[int, str | None]] = {e: {rt: None for rt in rt_ids} for e in emails}
    sessions: dict[str, gh.Session] = {}
    totals = dict(acked=0, uncertain=0, applied=0, verified=0)
    failures: list[str] = []

    for cycle in range(1, cycles + 1):
        srv = h.start_server()
        # Sessions live in SQLite, so after the first cycle the old cookies must still work.
        for s in sessions.values():
            s.retarget(srv.port)
        missing = [e for e in emails if e not in sessions]
        sessions.update(zip(missing, gh.sign_in_all(srv.port, missing)))

        killed = threading.Event()
        writers = [Writer(e, sessions[e], dict(known[e]), pools[e], killed, rng.randrange(1 << 30))
                   for e in emails]
        for w in writers:
            w.start()
        delay = rng.uniform(*delays)
        time.sleep(delay)
        killed.set()  # set first: any transport error seen from now on may be due to the kill
        h.stop(srv.proc, signal.SIGKILL)
        for w in writers:
            while w.is_alive():  # timed join keeps the hard timeout deliverable
                w.join(0.5)
            w.sess.close()
            failures += [f"cycle {cycle} {w.email}: {err}" for err in w.errors]

        # What each (user, runtime) may hold now: the last acknowledged token, or the in-flight write's.
        allowed: dict[tuple[str, int], set[str | None]] = {}
        in_flight: dict[tuple[str, int], str | None] = {}
        for w in writers:
            for rt in rt_ids:
                allowed[(w.email, rt)] = {w.state[rt]}
            if w.uncertain:
                rt, new = w.uncertain
                allowed[(w.email, rt)].add(new)
                in_flight[(w.email, rt)] = new
        acked = sum(w.acked for w in writers)
        uncertain = sum(1 for w in writers if w.uncertain)

        # Restart on the same database and key: healthy, and a user's page is served.
        srv = h.start_server()
        failures += [f"cycle {cycle} after restart: {m}" for m in check_pages(srv, sessions, allowed)]
        rc = h.stop(srv.proc, signal.SIGTERM)
        if rc != 0:
            failures.append(f"cycle {cycle}: restarted server did not stop cleanly on SIGTERM (exit {rc})")

        v = h.verify()
        if v.rc != 0:
            failures.append(f"cycle {cycle}: gitpat admin verify exited {v.rc}: {v.other}")
        if v.integrity != "ok":
            failures.append(f"cycle {cycle}: PRAGMA integrity_check: {v.integrity}")
        applied, bad = 0, 0
        for key in sorted(set(allowed) | set(v.rows)):
            ok = {gh.sha256_hex(t) if t else None for t in allowed.get(key, {None})}
            got = v.rows.get(key)
            if got not in ok:
                bad += 1
                failures.append(f"cycle {cycle} {key}: {describe(ok, got)}")
            elif key in in_flight:
                t = in_flight[key]
                applied += got == (gh.sha256_hex(t) if t else None)
            if key in allowed:
                known[key[0]][key[1]] = by_sha.get(got) if got else None
        stored = len(v.rows)
        print(f"cycle {cycle}: killed after {delay:.2f} s; writes acknowledged {acked}, uncertain {uncertain} "
              f"({applied} applied); verify exit {v.rc}: {stored} tokens, {len(allowed)} pairs checked; "
              f"integrity_check {v.integrity}")
        for line in v.other:
            print(f"  verify: {line}")
        totals["acked"] += acked
        totals["uncertain"] += uncertain
        totals["applied"] += applied
        totals["verified"] += len(allowed)
        if bad or v.rc != 0 or v.integrity != "ok":
            break  # the next cycle would start from a state we cannot describe

    print(f"\ntotal: writes acknowledged {totals['acked']}, uncertain {totals['uncertain']} "
          f"({totals['applied']} applied), (user, runtime) states verified {totals['verified']}")
    if failures:
        print("\nFAIL:\n  " + "\n  ".join(failures[:30]))
        if len(failures) > 30:
            print(f"  … and {len(failures) - 30} more")
        return 1
    print("OK: every acknowledged write survived SIGKILL, every token decrypts, integrity_check ok")
    return 0


def describe(ok: set[str | None], got: str | None) -> str:
    want = "no token" if ok == {None} else "a token" if len(ok) == 1 else "either of two states"
    found = ("nothing" if got is None else "a token that does not decrypt" if got == gh.UNREADABLE
             else "a token" if ok == {None} else "a different token")
    return f"expected {want}, stored {found}"


def check_pages(srv: gh.Server, sessions: dict[str, gh.Session],
                allowed: dict[tuple[str, int], set[str | None]]) -> list[str]:
    """With the pre-crash session cookies: the token page renders and the token list agrees with
    what may be stored (by last 4 characters)."""
    problems = []
    for email, s in sessions.items():
        s.retarget(srv.port)
        try:
            page = s.token_page()
            if page.status != 200 or gh.PAGE_MARK not in page.body:
                problems.append(f"{email}: token page answered {page.status}"
                                f"{' (session lost?)' if page.status in (302, 303, 307) else ''}")
                continue
            rows = {r["runtime"]["id"]: r.get("token") for r in json.loads(s.call("tokens").body)}
        except (OSError, http.client.HTTPException, ValueError) as e:
            problems.append(f"{email}: {type(e).__name__}: {e}")
            continue
        finally:
            s.close()
        for (e, rt), ok in allowed.items():
            if e == email:
                shown = (rows.get(rt) or {}).get("last4")
                if shown not in {t[-4:] if t else None for t in ok}:
                    problems.append(f"{email} rt {rt}: token list disagrees with the acknowledged state")
    return problems


if __name__ == "__main__":
    sys.exit(main())
