"""A generated name.basics file with known bad rows and duplicate keys.

Every source row must end up in exactly one place after a load: the table,
split's rejects (rows that fail split's checks) or load's rejects (rows
whose key another row already has, which publish deletes). The generator
records where each row belongs, so a round can check the outcome exactly.
"""

import dataclasses
import gzip
import hashlib
import random

HEADER = b"nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles"
PROFESSIONS = ["actor", "actress", "writer", "director", "producer", "composer", "editor"]

# Rows that split rejects, as (kind, bytes). The NUL, invalid UTF-8 and
# missing key cases are rejected before any column is parsed.
BAD_ROW_KINDS = [
    ("too few fields", b"nm9%06d\tShort Row\t1950\t\\N\tactor"),
    ("too many fields", b"nm9%06d\tLong Row\t1950\t\\N\tactor\ttt0000001\textra"),
    ("year not a number", b"nm9%06d\tBad Year\t19x0\t\\N\tactor\ttt0000001"),
    ("year out of range", b"nm9%06d\tOld Year\t0\t\\N\tactor\ttt0000001"),
    ("invalid UTF-8", b"nm9%06d\tBad \xff\xfe Bytes\t1950\t\\N\tactor\ttt0000001"),
    ("NUL byte", b"nm9%06d\tNul\x00Name\t1950\t\\N\tactor\ttt0000001"),
    ("missing key", b"\\N\tNo Key %06d\t1950\t\\N\tactor\ttt0000001"),
]


@dataclasses.dataclass
class Dataset:
    """The generated file and what a correct load makes of it."""

    gzip_bytes: bytes
    # Size of the TSV inside the gzip.
    text_bytes: int
    source_rows: int
    # Line numbers (1 is the header) of the rows that split rejects.
    split_reject_lines: list
    # Keys that occur twice; publish keeps one row and rejects the other.
    duplicate_keys: list
    # Rows that split writes into chunks, duplicates included.
    chunk_rows: int
    chunks: int
    table_rows: int
    # SHA-256 of the table as COPY text, ordered by nconst.
    table_sha256: str

    @property
    def gzip_sha256(self):
        return hashlib.sha256(self.gzip_bytes).hexdigest()


def generate(rows, rows_per_chunk, seed):
    """Build a name.basics file of about `rows` data rows.

    About one row in 5,000 (at least 7) is bad in a way that split
    rejects, and about one in 10,000 (at least 3) repeats the key and
    values of a row from an earlier chunk.
    """
    rng = random.Random("dataset:%s" % seed)
    bad_count = max(len(BAD_ROW_KINDS), rows // 5000)
    duplicate_count = max(3, rows // 10000)
    good_count = rows - bad_count - duplicate_count

    good = [_good_row(number, rng) for number in range(1, good_count + 1)]
    # Originals come from the first half and their copies go into the
    # second half, at least one chunk later, so the copies meet at publish.
    originals = rng.sample(range(good_count // 4), duplicate_count)
    lines = list(good)
    for index in originals:
        position = rng.randrange(good_count // 2 + rows_per_chunk, len(lines) + 1)
        lines.insert(position, good[index])
    bad_positions = sorted(rng.sample(range(len(lines) + bad_count), bad_count))
    for number, position in enumerate(bad_positions):
        kind = BAD_ROW_KINDS[number % len(BAD_ROW_KINDS)][1]
        lines.insert(position, kind % number)

    body = HEADER + b"\n" + b"\n".join(lines) + b"\n"
    # The data row at list index i is on line i + 2.
    split_reject_lines = [position + 2 for position in bad_positions]
    chunk_rows = len(lines) - bad_count
    expected_copy = b"".join(_copy_text(row) + b"\n" for row in good)
    return Dataset(
        gzip_bytes=gzip.compress(body, compresslevel=6, mtime=0),
        text_bytes=len(body),
        source_rows=len(lines),
        split_reject_lines=split_reject_lines,
        duplicate_keys=sorted(good[index].split(b"\t")[0].decode() for index in originals),
        chunk_rows=chunk_rows,
        chunks=-(-chunk_rows // rows_per_chunk),
        table_rows=good_count,
        table_sha256=hashlib.sha256(expected_copy).hexdigest(),
    )


def _good_row(number, rng):
    birth = rng.randrange(1850, 2010) if rng.random() < 0.6 else None
    death = birth + rng.randrange(20, 95) if birth and rng.random() < 0.3 else None
    professions = rng.sample(PROFESSIONS, rng.randrange(0, 4))
    titles = ["tt%07d" % rng.randrange(1, 9_999_999) for _ in range(rng.randrange(0, 5))]
    fields = [
        "nm%07d" % number,
        "Person %d %s" % (number, rng.choice(["Smith", "O'Neil", 'Jo "JJ" Lee', "Ng"])),
        str(birth) if birth else "\\N",
        str(death) if death else "\\N",
        ",".join(professions) if professions else "\\N",
        ",".join(titles) if titles else "\\N",
    ]
    return "\t".join(fields).encode()


def _copy_text(row):
    """Return a good row as PostgreSQL's COPY TO prints it from the table.

    The generator writes no backslash, tab or character that an array
    element would need quoting for, so only the list columns change:
    `a,b` becomes `{a,b}`.
    """
    fields = row.split(b"\t")
    for column in (4, 5):
        if fields[column] != b"\\N":
            fields[column] = b"{" + fields[column] + b"}"
    return b"\t".join(fields)
