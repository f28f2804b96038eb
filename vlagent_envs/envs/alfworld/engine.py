"""ALFWorld's text engine, with what it recomputes every step cached.

ALFWorld's text games (``AlfredTWEnv``) run on textworld's PDDL environment: fast-downward's
``libdownward`` holds the state and lists the applicable actions, textworld's context-sensitive
grammar writes every text, and alfworld's ``AlfredDemangler`` turns PDDL ids
(``Apple_bar__minus_01_dot_72_...``) into names (``apple 1``). textworld 1.7.0 spends almost all
of a step re-doing work whose result never changes:

- ``ContextSensitiveGrammar.derive`` re-parses its start string with TatSu on every call, and it
  is called once per admissible command (to render it) plus once for the feedback;
- every conditional rule re-parses its condition (``Rule.parse_conjunctive_query``);
- every symbol deep-copies its context (variables and mappings that are never mutated);
- every episode runs the pure-Python PDDL-to-SAS translator four times (``load`` and ``reset``
  each build a state, each state translates twice) and parses the grammar again.

This module plays the same games with the same engine objects (``libdownward``, textworld's
grammar and logic, alfworld's demangler) and caches those results: parsed templates and
conditions per process, translations per process and on disk (keyed by a hash of the domain and
problem), the parsed grammar per game. Contexts are carried beside the parsed symbols instead of
being copied into them. Texts, admissible commands, ``won`` and the planner's plans are
byte-identical to textworld's (``tests/envs/alfworld/test_alfworld_engine.py`` plays both side by
side; ``tests/benchmarks/test_alfworld_speed.py`` measures both).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import json
import logging
import os
import pickle
import tempfile
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gymnasium.error import DependencyNotInstalled

from vlagent_envs.core.cache import cache_dir

__all__ = [
    "INSTALL",
    "AlfredEngine",
    "EngineState",
    "GameFileError",
    "alfred_tw_env",
    "import_alfworld",
    "require",
]

logger = logging.getLogger(__name__)

_TRANSLATION_VERSION = 1  # bump when the cached translation's content changes
_MEMORY_TRANSLATIONS = 64  # games whose translation stays in memory
_MEMORY_PLANS = 4096  # planner results kept, keyed by game and moves


class GameFileError(ValueError):
    """A game file that is missing, not JSON, or not an ALFWorld game."""


INSTALL = (
    'pip install "vlagent-envs[alfworld]" && '
    "pip install --no-deps alfworld==0.4.2 textworld==1.7.0 jericho==3.3.1"
)


def require(module: str) -> Any:
    """Import one of ALFWorld's modules, or say how to install the engine."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise DependencyNotInstalled(
            f"{module} is not installed; ALFWorld's engine needs: {INSTALL} "
            "(fast-downward-textworld and jericho compile: cmake, g++ and make must be installed)"
        ) from error


def import_alfworld() -> Any:
    """Import ``alfworld`` without letting it change ``ALFWORLD_DATA``.

    ``import alfworld`` creates ``$ALFWORLD_DATA`` (default ``~/.cache/alfworld``) and sets the
    variable when it was unset; the env reads that variable to find a user's data, so an unset
    one is unset again afterwards.
    """
    before = os.environ.get("ALFWORLD_DATA")
    try:
        return require("alfworld")
    finally:
        if before is None:
            os.environ.pop("ALFWORLD_DATA", None)


def alfred_tw_env(folder: str | os.PathLike, max_steps: int = 10_000) -> Any:
    """alfworld's own ``AlfredTWEnv`` (``init_env(batch_size=1)``) over the games under ``folder``.

    The reference this engine is compared with (tests and benchmark): textworld's PDDL env in
    its gym batch env with ``AlfredDemangler`` and ``AlfredInfos``, no domain randomisation, the
    config keys ``AlfredTWEnv`` reads. Its ``reset()`` returns ``(obs, infos)`` with batches of 1.
    """
    import_alfworld()
    from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv

    path = os.fspath(folder)
    config = {
        "dataset": {
            "data_path": path,
            "eval_id_data_path": path,
            "eval_ood_data_path": path,
            "num_train_games": -1,
            "num_eval_games": -1,
        },
        "env": {
            "type": "AlfredTWEnv",
            "domain_randomization": False,
            "task_types": [1, 2, 3, 4, 5, 6],
            "expert_type": "handcoded",
            "goal_desc_human_anns_prob": 0.0,
        },
        "general": {"training_method": "dqn"},
        "rl": {"training": {"max_nb_steps_per_episode": max_steps}},
    }
    return AlfredTWEnv(config, train_eval="train").init_env(batch_size=1)


@functools.lru_cache(maxsize=1)
def _modules() -> Any:
    """textworld, fast_downward and the parts of alfworld the engine uses (imported once)."""
    require("fast_downward")
    require("textworld")
    import_alfworld()
    import fast_downward
    import textworld
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler
    from textworld.envs.pddl import logic as pddl_logic
    from textworld.envs.pddl import pddl as pddl_env
    from textworld.envs.pddl import textgen

    class _Modules:
        pass

    modules = _Modules()
    modules.textworld = textworld
    modules.fast_downward = fast_downward
    modules.pddl_logic = pddl_logic
    modules.pddl_env = pddl_env
    modules.textgen = textgen
    modules.AlfredDemangler = AlfredDemangler
    return modules


# ---------------------------------------------------------------------------------------------
# Cached parses


@functools.lru_cache(maxsize=4096)
def _symbols(text: str) -> tuple[Any, ...]:
    """The grammar symbols of ``text`` (parsed once; never mutated by the derivation below)."""
    return tuple(_modules().textgen._parse_and_convert(text, rule_name="symbols"))


@functools.lru_cache(maxsize=1024)
def _query(expression: str) -> Any:
    return _modules().textworld.logic.Rule.parse_conjunctive_query(expression)


@functools.lru_cache(maxsize=8)
def _game_logic(domain: str, grammar: str) -> Any:
    return _modules().pddl_logic.GameLogic(domain=domain, grammar=grammar)


# ---------------------------------------------------------------------------------------------
# The grammar's derivation, contexts carried beside the symbols


def _with(context: Mapping[str, Any], variables: Mapping, mapping: Mapping) -> dict[str, Any]:
    new = dict(context)
    new["variables"] = {**context["variables"], **variables}
    new["mapping"] = {**context["mapping"], **mapping}
    return new


def _assignments(expression: str, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """textgen's ``query``: one context per assignment of the condition's placeholders."""
    infos = context["entity_infos"]
    return [
        _with(context, {ph.name: infos[var.name] for ph, var in mapping.items()}, mapping)
        for mapping in context["state"].all_assignments(_query(expression), context["mapping"])
    ]


def _derive(grammar: Any, start: str, context: Mapping[str, Any]) -> str:
    """``ContextSensitiveGrammar.derive(start, context)``, same text, without re-parsing.

    textworld attaches a deep copy of the context to every symbol; here a derivation stack holds
    ``(symbol, context)`` pairs over the cached, shared symbols.
    """
    textgen = _modules().textgen
    stack = [(symbol, context) for symbol in reversed(_symbols(start))]
    derived: list[str] = []
    while stack:
        symbol, ctx = stack.pop()
        if isinstance(symbol, textgen.TerminalSymbol):
            derived.append(str(symbol))
        elif isinstance(symbol, textgen.NonterminalSymbol):
            stack.extend((s, ctx) for s in reversed(_expand(grammar, symbol, ctx)))
        elif isinstance(symbol, textgen.ConditionalSymbol):
            contexts = _assignments(symbol.given, ctx) if symbol.given else [ctx]
            stack.extend((symbol.expression, c) for c in reversed(contexts))
        elif isinstance(symbol, textgen.EvalSymbol):
            derived.append(str(_eval(symbol.expression, ctx)))
        elif isinstance(symbol, textgen.ListSymbol):
            stack.extend(reversed(_list(symbol, ctx)))
        else:
            raise NotImplementedError(f"Unknown symbol: {type(symbol)}")
    return "".join(derived)


def _expand(grammar: Any, symbol: Any, context: Mapping[str, Any]) -> tuple[Any, ...]:
    """The right-hand side of the first production of ``symbol`` whose condition holds."""
    rules = grammar._rules.get(str(symbol))
    if not rules:
        raise _modules().textgen.CSGUnknownSymbolError(symbol)
    state, mapping = context["state"], context["mapping"]
    for rule in rules:
        if not rule.condition or any(
            True for _ in state.all_assignments(_query(rule.condition), mapping)
        ):
            return tuple(rule.rhs)
    raise IndexError("list index out of range")  # what textworld raises: no applicable rule


def _eval(expression: str, context: Mapping[str, Any]) -> Any:
    # textgen evaluates in its own module's globals with its frame's locals (``context``) and the
    # variables as locals.
    return eval(expression, vars(_modules().textgen), {"context": context, **context["variables"]})


def _list(symbol: Any, context: Mapping[str, Any]) -> list[tuple[Any, Mapping[str, Any]]]:
    """A ``[...]`` list: the inner symbol's items joined by the grammar's list separators."""
    textgen = _modules().textgen
    inner = symbol.symbol
    if isinstance(inner, textgen.ConditionalSymbol):
        contexts = _assignments(inner.given, context) if inner.given else [context]
        items = [(inner.expression, c) for c in contexts]
    elif isinstance(inner, textgen.EvalSymbol):
        items = [(textgen.TerminalSymbol(_eval(inner.expression, context)), context)]
    else:
        raise AttributeError(f"{type(inner).__name__} object has no attribute 'derive'")
    if not items:
        return [(textgen.NonterminalSymbol("list_empty"), context)]
    if len(items) == 1:
        return items
    separator = (textgen.NonterminalSymbol("list_separator"), context)
    joined: list[tuple[Any, Mapping[str, Any]]] = []
    for item in items[:-1]:
        joined += [item, separator]
    joined[-1] = (textgen.NonterminalSymbol("list_last_separator"), context)
    joined.append(items[-1])
    return joined


# ---------------------------------------------------------------------------------------------
# Translations (PDDL -> SAS), cached in memory and on disk


def _cache_dir() -> Path:
    return cache_dir("alfworld", "sas")


_translations: OrderedDict[str, tuple[Any, str, str]] = OrderedDict()
_plans: OrderedDict[tuple[Any, ...], tuple[str, ...]] = OrderedDict()


def _translate(domain: str, problem: str) -> tuple[Any, str, str]:
    """fast-downward's translation of a game: ``(task, sas, sas_replan)``, as PddlState makes it.

    The translator is deterministic, so its result is cached: in memory for the last
    ``_MEMORY_TRANSLATIONS`` games, and on disk (zlib-compressed pickle under
    ``$XDG_CACHE_HOME/vlagent-envs/alfworld/sas``; a file that does not load is rebuilt).
    """
    key = hashlib.sha256(f"{_TRANSLATION_VERSION}\0{domain}\0{problem}".encode()).hexdigest()
    if key in _translations:
        _translations.move_to_end(key)
        return _translations[key]
    path = _cache_dir() / f"{key}.pkl.z"
    result = None
    if path.exists():
        try:
            result = pickle.loads(zlib.decompress(path.read_bytes()))
        except Exception as error:  # a truncated or foreign file: rebuild it
            logger.warning("rebuilding the unreadable translation cache %s (%s)", path, error)
    if result is None:
        fast_downward = _modules().fast_downward
        task, sas = fast_downward.pddl2sas(domain, problem, verbose=False)
        _, sas_replan = fast_downward.pddl2sas(domain, problem, verbose=False, optimize=True)
        result = (task, sas, sas_replan)
        _write_atomically(path, zlib.compress(pickle.dumps(result), 1))
    _translations[key] = result
    while len(_translations) > _MEMORY_TRANSLATIONS:
        _translations.popitem(last=False)
    return result


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as file:
            file.write(data)
        os.replace(file.name, path)
    except OSError as error:  # a read-only cache only costs time
        logger.warning("cannot write the translation cache %s: %s", path, error)


# ---------------------------------------------------------------------------------------------
# The engine


@functools.lru_cache(maxsize=1)
def _engine_classes() -> tuple[type, type]:
    """textworld's PddlState and PddlEnv, subclassed to use the caches above."""
    m = _modules()
    pddl_logic, textworld = m.pddl_logic, m.textworld
    Proposition, Variable = textworld.logic.Proposition, textworld.logic.Variable
    translate = m.fast_downward.translate

    class CachedPddlState(pddl_logic.PddlState):
        """``PddlState`` built from a cached translation (its ``__init__`` otherwise verbatim)."""

        def __init__(self, downward_lib: Any, pddl_problem: str, logic: Any) -> None:
            self._facts = defaultdict(set)
            self._vars_by_name = {}
            self._vars_by_type = defaultdict(set)
            self._var_counts = Counter()
            self._logic = logic
            self.downward_lib = downward_lib
            self.pddl_problem = pddl_problem
            self.task, self.sas, self.sas_replan = _translate(logic.domain, pddl_problem)
            self._actions = {a.name: a for a in self.task.actions}
            for type_ in self.task.types:
                with contextlib.suppress(ValueError):
                    self._logic.types.add(textworld.logic.Type(type_.name, type_.supertype_names))
            self.downward_lib.load_sas(self.sas.encode("utf-8"))
            self.downward_lib.load_sas_replan(self.sas_replan.encode("utf-8"))
            self.name2type = {o.name: o.type_name for o in self.task.objects}

            def as_proposition(atom: Any) -> Any:
                if isinstance(atom, translate.pddl.conditions.Atom):
                    if atom.predicate == "=":
                        return None
                    args = [Variable(arg, self.name2type[arg]) for arg in atom.args]
                    return Proposition(atom.predicate, args)
                if isinstance(atom, translate.pddl.f_expression.Assign):
                    if atom.fluent.symbol == "total-cost":
                        return None
                    name = f"{atom.expression.value}"
                    if str.isdigit(name):  # distances
                        return None
                    args = [Variable(arg, self.name2type[arg]) for arg in atom.fluent.args]
                    return Proposition(name, args)
                return None

            self.add_facts(filter(None, map(as_proposition, self.task.init)))
            atoms = (pddl_logic.Atom * self.downward_lib.get_state_size())()
            self.downward_lib.get_state(atoms)
            facts = (atom.get_fact(self.name2type) for atom in atoms)
            self.add_facts(fact for fact in facts if not fact.is_negation)

    class CachedPddlEnv(m.pddl_env.PddlEnv):
        """``PddlEnv`` whose texts come from ``_derive`` and whose states reuse translations."""

        def load(self, filename_or_data: str | Mapping) -> None:
            if isinstance(filename_or_data, Mapping):
                data, self._game_file = filename_or_data, None
            else:
                data, self._game_file = _read_game(filename_or_data), filename_or_data
            self._game_data = data
            self.walkthrough = data.get("walkthrough", None)
            self._logic = _game_logic(data["pddl_domain"], data["grammar"])
            self._pddl_state = CachedPddlState(self.downward_lib, data["pddl_problem"], self._logic)
            self._pristine = True  # no action applied to this state yet
            self._entity_infos = self._get_entity_infos()

        def _context(self, facts: list[Any], action: Any = None) -> dict[str, Any]:
            mapping = action.mapping if action is not None else {}
            return {
                "state": self._pddl_state,
                "facts": facts,
                "variables": {ph.name: self._entity_infos[v.name] for ph, v in mapping.items()},
                "mapping": mapping,
                "entity_infos": self._entity_infos,
            }

        def _gather_infos(self) -> None:
            state, pddl_state = self.state, self._pddl_state
            state["command_templates"] = sorted({a.template for a in self._logic.actions.values()})
            state["won"] = pddl_state.check_goal()
            state["lost"] = False
            state["_entity_infos"] = dict(self._entity_infos)
            state["_facts"] = facts = list(pddl_state.facts)
            if self.request_infos.facts:
                state["facts"] = list(map(self._get_human_readable_fact, state["_facts"]))
            state["last_action"] = None
            state["_last_action"] = self._last_action
            state["_valid_actions"] = list(pddl_state.all_applicable_actions())
            names = {k: info.name for k, info in self._entity_infos.items()}
            state["_valid_commands"] = []
            for action in state["_valid_actions"]:
                action.command_template = _derive(
                    self._logic.grammar, action.command_template, self._context(facts, action)
                )
                state["_valid_commands"].append(action.format_command(names))
            state["admissible_commands"] = sorted(set(state["_valid_commands"]))
            if self.request_infos.moves:
                state["moves"] = self._moves
            if self.request_infos.policy_commands:
                state["policy_commands"] = pddl_state.replan(self._entity_infos)

        def reset(self) -> Any:
            # textworld builds a new initial state on every reset; one no action has touched yet
            # (right after load, or a reset without steps) is that state already.
            if not self._pristine:
                data = self._game_data
                self._pddl_state = CachedPddlState(
                    self.downward_lib, data["pddl_problem"], self._logic
                )
                self._pristine = True
            self.prev_state = None
            self.state = textworld.core.GameState()
            self._last_action = None
            self._moves = 0
            self.state.feedback = _derive(
                self._logic.grammar, "#intro#", self._context(list(self._pddl_state.facts))
            )
            self.state.raw = self.state.feedback
            self._gather_infos()
            if "walkthrough" in self.request_infos.extras:
                walkthrough = self.walkthrough or self._pddl_state.replan(self._entity_infos)
                self.state["extra.walkthrough"] = walkthrough
            return self.state

        def step(self, command: str) -> tuple[Any, float, bool]:
            command = command.strip()
            self.prev_state = self.state
            self.state = textworld.core.GameState()
            self.state.last_command = command
            self._last_action = None
            try:
                index = self.prev_state["_valid_commands"].index(command)
            except ValueError:
                self.state.feedback = "Nothing happens."  # textworld's answer to any other text
            else:
                self._last_action = self.prev_state["_valid_actions"][index]
                self._pddl_state.apply(self._last_action)
                self._pristine = False
                context = self._context(list(self._pddl_state.facts), self._last_action)
                self.state.feedback = _derive(
                    self._logic.grammar, self._last_action.feedback_rule, context
                )
                self._moves += 1
            self.state.raw = self.state.feedback
            self._gather_infos()
            if "walkthrough" in self.request_infos.extras:
                self.state["extra.walkthrough"] = self.prev_state["extra.walkthrough"]
            self.state["score"] = 1 if self.state["won"] else 0
            self.state["done"] = self.state["won"] or self.state["lost"]
            return self.state, self.state["score"], self.state["done"]

    return CachedPddlState, CachedPddlEnv


def _read_game(path: str | os.PathLike) -> dict[str, Any]:
    """A ``game.tw-pddl`` file's JSON, or a :class:`GameFileError` naming the file."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        raise GameFileError(f"ALFWorld game file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise GameFileError(f"ALFWorld game file {path} is not valid JSON: {error}") from None
    missing = [
        key
        for key in ("pddl_domain", "grammar", "pddl_problem")
        if not isinstance(data, dict) or key not in data
    ]
    if missing:
        raise GameFileError(
            f"ALFWorld game file {path} lacks {', '.join(missing)}; a game.tw-pddl holds "
            "pddl_domain, grammar, pddl_problem, solvable and walkthrough"
        )
    return data


@dataclass(frozen=True)
class EngineState:
    """What the engine says after a reset or a step.

    Attributes:
        feedback: The engine's text (the whole intro after a reset).
        admissible_commands: Every command the engine accepts now, sorted.
        won: Whether the goal holds.
        valid: Whether the last command was admissible (``True`` after a reset).
    """

    feedback: str
    admissible_commands: tuple[str, ...]
    won: bool
    valid: bool


class AlfredEngine:
    """One ALFWorld text game played by textworld's PDDL engine with alfworld's names.

    The same pieces as ``AlfredTWEnv``'s (``PddlEnv`` wrapped by ``AlfredDemangler``), with the
    caches described in the module docstring. Entity names are demangled in sorted-id order as
    alfworld does without domain randomisation.

    Example:
        >>> engine = AlfredEngine()
        >>> state = engine.load("json_2.1.1/train/.../game.tw-pddl")  # doctest: +SKIP
        >>> state = engine.step("go to countertop 1")  # doctest: +SKIP
    """

    def __init__(self) -> None:
        m = _modules()
        _, env_class = _engine_classes()
        infos = m.textworld.EnvInfos(won=True, admissible_commands=True)
        self._env = m.AlfredDemangler(env_class(infos))
        self._core = self._env.unwrapped
        self._loaded: str | None = None
        self._game_digest = ""
        self._plan: list[str] | None = None
        self._plan_from: int = 0
        self._moves: list[str] = []

    @property
    def game_file(self) -> str | None:
        """The game file loaded last."""
        return self._loaded

    def load(self, game_file: str | os.PathLike) -> EngineState:
        """Load a ``game.tw-pddl`` (unless it is the one loaded) and start it.

        Raises:
            GameFileError: The file is missing, not JSON, lacks a game's keys, or its goal cannot
                be reached (textworld then fails to load it).
        """
        game_file = os.fspath(game_file)
        if game_file != self._loaded:
            try:
                self._env.load(game_file)
            except GameFileError:
                raise
            except KeyError as error:  # fast-downward found no relaxed plan: 'val1'
                raise GameFileError(
                    f"ALFWorld game {game_file} cannot be played: its goal is unreachable "
                    f"(fast-downward: no relaxed solution, {error!r})"
                ) from None
            self._loaded = game_file
            data = self._core._game_data
            self._game_digest = hashlib.sha256(
                (data["pddl_problem"] + data["grammar"]).encode()
            ).hexdigest()
        return self.reset()

    def reset(self) -> EngineState:
        """Start the loaded game again."""
        if self._loaded is None:
            raise RuntimeError("load a game before reset()")
        state = self._env.reset()
        walkthrough = self._core._game_data.get("walkthrough")
        self._plan = list(walkthrough) if isinstance(walkthrough, list) and walkthrough else None
        self._plan_from, self._moves = 0, []
        return EngineState(
            state.feedback, tuple(state["admissible_commands"]), bool(state["won"]), True
        )

    def step(self, command: str) -> EngineState:
        """Play ``command``; any text that is not admissible answers "Nothing happens."."""
        valid = command.strip() in self._core.state["_valid_commands"]
        state, _, _ = self._env.step(command)
        if valid:
            self._moves.append(command.strip())
        return EngineState(
            state.feedback, tuple(state["admissible_commands"]), bool(state["won"]), valid
        )

    @property
    def admissible_commands(self) -> tuple[str, ...]:
        return tuple(self._core.state["admissible_commands"])

    def plan(self) -> list[str]:
        """The engine's planner's plan from the current state (fast-downward; ``[]`` if none).

        The plan is what alfworld's planner expert (``extra.expert_plan``) gives. Replanning is a
        full search (seconds in a large kitchen), so a plan is reused while the moves follow it,
        plans are remembered per state (the game and the admissible moves played since the reset
        determine the state), and from the start the game's ``walkthrough`` is the plan when it
        has one (textworld's own ``extra.walkthrough`` is ``walkthrough or replan()``; the
        generated games store the planner's plan there). A plan whose next command is not
        admissible, or that ran out without a win, is replaced by a new search.
        """
        if self._plan is not None:
            done = self._moves[self._plan_from :]
            if done == self._plan[: len(done)]:
                rest = self._plan[len(done) :]
                state = self._core.state
                if rest and rest[0] in state["admissible_commands"] and not state["won"]:
                    return rest
        key = (self._loaded, self._game_digest, tuple(self._moves))
        if key in _plans:
            _plans.move_to_end(key)
            plan = _plans[key]
        else:
            plan = tuple(self._core._pddl_state.replan(self._core._entity_infos))
            _plans[key] = plan
            while len(_plans) > _MEMORY_PLANS:
                _plans.popitem(last=False)
        self._plan, self._plan_from = list(plan), len(self._moves)
        return list(plan)

    def facts(self) -> Iterable[Any]:
        """The current PDDL facts (textworld ``Proposition``s over lower-case PDDL ids)."""
        return self._core._pddl_state.facts

    def name(self, entity_id: str) -> str:
        """The display name of a PDDL id (``"apple 1"``)."""
        return self._core._entity_infos[entity_id].name

    @property
    def game_data(self) -> Mapping[str, Any]:
        """The loaded game's JSON (``pddl_domain``, ``grammar``, ``pddl_problem``, ...)."""
        return self._core._game_data

    def close(self) -> None:
        self._env.close()
