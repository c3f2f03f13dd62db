#!/usr/bin/env python3
"""Time stageload's tools against the reference tools on a synthetic name.basics.

`make bench` runs this script with the embedded database's PG* variables set.
Each measurement runs BENCH_RUNS times, and every run times a tool and its
reference one after the other, so both see the same machine state:

  fetch      fetch URL -o FILE, and to /dev/null, vs curl -s -f -o FILE URL,
             also followed by sync FILE, since fetch syncs its file
  inflate    inflate FILE.gz              vs gzip -dc, and pigz -dc if installed
  split      split --out DIR and --stdout, in MB/s and rows/s of TSV, vs inflate
  load       make -j2 load (the chunks from split --out), and load - (one
             stream) vs one psql \\copy of the same COPY text, and vs two
             concurrent psql \\copy runs over its two halves
  pipeline   make -j2 from HTTP to the table, in a fresh WORK and table, vs one
             psql \\copy and vs curl + gzip -dc + psql \\copy added up

The server is Tests/Support/fault_server.py on 127.0.0.1, stopped at the end.
Tables live in their own database, stageload_bench, created afresh. The CPU
time of each process tree comes from wait4(2) and its peak RSS from GNU time;
the CPU time of the whole machine (the server's included) from /proc/stat.
The table goes to standard output and every figure to WORK/results-ROWS.json.
"""

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASET = "name.basics"
TABLE = "name_basics"
# The table of load - and of the fetch | inflate | split | load pipe.
STREAM_TABLE = "name_basics_stream"
DATABASE = "stageload_bench"
CHUNK_ROWS = 100_000

# Variables that a make running this script exports, and that must not reach
# the makes started here, which run with their own WORK and database.
MAKE_VARIABLES = [
    "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR",
    "DATASET", "DATASETS", "SOURCE", "IMDB_BASE_URL", "CHUNK_ROWS", "WORK", "CHUNKS_OF",
    "DATABASE_URL",
]


class BenchError(Exception):
    """A failed step, with the message to print."""


class Sample:
    """Wall time, CPU time and peak RSS of one timed command.

    `cpu` counts the command's own process tree; `machine_cpu` counts every
    process on the machine while it ran, so it includes the PostgreSQL
    backends that serve the command (and anything else that was running).
    """

    def __init__(self, wall, cpu, max_rss_kib, machine_cpu):
        self.wall = wall
        self.cpu = cpu
        self.max_rss_kib = max_rss_kib
        self.machine_cpu = machine_cpu


def machine_cpu_seconds():
    """Return the CPU time all processes have used since boot, from
    /proc/stat: user, nice, system, irq and softirq, not idle, iowait or
    steal (time the hypervisor gave to other machines). Returns 0 where
    /proc/stat is missing."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return 0.0
    ticks = [int(value) for value in fields[1:9]]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    return busy / os.sysconf("SC_CLK_TCK")


class Runner:
    """Starts commands, times them and keeps their output in a log folder.

    Peak RSS comes from GNU time when /usr/bin/time exists. A child forked
    from this Python process keeps the parent's peak RSS across exec(2), so
    wait4 alone reported about 19 MiB even for gzip, which needs 2 MiB.
    """

    def __init__(self, log_dir, timeout):
        self.log_dir = log_dir
        self.timeout = timeout
        self.gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

    def start(self, name, command, stdin=None, stdout=None, env=None):
        log = open(os.path.join(self.log_dir, name + ".log"), "wb")
        rss_path = os.path.join(self.log_dir, name + ".rss")
        if self.gnu_time:
            command = [self.gnu_time, "-q", "-f", "%M", "-o", rss_path] + command
        try:
            process = subprocess.Popen(
                command, stdin=stdin or subprocess.DEVNULL, stdout=stdout or log,
                stderr=log, env=env, cwd=PROJECT, start_new_session=True)
        except OSError as error:
            log.close()
            raise BenchError("cannot start %s: %s" % (command[0], error))
        process.log = log
        process.rss_path = rss_path if self.gnu_time else None
        process.bench_name = name
        return process

    def peak_rss_kib(self, process, usage):
        """Return the peak RSS that GNU time wrote, else the one from wait4."""
        if process.rss_path:
            with open(process.rss_path) as handle:
                return int(handle.read().split()[-1])
        return usage.ru_maxrss

    def wait(self, process):
        """Wait for one process tree and return its status and rusage (wait4)."""
        timer = threading.Timer(self.timeout, self.kill, [process])
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
            process.log.close()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            path = process.log.name
            tail = open(path, "rb").read()[-600:].decode("utf-8", "replace").strip()
            raise BenchError("%s exited with status %d; see %s\n%s"
                             % (process.bench_name, process.returncode, path, tail))
        return usage

    def kill(self, process):
        print("bench: %s timed out after %d s; stopping it"
              % (process.bench_name, self.timeout), file=sys.stderr)
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def time(self, name, command, stdin_path=None, stdout_path=os.devnull, env=None):
        """Run one command and return its Sample."""
        stdin = open(stdin_path, "rb") if stdin_path else None
        stdout = open(stdout_path, "wb") if stdout_path else None
        try:
            started, machine_started = time.perf_counter(), machine_cpu_seconds()
            process = self.start(name, command, stdin, stdout, env)
            usage = self.wait(process)
            wall = time.perf_counter() - started
            machine = machine_cpu_seconds() - machine_started
        finally:
            for handle in (stdin, stdout):
                if handle:
                    handle.close()
        return Sample(wall, usage.ru_utime + usage.ru_stime, self.peak_rss_kib(process, usage),
                      machine)

    def time_together(self, name, commands, env=None):
        """Run commands at once and return one Sample: the wall time until
        the last ends, the CPU time of all and the largest peak RSS."""
        started, machine_started = time.perf_counter(), machine_cpu_seconds()
        processes = [self.start("%s-%d" % (name, index), command, env=env)
                     for index, command in enumerate(commands, 1)]
        usages = [self.wait(process) for process in processes]
        wall = time.perf_counter() - started
        machine = machine_cpu_seconds() - machine_started
        return Sample(wall, sum(u.ru_utime + u.ru_stime for u in usages),
                      max(self.peak_rss_kib(p, u) for p, u in zip(processes, usages)), machine)


class Database:
    """psql calls on the bench database, through the PG* variables."""

    def __init__(self, runner, env):
        self.runner = runner
        self.env = env

    def sql(self, statement, database=DATABASE):
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database,
             "-c", statement],
            env=self.env, capture_output=True, text=True, timeout=self.runner.timeout)
        if result.returncode != 0:
            raise BenchError("psql failed on %r: %s" % (statement, result.stderr.strip()))
        return result.stdout.strip()

    def recreate(self):
        self.sql('DROP DATABASE IF EXISTS "%s"' % DATABASE, database="postgres")
        self.sql('CREATE DATABASE "%s"' % DATABASE, database="postgres")

    def reset_table(self, table):
        """Drop a table and its ledger rows, then run CHECKPOINT, so that each
        load starts with an empty table and no checkpoint due from the last one."""
        self.sql('DROP TABLE IF EXISTS "%s"' % table)
        self.sql("DO $$ BEGIN IF to_regclass('stageload_ledger') IS NOT NULL THEN "
                 "DELETE FROM stageload_ledger WHERE table_name = '%s'; END IF; END $$" % table)
        self.sql("CHECKPOINT")

    def copy_command(self, table, path):
        quoted = path.replace("'", "''")
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE,
                "-c", "\\copy \"%s\" FROM '%s'" % (table, quoted)]


def prepare_data(data_dir, rows, seed, log):
    """Return the cached TSV and gzip paths, generating them if missing."""
    base = os.path.join(data_dir, "%s-%d-s%d" % (DATASET, rows, seed))
    tsv, gz = base + ".tsv", base + ".tsv.gz"
    if not os.path.exists(tsv):
        log("generating %d rows (seed %d) into %s" % (rows, seed, tsv))
        subprocess.run([sys.executable, os.path.join(PROJECT, "bench", "generate.py"),
                        "--rows", str(rows), "--seed", str(seed), "-o", tsv + ".part"],
                       check=True)
        os.replace(tsv + ".part", tsv)
    if not os.path.exists(gz):
        log("compressing %s (gzip level 6)" % tsv)
        with open(tsv, "rb") as source, open(gz + ".part", "wb") as target:
            # With mtime=0 and no file name in the header, the bytes depend
            # only on the TSV and the zlib version.
            with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=target,
                               mtime=0) as compressed:
                shutil.copyfileobj(source, compressed, 1 << 20)
        os.replace(gz + ".part", gz)
    return tsv, gz


def link_or_copy(source, target):
    if os.path.exists(target):
        os.remove(target)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def split_in_halves(path, first, second):
    """Write path to two files, cut after the first line end at or past the middle."""
    size = os.path.getsize(path)
    with open(path, "rb") as source:
        source.seek(size // 2)
        source.readline()
        cut = source.tell()
        source.seek(0)
        for target_path, length in ((first, cut), (second, size - cut)):
            with open(target_path, "wb") as target:
                remaining = length
                while remaining > 0:
                    block = source.read(min(remaining, 1 << 20))
                    target.write(block)
                    remaining -= len(block)


def start_server(serve_dir, log_dir):
    """Start fault_server.py on 127.0.0.1 and return the process and its port."""
    log = open(os.path.join(log_dir, "server.log"), "wb")
    server = subprocess.Popen(
        [sys.executable, os.path.join(PROJECT, "Tests", "Support", "fault_server.py"), serve_dir],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
    log.close()
    line = server.stdout.readline().decode().strip()
    if not line.isdigit():
        stop_server(server)
        raise BenchError("fault_server.py printed no port; see %s/server.log" % log_dir)
    return server, int(line)


def stop_server(server):
    """Close the server's standard input, which ends it, and wait for it."""
    try:
        server.stdin.close()
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.terminate()
        server.wait(timeout=10)


def summarize(samples):
    walls = [sample.wall for sample in samples]
    return {
        "wall_s": walls,
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "cpu_s": [sample.cpu for sample in samples],
        "machine_cpu_s": [sample.machine_cpu for sample in samples],
        "median_machine_cpu_s": statistics.median(sample.machine_cpu for sample in samples),
        "max_rss_kib": max(sample.max_rss_kib for sample in samples),
    }


def machine_facts(database):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass

    def first_line(command):
        try:
            result = subprocess.run(command, capture_output=True, text=True)
            return (result.stdout or result.stderr).splitlines()[0].strip()
        except (OSError, IndexError):
            return None

    settings = {}
    for name in ("server_version", "wal_level", "shared_buffers", "max_wal_size",
                 "synchronous_commit", "fsync"):
        settings[name] = database.sql("SHOW %s" % name)
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kib / (1 << 20), 1),
        "kernel": platform.release(),
        "postgresql": settings,
        "gzip": first_line(["gzip", "--version"]),
        "pigz": first_line(["pigz", "--version"]) if shutil.which("pigz") else None,
        "curl": first_line(["curl", "--version"]),
        "psql": first_line(["psql", "--version"]),
        "commit": first_line(["git", "-C", PROJECT, "describe", "--always", "--dirty"]),
    }


def ratio(results, numerator, denominator, statistic):
    """Return numerator / denominator of one statistic, such as "median_s".

    Either side is a measurement name or a tuple of names whose figures are
    added up. Returns None when a measurement is missing (pigz, say).
    """
    def figure(names):
        if isinstance(names, str):
            names = (names,)
        if any(name not in results for name in names):
            return None
        return sum(results[name][statistic] for name in names)

    top, bottom = figure(numerator), figure(denominator)
    if top is None or bottom is None:
        return None
    return top / bottom


def cpu_floors(results, cores):
    """Return, for each measurement, the least wall time its CPU work allows.

    A command that keeps every core busy cannot end before its machine CPU
    time divided by the number of cores. The floor is also given as a ratio
    to the psql references, to show which time ratios the work itself rules
    out on this machine.
    """
    floors = {}
    for name, _ in LABELS:
        if name not in results:
            continue
        floor = results[name]["median_machine_cpu_s"] / cores
        entry = {"machine_cpu_s": results[name]["median_machine_cpu_s"], "floor_s": floor}
        for reference in ("psql_copy", "psql_copy_2"):
            if reference in results:
                entry["floor/" + reference] = floor / results[reference]["median_s"]
        floors[name] = entry
    return floors


def print_table(config, results, ratios, throughput, floors, cores):
    mib = 1 << 20
    print()
    print("stageload bench: %d rows of %s, %d runs, %.1f MiB gzip, %.1f MiB TSV, %.1f MiB COPY text"
          % (config["rows"], DATASET, config["runs"], config["gzip_bytes"] / mib,
             config["tsv_bytes"] / mib, config["copy_bytes"] / mib))
    print()
    print("%-44s %9s %17s %9s %9s" % ("measurement", "median s", "min-max s", "RSS MiB",
                                       "CPU s"))
    for name, label in LABELS:
        if name not in results:
            continue
        figures = results[name]
        print("%-44s %9.2f %8.2f-%-8.2f %9.1f %9.2f" % (
            label, figures["median_s"], figures["min_s"], figures["max_s"],
            figures["max_rss_kib"] / 1024, figures["median_machine_cpu_s"]))
    print()
    print("%-44s %9s %12s" % ("throughput (TSV bytes, rows)", "MB/s", "rows/s"))
    for name, label in LABELS:
        if name in throughput:
            print("%-44s %9.1f %12.0f" % (label, throughput[name]["mb_per_s"],
                                          throughput[name]["rows_per_s"]))
    print()
    print("%-56s %8s %8s %9s" % ("ratio", "medians", "minimums", "target"))
    for name, _, _, label, target in RATIOS:
        if name in ratios:
            print("%-56s %7.2fx %7.2fx %9s" % (
                label, ratios[name]["median"], ratios[name]["min"], target))
    print()
    print("%-44s %9s %9s %9s %9s" % ("CPU floor on %d cores" % cores, "floor s", "/ psql",
                                     "/ 2 psql", "actual"))
    for name, label in LABELS:
        if name in floors and name.startswith(("pipeline", "load")):
            floor = floors[name]
            print("%-44s %9.2f %8.2fx %8.2fx %8.2fx" % (
                label, floor["floor_s"], floor.get("floor/psql_copy", 0),
                floor.get("floor/psql_copy_2", 0), results[name]["median_s"] / floor["floor_s"]))
    print()
    print("RSS is the peak of the largest process in each command's process tree,")
    print("which does not contain the PostgreSQL server. CPU s is the CPU time of")
    print("every process on the machine while the command ran, the server's")
    print("included. The floor is CPU s over the cores: no schedule of the same work")
    print("ends sooner, so a time ratio below the floor's needs less work, not more")
    print("overlap. 'actual' is the median wall time over the floor.")


LABELS = [
    ("fetch", "fetch URL -o FILE (loopback HTTP)"),
    ("curl", "curl -s -f -o FILE URL"),
    ("curl_sync", "curl -s -f -o FILE URL && sync FILE"),
    ("fetch_stdout", "fetch URL >/dev/null (no file, no fsync)"),
    ("inflate", "inflate FILE.gz >/dev/null"),
    ("gzip", "gzip -dc FILE.gz >/dev/null"),
    ("pigz", "pigz -dc FILE.gz >/dev/null"),
    ("split_out", "split --out DIR FILE.tsv (chunks, fsync)"),
    ("split_stdout", "split --stdout FILE.tsv >/dev/null"),
    ("inflate_split", "inflate | split --out (make's split step)"),
    ("inflate_split_stdout", "inflate | split --stdout >/dev/null"),
    ("load_make", "make -j2 load (load stage: chunks -> table)"),
    ("load_stream", "load - (the COPY text as one stream)"),
    ("psql_copy", "psql \\copy (one stream)"),
    ("psql_copy_2", "psql \\copy x2 concurrent (two halves)"),
    ("pipeline_make", "make -j2 (HTTP -> table, fresh WORK)"),
    ("pipeline_pipe", "fetch | inflate | split --stdout | load -"),
]

# Each ratio: key, numerator, denominator, label, target. A time ratio below
# 1 means the tool is faster. The split ratios divide inflate's time by
# split's, which equals split's throughput over inflate's.
RATIOS = [
    ("fetch/curl", "fetch", "curl", "fetch -o / curl -o", "<= 1.25x for 300 MB"),
    ("fetch/curl_sync", "fetch", "curl_sync", "fetch -o / (curl -o && sync FILE)", ""),
    ("fetch_stdout/curl", "fetch_stdout", "curl", "fetch >/dev/null / curl -o", ""),
    ("inflate/gzip", "inflate", "gzip", "inflate / gzip -dc", "<= 1.10x"),
    ("inflate/pigz", "inflate", "pigz", "inflate / pigz -dc", ""),
    ("split_stdout/inflate throughput", "inflate", "split_stdout",
     "split --stdout MB/s / inflate MB/s", ">= 2x"),
    ("split_out/inflate throughput", "inflate", "split_out",
     "split --out MB/s / inflate MB/s", ">= 2x"),
    ("load_make/psql_copy", "load_make", "psql_copy", "make -j2 load / psql \\copy", ""),
    ("load_make/psql_copy_2", "load_make", "psql_copy_2",
     "make -j2 load / 2 concurrent psql \\copy", ""),
    ("load_stream/psql_copy", "load_stream", "psql_copy", "load - / psql \\copy", ""),
    ("pipeline_make/psql_copy", "pipeline_make", "psql_copy",
     "make -j2 pipeline / psql \\copy", "<= 0.75x at 2M rows, <= 0.6x at full size"),
    ("pipeline_make/psql_copy_2", "pipeline_make", "psql_copy_2",
     "make -j2 pipeline / 2 concurrent psql \\copy", "<= 1.25x at full size"),
    ("pipeline_make/reference_sum", "pipeline_make", ("curl", "gzip", "psql_copy"),
     "make -j2 pipeline / (curl + gzip -dc + psql \\copy)", ""),
    ("pipeline_pipe/psql_copy", "pipeline_pipe", "psql_copy",
     "fetch|inflate|split|load pipe / psql \\copy", ""),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory of the release tools")
    parser.add_argument("--work", required=True, help="bench folder, such as work/bench")
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 2_000_000)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 1)))
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("BENCH_TIMEOUT", 1800)),
                        help="seconds after which one timed command is stopped (default 1800)")
    arguments = parser.parse_args()
    if arguments.rows < 1 or arguments.runs < 1:
        parser.error("BENCH_ROWS and BENCH_RUNS must be at least 1")
    if not os.environ.get("PGHOST"):
        parser.error("PGHOST is not set; run the bench through `make bench`")
    try:
        run_bench(arguments)
    except BenchError as error:
        print("bench: %s" % error, file=sys.stderr)
        sys.exit(1)


def run_bench(arguments):
    def log(message):
        print("bench: " + message, file=sys.stderr, flush=True)

    work = os.path.abspath(arguments.work)
    tools = {name: os.path.join(os.path.abspath(arguments.bin), name)
             for name in ("fetch", "inflate", "split", "load")}
    data_dir = os.path.join(work, "data")
    log_dir = os.path.join(work, "logs")
    serve_dir = os.path.join(work, "serve")
    scratch = os.path.join(work, "scratch")
    load_work = os.path.join(work, "load")
    pipeline_work = os.path.join(work, "pipeline")
    for folder in (data_dir, log_dir, serve_dir, scratch):
        os.makedirs(folder, exist_ok=True)

    tsv, gz = prepare_data(data_dir, arguments.rows, arguments.seed, log)
    link_or_copy(gz, os.path.join(serve_dir, DATASET + ".tsv.gz"))

    env = {key: value for key, value in os.environ.items() if key not in MAKE_VARIABLES}
    env["PGDATABASE"] = DATABASE
    runner = Runner(log_dir, arguments.timeout)
    database = Database(runner, env)
    database.recreate()

    # The COPY text for the psql references, and its two halves. split
    # --stdout ends it with the end-of-data line \., which load - requires.
    # psql 15's \copy FROM a file takes that line as the end of the data.
    copy_text = os.path.join(scratch, DATASET + ".copy")
    halves = [os.path.join(scratch, DATASET + ".copy.%d" % index) for index in (1, 2)]
    runner.time("prepare-copy", [tools["split"], "--dataset", DATASET, "--stdout", "--quiet", tsv],
                stdout_path=copy_text)
    split_in_halves(copy_text, *halves)
    config = {
        "rows": arguments.rows, "seed": arguments.seed, "runs": arguments.runs,
        "chunk_rows": CHUNK_ROWS, "gzip_bytes": os.path.getsize(gz),
        "tsv_bytes": os.path.getsize(tsv), "copy_bytes": os.path.getsize(copy_text),
    }

    # make's load phase finds the download and the chunks of split --out in
    # its WORK, so it only creates the table and loads.
    shutil.rmtree(load_work, ignore_errors=True)
    os.makedirs(os.path.join(load_work, "download"))
    os.makedirs(os.path.join(load_work, "rejects", DATASET))
    link_or_copy(gz, os.path.join(load_work, "download", DATASET + ".tsv.gz"))
    chunk_dir = os.path.join(load_work, "chunks", DATASET)
    rejects = os.path.join(load_work, "rejects", DATASET, "split.tsv")

    server, port = start_server(serve_dir, log_dir)
    url = "http://127.0.0.1:%d/%s.tsv.gz" % (port, DATASET)
    log("serving %s on 127.0.0.1:%d" % (gz, port))
    make = [os.environ.get("BENCH_MAKE", "make"), "--no-print-directory", "-j2",
            "STAGELOAD_BIN=" + os.path.abspath(arguments.bin), "PGDATABASE=" + DATABASE]
    samples = {}

    def record(name, sample):
        samples.setdefault(name, []).append(sample)

    try:
        # The first, untimed pass reads every input once into the page cache.
        for path in (tsv, gz, copy_text):
            with open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        facts = machine_facts(database)
        # Other processes on the machine slow the timings down, so the load
        # average is recorded with them.
        load_averages = [os.getloadavg()[0]]

        for run in range(1, arguments.runs + 1):
            log("run %d of %d" % (run, arguments.runs))
            fetched = os.path.join(scratch, "fetched.tsv.gz")
            for suffix in ("", ".meta", ".part", ".part.meta"):
                if os.path.exists(fetched + suffix):
                    os.remove(fetched + suffix)
            record("fetch", runner.time("fetch", [tools["fetch"], url, "-o", fetched, "--quiet"]))
            os.remove(fetched)
            record("curl", runner.time("curl", ["curl", "-s", "-f", "-o", fetched, url]))
            os.remove(fetched)
            # fetch syncs its file before renaming it into place, curl does
            # not, so curl followed by sync(1) of the file is timed as well.
            record("curl_sync", runner.time("curl-sync", [
                "bash", "-c", 'curl -s -f -o "$1" "$2" && sync "$1"', "bash", fetched, url]))
            os.remove(fetched)
            record("fetch_stdout", runner.time("fetch-stdout", [tools["fetch"], url, "--quiet"]))

            record("inflate", runner.time("inflate", [tools["inflate"], "--quiet", gz]))
            record("gzip", runner.time("gzip", ["gzip", "-dc", gz]))
            if shutil.which("pigz"):
                record("pigz", runner.time("pigz", ["pigz", "-dc", gz]))

            split_out = [tools["split"], "--dataset", DATASET, "--rows", str(CHUNK_ROWS),
                         "--out", chunk_dir, "--rejects", rejects, "--quiet"]
            shutil.rmtree(chunk_dir, ignore_errors=True)
            record("inflate_split", runner.time("inflate-split", [
                "bash", "-o", "pipefail", "-c", '"$1" --quiet "$2" | "${@:3}"', "bash",
                tools["inflate"], gz] + split_out))
            record("inflate_split_stdout", runner.time("inflate-split-stdout", [
                "bash", "-o", "pipefail", "-c", '"$1" --quiet "$2" | "${@:3}"', "bash",
                tools["inflate"], gz, tools["split"], "--dataset", DATASET, "--stdout",
                "--quiet"]))
            shutil.rmtree(chunk_dir, ignore_errors=True)
            record("split_stdout", runner.time("split-stdout", [
                tools["split"], "--dataset", DATASET, "--stdout", "--quiet", tsv]))
            record("split_out", runner.time("split-out", split_out + [tsv]))

            # The load stage alone: a fresh staging table and its table.ok
            # marker, as make's split step leaves them, but no chunk loaded,
            # so the stage's chunk rules load every chunk, then publish.
            database.reset_table(TABLE)
            marker_dir = os.path.join(load_work, "loaded", DATASET)
            shutil.rmtree(os.path.join(load_work, "loaded"), ignore_errors=True)
            os.makedirs(marker_dir)
            runner.time("create-staging", [tools["load"], "--dataset", DATASET, "--staging",
                                           "--create", "--quiet"], env=env)
            open(os.path.join(marker_dir, "table.ok"), "w").close()
            record("load_make", runner.time("load-make", make + [
                "-C", PROJECT, "WORK=" + load_work, "load"], env=env))

            reference = "name_basics_psql"
            create = [tools["load"], "--dataset", DATASET, "--create", "--quiet", "--table"]
            database.reset_table(reference)
            runner.time("create-reference", create + [reference], env=env)
            record("psql_copy", runner.time(
                "psql-copy", database.copy_command(reference, copy_text), env=env))

            database.reset_table(reference)
            runner.time("create-reference", create + [reference], env=env)
            record("psql_copy_2", runner.time_together(
                "psql-copy-half", [database.copy_command(reference, half) for half in halves],
                env=env))

            stream_table = STREAM_TABLE
            database.reset_table(stream_table)
            runner.time("create-stream", create + [stream_table], env=env)
            record("load_stream", runner.time("load-stream", [
                tools["load"], "--dataset", DATASET, "--table", stream_table, "--quiet", "-"],
                stdin_path=copy_text, env=env))

            database.reset_table(TABLE)
            database.sql("DROP TABLE IF EXISTS stageload_ledger")
            database.sql("CHECKPOINT")
            shutil.rmtree(pipeline_work, ignore_errors=True)
            record("pipeline_make", runner.time("pipeline-make", make + [
                "-C", PROJECT, "WORK=" + pipeline_work, "SOURCE=" + url], env=env))

            database.reset_table(stream_table)
            runner.time("create-stream", create + [stream_table], env=env)
            record("pipeline_pipe", runner.time("pipeline-pipe", [
                "bash", "-o", "pipefail", "-c",
                '"$1" --quiet "$5" | "$2" --quiet | "$3" --dataset name.basics --stdout --quiet'
                ' | "$4" --dataset name.basics --table "$6" --quiet -',
                "bash", tools["fetch"], tools["inflate"], tools["split"], tools["load"], url,
                stream_table],
                env=env))
            load_averages.append(os.getloadavg()[0])
    finally:
        stop_server(server)

    for table in (TABLE, STREAM_TABLE):
        rows_loaded = database.sql('SELECT count(*) FROM "%s"' % table)
        if int(rows_loaded) != arguments.rows:
            raise BenchError("the last pipeline run loaded %s rows into %s, expected %d"
                             % (rows_loaded, table, arguments.rows))

    results = {name: summarize(values) for name, values in samples.items()}
    throughput = {}
    for name in ("inflate", "gzip", "pigz", "split_out", "split_stdout", "inflate_split",
                 "inflate_split_stdout"):
        if name in results:
            seconds = results[name]["median_s"]
            throughput[name] = {"mb_per_s": config["tsv_bytes"] / seconds / 1e6,
                                "rows_per_s": arguments.rows / seconds}
    ratios = {}
    for name, numerator, denominator, _, _ in RATIOS:
        median = ratio(results, numerator, denominator, "median_s")
        if median is not None:
            ratios[name] = {"median": median,
                            "min": ratio(results, numerator, denominator, "min_s")}
    reference_sum = sum(results[name]["median_s"] for name in ("curl", "gzip", "psql_copy"))
    cores = os.cpu_count() or 1
    floors = cpu_floors(results, cores)

    output = os.path.join(work, "results-%d.json" % arguments.rows)
    with open(output + ".part", "w") as handle:
        json.dump({"machine": facts, "config": config, "results": results,
                   "throughput": throughput, "reference_sum_s": reference_sum,
                   "ratios": ratios, "cpu_floors": floors,
                   "load_average": load_averages}, handle, indent=2)
    os.replace(output + ".part", output)

    print_table(config, results, ratios, throughput, floors, cores)
    print("machine: %d cores, %s, %.1f GiB; PostgreSQL %s; commit %s; %s"
          % (facts["cores"], facts["cpu"], facts["memory_gib"],
             facts["postgresql"]["server_version"], facts["commit"], facts["date_utc"]))
    print("load average (1 min) at the start and after each run: %s"
          % ", ".join("%.2f" % value for value in load_averages))
    print("figures: %s" % os.path.relpath(output, PROJECT))


if __name__ == "__main__":
    main()
