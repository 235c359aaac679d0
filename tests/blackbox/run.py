#!/usr/bin/env python3
"""Black-box test runner: starts a real lockboxd on a temporary data directory and runs one
case file against it over HTTP.

A case file is Python executed with the names below in scope (see lockbox_harness.py): `srv`
(the running server: start, stop, restart, url, data), `admin` (a client with the bootstrap
token), `client(token)`, `login(...)`, `totp(secret)`, `world()` (a populated system of two
tenants and every role), `client_test` (the path given by --client-test), and the assertions `check`, `eq`, `expect`, `problem`. Every
assertion is counted; the runner prints `N passed, M failed` and exits 1 on any failure or
uncaught exception. The server's log is kept when a case fails. A case that cannot run here
raises `Skip(reason)`: the runner prints "skipped: reason" and exits 77 (CTest: skipped).
"""
import argparse
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockbox_harness as h  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockboxd", required=True, help="path of the lockboxd binary")
    ap.add_argument("--lockbox", help="path of the lockbox CLI, for the CLI cases")
    ap.add_argument("--client-test", help="path of test_liblockbox, for the liblockbox case")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--pg", metavar="URL",
                    help="run on a PostgreSQL store: a database of the case's own on the "
                         "cluster at URL (tests/pg/cluster.sh writes it); a case with a line "
                         "'# store: sqlite' is then skipped, and without --pg a case with a "
                         "line '# store: pg'")
    ap.add_argument("case", help="the .case file to run")
    args = ap.parse_args()

    with open(args.case, encoding="utf-8") as f:
        source = f.read()
    if args.pg and "\n# store: sqlite\n" in "\n" + source:
        print("skipped: the case is about the SQLite store")
        return 77
    if not args.pg and "\n# store: pg\n" in "\n" + source:
        print("skipped: the case needs a PostgreSQL store (several nodes on one database)")
        return 77
    results = h.Results()
    srv = h.Server(args.lockboxd, pg_url=args.pg)
    crashed = None
    skipped = None
    try:
        srv.start()
        scope = h.scope_for(srv, results, args.lockbox)
        scope["client_test"] = args.client_test
        code = compile(source, args.case, "exec")
        exec(code, scope)
    except h.Skip as e:
        skipped = str(e)
    except Exception:  # a failed step ends the case; it counts as a failure
        crashed = traceback.format_exc()
        results.fail("case stopped: " + crashed.strip().splitlines()[-1])
    finally:
        rc = srv.stop() if srv.running() else 0
        if rc != 0:
            results.fail(f"lockboxd exited {rc} at the end (want 0)")
    if crashed:
        print(crashed, file=sys.stderr)
    print(f"{results.passed} passed, {results.failed} failed")
    if skipped and not results.failed:
        print(f"skipped: {skipped}")
        srv.cleanup()
        return 77
    if results.failed:
        print("---- lockboxd log (last 60 lines) ----", file=sys.stderr)
        print("\n".join(srv.log_lines()[-60:]), file=sys.stderr)
    srv.cleanup(keep=args.keep or results.failed > 0)
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
