"""Server CPU per request of two gitpat binaries, side by side in one run: the way to tell whether
a change made a page cheaper on a machine whose speed drifts by ±30 % from run to run.

    python3 scripts/ab_cpu.py BIN_A BIN_B [--reps N]

Each binary gets its own harness (temporary database, emulator, one user with 50 runtimes over 3
accounts, tokens on half, as in bench.py). Then, N times, each page is measured on A and on B one
right after the other (wrk, 16 connections, 5 s; CPU from /proc/PID/stat), and the medians and
their ratio are printed. Loopback only; about 30 s per repetition; stops by itself. Needs Debian's
wrk (`scripts/setup.sh --with-bench` installs it) and release builds (`cargo leptos build --release`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
from gitpat_harness import PASSWORD, TOKEN_PAGE, Harness, Session, install_hard_timeout  # noqa: E402

PATHS = [TOKEN_PAGE, "/account/password", "/healthz"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin_a", type=Path)
    ap.add_argument("bin_b", type=Path)
    ap.add_argument("--reps", type=int, default=4)
    args = ap.parse_args()
    install_hard_timeout(120 + 35 * args.reps)
    harnesses, servers, cookies = [], [], []
    try:
        for bin_path in (args.bin_a, args.bin_b):
            h = Harness(bin_path)
            h.site_root = bin_path.parent.parent / "site"
            harnesses.append(h)
            emu = h.start_emulator()
            h.admin("seed", "--users", "1", "--accounts", "3", "--runtimes", "50", "--tokens", "25",
                    "--emulator", emu, stdin=PASSWORD + "\n")
            srv = h.start_server()
            servers.append(srv)
            user = Session(srv.port)
            user.login("seed-1@gitpat.test")
            if user.token_page().body.count(b"<tr") < 51:
                raise SystemExit(f"{bin_path}: the token page did not list the 50 runtimes")
            bench.wait_revalidated(h, 25, srv)
            cookies.append(f"Cookie: gitpat_session={user.cookie}")
        ms = {(i, p): [] for i in range(2) for p in PATHS}
        for _ in range(args.reps):
            for p in PATHS:
                for i in range(2):
                    ms[(i, p)].append(bench.cpu_ms_per_request(
                        servers[i].proc.pid, f"{servers[i].origin}{p}", "-H", cookies[i]))
        print(f"Server CPU per request, median of {args.reps} (A: {args.bin_a}, B: {args.bin_b})")
        for p in PATHS:
            a, b = statistics.median(ms[(0, p)]), statistics.median(ms[(1, p)])
            print(f"  {p:<30} A {a:6.3f} ms   B {b:6.3f} ms   B/A {b / a:.2f}")
    finally:
        for h in harnesses:
            h.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
