"""Process, database server and psql helpers for the fault suite.

Faults are injected at a chosen point in a tool's work. The tool is found
in the process table by its command line, then run in short steps
(SIGCONT, a few milliseconds, SIGSTOP) until the chosen point is reached,
so the fault lands there even when the tool is fast.
"""

import os
import pwd
import signal
import subprocess
import time
import urllib.parse


class ProcessGone(Exception):
    """The process ended before the fault could be injected."""


def process_arguments(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as file:
            return file.read().split(b"\0")[:-1]
    except OSError:
        return []


def find_processes(executable, argument_part):
    """Return the PIDs running `executable` with an argument that contains
    `argument_part` (the round's WORK, say), oldest first."""
    executable = executable.encode()
    part = argument_part.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        arguments = process_arguments(int(name))
        if arguments and arguments[0] == executable and any(part in a for a in arguments[1:]):
            found.append(int(name))
    return sorted(found, key=_start_time)


def _start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as file:
            # Field 22, counted after the parenthesised command name.
            return int(file.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def process_state(pid):
    """Return the state letter from /proc/PID/stat, or None when gone."""
    try:
        with open("/proc/%d/stat" % pid) as file:
            return file.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def wait_for_process(executable, argument_part, deadline, stop_waiting, matches=None):
    """Poll the process table until a matching process exists.

    Returns its PID, or None when `stop_waiting()` turns true or the
    deadline passes. `matches(arguments)` narrows the match further.
    """
    while time.monotonic() < deadline:
        for pid in find_processes(executable, argument_part):
            if matches is None or matches(process_arguments(pid)):
                return pid
        if stop_waiting():
            return None
        time.sleep(0.001)
    return None


def pause(pid):
    """Stop `pid` with SIGSTOP and wait until it is stopped.

    Raises ProcessGone when the process has ended or becomes a zombie.
    """
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        raise ProcessGone() from None
    for _ in range(5000):
        state = process_state(pid)
        if state in (None, "Z", "X"):
            raise ProcessGone()
        if state in ("T", "t"):
            return
        time.sleep(0.0002)
    raise ProcessGone()


def resume(pid):
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass


def step_until(pid, reached, deadline, step=0.002):
    """Run `pid` in steps of `step` seconds until `reached()` is true.

    Returns with the process stopped at that point. Raises ProcessGone when it
    ends first, or TimeoutError at the deadline (the process is resumed).
    """
    pause(pid)
    while not reached():
        if time.monotonic() > deadline:
            resume(pid)
            raise TimeoutError()
        resume(pid)
        time.sleep(step)
        pause(pid)


def descriptor_position(pid, path):
    """Return the file offset of `pid`'s open descriptor on `path`, or None."""
    directory = "/proc/%d/fd" % pid
    try:
        descriptors = os.listdir(directory)
    except OSError:
        return None
    for descriptor in descriptors:
        try:
            if os.readlink(os.path.join(directory, descriptor)) != path:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, descriptor)) as file:
                for line in file:
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return None


class Database:
    """One database on the server under test, reached through psql.

    With DATABASE_URL in the environment, its URI gets this database's
    name as path; otherwise PGDATABASE names it and the other PG*
    variables reach the server.
    """

    def __init__(self, environment, name):
        self.name = name
        self.base_environment = environment
        url = environment.get("DATABASE_URL")
        self.url = _with_database(url, name) if url else None
        self.admin_url = _with_database(url, "postgres") if url else None

    @property
    def environment(self):
        """Variables that point make, load and psql at this database."""
        if self.url:
            return {"DATABASE_URL": self.url}
        return {"PGDATABASE": self.name}

    def psql_command(self, admin=False):
        if admin:
            target = self.admin_url or "postgres"
        else:
            target = self.url or self.name
        return ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", target]

    def create(self):
        self.drop()
        self.run_admin("CREATE DATABASE %s" % self.name)

    def drop(self):
        self.run_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)

    def run_admin(self, sql):
        subprocess.run(
            self.psql_command(admin=True) + ["-c", sql],
            env=self.base_environment, check=True, capture_output=True, timeout=60,
        )

    def query(self, sql, timeout=120):
        """Return the rows of `sql` as lines of |-separated fields."""
        result = subprocess.run(
            self.psql_command() + ["-c", sql],
            env=self.base_environment, capture_output=True, timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError("psql: %s" % result.stderr.decode(errors="replace").strip())
        return result.stdout.decode().splitlines()

    def scalar(self, sql):
        rows = self.query(sql)
        return rows[0] if rows else None

    def copy_out(self, sql):
        """Return the bytes that `COPY (sql) TO STDOUT` writes."""
        result = subprocess.run(
            self.psql_command() + ["-c", "COPY (%s) TO STDOUT" % sql],
            env=self.base_environment, capture_output=True, timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError("psql: %s" % result.stderr.decode(errors="replace").strip())
        return result.stdout

    def session(self):
        return Session(self)


def _with_database(url, name):
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))
    # Key-value form: libpq uses the last value of a repeated keyword.
    return "%s dbname=%s" % (url, name)


class Session:
    """A long-lived psql process for polling, so a query costs a round trip
    and not a process start. A lost connection is reopened on the next query."""

    MARK = "--stageload-faults-end--"

    def __init__(self, database):
        self.database = database
        self.process = None

    def rows(self, sql):
        """Return the rows of `sql`, or None when the server cannot be reached."""
        for _ in range(2):
            if self.process is None or self.process.poll() is not None:
                self._open()
            try:
                self.process.stdin.write("%s;\n\\echo %s\n" % (sql, self.MARK))
                self.process.stdin.flush()
                rows = []
                while True:
                    line = self.process.stdout.readline()
                    if not line:
                        raise BrokenPipeError()
                    line = line.rstrip("\n")
                    if line == self.MARK:
                        return rows
                    rows.append(line)
            except (BrokenPipeError, OSError):
                self.close()
        return None

    def _open(self):
        command = self.database.psql_command()
        command.remove("ON_ERROR_STOP=1")
        command.remove("-v")
        self.process = subprocess.Popen(
            command, env=self.database.base_environment, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )

    def active_copies(self):
        """Return the backend PIDs running a COPY in this database."""
        return [pid for pid, state in self.copies() if state == "active"]

    def copies(self):
        """Return (PID, state) of the backends in this database whose last
        statement is a COPY in a transaction still open: state "active"
        while the COPY runs, "idle in transaction" after it ended."""
        rows = self.rows(
            "SELECT pid || '|' || state FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state IN ('active', 'idle in transaction') AND query LIKE 'COPY %'"
        )
        copies = []
        for row in rows or []:
            pid, _, state = row.partition("|")
            if pid.isdigit():
                copies.append((int(pid), state))
        return copies

    def close(self):
        if self.process is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            self.process.kill()
            self.process.wait()
            self.process = None


class Cluster:
    """The embedded PostgreSQL cluster of one WORK, which the suite stops
    and starts. Stopping it breaks every connection to it."""

    def __init__(self, project, work):
        self.project = project
        self.work = os.path.abspath(work)
        self.data = os.path.join(os.path.realpath(os.path.join(self.work, "pg")), "data")
        if not os.path.isfile(os.path.join(self.data, "PG_VERSION")):
            raise RuntimeError("no PostgreSQL cluster in %s/pg; run make db-start" % work)
        self.owner = pwd.getpwuid(os.stat(self.data).st_uid).pw_name
        with open(os.path.join(self.data, "PG_VERSION")) as file:
            version = file.read().strip()
        self.pg_ctl = "/usr/lib/postgresql/%s/bin/pg_ctl" % version
        if not os.access(self.pg_ctl, os.X_OK):
            bindir = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            self.pg_ctl = os.path.join(bindir, "pg_ctl")

    def stop(self, mode):
        command = [self.pg_ctl, "stop", "--pgdata", self.data, "--mode", mode, "--wait",
                   "--timeout", "120", "--silent"]
        if pwd.getpwuid(os.getuid()).pw_name != self.owner:
            command = ["runuser", "-u", self.owner, "--"] + command
        subprocess.run(command, check=True, cwd="/", timeout=180)

    def start(self, environment):
        """Start the cluster with `make db-start`, as a user would."""
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", self.project, "WORK=%s" % self.work,
             "db-start"],
            env=environment, capture_output=True, text=True, timeout=180,
        )
        if result.returncode != 0:
            raise RuntimeError("make db-start failed: %s" % (result.stdout + result.stderr))
