#!/usr/bin/env python3
"""Fault suite: crash, kill or disturb a load, rerun make, check the result.

Usage: run.py --bin DIR --base DIR [--cluster-work DIR] [--rounds N]
              [--seed S] [--quick] [--faults NAME,...] [--rows N]
              [--chunk-rows N] [--keep]

Each round loads a generated name.basics file, served over HTTP by
Tests/Support/fault_server.py, through the project's Makefile into a
database of its own (faults_N) with a WORK of its own (BASE/round-N-FAULT).
It injects one fault at a point chosen by a random generator seeded with
--seed, the fault and the round number, then reruns make until it
succeeds, at most 3 times. Then it checks that every source row is in the
table or in a rejects file exactly once, that no key repeats, that the
ledger matches the chunk markers, and that WORK contains no part file and no
damaged file under a final name. A failed run must have printed its cause
on one line, and the failing tool must have exited with the status
documented for that failure.

The database comes from the PG* variables or DATABASE_URL, as for the
tools. The pg-stop faults need --cluster-work, the WORK of the embedded
cluster that they stop and restart with make db-start; without it they are
skipped. `make test-faults` passes all of this.

A passing round's database and files are removed; a failing round's are
kept for inspection. The last line is "N passed, N failed"; the exit status
is 1 when a round failed.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import time

# The modules beside this file; no __pycache__ is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
import dataset as datasets  # noqa: E402
import injectors  # noqa: E402
from rounds import Round, Suite  # noqa: E402
from system import Cluster  # noqa: E402

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_RERUNS = 3

# make's own variables and the project's, which must not leak from a make
# that runs this suite into the makes that the suite runs.
MAKE_VARIABLES = [
    "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR",
    "DATASET", "DATASETS", "SOURCE", "CHUNK_ROWS", "MAX_REJECTS", "FETCH_OPTIONS", "REFRESH",
    "WORK", "CHUNKS_OF", "STAGELOAD_BIN",
]

# The short form that `make test` runs: one round of each, on small data.
# It leaves out the faults that stop the database server or wait for
# timeouts.
QUICK_FAULTS = [
    "kill-inflate", "kill-load", "kill-publish", "sigint", "pg-terminate", "http-drop",
    "corrupt-chunk", "concurrent",
]


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="directory of fetch, inflate, split, load")
    parser.add_argument("--base", required=True, help="directory for the rounds' files")
    parser.add_argument("--cluster-work", help="WORK of the embedded cluster to stop and start")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per fault (default 1)")
    parser.add_argument("--seed", help="random seed (default: a new one, printed)")
    parser.add_argument("--quick", action="store_true",
                        help="a few faults on small data, as make test runs them")
    parser.add_argument("--faults", help="comma-separated faults (default: all)")
    parser.add_argument("--rows", type=int, help="data rows (default 300000, quick 40000)")
    parser.add_argument("--chunk-rows", type=int,
                        help="CHUNK_ROWS (default 10000, quick 2000)")
    parser.add_argument("--make-timeout", type=int, default=300,
                        help="seconds before a make run is killed (default 300)")
    parser.add_argument("--keep", action="store_true", help="keep passing rounds' files too")
    arguments = parser.parse_args()
    if arguments.faults:
        arguments.faults = arguments.faults.split(",")
        unknown = [name for name in arguments.faults if name not in injectors.FAULTS]
        if unknown:
            parser.error("unknown fault %s; choose from %s"
                         % (", ".join(unknown), ", ".join(injectors.FAULTS)))
    else:
        arguments.faults = QUICK_FAULTS if arguments.quick else list(injectors.FAULTS)
    arguments.rows = arguments.rows or (40_000 if arguments.quick else 300_000)
    arguments.chunk_rows = arguments.chunk_rows or (2_000 if arguments.quick else 10_000)
    if arguments.seed is None:
        arguments.seed = str(random.SystemRandom().randrange(1, 1_000_000))
    return arguments


def suite_environment():
    environment = {k: v for k, v in os.environ.items() if k not in MAKE_VARIABLES}
    if not any(environment.get(name) for name in
               ("DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGSERVICE")):
        sys.exit("faults: no database: set PGHOST or DATABASE_URL, or run make test-faults, "
                 "which starts the embedded PostgreSQL")
    return environment


def start_server(directory, log):
    """Start fault_server.py on `directory`; return the process and its port."""
    server = subprocess.Popen(
        [sys.executable, os.path.join(PROJECT, "Tests", "Support", "fault_server.py"),
         directory, "--log", log],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    line = server.stdout.readline()
    if not line.strip().isdigit():
        server.kill()
        sys.exit("faults: fault_server.py printed no port")
    return server, int(line)


def play(round):
    """Run one round; return its problems and the reruns it needed."""
    problems = []
    round.prepare()
    try:
        injectors.FAULTS[round.fault](round)
    except injectors.NotInjected as error:
        problems.append("fault not injected: %s" % error)

    for run in round.runs:
        if run.timed_out:
            problems.append("%s: make ran longer than %d s and was killed"
                            % (run.label, run.timeout))
    first_runs = list(round.runs)
    may_succeed = round.struck_early_load and round.fault in ("kill-load", "pg-terminate")
    if (round.fault in injectors.MUST_FAIL and not may_succeed and not problems
            and first_runs[0].succeeded):
        problems.append("make succeeded although the fault was injected")
    if round.fault == "concurrent":
        problems += ["%s: make exited %s" % (run.label, run.returncode)
                     for run in first_runs if not run.succeeded]
    for run in first_runs:
        if not run.succeeded and not run.timed_out:
            problems += checks.check_failed_run(round.fault, run)

    reruns = 0
    while not round.runs[-1].succeeded and reruns < MAX_RERUNS:
        reruns += 1
        before = checks.spool_state(round)
        run = round.start_make()
        run.wait()
        problems += checks.check_rerun(before, round, run)
        if not run.succeeded:
            # An HTTP fault may outlast one rerun; anything else should not.
            problems += checks.check_failed_run(round.fault, run)
    if not round.runs[-1].succeeded:
        problems.append("make still fails after %d reruns; see %s"
                        % (MAX_RERUNS, round.runs[-1].log_path))
    else:
        problems += checks.check_outcome(round)
    return problems, reruns


def main():
    arguments = parse_arguments()
    environment = suite_environment()
    base = os.path.realpath(arguments.base)
    os.makedirs(os.path.join(base, "served"), exist_ok=True)

    started = time.monotonic()
    data = datasets.generate(arguments.rows, arguments.chunk_rows, arguments.seed)
    with open(os.path.join(base, "served", "name.basics.tsv.gz"), "wb") as file:
        file.write(data.gzip_bytes)
    print("faults: seed %s (rerun with FAULT_SEED=%s); %d rows, %d bad, %d duplicate keys, "
          "%d chunks of %d rows" % (arguments.seed, arguments.seed, data.source_rows,
                                    len(data.split_reject_lines), len(data.duplicate_keys),
                                    data.chunks, arguments.chunk_rows), flush=True)

    cluster = None
    cluster_environment = None
    if arguments.cluster_work:
        cluster = Cluster(PROJECT, arguments.cluster_work)
        cluster_environment = {k: v for k, v in environment.items() if k not in (
            "DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGSERVICE", "PGDATABASE")}
    server_log = os.path.join(base, "server.log")
    server, port = start_server(os.path.join(base, "served"), server_log)
    suite = Suite(PROJECT, os.path.realpath(arguments.bin), base, environment, data,
                  arguments.chunk_rows, port, server_log, cluster, arguments.make_timeout)
    suite.cluster_environment = cluster_environment

    results = {fault: [] for fault in arguments.faults}
    number = 0
    try:
        for fault in arguments.faults:
            for _ in range(arguments.rounds):
                number += 1
                results[fault].append(play_and_report(Round(suite, number, fault,
                                                            arguments.seed), arguments.keep))
    finally:
        server.stdin.close()
        server.wait()

    print_table(results)
    passed = sum(1 for rounds in results.values() for outcome in rounds if outcome[0] == "pass")
    failed = sum(1 for rounds in results.values() for outcome in rounds if outcome[0] == "fail")
    skipped = sum(1 for rounds in results.values() for outcome in rounds if outcome[0] == "skip")
    print("faults: %.0f s%s" % (time.monotonic() - started,
                                ", %d rounds skipped" % skipped if skipped else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def play_and_report(round, keep):
    """Play a round, print one line about it, and tidy up after it."""
    try:
        problems, reruns = play(round)
        verdict = "fail" if problems else "pass"
    except injectors.Skipped as reason:
        problems, reruns, verdict = [], 0, "skip"
        round.description = str(reason)
    except Exception as error:  # noqa: BLE001 -- a broken round must not stop the suite
        problems, reruns, verdict = ["harness error: %r" % error], 0, "fail"
    finally:
        for run in round.runs:
            if not run.finished:
                run.signal_group(signal.SIGKILL)
                run.process.wait()
        for cleanup in round.cleanups:
            if verdict == "fail" and os.path.isdir(round.work):
                subprocess.run(["cp", "-a", round.work, round.work + "-kept"], check=False)
            cleanup()
    print("round %d %s: %s, %d rerun%s; %s" % (
        round.number, round.fault, verdict, reruns, "" if reruns == 1 else "s",
        round.description or "no fault injected"), flush=True)
    for problem in problems:
        print("    " + problem, flush=True)
    if verdict == "fail":
        print("    kept %s and database %s" % (round.directory, round.database.name), flush=True)
    elif not keep:
        round.remove()
    return verdict, reruns


def print_table(results):
    print()
    print("%-18s %6s %6s  %s" % ("fault", "rounds", "passes", "reruns needed"))
    for fault, outcomes in results.items():
        passes = sum(1 for verdict, _ in outcomes if verdict == "pass")
        skipped = all(verdict == "skip" for verdict, _ in outcomes)
        reruns = "skipped" if skipped else " ".join(str(count) for _, count in outcomes)
        print("%-18s %6d %6d  %s" % (fault, len(outcomes), passes, reruns))


if __name__ == "__main__":
    sys.exit(main())
