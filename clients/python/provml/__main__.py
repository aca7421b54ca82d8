"""Command line: `python -m provml {replay,status,register,info}`."""
import argparse
import json
import logging
import os
import sys

from .execution import execution_data
from .replay import replay, spool_files
from .spec import load_spec
from .spool import SpoolLocked, read_spool
from .transport import ACK, HttpTransport


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m provml",
                                     description="provml capture client tools")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("replay", help="send the unacknowledged events of spool files")
    p.add_argument("spool", nargs="+", help="spool files (.jsonl) or directories of them")
    p.add_argument("--server", required=True, help="http://HOST:PORT (or its /graphql URL)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per file (default 60)")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--token", default=None, help="API token (default: PROVML_TOKEN); never printed")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when a spool holds a torn line (the rest is still replayed)")
    p = sub.add_parser("status", help="count what spool files still hold")
    p.add_argument("spool", nargs="+")
    p = sub.add_parser("register", help="register a workflow spec (.json or .yaml)")
    p.add_argument("spec")
    p.add_argument("--server", required=True)
    p.add_argument("--token", default=None, help="API token (default: PROVML_TOKEN); never printed")
    sub.add_parser("info", help="print the execution data a run would capture")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    token = getattr(args, "token", None) or os.environ.get("PROVML_TOKEN") or None

    if args.command == "replay":
        failures = 0
        for path in spool_files(args.spool):
            # A torn line (a crash mid-write) never stops a replay: named here, every whole line sent.
            torn = read_spool(path).torn_at if os.path.exists(path) else []
            try:
                sent, pending, stats = replay(path, args.server, timeout=args.timeout,
                                              batch_size=args.batch_size, token=token)
            except SpoolLocked as err:
                print("%s: skipped: %s" % (path, err), file=sys.stderr)
                failures += 1
                continue
            for number in torn:
                print("%s:%d: torn line skipped (not a whole JSON record)" % (path, number), file=sys.stderr)
            print("%s: sent %d (accepted %d, duplicates %d, rejected %d), still pending %d%s"
                  % (path, sent, stats.accepted, stats.duplicates, stats.rejected, pending,
                     ", torn lines %d" % len(torn) if torn else ""))
            failures += 1 if pending or (args.strict and torn) else 0
        return 1 if failures else 0
    if args.command == "status":
        for path in spool_files(args.spool):
            c = read_spool(path)
            print("%s: pending %d, acknowledged %d, rejected %d, torn lines %d, specs %d"
                  % (path, len(c.pending), c.acked, c.rejected, c.torn_lines, len(c.specs)))
        return 0
    if args.command == "register":
        try:
            spec = load_spec(args.spec)
        except (OSError, ValueError) as err:  # SpecError is a ValueError; JSON errors too
            print("register: %s: %s" % (args.spec, err), file=sys.stderr)
            return 1
        outcome = HttpTransport(args.server, token=token).register(spec)
        if outcome.kind != ACK:
            print("register failed: %s" % outcome.reason, file=sys.stderr)
            return 1
        print(json.dumps(outcome.data))
        return 0
    if args.command == "info":
        print(json.dumps(execution_data(), indent=2))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
