#!/usr/bin/env python3
"""Write the hand-made test files of the seven IMDb datasets.

Usage: python3 Tests/Fixtures/datasets/generate.py

Each NAME.tsv in this folder starts with the dataset's real header, then
rows that cover every column type and the hard cases of IMDb's TSV, then a
known set of bad rows that split must reject, and last a good row that
shows no bad row swallowed the lines after it. The files hold control bytes,
invalid UTF-8, a byte order mark and CRLF line ends, so they are written
here byte by byte and committed. Tests/EndToEndTests/DatasetFixtures.swift
lists the line number and column of every bad row; change both together.

Line layout choices:
  name.basics       starts with a UTF-8 byte order mark
  title.basics      CRLF line ends
  title.ratings     no newline after the last row
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))

# IMDb joins the elements of title.akas types and attributes with 0x02.
AKA = "\x02"


def row(*fields):
    return "\t".join(fields).encode("utf-8")


FIXTURES = {
    "name.basics": (
        [
            "\ufeff".encode() + row("nconst", "primaryName", "birthYear", "deathYear",
                                     "primaryProfession", "knownForTitles"),
            row("nm0000001", "Fred Astaire", "1899", "1987",
                "soundtrack,actor,miscellaneous", "tt0053137,tt0031983"),
            row("nm0000002", "\\N", "\\N", "\\N", "\\N", "\\N"),
            row("nm0000003", "Zoë Ångström 李小龍 Дмитрий", "1", "9999", "actress", ""),
            row("nm0000004", "Back\\slash \\N Name", "1940", "\\N", "", "tt0000001"),
            row("nm0000005", "\"Quoted\" O'Neil", "1950", "2000",
                "sound track,\"quoted\",back\\slash,null", "tt0000002"),
            row("nm0000006", "Five", "Fields", "1900", "\\N"),
            row("nm0000007", "Too Late", "10000", "\\N", "\\N", "\\N"),
            b"nm0000008\tBad \xff Byte\t1900\t\\N\t\\N\t\\N",
            b"nm0000009\tNUL\x00Byte\t1900\t\\N\t\\N\t\\N",
            b"",
            row("nm0000010", "Ends Well", "\\N", "\\N", "actor", "tt0000003,tt0000004"),
        ],
        b"\n",
        True,
    ),
    "title.basics": (
        [
            row("tconst", "titleType", "primaryTitle", "originalTitle", "isAdult",
                "startYear", "endYear", "runtimeMinutes", "genres"),
            row("tt0000001", "short", "Carmencita", "Carmencita", "0", "1894", "\\N", "1",
                "Documentary,Short"),
            row("tt0000002", "video", "\"Weird Al\" Yankovic Live", "\"Weird Al\" Yankovic Live",
                "0", "1999", "\\N", "90", "Comedy,Music"),
            row("tt0000003", "movie", "The 12\" Single", "The 12\" Single", "0", "2001", "\\N",
                "45", "Music"),
            row("tt0000004", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N"),
            row("tt0000005", "tvSeries", "C:\\Films\\Noir", "C:\\Films\\Noir", "1", "2010",
                "2012", "0", ""),
            row("tt0000006", "movie", "Bad Flag", "Bad Flag", "2", "2000", "\\N", "90", "Drama"),
            row("tt0000007", "movie", "Year Zero", "Year Zero", "0", "0", "\\N", "90", "Drama"),
            row("tt0000008", "movie", "Negative", "Negative", "0", "2000", "\\N", "-5", "Drama"),
            row("tt0000009", "movie", "Tab", "Inside", "Tab Inside", "0", "2000", "\\N", "90",
                "Drama"),
            b"",
            row("tt0000010", "movie", "Still Here", "Still Here", "0", "2020", "\\N", "100",
                "Drama,Thriller"),
        ],
        b"\r\n",
        True,
    ),
    "title.akas": (
        [
            row("titleId", "ordering", "title", "region", "language", "types", "attributes",
                "isOriginalTitle"),
            row("tt0000001", "1", "Carmencita", "\\N", "\\N", "original", "\\N", "1"),
            row("tt0000001", "2", "Карменсита", "RU", "ru", "imdbDisplay", "\\N", "0"),
            row("tt0000001", "3", "Title, With Comma", "US", "en", "dvd" + AKA + "imdbDisplay",
                AKA.join(["literal title, alternate", "new \"quoted\" title", "back\\slash",
                          "{braced}"]),
                "0"),
            row("tt0000001", "4", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N"),
            row("tt0000001", "5", "Empty Lists", "XWW", "\\N", "", "", "0"),
            row("tt0000001", "6", "Text \\N Inside", "DE", "de", "alternative",
                "NULL" + AKA + "short", "0"),
            row("tt0000001", "\\N", "No Ordering", "US", "\\N", "\\N", "\\N", "0"),
            row("tt0000001", "8", "Bad Flag", "US", "\\N", "\\N", "\\N", "yes"),
            row("tt0000001", "9", "Seven Fields", "US", "\\N", "\\N", "0"),
            b"tt0000001\t10\tOverlong \xc0\xaf Slash\tUS\t\\N\t\\N\t\\N\t0",
            row("tt0000001", "11", "Last One", "FR", "fr", "imdbDisplay", "\\N", "0"),
        ],
        b"\n",
        True,
    ),
    "title.crew": (
        [
            row("tconst", "directors", "writers"),
            row("tt0000001", "nm0005690", "\\N"),
            row("tt0000002", "nm0721526,nm0000002", "nm0721526"),
            row("tt0000003", "\\N", "\\N"),
            row("tt0000004", "", ""),
            b"tt0000005\tnm0000001\tnm\x0000002",
            b"",
            row("tt0000007", "nm0000001", "nm0000002", "nm0000003"),
            row("tt0000008", "nm0000001,nm0000002,nm0000003", "nm0000004,nm0000005"),
        ],
        b"\n",
        True,
    ),
    "title.episode": (
        [
            row("tconst", "parentTconst", "seasonNumber", "episodeNumber"),
            row("tt0041951", "tt0041038", "1", "9"),
            row("tt0042816", "\\N", "\\N", "\\N"),
            row("tt0043426", "tt0989125", "0", "2147483647"),
            row("tt0043427", "tt0989125", "1.5", "3"),
            row("tt0043428", "tt0989125", "1", "2147483648"),
            row("tt0043429", "tt0989125", "1"),
            row("tt0043430", "tt0989125", "12", "24"),
        ],
        b"\n",
        True,
    ),
    "title.principals": (
        [
            row("tconst", "ordering", "nconst", "category", "job", "characters"),
            row("tt0000001", "1", "nm1588970", "self", "\\N", "[\"Self\"]"),
            row("tt0000002", "2", "\\N", "\\N", "\\N", "\\N"),
            row("tt0000003", "3", "nm0374658", "cinematographer", "director of photography",
                "\\N"),
            row("tt0000004", "1", "nm0000001", "actor", "\\N",
                "[\"Woman (segment \\\"Making Love\\\")\",\"Narrator\"]"),
            row("tt0000005", "1", "nm0000002", "actress", "\\N",
                "[\"Back\\\\slash\",\"Zo\\u00eb\", \"🎬 Ångström\"]"),
            row("tt0000006", "1", "nm0000003", "self", "", "[]"),
            row("tt0000007", "1", "nm0000004", "actor", "\\N", "[\"Self\""),
            row("tt0000008", "1", "nm0000005", "actor", "\\N", "[Self]"),
            b"tt0000009\t1\tnm0000006\tactor\tcut \xe2\x82 short\t\\N",
            b"",
            row("tt0000011", "1", "nm0000007", "composer", "\\N", "\\N"),
        ],
        b"\n",
        True,
    ),
    "title.ratings": (
        [
            row("tconst", "averageRating", "numVotes"),
            row("tt0000001", "5.7", "2090"),
            row("tt0000002", "10.0", "1"),
            row("tt0000003", "0.0", "0"),
            row("tt0000004", "7", "12"),
            row("tt0000005", "\\N", "\\N"),
            row("tt0000006", "good", "3"),
            row("tt0000007", "10.1", "3"),
            row("tt0000008", "6.5", "1,234"),
            row("tt0000009", "6.5"),
            row("tt0000010", "8.1", "303"),
        ],
        b"\n",
        False,
    ),
}


def main():
    for name, (lines, newline, final_newline) in FIXTURES.items():
        data = newline.join(lines) + (newline if final_newline else b"")
        with open(os.path.join(HERE, name + ".tsv"), "wb") as output:
            output.write(data)


if __name__ == "__main__":
    main()
