"""One round of the fault suite: a fresh WORK and database, make runs
into them, and the helpers that fault injectors use."""

import os
import random
import shutil
import signal
import subprocess
import time
import urllib.parse

from system import Database, find_processes, wait_for_process

DATASET = "name.basics"

# fetch gives up quickly, so that an HTTP fault fails a run within seconds
# and the rerun has to finish the download.
FETCH_OPTIONS = "--retries 1 --retry-delay 0.1 --stall-timeout 1"


class Suite:
    """The settings that all rounds share: the tools, the data, the servers."""

    def __init__(self, project, bin_directory, base_directory, environment, dataset,
                 rows_per_chunk, server_port, server_log, cluster, make_timeout):
        self.project = project
        self.bin_directory = bin_directory
        self.base_directory = base_directory
        self.environment = environment
        self.dataset = dataset
        self.rows_per_chunk = rows_per_chunk
        self.server_port = server_port
        self.server_log = server_log
        self.cluster = cluster
        # The environment for make db-start when the cluster is restarted.
        self.cluster_environment = None
        self.make_timeout = make_timeout

    def tool(self, name):
        return os.path.join(self.bin_directory, name)


class Run:
    """One make process, started in its own process group and session so
    that a signal to the group reaches make and every recipe, as Ctrl-C in
    a terminal does."""

    def __init__(self, round, label, arguments, preexec=None):
        self.label = label
        self.log_path = os.path.join(round.directory, label + ".log")
        self.timeout = round.suite.make_timeout
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                arguments, env=round.environment, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=preexec,
            )
        self.returncode = None
        self.timed_out = False

    @property
    def finished(self):
        return self.process.poll() is not None

    def wait(self):
        """Wait for make; after the suite's time limit kill its process group."""
        remaining = self.timeout - (time.monotonic() - self.started)
        try:
            self.returncode = self.process.wait(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.returncode = self.process.wait()
            self.timed_out = True
        return self.returncode

    def signal_group(self, number):
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    @property
    def output(self):
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")

    @property
    def succeeded(self):
        return self.returncode == 0


class Round:
    """A fault applied to a fresh load, and the runs that follow it."""

    def __init__(self, suite, number, fault, seed):
        self.suite = suite
        self.number = number
        self.fault = fault
        self.rng = random.Random("%s:%s:%d" % (seed, fault, number))
        self.directory = os.path.join(suite.base_directory, "round-%02d-%s" % (number, fault))
        self.work = os.path.join(self.directory, "work")
        self.database = Database(suite.environment, "faults_%d" % number)
        # Query parameters for fault_server.py, such as {"drop": "1000"}.
        self.source_faults = {}
        self.runs = []
        self.description = ""
        # The fault struck the split step's load (load --manifest -). Its
        # failure is absorbed: the load stage loads the chunks it missed,
        # so the first run may succeed.
        self.struck_early_load = False
        # Called before the round's files are removed or kept, such as an
        # unmount of a tmpfs WORK.
        self.cleanups = []

    def prepare(self):
        if os.path.lexists(self.directory):
            shutil.rmtree(self.directory)
        os.makedirs(self.work)
        self.database.create()

    def remove(self):
        self.database.drop()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def environment(self):
        environment = dict(self.suite.environment)
        environment.update(self.database.environment)
        return environment

    @property
    def source(self):
        query = {"id": "round-%d" % self.number}
        query.update(self.source_faults)
        return "http://127.0.0.1:%d/%s.tsv.gz?%s" % (
            self.suite.server_port, DATASET, urllib.parse.urlencode(query))

    def make_arguments(self, jobs, load_jobs=None):
        arguments = [
            "make", "--no-print-directory", "-C", self.suite.project, "-j%d" % jobs,
            "WORK=%s" % self.work, "SOURCE=%s" % self.source,
            "CHUNK_ROWS=%d" % self.suite.rows_per_chunk,
            "STAGELOAD_BIN=%s" % self.suite.bin_directory,
            "FETCH_OPTIONS=%s" % FETCH_OPTIONS,
        ]
        if load_jobs is not None:
            arguments.append("LOAD_JOBS=%d" % load_jobs)
        return arguments

    def start_make(self, jobs=2, preexec=None, load_jobs=None):
        """Start make -jN and record the run.

        load_jobs sets LOAD_JOBS, the connections that load chunks during
        the split; 0 leaves every chunk to the load stage's own rules.
        """
        arguments = self.make_arguments(jobs, load_jobs)
        run = Run(self, "run-%d" % (len(self.runs) + 1), arguments, preexec)
        self.runs.append(run)
        return run

    # Paths in WORK.

    @property
    def download(self):
        return os.path.join(self.work, "download", DATASET + ".tsv.gz")

    @property
    def chunk_directory(self):
        return os.path.join(self.work, "chunks", DATASET)

    @property
    def marker_directory(self):
        return os.path.join(self.work, "loaded", DATASET)

    def chunk_files(self):
        try:
            return sorted(n for n in os.listdir(self.chunk_directory) if n.endswith(".copy"))
        except OSError:
            return []

    def loaded_chunks(self):
        try:
            names = os.listdir(self.marker_directory)
        except OSError:
            return []
        return sorted(n[:-3] + ".copy" for n in names if n.endswith(".ok") and n[:-3].isdigit())

    def file_size(self, path):
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    # Finding the tools of this round's make.

    def wait_for_tool(self, run, name, matches=None, timeout=120):
        """Return the PID of tool `name` working in this round's WORK, or
        None when make ends first."""
        return wait_for_process(
            self.suite.tool(name), self.work, time.monotonic() + timeout,
            lambda: run.finished, matches,
        )

    def running_tools(self, name):
        return find_processes(self.suite.tool(name), self.work)

    def deadline(self, seconds=120):
        return time.monotonic() + seconds

    def server_requests(self):
        """Return the fault server's log lines for this round's source."""
        key = "round-%d" % self.number
        try:
            with open(self.suite.server_log) as log:
                return [line for line in log if line.split("\t")[0] == key]
        except OSError:
            return []
