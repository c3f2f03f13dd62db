"""Checks on a round's outcome: the failed runs, then the loaded data.

Each check returns a list of problems, one line each; an empty list is a
pass.
"""

import hashlib
import os
import re
import signal

DATASET = "name.basics"
TABLE = "name_basics"
STAGING = TABLE + "__staging"

# Exit statuses of the failing tool that make reports ("Error N"), per
# fault, and a pattern for the one-line cause in the run's output.
# 137 is 128 + SIGKILL. fetch retries HTTP faults itself, so a run with
# one may also succeed.
EXPECTED_FAILURES = {
    "kill-fetch": ({137}, r"\] (Error 137|Killed)$"),
    "kill-inflate": ({137}, r"\] (Error 137|Killed)$"),
    "kill-split": ({137}, r"\] (Error 137|Killed)$"),
    "kill-load": ({137}, r"\] (Error 137|Killed)$"),
    "kill-publish": ({137}, r"\] (Error 137|Killed)$"),
    "sigint": ({130}, r"^\w+: interrupted by SIGINT$|\] Interrupt$"),
    "pg-stop-fast": ({69, 75}, r"^load: .*(lost the connection|cannot connect|shutting down)"),
    "pg-stop-immediate": ({69, 75}, r"^load: .*(lost the connection|cannot connect)"),
    "pg-terminate": ({75}, r"^load: .*lost the connection to the server: .*; retry with make$"),
    "http-drop": ({75}, r"^fetch: .*; (try again|run fetch again|retry)"),
    "http-500": ({75}, r"^fetch: .*HTTP 500"),
    "http-429": ({75}, r"^fetch: .*HTTP 429"),
    "http-stall": ({75}, r"^fetch: .*(stall|no data|timed out)"),
    "disk-full": ({73, 74}, r"^(fetch|split): .*(No space left on device|File too large)"),
    "corrupt-chunk": ({65}, r"^load: .*chunk does not match the SHA-256 in its manifest"),
}


def tool_statuses(output):
    """Return the exit statuses make reported for failed recipes, without
    the 2 of a make that only passes on a sub-make's failure."""
    statuses = [int(code) for code in re.findall(r"\*\*\* \[[^\]]*\] Error (\d+)$", output, re.M)]
    if re.search(r"\*\*\* \[[^\]]*\] Killed$", output, re.M):
        statuses.append(128 + signal.SIGKILL)
    if re.search(r"\*\*\* \[[^\]]*\] Interrupt$", output, re.M):
        statuses.append(130)
    return [status for status in statuses if status != 2]


def check_failed_run(fault, run):
    """Check that a failed make run printed its cause in one line and that
    the tool exited with the status documented for this kind of failure."""
    statuses, cause = EXPECTED_FAILURES.get(fault, (set(), None))
    problems = []
    output = run.output
    if fault == "sigint":
        if run.returncode not in (-signal.SIGINT, 130):
            problems.append("%s: make exited %s after SIGINT; expected death by SIGINT or 130"
                            % (run.label, run.returncode))
    elif run.returncode != 2:
        problems.append("%s: make exited %s; expected 2" % (run.label, run.returncode))
    found = set(tool_statuses(output))
    if fault == "sigint" and not found:
        # Make may have been interrupted between recipes.
        found = {130}
    if not found:
        problems.append("%s: no failed recipe and exit status in make's output" % run.label)
    elif not found <= statuses:
        problems.append("%s: tool exit statuses %s; expected only %s"
                        % (run.label, sorted(found), sorted(statuses)))
    if cause and not re.search(cause, output, re.M):
        problems.append("%s: no line matching /%s/ gives the cause" % (run.label, cause))
    for line in output.splitlines():
        if re.match(r"^(fetch|inflate|split|load): internal error", line):
            problems.append("%s: %s" % (run.label, line))
    return problems


def spool_state(round):
    """Return what a rerun must not redo: the chunks with markers, and the
    manifest's identity (inode and time), which a new split changes."""
    try:
        status = os.stat(os.path.join(round.work, "chunks", DATASET, "manifest.tsv"))
        manifest = (status.st_ino, status.st_mtime_ns)
    except OSError:
        manifest = None
    return set(round.loaded_chunks()), manifest


def check_rerun(before, round, run):
    """Check that a rerun loaded no chunk that already had a marker, unless
    the dataset was split again in between."""
    marked, manifest = before
    if manifest is None or spool_state(round)[1] != manifest:
        return []
    loaded = set(re.findall(r"^load: \S*/(\d{6}\.copy): loaded ", run.output, re.M))
    again = sorted(loaded & marked)
    if again:
        return ["%s: loaded %s again, although their markers existed"
                % (run.label, _shorten(again))]
    return []


def check_outcome(round):
    """Check the database and WORK after the last, successful run."""
    problems = []
    problems += _check_counts(round)
    problems += _check_table(round)
    problems += _check_ledger(round)
    problems += _check_files(round)
    return problems


def _read_rejects(path, columns, exact=True):
    """Return the rejects file's rows as lists of fields, header removed.

    A row with the wrong number of fields is returned as None. load.tsv
    ends with the rejected row as COPY text, whose tabs add fields, so it
    is read with `exact` false.
    """
    if not os.path.exists(path):
        return []
    with open(path, "rb") as file:
        lines = file.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    rows = [line.split(b"\t") for line in lines[1:]]
    return [row if len(row) == columns or (not exact and len(row) > columns) else None
            for row in rows]


def _check_counts(round):
    dataset = round.suite.dataset
    database = round.database
    problems = []
    rejects = os.path.join(round.work, "rejects", DATASET)
    split_rows = _read_rejects(os.path.join(rejects, "split.tsv"), 4)
    load_rows = _read_rejects(os.path.join(rejects, "load.tsv"), 6, exact=False)
    if None in split_rows or None in load_rows:
        problems.append("a rejects file has a line with the wrong number of fields")
    table_rows = int(database.scalar("SELECT count(*) FROM %s" % TABLE))
    total = table_rows + len(split_rows) + len(load_rows)
    if total != dataset.source_rows:
        problems.append(
            "table %d + split rejects %d + load rejects %d = %d rows, but the source has %d"
            % (table_rows, len(split_rows), len(load_rows), total, dataset.source_rows))
    if table_rows != dataset.table_rows:
        problems.append("table has %d rows; expected %d" % (table_rows, dataset.table_rows))

    lines = sorted(int(row[0]) for row in split_rows if row)
    if lines != dataset.split_reject_lines:
        problems.append("split rejected lines %s; expected %s"
                        % (_shorten(lines), _shorten(dataset.split_reject_lines)))
    keys = sorted(row[5].decode() for row in load_rows if row)
    if keys != dataset.duplicate_keys:
        problems.append("load rejected keys %s; expected %s"
                        % (_shorten(keys), _shorten(dataset.duplicate_keys)))
    return problems


def _check_table(round):
    database = round.database
    problems = []
    distinct = database.scalar(
        "SELECT count(*) - count(DISTINCT nconst) FROM %s" % TABLE)
    if distinct != "0":
        problems.append("%s keys occur more than once in %s" % (distinct, TABLE))
    copy = database.copy_out('SELECT * FROM %s ORDER BY nconst COLLATE "C"' % TABLE)
    if hashlib.sha256(copy).hexdigest() != round.suite.dataset.table_sha256:
        problems.append("the table's content differs from the good rows of the source")
    leftovers = database.scalar(
        "SELECT concat_ws(' ', to_regclass('%s'), to_regclass('%s__old'))" % (STAGING, TABLE))
    if leftovers:
        problems.append("tables left behind: %s" % leftovers)
    key = database.scalar(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = '%s'::regclass AND contype = 'p'"
        % TABLE)
    if key != "1":
        problems.append("%s has no primary key" % TABLE)
    return problems


def _read_manifest(round):
    path = os.path.join(round.work, "chunks", DATASET, "manifest.tsv")
    entries = {}
    with open(path) as file:
        for line in file:
            fields = line.rstrip("\n").split("\t")
            if fields[0] != "chunk":
                entries[fields[0]] = (int(fields[2]), fields[3])
    return entries


def _check_ledger(round):
    """The ledger must list exactly the chunks that have a marker, with the
    manifest's SHA-256 and every row loaded or rejected. The publish moved
    them from the staging table's name to the table's."""
    problems = []
    manifest = _read_manifest(round)
    markers = os.path.join(round.work, "loaded", DATASET)
    names = set(os.listdir(markers))
    marked = {name[:-3] + ".copy" for name in names
              if name.endswith(".ok") and name[:-3].isdigit()}
    if marked != set(manifest):
        problems.append("markers for %d chunks, manifest lists %d" % (len(marked), len(manifest)))
    for name in sorted(names):
        if name.endswith((".failed", ".log")):
            problems.append("%s left in %s" % (name, markers))
    if "published.ok" not in names:
        problems.append("published.ok is missing")

    rows = round.database.query(
        "SELECT chunk, sha256, rows, rejected FROM stageload_ledger "
        "WHERE table_name = '%s' ORDER BY chunk" % TABLE)
    ledger = {}
    for row in rows:
        chunk, sha256, loaded, rejected = row.split("|")
        if chunk in ledger:
            problems.append("the ledger lists %s twice" % chunk)
        ledger[chunk] = (int(loaded) + int(rejected), sha256)
    if set(ledger) != marked:
        problems.append("ledger chunks %s differ from marked chunks %s"
                        % (_shorten(sorted(ledger)), _shorten(sorted(marked))))
    for chunk in sorted(set(ledger) & set(manifest)):
        if ledger[chunk] != manifest[chunk]:
            problems.append("ledger has %s as %s, manifest as %s"
                            % (chunk, ledger[chunk], manifest[chunk]))
    others = round.database.scalar(
        "SELECT count(*) FROM stageload_ledger WHERE table_name <> '%s'" % TABLE)
    if others != "0":
        problems.append("%s ledger rows for other tables" % others)
    return problems


def _check_files(round):
    """No part file anywhere, and every file under a final name is whole."""
    dataset = round.suite.dataset
    problems = []
    for directory, _, files in os.walk(round.work):
        for name in files:
            if ".part" in name:
                problems.append("left behind: %s" % os.path.join(directory, name))

    download = os.path.join(round.work, "download", DATASET + ".tsv.gz")
    with open(download, "rb") as file:
        if hashlib.sha256(file.read()).hexdigest() != dataset.gzip_sha256:
            problems.append("%s differs from the served file" % download)

    manifest = _read_manifest(round)
    if len(manifest) != dataset.chunks:
        problems.append("manifest lists %d chunks; expected %d" % (len(manifest), dataset.chunks))
    chunk_directory = os.path.join(round.work, "chunks", DATASET)
    on_disk = {name for name in os.listdir(chunk_directory) if name.endswith(".copy")}
    if on_disk != set(manifest):
        problems.append("chunk files %d, manifest entries %d" % (len(on_disk), len(manifest)))
    rows = 0
    for chunk, (count, sha256) in sorted(manifest.items()):
        rows += count
        path = os.path.join(chunk_directory, chunk)
        if not os.path.exists(path):
            continue
        with open(path, "rb") as file:
            data = file.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            problems.append("%s does not match its manifest entry" % chunk)
        if data.count(b"\n") != count:
            problems.append("%s has %d lines; the manifest says %d"
                            % (chunk, data.count(b"\n"), count))
    if rows != dataset.chunk_rows:
        problems.append("chunks hold %d rows; expected %d" % (rows, dataset.chunk_rows))
    with open(os.path.join(chunk_directory, "chunks.mk")) as file:
        listed = re.search(r":=(.*)$", file.read(), re.M).group(1).split()
    if sorted(name + ".copy" for name in listed) != sorted(manifest):
        problems.append("chunks.mk does not list the manifest's chunks")
    return problems


def _shorten(items, limit=6):
    items = list(items)
    if len(items) <= limit:
        return "[%s]" % ", ".join(str(item) for item in items)
    return "[%s, ... %d in all]" % (", ".join(str(item) for item in items[:limit]), len(items))
