"""The faults: each starts the round's first make run(s), injects one fault
at a point chosen with the round's random generator, and waits for make.

An injector raises NotInjected when the chosen point never came (the tool
finished first), and Skipped when the fault cannot be made here.
"""

import errno
import os
import resource
import signal
import subprocess
import time

from system import (
    ProcessGone, descriptor_position, process_arguments, process_state, resume, step_until,
)

# Seconds between the 16 KiB pieces of a slowed download (fault_server.py's
# trickle), so that fetch is still running when the fault is due.
TRICKLE = "0.003"


class NotInjected(Exception):
    """The chosen point was never reached, so the round tested nothing."""


class Skipped(Exception):
    """The fault needs something this machine or set-up lacks."""


def _stop_at(round, run, tool, reached, matches=None, step=0.002):
    """Find `tool` in the round's make and stop it once `reached()` holds.

    Returns the PID, stopped. Raises NotInjected when the tool never runs
    or ends before the point.
    """
    pid = round.wait_for_tool(run, tool, matches)
    if pid is None:
        raise NotInjected("%s did not run" % tool)
    try:
        step_until(pid, reached, round.deadline(), step)
    except ProcessGone:
        raise NotInjected("%s ended before the chosen point" % tool) from None
    except TimeoutError:
        raise NotInjected("%s did not reach the chosen point in time" % tool) from None
    return pid


def _chunk_load(number):
    """Return a matcher for a load process that loads chunk `number`: a
    load of that one chunk file, or the split step's load of the chunks
    that split lists (load --manifest -), which may be at any chunk."""
    suffix = b"/%06d.copy" % number
    return lambda arguments: bool(arguments) and (
        arguments[-1].endswith(suffix) or b"--manifest" in arguments)


def _open_chunks(pid):
    """Return the names of the chunk files that process `pid` has open."""
    directory = "/proc/%d/fd" % pid
    names = set()
    try:
        descriptors = os.listdir(directory)
    except OSError:
        return names
    for descriptor in descriptors:
        try:
            target = os.readlink(os.path.join(directory, descriptor))
        except OSError:
            continue
        if target.endswith(".copy"):
            names.add(os.path.basename(target))
    return names


def _random_load_jobs(round):
    """Pick LOAD_JOBS for a round that strikes a chunk's load: 0, so that
    the load stage's one-chunk loads run, or 1, so that the split step's
    load does. With 1 the server has one COPY at a time, as with -j1."""
    return round.rng.choice([0, 1])


def _stop_load_in_copy(round, run, session):
    """Stop the load of a randomly chosen chunk during its COPY.

    A small chunk's COPY can end between two steps of the load. Then the
    load is stopped after the COPY, with its transaction still open, and
    the returned phase tells which. When that moment passed too, the next
    chunk's load is tried.

    Returns the chunk number, the stopped load's PID, the PIDs of the
    backends with an open COPY at that moment and the phase.
    """
    chunks = round.suite.dataset.chunks
    copies = []

    def copying():
        copies[:] = session.copies()
        return bool(copies)

    for number in range(round.rng.randint(1, chunks), chunks + 1):
        try:
            pid = _stop_at(round, run, "load", copying, _chunk_load(number), step=0.0005)
            break
        except NotInjected:
            if run.finished or number == chunks:
                raise
    # The split step's load names no chunk; the file it has open does.
    if b"--manifest" in process_arguments(pid):
        round.struck_early_load = True
        open_chunks = sorted(_open_chunks(pid))
        if open_chunks:
            number = int(open_chunks[0].split(".")[0])
    active = any(state == "active" for _, state in copies)
    phase = "during its COPY" if active else "after its COPY, before its commit"
    if round.struck_early_load:
        phase += ", in the split step's load"
    return number, pid, [backend for backend, _ in copies], phase


def _finish(run, pid=None):
    """Resume a stopped tool, if any, and wait for make."""
    if pid is not None:
        resume(pid)
    run.wait()


# Signals to one tool.

def kill_fetch(round):
    round.source_faults = {"trickle": TRICKLE}
    run = round.start_make()
    size = len(round.suite.dataset.gzip_bytes)
    target = int(round.rng.uniform(0.1, 0.9) * size)
    part = round.download + ".part"
    pid = None
    try:
        pid = _stop_at(round, run, "fetch", lambda: round.file_size(part) >= target)
        os.kill(pid, signal.SIGKILL)
        round.description = "SIGKILL fetch with %d of %d bytes in the .part file" % (
            round.file_size(part), size)
    finally:
        _finish(run, pid)


def kill_inflate(round):
    run = round.start_make()
    size = len(round.suite.dataset.gzip_bytes)
    target = int(round.rng.uniform(0.1, 0.9) * size)
    pid = None
    try:
        pid = round.wait_for_tool(run, "inflate")
        if pid is None:
            raise NotInjected("inflate did not run")
        position = lambda: descriptor_position(pid, round.download) or 0
        try:
            step_until(pid, lambda: position() >= target, round.deadline())
        except (ProcessGone, TimeoutError):
            raise NotInjected("inflate ended before byte %d" % target) from None
        round.description = "SIGKILL inflate after reading %d of %d bytes" % (position(), size)
        os.kill(pid, signal.SIGKILL)
    finally:
        _finish(run, pid)


def kill_split(round):
    run = round.start_make()
    chunks = round.suite.dataset.chunks
    target = round.rng.randint(1, chunks - 1)
    pid = None
    try:
        pid = _stop_at(round, run, "split", lambda: len(round.chunk_files()) >= target)
        round.description = "SIGKILL split after %d of %d chunks" % (
            len(round.chunk_files()), chunks)
        os.kill(pid, signal.SIGKILL)
    finally:
        _finish(run, pid)


def kill_load(round):
    """SIGKILL one chunk's load while the server runs its COPY.

    make runs with -j1 and at most one early-load connection here, so the
    one COPY on the server is this load's.
    """
    run = round.start_make(jobs=1, load_jobs=_random_load_jobs(round))
    session = round.database.session()
    pid = None
    try:
        number, pid, _, phase = _stop_load_in_copy(round, run, session)
        round.description = "SIGKILL load of chunk %d of %d %s" % (
            number, round.suite.dataset.chunks, phase)
        os.kill(pid, signal.SIGKILL)
    finally:
        session.close()
        _finish(run, pid)


def kill_publish(round):
    """SIGKILL `load --publish` once it has sent COMMIT.

    The server commits the publish, but load has not yet read the reply,
    so whatever load still meant to do after the commit is lost.
    """
    run = round.start_make()
    session = round.database.session()
    pid = None

    def committing():
        rows = session.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query = 'COMMIT'")
        return rows not in (None, ["0"])

    try:
        pid = _stop_at(round, run, "load", committing, lambda a: b"--publish" in a, step=0.0005)
        round.description = "SIGKILL load --publish after it sent COMMIT"
        os.kill(pid, signal.SIGKILL)
    finally:
        session.close()
        _finish(run, pid)


def interrupt(round):
    """Ctrl-C: SIGINT to make -j2's whole process group at a chosen stage."""
    stage = round.rng.choice(["fetch", "split", "load", "publish"])
    if stage == "fetch":
        round.source_faults = {"trickle": TRICKLE}
    run = round.start_make()
    dataset = round.suite.dataset
    session = round.database.session()
    pid = None
    try:
        if stage == "fetch":
            target = int(round.rng.uniform(0.1, 0.9) * len(dataset.gzip_bytes))
            part = round.download + ".part"
            pid = _stop_at(round, run, "fetch", lambda: round.file_size(part) >= target)
            where = "fetch at byte %d" % round.file_size(part)
        elif stage == "split":
            target = round.rng.randint(1, dataset.chunks - 1)
            pid = _stop_at(round, run, "split", lambda: len(round.chunk_files()) >= target)
            where = "split after %d chunks" % len(round.chunk_files())
        elif stage == "load":
            number, pid, _, phase = _stop_load_in_copy(round, run, session)
            where = "the load of chunk %d, %s" % (number, phase)
        else:
            steps = [round.rng.randint(0, 20)]

            def counted():
                steps[0] -= 1
                return steps[0] < 0

            pid = _stop_at(round, run, "load", counted, lambda a: b"--publish" in a)
            where = "load --publish"
        round.description = "SIGINT to make's process group during %s" % where
        run.signal_group(signal.SIGINT)
    finally:
        session.close()
        _finish(run, pid)


# The database server.

def _stop_server(round, mode):
    cluster = round.suite.cluster
    if cluster is None:
        raise Skipped("the database is not this project's embedded cluster")
    run = round.start_make(load_jobs=_random_load_jobs(round))
    session = round.database.session()
    pid = None
    stopped = False
    try:
        number, pid, _, phase = _stop_load_in_copy(round, run, session)
        session.close()
        cluster.stop(mode)
        stopped = True
        round.description = "pg_ctl stop -m %s with the load of chunk %d of %d stopped %s" % (
            mode, number, round.suite.dataset.chunks, phase)
    finally:
        session.close()
        _finish(run, pid)
        if stopped:
            cluster.start(round.suite.cluster_environment)


def stop_server_fast(round):
    _stop_server(round, "fast")


def stop_server_immediate(round):
    _stop_server(round, "immediate")


def terminate_backend(round):
    run = round.start_make(load_jobs=_random_load_jobs(round))
    session = round.database.session()
    pid = None
    try:
        number, pid, backends, phase = _stop_load_in_copy(round, run, session)
        backend = round.rng.choice(backends)
        result = session.rows("SELECT pg_terminate_backend(%d)" % backend)
        if result != ["t"]:
            raise NotInjected("pg_terminate_backend(%d) returned %s" % (backend, result))
        round.description = "pg_terminate_backend of one of %d COPYs, with chunk %d's load %s" % (
            len(backends), number, phase)
    finally:
        session.close()
        _finish(run, pid)


# The HTTP server.

def _http_fault(round, faults, description):
    """Serve the first `times` requests of this round with `faults`.

    fetch tries twice per run (FETCH_OPTIONS has --retries 1), so a run
    fails when both of its tries meet the fault.
    """
    times = round.rng.randint(2, 3)
    round.source_faults = dict(faults, times=str(times))
    round.description = "%s on the first %d requests" % (description, times)
    round.start_make().wait()
    # The server logs a request when its response ends, which for a stall is
    # after fetch gave up.
    deadline = time.monotonic() + 10
    while not round.server_requests():
        if time.monotonic() > deadline:
            raise NotInjected("the server logged no request")
        time.sleep(0.1)


def http_drop(round):
    size = len(round.suite.dataset.gzip_bytes)
    count = round.rng.randint(1, size // 2)
    _http_fault(round, {"drop": str(count)}, "connection reset after %d body bytes" % count)


def http_500(round):
    _http_fault(round, {"status": "500"}, "HTTP 500")


def http_429(round):
    _http_fault(round, {"status": "429", "retry_after": "1"}, "HTTP 429 with Retry-After: 1")


def http_stall(round):
    size = len(round.suite.dataset.gzip_bytes)
    count = round.rng.randint(1, size // 2)
    _http_fault(round, {"short": str(count), "stall": "3"},
                "a 3 s stall after %d body bytes" % count)


# The disk.

def disk_full(round):
    """Fill the file system of WORK while fetch or split writes to it, then
    free the space before the rerun.

    WORK is a tmpfs of its own when mount(8) works (it needs root);
    otherwise a file size limit (RLIMIT_FSIZE) stops fetch instead.
    """
    dataset = round.suite.dataset
    size = len(dataset.gzip_bytes) + dataset.text_bytes * 2 + (16 << 20)
    if _mount_tmpfs(round.work, size):
        round.cleanups.append(lambda: _unmount(round))
        _fill_while_writing(round)
        return
    limit = round.rng.randint(len(dataset.gzip_bytes) // 4, len(dataset.gzip_bytes) // 2)

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    round.description = "file size limit of %d bytes while fetching (no tmpfs)" % limit
    round.start_make(preexec=limit_file_size).wait()


def _fill_while_writing(round):
    stage = round.rng.choice(["fetch", "split"])
    if stage == "fetch":
        round.source_faults = {"trickle": TRICKLE}
    run = round.start_make()
    dataset = round.suite.dataset
    filler = os.path.join(round.work, "filler")
    pid = None
    try:
        if stage == "fetch":
            target = int(round.rng.uniform(0.1, 0.9) * len(dataset.gzip_bytes))
            part = round.download + ".part"
            pid = _stop_at(round, run, "fetch", lambda: round.file_size(part) >= target)
            where = "fetch had written %d bytes" % round.file_size(part)
        else:
            target = round.rng.randint(1, dataset.chunks - 1)
            pid = _stop_at(round, run, "split", lambda: len(round.chunk_files()) >= target)
            where = "split had written %d chunks" % len(round.chunk_files())
        _fill(filler)
        round.description = "file system of WORK full after %s" % where
    finally:
        _finish(run, pid)
        if os.path.exists(filler):
            os.unlink(filler)


def _fill(path):
    """Write zeros to `path` until the file system has no space left."""
    with open(path, "wb", buffering=0) as file:
        for block in (1 << 20, 4096, 1):
            data = bytes(block)
            while True:
                try:
                    file.write(data)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    break


def _mount_tmpfs(path, size):
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=%d,mode=755" % size, "tmpfs", path],
        capture_output=True,
    )
    return result.returncode == 0


def _unmount(round):
    subprocess.run(["umount", round.work], check=True, capture_output=True)


# The spool between split and load.

def corrupt_chunk(round):
    """Flip one byte of a chunk that split wrote and no load has read yet.

    Every process of make is stopped (SIGSTOP to the process group) while
    the byte changes, and the chunk keeps its modification time, as after
    a bad sector. load must refuse the chunk, and the rerun must split
    again rather than load it.
    """
    run = round.start_make()
    manifest = os.path.join(round.chunk_directory, "manifest.tsv")
    deadline = round.deadline()
    while not os.path.exists(manifest):
        if run.finished or time.monotonic() > deadline:
            run.wait()
            raise NotInjected("no manifest appeared")
        time.sleep(0.001)
    run.signal_group(signal.SIGSTOP)
    try:
        _wait_until_stopped(run.process.pid)
        in_use = _chunks_in_use(round.work)
        # The split step's load commits chunks before make marks them.
        session = round.database.session()
        try:
            ledger = set(session.rows("SELECT chunk FROM stageload_ledger") or [])
        finally:
            session.close()
        loaded = set(round.loaded_chunks()) | ledger
        candidates = [c for c in round.chunk_files() if c not in loaded and c not in in_use]
        if not candidates:
            raise NotInjected("every chunk was loaded or loading")
        chunk = round.rng.choice(candidates)
        path = os.path.join(round.chunk_directory, chunk)
        status = os.stat(path)
        offset = round.rng.randrange(status.st_size)
        with open(path, "r+b") as file:
            file.seek(offset)
            byte = file.read(1)[0]
            file.seek(offset)
            file.write(bytes([byte ^ 0x20]))
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
        round.description = "flipped byte %d of %s with %d chunks loaded" % (
            offset, chunk, len(loaded))
    finally:
        run.signal_group(signal.SIGCONT)
        run.wait()


def _wait_until_stopped(group):
    """Wait until every process in process group `group` is stopped."""
    for _ in range(2000):
        running = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                if os.getpgid(int(name)) != group:
                    continue
            except ProcessLookupError:
                continue
            if process_state(int(name)) not in ("T", "t", "Z", None):
                running = True
                break
        if not running:
            return
        time.sleep(0.001)


def _chunks_in_use(work):
    """Return the chunk file names that any process's command line names
    or that any process has open."""
    names = set()
    part = work.encode()
    for name in os.listdir("/proc"):
        if name.isdigit():
            arguments = process_arguments(int(name))
            for argument in arguments:
                if part in argument:
                    for word in argument.split():
                        if word.endswith(b".copy"):
                            names.add(os.path.basename(word).decode())
            if any(part in argument for argument in arguments):
                names |= _open_chunks(int(name))
    return names


# Two runs at once.

def concurrent(round):
    """Start a second make on the same WORK while the first runs. The run
    lock makes it wait, and both must succeed."""
    first = round.start_make()
    delay = round.rng.uniform(0, 1.5)
    time.sleep(delay)
    first_running = not first.finished
    second = round.start_make()
    first.wait()
    second.wait()
    message = "another make is running"
    if message in second.output:
        outcome = "the second waited"
    elif message in first.output:
        outcome = "the first waited"
    elif first_running:
        outcome = "neither reported waiting"
    else:
        outcome = "the first had finished"
    round.description = "second make %.2f s after the first; %s" % (delay, outcome)


FAULTS = {
    "kill-fetch": kill_fetch,
    "kill-inflate": kill_inflate,
    "kill-split": kill_split,
    "kill-load": kill_load,
    "kill-publish": kill_publish,
    "sigint": interrupt,
    "pg-stop-fast": stop_server_fast,
    "pg-stop-immediate": stop_server_immediate,
    "pg-terminate": terminate_backend,
    "http-drop": http_drop,
    "http-500": http_500,
    "http-429": http_429,
    "http-stall": http_stall,
    "disk-full": disk_full,
    "corrupt-chunk": corrupt_chunk,
    "concurrent": concurrent,
}

# Faults after which the first run must fail. fetch may ride out an HTTP
# fault with its own retry, the second of two concurrent makes waits, and
# the load stage takes over from a failed load of the split step (see
# Round.struck_early_load).
MUST_FAIL = {
    "kill-fetch", "kill-inflate", "kill-split", "kill-load", "kill-publish", "sigint",
    "pg-stop-fast", "pg-stop-immediate", "pg-terminate", "disk-full", "corrupt-chunk",
}
