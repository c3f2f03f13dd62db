#!/usr/bin/env python3
"""Write a synthetic name.basics TSV with the shape of IMDb's real file.

Usage: generate.py [--rows N] [--seed S] [-o FILE]

The output has the real header and one row per person, nconst nm0000001
upwards. The proportions below are estimates of the real file's shape
(about 14.5 million rows), not measurements of it:

  birthYear          about 5% set, the rest \\N
  deathYear          set for about a third of the people with a birth year
                     and for 0.5% of the others, otherwise \\N
  primaryProfession  0 to 3 distinct professions; none is an empty field,
                     or \\N for one row in ten of those
  knownForTitles     1 to 4 title ids, tt plus 7 digits (8 above 9999999)
  primaryName        first name, sometimes an initial, last name; about 4%
                     non-ASCII (accents, Cyrillic, Greek, CJK, Arabic,
                     Devanagari), 0.5% with an apostrophe, 0.05% with a
                     quoted nickname, 0.001% with a backslash

Every draw comes from random.Random(seed).random(), so the same seed and
row count give the same bytes on the same Python (checked with cmp on
Python 3.11). Other Python versions are expected to match but are not
checked, which is why the bench keys its cached files by rows and seed only.
"""

import argparse
import random
import sys

HEADER = "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n"

# Relative weights, estimated so that actors and crew departments lead as
# in the real file.
PROFESSIONS = [
    ("actor", 30), ("actress", 20), ("miscellaneous", 12), ("producer", 10),
    ("writer", 8), ("director", 8), ("camera_department", 6), ("soundtrack", 5),
    ("editor", 4), ("cinematographer", 4), ("music_department", 4), ("composer", 3),
    ("art_department", 3), ("sound_department", 3), ("animation_department", 3),
    ("visual_effects", 3), ("make_up_department", 2), ("assistant_director", 2),
    ("editorial_department", 2), ("production_manager", 2), ("costume_department", 2),
    ("stunts", 2), ("special_effects", 1), ("script_department", 1),
    ("art_director", 1), ("casting_department", 1), ("casting_director", 1),
    ("location_management", 1), ("production_designer", 1), ("set_decorator", 1),
    ("transportation_department", 1), ("executive", 1), ("talent_agent", 1),
    ("manager", 1), ("publicist", 1), ("legal", 1), ("choreographer", 1),
    ("electrical_department", 1), ("assistant", 1), ("archive_footage", 1),
    ("podcaster", 1), ("music_artist", 1), ("accountant", 1),
]

FIRST_NAMES = [
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
    "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
    "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa",
    "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Paul", "Ashley",
    "Steven", "Emily", "Andrew", "Donna", "Kenneth", "Michelle", "Joshua", "Carol",
    "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Timothy", "Laura",
    "Ronald", "Rebecca", "Jason", "Sharon", "Ryan", "Cynthia", "Jacob", "Kathleen",
    "Gary", "Amy", "Nicholas", "Angela", "Eric", "Anna", "Jonathan", "Ruth",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Katherine",
    "Hans", "Giulia", "Marco", "Sofia", "Pierre", "Claire", "Carlos", "Lucia",
    "Akira", "Yuki", "Raj", "Priya", "Ahmed", "Fatima", "Ivan", "Olga",
    "Kim", "Min-jun", "Wei", "Mei", "Lars", "Ingrid", "Pedro", "Ana",
]

LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson",
    "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
    "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill",
    "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
    "Mitchell", "Carter", "Roberts", "Schmidt", "Rossi", "Dubois", "Silva", "Kowalski",
    "Tanaka", "Sato", "Patel", "Sharma", "Khan", "Ivanov", "Petrov", "Kim",
    "Park", "Wang", "Li", "Zhang", "Larsen", "Johansson", "Santos", "Costa",
]

# Names that are not plain ASCII, as they appear in credits.
UNICODE_NAMES = [
    "José Martínez", "Zoë Müller", "François Lefèvre", "Björk Guðmundsdóttir",
    "Łukasz Żuławski", "Søren Kierkegård", "Ümit Çelik", "Renée Dubé",
    "Ángel Núñez", "Jiří Menzel", "Dóra Szőke", "Mihăilă Ștefănescu",
    "Андрей Тарковский", "Наталья Бондарчук", "Γιώργος Λάνθιμος", "Μελίνα Μερκούρη",
    "黒澤明", "是枝裕和", "張藝謀", "王家衛", "봉준호", "박찬욱",
    "يوسف شاهين", "فاتن حمامة", "सत्यजित राय", "अमिताभ बच्चन", "Shōhei Ōtani",
    "Nguyễn Văn Thành", "Zdeněk Svěrák", "Małgorzata Szumowska",
]

APOSTROPHE_NAMES = [
    "O'Brien", "O'Connor", "O'Hara", "D'Angelo", "D'Souza", "N'Dour", "O'Neill",
    "Dell'Orco", "L'Amour", "O'Toole",
]

NICKNAMES = ["The Rock", "Weird Al", "Babe", "Doc", "Lefty", "Red", "Big Mike", "Kid"]


def cumulative(weighted):
    """Return the names and the running totals of their weights."""
    names, totals, total = [], [], 0
    for name, weight in weighted:
        total += weight
        names.append(name)
        totals.append(total)
    return names, totals


class Generator:
    """Rows of synthetic name.basics, drawn from one random stream."""

    def __init__(self, seed):
        self.random = random.Random(seed).random
        self.professions, self.profession_totals = cumulative(PROFESSIONS)

    def below(self, limit):
        """Return an integer in [0, limit)."""
        return int(self.random() * limit)

    def pick(self, items):
        return items[self.below(len(items))]

    def name(self):
        draw = self.random()
        if draw < 0.04:
            return self.pick(UNICODE_NAMES)
        first = self.pick(FIRST_NAMES)
        if draw < 0.045:
            return first + " " + self.pick(APOSTROPHE_NAMES)
        last = self.pick(LAST_NAMES)
        if draw < 0.0455:
            return '%s "%s" %s' % (first, self.pick(NICKNAMES), last)
        if draw < 0.04551:
            return "%s \\%s" % (first, last)
        if self.random() < 0.1:
            return "%s %s. %s" % (first, chr(65 + self.below(26)), last)
        return first + " " + last

    def years(self):
        if self.random() < 0.05:
            birth = 1850 + self.below(161)
            if self.random() < 0.35:
                return str(birth), str(min(birth + 20 + self.below(80), 2025))
            return str(birth), "\\N"
        if self.random() < 0.005:
            return "\\N", str(1900 + self.below(126))
        return "\\N", "\\N"

    def profession_list(self):
        draw = self.random()
        if draw < 0.25:
            count = 0
        elif draw < 0.7:
            count = 1
        elif draw < 0.9:
            count = 2
        else:
            count = 3
        if count == 0:
            return "\\N" if self.random() < 0.1 else ""
        chosen = []
        total = self.profession_totals[-1]
        while len(chosen) < count:
            target = self.random() * total
            index = 0
            while self.profession_totals[index] <= target:
                index += 1
            if self.professions[index] not in chosen:
                chosen.append(self.professions[index])
        return ",".join(chosen)

    def title_list(self):
        count = 1 + self.below(4)
        titles = []
        for _ in range(count):
            number = 1 + self.below(35_000_000)
            titles.append("tt%07d" % number)
        return ",".join(titles)

    def row(self, number):
        birth, death = self.years()
        return "nm%07d\t%s\t%s\t%s\t%s\t%s\n" % (
            number, self.name(), birth, death, self.profession_list(), self.title_list())


def main():
    parser = argparse.ArgumentParser(description="Write a synthetic name.basics TSV.")
    parser.add_argument("--rows", type=int, default=2_000_000, help="data rows (default 2000000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("-o", "--output", help="output file (default: standard output)")
    arguments = parser.parse_args()
    if arguments.rows < 0:
        parser.error("--rows must be 0 or more")

    output = open(arguments.output, "wb") if arguments.output else sys.stdout.buffer
    generator = Generator(arguments.seed)
    batch = [HEADER]
    for number in range(1, arguments.rows + 1):
        batch.append(generator.row(number))
        if len(batch) >= 10_000:
            output.write("".join(batch).encode("utf-8"))
            batch.clear()
    output.write("".join(batch).encode("utf-8"))
    output.flush()
    if arguments.output:
        output.close()


if __name__ == "__main__":
    main()
