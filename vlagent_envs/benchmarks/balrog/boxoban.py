"""Boxoban levels: the file format, a generator, a solver, and the level sets MiniHack plays.

Boxoban (Guez et al., 2018; ``github.com/google-deepmind/boxoban-levels``) is a set of 10x10
Sokoban levels with four boxes: ``unfiltered``, ``medium`` (train/valid) and ``hard`` files of
1,000 levels each, ``000.txt`` ... , where a level is a ``; <n>`` line then ten rows of
``#`` (wall), `` `` (floor), ``$`` (box), ``.`` (target) and ``@`` (player), and a blank line.
MiniHack's ``MiniHack-Boxoban-*`` download them from the internet into
``minihack/dat/boxoban-levels-master/<set>/<split>``, which cannot be done here, so:

* :func:`level_dir` uses a downloaded set when there is one -- ``$BOXOBAN_LEVELS`` (a checkout
  of ``boxoban-levels``), then MiniHack's own download folder -- and else the small sets that
  ship in ``data/boxoban`` (``medium/train/000.txt``, ``hard/000.txt``, 100 levels each).
* The shipped levels are **ours**, made by :func:`generate_level` in Boxoban's format: a random
  room of 10x10 carved by random walks, four targets, and boxes pulled off them by random
  reverse play (every level is solvable by construction), then kept when
  :func:`solve` finds the pushes (``medium``: 6-11 pushes, ``hard``: 12 or more). They are
  Boxoban-like, not DeepMind's levels (whose medium/hard split came from a trained agent's
  failures): scores on them are not comparable with BALROG's.
* :func:`solve` -- breadth-first search over pushes (the player's reachable area normalised),
  dead corners pruned; MiniHack's scripted agent follows its plan.

``python -m vlagent_envs.benchmarks.balrog.boxoban --out DIR --set medium --count 100`` writes a
set.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections import deque
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "Level",
    "generate_level",
    "level_dir",
    "load_levels",
    "parse_level",
    "solve",
    "write_levels",
]

SIZE = 10
BOXES = 4
_SETS = {"medium": "medium/train", "hard": "hard", "unfiltered": "unfiltered/train"}
_PUSHES = {"medium": (6, 11), "hard": (12, 200), "unfiltered": (1, 200)}
_DIRS = ((0, -1), (1, 0), (0, 1), (-1, 0))  # (dx, dy): north, east, south, west

Cell = tuple[int, int]  # (x, y)


class Level:
    """One Boxoban level: walls, targets, boxes, the player (x right, y down)."""

    def __init__(
        self, walls: frozenset[Cell], targets: frozenset[Cell], boxes: frozenset[Cell], player: Cell
    ):
        self.walls, self.targets, self.boxes, self.player = walls, targets, boxes, player

    def rows(self) -> list[str]:
        """The ten rows in Boxoban's characters."""
        out = []
        for y in range(SIZE):
            row = []
            for x in range(SIZE):
                cell = (x, y)
                if cell in self.walls:
                    row.append("#")
                elif cell == self.player:
                    row.append("@")
                elif cell in self.boxes:
                    row.append("*" if cell in self.targets else "$")
                elif cell in self.targets:
                    row.append(".")
                else:
                    row.append(" ")
            out.append("".join(row))
        return out

    def __str__(self) -> str:
        return "\n".join(self.rows())


def parse_level(rows: Sequence[str]) -> Level:
    """A level from Boxoban's rows (``#``, space, ``$``, ``.``, ``@``; ``*`` box on target).

    Raises:
        ValueError: Not one player, no box, or boxes and targets of different counts.
    """
    walls, targets, boxes, players = set(), set(), set(), []
    for y, row in enumerate(rows):
        for x, char in enumerate(row.rstrip("\n")):
            cell = (x, y)
            if char == "#":
                walls.add(cell)
            elif char in "$*":
                boxes.add(cell)
            if char in ".*+":
                targets.add(cell)
            if char in "@+":
                players.append(cell)
            if char not in "#$*.@+ ":
                raise ValueError(f"unknown Boxoban character {char!r} at {cell}")
    if len(players) != 1 or not boxes or len(boxes) != len(targets):
        raise ValueError(
            f"a Boxoban level needs one player and as many boxes as targets: {len(players)} "
            f"players, {len(boxes)} boxes, {len(targets)} targets"
        )
    return Level(frozenset(walls), frozenset(targets), frozenset(boxes), players[0])


def _read(path: Path) -> Iterator[list[str]]:
    block: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith(";"):
            block = []
        elif line.strip() == "" and len(block) >= SIZE:
            yield block
            block = []
        elif line.strip() or block:
            block.append(line)
    if len(block) >= SIZE:
        yield block


def load_levels(directory: str | os.PathLike) -> list[list[str]]:
    """Every level of a Boxoban folder (``*.txt``, files in name order), as rows.

    Raises:
        FileNotFoundError: The folder does not exist or holds no level.
        ValueError: A level that does not parse (the file and level are named).
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"no Boxoban level folder {folder}")
    levels = []
    for path in sorted(folder.glob("*.txt")):
        for i, rows in enumerate(_read(path)):
            try:
                parse_level(rows)
            except ValueError as error:
                raise ValueError(f"{path}, level {i}: {error}") from None
            levels.append(rows)
    if not levels:
        raise FileNotFoundError(f"no Boxoban level in {folder} (files '*.txt' of '; n' blocks)")
    return levels


def level_dir(level_set: str, levels_dir: str | os.PathLike | None = None) -> Path:
    """Where the levels of ``level_set`` (``medium``, ``hard``, ``unfiltered``) are read from.

    ``levels_dir`` or ``$BOXOBAN_LEVELS`` (a ``boxoban-levels`` checkout), else MiniHack's
    download folder when it holds the set, else the levels shipped here.
    """
    if level_set not in _SETS:
        raise ValueError(f"unknown Boxoban set {level_set!r}; one of {sorted(_SETS)}")
    root = levels_dir or os.environ.get("BOXOBAN_LEVELS")
    if root:
        folder = Path(root) / _SETS[level_set]
        if not folder.is_dir():
            raise FileNotFoundError(
                f"no {_SETS[level_set]!r} in the Boxoban folder {root} (expected the layout of "
                "github.com/google-deepmind/boxoban-levels)"
            )
        return folder
    try:
        import minihack

        downloaded = Path(minihack.__file__).parent / "dat" / "boxoban-levels-master"
        if (downloaded / _SETS[level_set]).is_dir():
            return downloaded / _SETS[level_set]
    except ImportError:
        pass
    return Path(str(resources.files(__package__).joinpath("data", "boxoban", _SETS[level_set])))


def write_levels(levels: Sequence[Level], path: str | os.PathLike) -> None:
    """Write levels in Boxoban's file format (``; n``, ten rows, a blank line)."""
    lines = []
    for i, level in enumerate(levels):
        lines += [f"; {i}", *level.rows(), ""]
    Path(path).write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- solver
def _dead_cells(walls: frozenset[Cell], targets: frozenset[Cell]) -> frozenset[Cell]:
    """Floor corners that are not targets: a box pushed there never moves again."""
    dead = set()
    for x in range(SIZE):
        for y in range(SIZE):
            cell = (x, y)
            if cell in walls or cell in targets:
                continue
            blocked = [(x + dx, y + dy) in walls for dx, dy in _DIRS]
            if any(blocked[i] and blocked[(i + 1) % 4] for i in range(4)):
                dead.add(cell)
    return frozenset(dead)


def _reach(start: Cell, walls: frozenset[Cell], boxes: frozenset[Cell]) -> dict[Cell, Cell | None]:
    """Cells the player reaches without pushing, each with its predecessor."""
    seen: dict[Cell, Cell | None] = {start: None}
    queue = deque([start])
    while queue:
        x, y = queue.popleft()
        for dx, dy in _DIRS:
            nxt = (x + dx, y + dy)
            if nxt not in seen and nxt not in walls and nxt not in boxes:
                seen[nxt] = (x, y)
                queue.append(nxt)
    return seen


def _walk(seen: dict[Cell, Cell | None], goal: Cell) -> list[Cell]:
    path = [goal]
    while seen[path[-1]] is not None:
        path.append(seen[path[-1]])  # type: ignore[arg-type]
    return path[::-1]


def solve(level: Level, max_states: int = 200_000) -> list[tuple[int, int]] | None:
    """The player's moves ((dx, dy) each) that put every box on a target, fewest pushes first.

    ``None`` when the search finds no solution within ``max_states`` push states.
    """
    walls, targets = level.walls, level.targets
    dead = _dead_cells(walls, targets)

    def key(boxes: frozenset[Cell], player: Cell) -> tuple[frozenset[Cell], Cell]:
        return boxes, min(_reach(player, walls, boxes))  # the reachable area, by its corner

    start = key(level.boxes, level.player)
    parents: dict = {start: None}
    queue = deque([(level.boxes, level.player)])
    while queue and len(parents) <= max_states:
        boxes, player = queue.popleft()
        if boxes == targets:
            return _moves(parents, (boxes, player), key, level)
        seen = _reach(player, walls, boxes)
        for bx, by in boxes:
            for dx, dy in _DIRS:
                stand, dest = (bx - dx, by - dy), (bx + dx, by + dy)
                if stand not in seen or dest in walls or dest in boxes or dest in dead:
                    continue
                moved = (boxes - {(bx, by)}) | {dest}
                state = key(moved, (bx, by))
                if state in parents:
                    continue
                parents[state] = ((boxes, player), stand, (dx, dy))
                queue.append((moved, (bx, by)))
    return None


def _moves(parents: dict, end: tuple, key, level: Level) -> list[tuple[int, int]]:
    pushes = []
    state = end
    while parents[key(*state)] is not None:
        previous, stand, direction = parents[key(*state)]
        pushes.append((previous, stand, direction))
        state = previous
    moves: list[tuple[int, int]] = []
    for (boxes, player), stand, direction in reversed(pushes):
        path = _walk(_reach(player, level.walls, boxes), stand)
        moves += [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(path)]
        moves.append(direction)
    return moves


# ----------------------------------------------------------------------------- generator
def _room(rng: np.random.Generator) -> set[Cell]:
    """Floor carved by random walks inside the 8x8 interior (DeepMind's generator's idea)."""
    floor: set[Cell] = set()
    x, y = int(rng.integers(1, SIZE - 1)), int(rng.integers(1, SIZE - 1))
    while len(floor) < int(rng.integers(22, 40)):
        floor.add((x, y))
        dx, dy = _DIRS[int(rng.integers(4))]
        for _ in range(int(rng.integers(1, 4))):
            if 1 <= x + dx < SIZE - 1 and 1 <= y + dy < SIZE - 1:
                x, y = x + dx, y + dy
                floor.add((x, y))
    return floor


def generate_level(
    rng: np.random.Generator, pushes: tuple[int, int] = (8, 15), tries: int = 5000
) -> Level:
    """A random solvable level whose shortest solution has ``pushes[0]..pushes[1]`` pushes."""
    for _ in range(tries):
        floor = _room(rng)
        walls = frozenset((x, y) for x in range(SIZE) for y in range(SIZE)) - frozenset(floor)
        cells = sorted(floor)
        if len(cells) < BOXES + 8:
            continue
        picks = rng.choice(len(cells), size=BOXES + 1, replace=False)
        targets = frozenset(cells[i] for i in picks[:BOXES])
        boxes, player = set(targets), cells[picks[BOXES]]
        for _ in range(int(rng.integers(40, 200))):  # reverse play: pull boxes off
            seen = _reach(player, walls, frozenset(boxes))
            pulls = [
                (box, (dx, dy))
                for box in boxes
                for dx, dy in _DIRS
                if (box[0] + dx, box[1] + dy) in seen
                and (box[0] + 2 * dx, box[1] + 2 * dy) not in walls
                and (box[0] + 2 * dx, box[1] + 2 * dy) not in boxes
            ]
            if not pulls:
                break
            (bx, by), (dx, dy) = pulls[int(rng.integers(len(pulls)))]
            boxes.remove((bx, by))
            boxes.add((bx + dx, by + dy))
            player = (bx + 2 * dx, by + 2 * dy)
        if boxes & targets:
            continue
        free = sorted(set(_reach(player, walls, frozenset(boxes))) - targets)
        if not free:
            continue
        player = free[int(rng.integers(len(free)))]
        level = Level(walls, targets, frozenset(boxes), player)
        solution = solve(level, max_states=50_000)
        if solution is None:
            continue
        count = _count_pushes(level, solution)
        if pushes[0] <= count <= pushes[1]:
            return level
    raise RuntimeError(f"no level with {pushes} pushes in {tries} tries")


def _count_pushes(level: Level, moves: list[tuple[int, int]]) -> int:
    boxes, (x, y), count = set(level.boxes), level.player, 0
    for dx, dy in moves:
        x, y = x + dx, y + dy
        if (x, y) in boxes:
            boxes.remove((x, y))
            boxes.add((x + dx, y + dy))
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", required=True, help="folder to write <set>/.../000.txt into")
    parser.add_argument("--set", default="medium", choices=sorted(_SETS), help="level set")
    parser.add_argument("--count", type=int, default=100, help="levels to generate")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    levels = [generate_level(rng, _PUSHES[args.set]) for _ in range(args.count)]
    folder = Path(args.out) / _SETS[args.set]
    folder.mkdir(parents=True, exist_ok=True)
    write_levels(levels, folder / "000.txt")
    print(f"wrote {len(levels)} {args.set} levels to {folder / '000.txt'}")


if __name__ == "__main__":
    main()
