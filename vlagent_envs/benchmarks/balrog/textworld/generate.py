"""Generating BALROG's three TextWorld tasks offline with TextWorld's own generators.

BALROG evaluates on pre-generated games it downloads (``tw_games/<task>/*.z8|*.ulx``). This
module makes games of the same kinds, with TextWorld 1.7.0's challenge generators at the
settings BALROG names, each game from a fixed seed, and writes them in BALROG's layout::

    <out>/treasure_hunter/treasure_hunter_000.z8   (+ .json: textworld's game data, needed for
    <out>/the_cooking_game/the_cooking_game_000.z8      the score, max_score, won and the
    <out>/coin_collector/coin_collector_000.z8          walkthrough)

Settings (:data:`TASK_SETTINGS`):

* ``treasure_hunter``: ``tw-treasure_hunter`` level 30 (hard: 20 rooms, locked doors and
  containers, a 20-step quest);
* ``the_cooking_game``: ``tw-cooking`` with ``recipe 5, take 5, go 12, open, cook, cut`` (no
  ``drop``, ``recipe_seed`` 0: the recipe is the generator's own, ``split`` unset: foods drawn
  from the joint train/valid/test distribution, as ``tw-make tw-cooking`` does by default);
* ``coin_collector``: ``tw-coin_collector`` level 220 (quest length 20, distractor rooms).

Game ``i`` of task ``t`` is generated with seed :func:`game_seed` ``(t, i)``, so every machine
makes the same games. Generation is slow (seconds to minutes per game: TextWorld's backward
chaining for a 20-step treasure-hunter quest searches a lot; one seed took 15 minutes here), so
games 0-9 of each task ship already generated (``data/games.tar.xz``, 0.9 MB: the generator's
.z8 files byte for byte), and any other game is generated only when an episode needs it. Games
are kept in ``$XDG_CACHE_HOME/vlagent-envs/balrog/textworld/``
(``$BALROG_TEXTWORLD_CACHE`` if set, e.g. a folder a CI keeps between runs);
two processes asking for the same game wait on a file lock, and files appear by atomic rename
(a game is complete once its ``.z8`` exists). While generating, textworld's sort of facts runs
with a key instead of ``Proposition.__lt__`` (the same order, several times faster).

Run ``python -m vlagent_envs.benchmarks.balrog.textworld.generate --out DIR --task coin_collector
--num-games 25`` to write a folder in BALROG's layout (``--task all`` for the three).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import tarfile
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gymnasium.error import DependencyNotInstalled

from vlagent_envs.core.cache import cache_dir

__all__ = [
    "CACHE_ENV_VAR",
    "GENERATOR_VERSION",
    "SHIPPED_ARCHIVE",
    "SHIPPED_GAMES",
    "TASKS",
    "TASK_SETTINGS",
    "default_cache_root",
    "ensure_game",
    "game_path",
    "game_seed",
    "generate_game",
    "main",
    "require_textworld",
]

logger = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("treasure_hunter", "the_cooking_game", "coin_collector")
TASK_SETTINGS: dict[str, dict[str, Any]] = {
    "treasure_hunter": {"level": 30},
    "the_cooking_game": {
        "recipe": 5,
        "take": 5,
        "go": 12,
        "open": True,
        "cook": True,
        "cut": True,
        "drop": False,
        "recipe_seed": 0,
        "split": None,
    },
    "coin_collector": {"level": 220},
}
# Bump when the generated games change (settings, seeds, textworld version): the cache moves.
GENERATOR_VERSION = 1
_SEED_BASE = {
    "treasure_hunter": 1_000_000,
    "the_cooking_game": 2_000_000,
    "coin_collector": 3_000_000,
}
CACHE_ENV_VAR = "BALROG_TEXTWORLD_CACHE"
#: Games ``0 .. SHIPPED_GAMES - 1`` of each task ship, already generated, in ``data/games.tar.xz``
#: (the generator's own games: the .z8 byte for byte, tested): playing them needs no generation.
SHIPPED_GAMES = 10
SHIPPED_ARCHIVE = Path(__file__).with_name("data") / "games.tar.xz"
# textworld is not in the balrog extra (ALFWorld's engine line installs it, without its deps).
INSTALL = "pip install --no-deps textworld==1.7.0 jericho==3.3.1 (and textworld's own deps)"


def require_textworld() -> Any:
    """Import ``textworld``, or say how to install it."""
    try:
        import textworld
        import textworld.generator
    except ImportError as error:
        raise DependencyNotInstalled(
            f"textworld is not installed; BALROG's TextWorld needs: {INSTALL}"
        ) from error
    return textworld


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(
            f"unknown BALROG TextWorld task {task!r}; choose one of {', '.join(TASKS)}"
        )


def game_seed(task: str, index: int) -> int:
    """The fixed generator seed of game ``index`` of ``task``."""
    _check_task(task)
    if index < 0:
        raise ValueError(f"game index must be >= 0, got {index}")
    return _SEED_BASE[task] + int(index)


def game_path(root: str | os.PathLike, task: str, index: int) -> Path:
    """Where game ``index`` of ``task`` lies under ``root`` (BALROG's ``<root>/<task>/`` layout)."""
    _check_task(task)
    return Path(root, task, f"{task}_{index:03d}.z8")


def default_cache_root() -> Path:
    """Where generated games are cached: ``$BALROG_TEXTWORLD_CACHE/v<GENERATOR_VERSION>`` if set
    (a CI can keep that folder between runs), else
    ``$XDG_CACHE_HOME/vlagent-envs/balrog/textworld/v<GENERATOR_VERSION>``."""
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        return Path(override).expanduser() / f"v{GENERATOR_VERSION}"
    return cache_dir("balrog", "textworld", f"v{GENERATOR_VERSION}")


def _make_game(task: str, seed: int, options: Any) -> Any:
    options.seeds = seed
    if task == "treasure_hunter":
        from textworld.challenges.tw_treasure_hunter import treasure_hunter as challenge
    elif task == "coin_collector":
        from textworld.challenges.tw_coin_collector import coin_collector as challenge
    else:
        from textworld.challenges.tw_cooking import cooking as challenge
    return challenge.make(dict(TASK_SETTINGS[task]), options)


def _proposition_key(prop: Any) -> tuple:
    return (prop.name, tuple((var.name, var.type) for var in prop.arguments))


@contextlib.contextmanager
def _fast_fact_sorting() -> Iterator[None]:
    """Sort facts by a key while generating: the order of ``Proposition.__lt__``, faster.

    textworld's ``State._all_applicable_assignments`` sorts facts with ``sorted()``, which
    calls ``Proposition.__lt__`` (tuples of ``Variable``, each compared in Python) millions of
    times during quest chaining. A key of plain tuples orders them identically (``__lt__``
    compares ``(name, arguments)`` and a variable by ``(name, type)``) in C.
    """
    import textworld.logic as logic

    keys: dict[Any, tuple] = {}  # propositions are immutable; a dict hit is an identity test

    def cached_key(prop: Any) -> tuple:
        key = keys.get(prop)
        if key is None:
            key = keys[prop] = _proposition_key(prop)
        return key

    def fast_sorted(iterable: Any, *, key: Any = None, reverse: bool = False) -> list:
        items = list(iterable)
        if key is None and items and all(type(p) is logic.Proposition for p in items):
            key = cached_key
        return sorted(items, key=key, reverse=reverse)

    had = "sorted" in vars(logic)
    previous = vars(logic).get("sorted")
    logic.sorted = fast_sorted  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if had:
            logic.sorted = previous  # type: ignore[attr-defined]
        else:
            del logic.sorted  # type: ignore[attr-defined]
        keys.clear()


def generate_game(task: str, index: int, out: str | os.PathLike) -> Path:
    """Generate and compile game ``index`` of ``task`` into ``out`` (BALROG's layout).

    Writes ``<out>/<task>/<task>_<index>.z8`` and its ``.json`` through a temporary folder and
    an atomic rename (the ``.json`` first, so a ``.z8`` is never without it). Overwrites.

    Returns:
        The ``.z8`` path.
    """
    textworld = require_textworld()
    seed = game_seed(task, index)
    target = game_path(out, task, index)
    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".generating-") as scratch:
        options = textworld.GameOptions()
        options.path = os.path.join(scratch, target.name)
        options.force_recompile = True
        with _fast_fact_sorting(), warnings.catch_warnings():
            # "Not enough variation for '#work_(r)#'": textworld's grammar reusing adjectives;
            # jericho's "not fully supported" while compiling the walkthrough check.
            warnings.simplefilter("ignore")
            game = _make_game(task, seed, options)
            compiled = Path(textworld.generator.compile_game(game, options))
        os.replace(compiled.with_suffix(".json"), target.with_suffix(".json"))
        os.replace(compiled, target)
    logger.info(
        "generated %s game %d (seed %d) in %.1f s: %s",
        task,
        index,
        seed,
        time.perf_counter() - start,
        target,
    )
    return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shipped_game(task: str, index: int, out: str | os.PathLike) -> Path | None:
    """Copy game ``index`` of ``task`` from the shipped archive into ``out``; ``None`` if it
    does not ship. Written like :func:`generate_game` (the ``.json`` first, atomic renames)."""
    if not 0 <= index < SHIPPED_GAMES or not SHIPPED_ARCHIVE.is_file():
        return None
    target = game_path(out, task, index)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(SHIPPED_ARCHIVE) as archive:
        for path in (target.with_suffix(".json"), target):
            member = archive.extractfile(f"{task}/{path.name}")
            if member is None:
                raise FileNotFoundError(f"{SHIPPED_ARCHIVE} has no {task}/{path.name}")
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as scratch:
                scratch.write(member.read())
            os.replace(scratch.name, path)
    return target


def ensure_game(task: str, index: int, root: str | os.PathLike | None = None) -> Path:
    """Game ``index`` of ``task`` in the cache (or ``root``): unpacked from the shipped games,
    or generated on first use.

    Safe across processes: generation holds a lock file per game, and a finished game is
    never rewritten.
    """
    root = Path(root) if root is not None else default_cache_root()
    target = game_path(root, task, index)
    if target.is_file() and target.with_suffix(".json").is_file():
        return target
    with _locked(target.parent / f".{target.stem}.lock"):
        if target.is_file() and target.with_suffix(".json").is_file():
            return target  # another process made it while we waited
        shipped = shipped_game(task, index, root)
        if shipped is not None:
            return shipped
        logger.warning(
            "generating BALROG TextWorld %s game %d (seconds to minutes; cached in %s)",
            task,
            index,
            target.parent,
        )
        return generate_game(task, index, root)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write games in BALROG's layout."""
    parser = argparse.ArgumentParser(
        prog="python -m vlagent_envs.benchmarks.balrog.textworld.generate",
        description="Generate BALROG's TextWorld games (TextWorld's generators, fixed seeds) "
        "in BALROG's layout <out>/<task>/*.z8.",
    )
    parser.add_argument("--out", required=True, help="output folder (BALROG's tw_games)")
    parser.add_argument(
        "--task", default="all", choices=[*TASKS, "all"], help="which task (default: all)"
    )
    parser.add_argument("--num-games", type=int, default=25, help="games per task (default 25)")
    parser.add_argument("--start", type=int, default=0, help="index of the first game")
    parser.add_argument("--force", action="store_true", help="regenerate existing games")
    args = parser.parse_args(argv)
    if args.num_games < 1 or args.start < 0:
        parser.error("--num-games must be >= 1 and --start >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tasks = TASKS if args.task == "all" else (args.task,)
    jobs = [(t, i) for t in tasks for i in range(args.start, args.start + args.num_games)]
    from tqdm.auto import tqdm

    for task, index in tqdm(jobs, desc="games", disable=os.environ.get("CI") == "true"):
        target = game_path(args.out, task, index)
        if args.force:
            generate_game(task, index, args.out)
        else:
            ensure_game(task, index, args.out)
        logger.debug("%s", target)
    print(f"{len(jobs)} games in {os.path.abspath(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
