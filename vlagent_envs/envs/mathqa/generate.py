"""A seeded generator of arithmetic word problems in GSM8K's format.

Each story kind is a chain: a starting sentence with one number, then up to three events, each
one operation on the running quantity (``+``, ``-``, ``*``, an exact ``/``, or ``r-``: the event's
number minus the quantity, as in change from a bill). A problem with ``n`` operations tells
the first ``n`` events and asks the kind's ``n``-th question. Numbers are redrawn until every
intermediate result is a positive integer. Solutions are written as GSM8K's are: one line per
step with a ``<<a*b=c>>`` calculator annotation, then ``#### <answer>``.

The shipped set (``data/train.jsonl``, 2,000 problems, and ``data/test.jsonl``, 500) is
``python -m vlagent_envs.envs.mathqa.generate --out vlagent_envs/envs/mathqa/data``; the
operation counts cycle 1, 2, 3 and no question appears twice, so the splits are disjoint.
Draws use :class:`random.Random`, whose integer draws are stable across Python versions.
"""

from __future__ import annotations

import argparse
import json
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KINDS", "Event", "StoryKind", "generate_problems", "main", "write_splits"]

_OPERATIONS: dict[str, Callable[[int, int], int]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.floordiv,
    "r-": lambda value, number: number - value,
}

# (name, he, him, his): the pronouns a story's sentences use.
_PEOPLE = (
    ("Mia", "she", "her", "her"),
    ("Liam", "he", "him", "his"),
    ("Ava", "she", "her", "her"),
    ("Noah", "he", "him", "his"),
    ("Zoe", "she", "her", "her"),
    ("Omar", "he", "him", "his"),
    ("Priya", "she", "her", "her"),
    ("Diego", "he", "him", "his"),
    ("Hana", "she", "her", "her"),
    ("Kofi", "he", "him", "his"),
    ("Lena", "she", "her", "her"),
    ("Sam", "he", "him", "his"),
    ("Grace", "she", "her", "her"),
    ("Mateo", "he", "him", "his"),
    ("Aisha", "she", "her", "her"),
    ("Ben", "he", "him", "his"),
)


@dataclass(frozen=True)
class Event:
    """One step of a story.

    Attributes:
        sentence: The question's sentence; ``{b}`` is the event's number.
        op: ``"+"``, ``"-"``, ``"*"``, ``"/"`` (exact) or ``"r-"`` (``b`` minus the quantity).
        numbers: The values ``b`` is drawn from.
        solution: The solution's line; ``{calc}`` becomes ``a*b = <<a*b=c>>c``.
    """

    sentence: str
    op: str
    numbers: Sequence[int]
    solution: str


@dataclass(frozen=True)
class StoryKind:
    """A kind of story: a start, three events and the question asked after each.

    Attributes:
        start: The opening sentence; ``{a}`` is the starting quantity.
        numbers: The values ``a`` is drawn from.
        events: The events, told in order.
        questions: The question asked after 1, 2 and 3 events.
    """

    start: str
    numbers: Sequence[int]
    events: tuple[Event, Event, Event]
    questions: tuple[str, str, str]


# A table: one event per two lines reads better than one argument per line.
# fmt: off
KINDS: tuple[StoryKind, ...] = (
    StoryKind(  # apples bought and eaten, the rest shared
        "{Name} has {a} apples.", range(3, 21),
        (
            Event("{He} buys {b} more at the market.", "+", range(2, 16),
                  "After the market {name} has {calc} apples."),
            Event("{He} eats {b} of them.", "-", range(1, 9),
                  "After eating some, {he} has {calc} apples."),
            Event("{He} shares the rest equally among {b} friends.", "/", range(2, 7),
                  "Each friend gets {calc} apples."),
        ),
        (
            "How many apples does {name} have now?",
            "How many apples does {name} have now?",
            "How many apples does each friend get?",
        ),
    ),
    StoryKind(  # books on shelves
        "A library has {a} shelves.", range(2, 10),
        (
            Event("Each shelf holds {b} books.", "*", range(5, 21),
                  "The shelves hold {calc} books."),
            Event("The librarian adds {b} new books.", "+", range(3, 31),
                  "With the new books there are {calc} books."),
            Event("Then all the books are put equally onto {b} bigger shelves.", "/", range(2, 9),
                  "Each bigger shelf holds {calc} books."),
        ),
        (
            "How many books are on the shelves?",
            "How many books are there now?",
            "How many books does each bigger shelf hold?",
        ),
    ),
    StoryKind(  # coins saved per week
        "{Name} saves {a} coins every week.", range(2, 16),
        (
            Event("{He} saves for {b} weeks.", "*", range(2, 11),
                  "In those weeks {name} saves {calc} coins."),
            Event("Then {he} spends {b} coins on a toy.", "-", range(1, 31),
                  "After buying the toy {he} has {calc} coins."),
            Event("{His} grandmother gives {him} {b} more coins.", "+", range(2, 21),
                  "With the gift {name} has {calc} coins."),
        ),
        (
            "How many coins does {name} save?",
            "How many coins does {name} have left?",
            "How many coins does {name} have now?",
        ),
    ),
    StoryKind(  # bus passengers on and off
        "A bus leaves the station with {a} passengers.", range(5, 31),
        (
            Event("At the first stop, {b} people get on.", "+", range(1, 16),
                  "After the first stop there are {calc} passengers."),
            Event("At the second stop, {b} people get off.", "-", range(1, 21),
                  "After the second stop there are {calc} passengers."),
            Event("At the third stop, {b} more people get on.", "+", range(1, 16),
                  "After the third stop there are {calc} passengers."),
        ),
        ("How many passengers are on the bus now?",) * 3,
    ),
    StoryKind(  # cookies baked and shared equally
        "{Name} bakes {a} trays of cookies.", range(2, 7),
        (
            Event("Each tray holds {b} cookies.", "*", range(6, 13),
                  "{Name} bakes {calc} cookies."),
            Event("{He} eats {b} of them while they cool.", "-", range(1, 6),
                  "After that {calc} cookies are left."),
            Event("{He} shares the rest equally among {b} friends.", "/", range(2, 9),
                  "Each friend gets {calc} cookies."),
        ),
        (
            "How many cookies does {name} bake?",
            "How many cookies are left?",
            "How many cookies does each friend get?",
        ),
    ),
    StoryKind(  # prices times quantities, change from a bill
        "{Name} buys {a} notebooks.", range(2, 9),
        (
            Event("Each notebook costs ${b}.", "*", range(2, 10),
                  "The notebooks cost {calc} dollars."),
            Event("{He} also buys a backpack for ${b}.", "+", range(5, 31),
                  "Altogether {he} spends {calc} dollars."),
            Event("{He} pays with a ${b} bill.", "r-", (20, 50, 100),
                  "{His} change is {calc} dollars."),
        ),
        (
            "How much do the notebooks cost, in dollars?",
            "How much does {name} spend in total, in dollars?",
            "How much change does {name} get, in dollars?",
        ),
    ),
    StoryKind(  # pages read per day
        "{Name} reads {a} pages of a book every day.", range(5, 26),
        (
            Event("{He} reads for {b} days.", "*", range(2, 8),
                  "In those days {he} reads {calc} pages."),
            Event("On the weekend {he} reads {b} more pages.", "+", range(5, 41),
                  "Altogether {he} has read {calc} pages."),
            Event("The book has {b} pages.", "r-", range(100, 401, 10),
                  "{Name} has {calc} pages left to read."),
        ),
        (
            "How many pages does {name} read?",
            "How many pages has {name} read altogether?",
            "How many pages does {name} have left to read?",
        ),
    ),
    StoryKind(  # marbles given away
        "{Name} has {a} marbles.", range(20, 61),
        (
            Event("{He} gives {b} marbles to {his} brother.", "-", range(1, 16),
                  "After giving some to {his} brother {he} has {calc} marbles."),
            Event("{He} gives {b} marbles to a friend.", "-", range(1, 16),
                  "After giving some to a friend {he} has {calc} marbles."),
            Event("{He} puts the rest equally into {b} bags.", "/", range(2, 7),
                  "Each bag holds {calc} marbles."),
        ),
        (
            "How many marbles does {name} have left?",
            "How many marbles does {name} have left?",
            "How many marbles are in each bag?",
        ),
    ),
    StoryKind(  # garden rows times plants
        "A garden has {a} rows.", range(3, 13),
        (
            Event("Each row has {b} plants.", "*", range(4, 16),
                  "The garden has {calc} plants."),
            Event("Rabbits eat {b} of the plants.", "-", range(1, 21),
                  "After the rabbits {calc} plants are left."),
            Event("The gardener plants {b} new ones.", "+", range(2, 26),
                  "With the new ones the garden has {calc} plants."),
        ),
        (
            "How many plants are in the garden?",
            "How many plants are left?",
            "How many plants does the garden have now?",
        ),
    ),
    StoryKind(  # pencils in boxes shared among students
        "A teacher buys {a} boxes of pencils.", range(2, 11),
        (
            Event("Each box has {b} pencils.", "*", range(6, 13),
                  "The teacher has {calc} pencils."),
            Event("The pencils are shared equally among {b} students.", "/", range(2, 11),
                  "Each student gets {calc} pencils."),
            Event("Each student already had {b} pencils.", "+", range(1, 6),
                  "Each student now has {calc} pencils."),
        ),
        (
            "How many pencils does the teacher have?",
            "How many pencils does each student get?",
            "How many pencils does each student have now?",
        ),
    ),
    StoryKind(  # eggs collected and packed into cartons
        "{Name} collects {a} eggs from {his} hens every day.", range(6, 31),
        (
            Event("{He} collects eggs for {b} days.", "*", range(2, 8),
                  "In those days {he} collects {calc} eggs."),
            Event("{He} breaks {b} of them.", "-", range(1, 11),
                  "After breaking some, {calc} eggs are left."),
            Event("{He} packs them into cartons of {b} eggs.", "/", (6, 12),
                  "{He} fills {calc} cartons."),
        ),
        (
            "How many eggs does {name} collect?",
            "How many eggs are not broken?",
            "How many cartons does {name} fill?",
        ),
    ),
    StoryKind(  # field trip: people, full vans, rental cost
        "{a} students are going on a field trip.", range(10, 61),
        (
            Event("{b} teachers go with them.", "+", range(2, 9),
                  "Students and teachers make {calc} people."),
            Event("They ride in vans of {b} people each, and every van is full.", "/", range(4, 13),
                  "They need {calc} vans."),
            Event("Each van costs ${b} to rent.", "*", range(20, 91, 5),
                  "Renting the vans costs {calc} dollars."),
        ),
        (
            "How many people go on the trip?",
            "How many vans do they use?",
            "How much does it cost to rent the vans, in dollars?",
        ),
    ),
    StoryKind(  # lemonade stand profit
        "{Name} sells {a} cups of lemonade.", range(5, 41),
        (
            Event("Each cup sells for ${b}.", "*", range(1, 6),
                  "{He} earns {calc} dollars."),
            Event("{He} spent ${b} on lemons and sugar.", "-", range(2, 31),
                  "{His} profit is {calc} dollars."),
            Event("{He} shares the profit equally among {b} friends.", "/", range(2, 6),
                  "Each friend gets {calc} dollars."),
        ),
        (
            "How much money does {name} earn, in dollars?",
            "What is {name}'s profit, in dollars?",
            "How much does each friend get, in dollars?",
        ),
    ),
    StoryKind(  # saving up for toys by doing chores
        "{Name} wants to buy toy cars that cost ${a} each.", range(5, 31),
        (
            Event("{He} wants {b} of them.", "*", range(2, 6),
                  "The toy cars cost {calc} dollars."),
            Event("{He} has already saved ${b}.", "-", range(1, 41),
                  "{He} still needs {calc} dollars."),
            Event("{He} earns ${b} an hour doing chores.", "/", range(2, 11),
                  "{He} needs to work {calc} hours."),
        ),
        (
            "How much do the toy cars cost, in dollars?",
            "How much more money does {name} need, in dollars?",
            "How many hours of chores does {name} need to do?",
        ),
    ),
)
# fmt: on


def _tell(kind: StoryKind, operations: int, rng: random.Random) -> dict[str, str] | None:
    """One problem of ``kind`` with ``operations`` events, or ``None`` if its numbers fail."""
    name, he, him, his = rng.choice(_PEOPLE)
    words = {
        "name": name,
        "Name": name,
        "he": he,
        "He": he.capitalize(),
        "him": him,
        "his": his,
        "His": his.capitalize(),
    }
    value = rng.choice(kind.numbers)
    sentences = [kind.start.format(**words, a=value)]
    lines = []
    for event in kind.events[:operations]:
        number = rng.choice(event.numbers)
        if event.op == "/" and value % number:
            return None
        left, right = (number, value) if event.op == "r-" else (value, number)
        symbol = event.op[-1]
        result = _OPERATIONS[event.op](value, number)
        if result <= 0:
            return None
        calc = f"{left}{symbol}{right} = <<{left}{symbol}{right}={result}>>{result}"
        sentences.append(event.sentence.format(**words, b=number))
        lines.append(event.solution.format(**words, calc=calc))
        value = result
    sentences.append(kind.questions[operations - 1].format(**words))
    return {"question": " ".join(sentences), "answer": "\n".join([*lines, f"#### {value}"])}


def generate_problems(count: int, seed: int = 0) -> list[dict[str, str]]:
    """``count`` distinct problems; the ``i``-th has ``i % 3 + 1`` operations.

    Args:
        count: How many problems to generate.
        seed: Seed of the :class:`random.Random` every draw comes from.

    Returns:
        GSM8K records: ``{"question": ..., "answer": ...}``, no question repeated.
    """
    rng = random.Random(seed)
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(problems) < count:
        kind = rng.choice(KINDS)
        problem = _tell(kind, len(problems) % 3 + 1, rng)
        if problem is not None and problem["question"] not in seen:
            seen.add(problem["question"])
            problems.append(problem)
    return problems


def write_splits(out: Path, train: int = 2000, test: int = 500, seed: int = 0) -> None:
    """Write ``train.jsonl`` and ``test.jsonl`` (disjoint questions) into ``out``.

    Args:
        out: The folder to write into (created if missing).
        train: Number of training problems.
        test: Number of test problems.
        seed: The generator's seed.
    """
    problems = generate_problems(train + test, seed)
    out.mkdir(parents=True, exist_ok=True)
    for split, records in (("train", problems[:train]), ("test", problems[train:])):
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        (out / f"{split}.jsonl").write_bytes(text.encode("utf-8"))  # "\n" on every OS


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m vlagent_envs.envs.mathqa.generate --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for train/test.jsonl")
    parser.add_argument("--train", type=int, default=2000, help="number of training problems")
    parser.add_argument("--test", type=int, default=500, help="number of test problems")
    parser.add_argument("--seed", type=int, default=0, help="seed of every draw")
    args = parser.parse_args(argv)
    write_splits(args.out, args.train, args.test, args.seed)


if __name__ == "__main__":
    main()
