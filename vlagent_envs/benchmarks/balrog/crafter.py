"""``VLAgent/BALROG-Crafter-v0``: BALROG's Crafter, the 2-D survival world described in words.

The simulator is Danijar Hafner's ``crafter`` (PyPI ``crafter``, imported lazily); the text is
BALROG's describer (``balrog/environments/crafter/env.py``: status, inventory, the nearest object
of each kind in the local view, what the agent faces), written anew and vectorised with numpy so
it costs less than the simulator's own step.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar

import numpy as np

from vlagent_envs.core import ChoiceGrammar, InvalidActionPolicy, StepResult, VLAgentEnv
from vlagent_envs.core.deps import require

__all__ = ["ACHIEVEMENTS", "ACTIONS", "CrafterEnv", "describe_view"]

#: BALROG's action names, in crafter's action order (index i is crafter's action i).
ACTIONS: tuple[str, ...] = (
    "Noop",
    "Move West",
    "Move East",
    "Move North",
    "Move South",
    "Do",
    "Sleep",
    "Place Stone",
    "Place Table",
    "Place Furnace",
    "Place Plant",
    "Make Wood Pickaxe",
    "Make Stone Pickaxe",
    "Make Iron Pickaxe",
    "Make Wood Sword",
    "Make Stone Sword",
    "Make Iron Sword",
)
_CRAFTER_NAMES = (
    "noop",
    "move_left",
    "move_right",
    "move_up",
    "move_down",
    "do",
    "sleep",
    "place_stone",
    "place_table",
    "place_furnace",
    "place_plant",
    "make_wood_pickaxe",
    "make_stone_pickaxe",
    "make_iron_pickaxe",
    "make_wood_sword",
    "make_stone_sword",
    "make_iron_sword",
)
_ACTION_INDEX = {name: i for i, name in enumerate(ACTIONS)}

#: BALROG's short description of each action (its instruction prompt).
ACTION_DESCRIPTIONS: dict[str, str] = {
    "Noop": "do nothing",
    "Move West": "move west on flat ground",
    "Move East": "move east on flat ground",
    "Move North": "move north on flat ground",
    "Move South": "move south on flat ground",
    "Do": "Multiuse action to collect material, drink from lake and hit creature in front",
    "Sleep": "sleep when energy level is below maximum",
    "Place Stone": "place a stone in front",
    "Place Table": "place a table",
    "Place Furnace": "place a furnace",
    "Place Plant": "place a plant",
    "Make Wood Pickaxe": "craft a wood pickaxe with a nearby table and wood in inventory",
    "Make Stone Pickaxe": "craft a stone pickaxe with a nearby table, wood, and stone in inventory",
    "Make Iron Pickaxe": (
        "craft an iron pickaxe with a nearby table and furnace, wood, coal, and iron in inventory"
    ),
    "Make Wood Sword": "craft a wood sword with a nearby table and wood in inventory",
    "Make Stone Sword": "craft a stone sword with a nearby table, wood, and stone in inventory",
    "Make Iron Sword": (
        "craft an iron sword with a nearby table and furnace, wood, coal, and iron in inventory"
    ),
}

#: The 22 achievements in the order of BALROG's prompt (its progression counts them).
ACHIEVEMENTS: tuple[str, ...] = (
    "collect_wood",
    "place_table",
    "eat_cow",
    "collect_sapling",
    "collect_drink",
    "make_wood_pickaxe",
    "make_wood_sword",
    "place_plant",
    "defeat_zombie",
    "collect_stone",
    "place_stone",
    "eat_plant",
    "defeat_skeleton",
    "make_stone_pickaxe",
    "make_stone_sword",
    "wake_up",
    "place_furnace",
    "collect_coal",
    "collect_iron",
    "make_iron_pickaxe",
    "make_iron_sword",
    "collect_diamond",
)

_SYNONYMS: dict[str, str] = {
    **{crafter: balrog for crafter, balrog in zip(_CRAFTER_NAMES, ACTIONS)},
    **{crafter.replace("_", " "): balrog for crafter, balrog in zip(_CRAFTER_NAMES, ACTIONS)},
    "move left": "Move West",
    "move right": "Move East",
    "move up": "Move North",
    "move down": "Move South",
    "west": "Move West",
    "east": "Move East",
    "north": "Move North",
    "south": "Move South",
    "interact": "Do",
    "no-op": "Noop",
    "no op": "Noop",
}
_GRAMMAR = ChoiceGrammar(ACTIONS, synonyms=_SYNONYMS)

# Semantic ids: crafter's materials (index 0 = outside the map) then its object classes, as
# crafter's SemanticView numbers them; BALROG names the objects by their lower-cased class name.
_NAMES: tuple[str, ...] = (
    "nothing",
    "water",
    "grass",
    "stone",
    "path",
    "sand",
    "tree",
    "lava",
    "coal",
    "iron",
    "diamond",
    "table",
    "furnace",
    "player",
    "cow",
    "zombie",
    "skeleton",
    "arrow",
    "plant",
)
_ID = {name: i for i, name in enumerate(_NAMES)}
_OBJECT_CLASSES = ("Player", "Cow", "Zombie", "Skeleton", "Arrow", "Plant")
_SKIPPED = np.zeros(len(_NAMES), bool)
_SKIPPED[[_ID["nothing"], _ID["grass"], _ID["sand"], _ID["path"], _ID["player"]]] = True
_VITALS = ("health", "food", "drink", "energy")

_INSTRUCTION = "Your goal is to get as far as possible by completing all the achievements."


def _location(dx: int, dy: int) -> str:
    """BALROG's precise location of an offset: ``"1 step north and 4 steps west"``."""
    parts = []
    for distance, negative, positive in ((dy, "north", "south"), (dx, "west", "east")):
        if distance:
            plural = "s" if abs(distance) > 1 else ""
            parts.append(f"{abs(distance)} step{plural} {negative if distance < 0 else positive}")
    return " and ".join(parts) if parts else "at your location"


def _location_old(dx: int, dy: int) -> str:
    """BALROG's coarse location: ``"3 steps to your north-west"`` (Manhattan distance)."""
    names = ([] if dy == 0 else ["north" if dy < 0 else "south"]) + (
        [] if dx == 0 else ["west" if dx < 0 else "east"]
    )
    distance = abs(dx) + abs(dy)
    return f"{distance} step{'s' if distance > 1 else ''} to your {'-'.join(names)}"


def describe_view(
    semantic: np.ndarray, facing: tuple[int, int], precise_location: bool = True
) -> str:
    """BALROG's ``describe_env`` on the local semantic view (x by y, the player at its centre).

    ``semantic`` is the ``(view_x, view_y - 2)`` window around the player (BALROG's slice of
    crafter's semantic map; cells outside the world are 0, "nothing"). For each kind of object or
    material (grass, sand and path skipped; water only where it borders something else) the
    first cell in scan order (x, then y) with the smallest leading number of its location string
    is listed -- BALROG's ``unique_items`` rule, which compares the north/south distance when
    there is one (its quirk, kept).
    """
    width, height = semantic.shape
    cx, cy = width // 2, height // 2
    water = semantic == _ID["water"]
    # A water cell is an edge when a 4-neighbour inside the window is not water (BALROG's
    # binary_dilation of the non-water mask, outside the window counting as water).
    not_water = ~water
    edge = np.zeros_like(water)
    edge[1:, :] |= not_water[:-1, :]
    edge[:-1, :] |= not_water[1:, :]
    edge[:, 1:] |= not_water[:, :-1]
    edge[:, :-1] |= not_water[:, 1:]
    shown = ~_SKIPPED[semantic] & (~water | edge)
    xs, ys = np.nonzero(shown)
    dxs, dys = xs - cx, ys - cy
    if precise_location:
        keys = np.where(dys != 0, np.abs(dys), np.abs(dxs))
    else:
        keys = np.abs(dxs) + np.abs(dys)
    ids = semantic[xs, ys]
    best: dict[int, int] = {}
    for k, (item, key) in enumerate(zip(ids.tolist(), keys.tolist())):
        current = best.get(item)
        if current is None or key < keys[current]:
            best[item] = k
    locate = _location if precise_location else _location_old
    lines = [f"- {_NAMES[item]} {locate(int(dxs[k]), int(dys[k]))}" for item, k in best.items()]
    seen = "You see:\n" + "\n".join(lines) if lines else "You see nothing away from you."
    fx, fy = cx + facing[0], cy + facing[1]
    front = "nothing"
    if 0 <= fx < width and 0 <= fy < height:
        target = int(semantic[fx, fy])
        front = "nothing" if _SKIPPED[target] and target != _ID["player"] else _NAMES[target]
    return f"{seen}\n\nYou face {front} at your front."


def describe_inventory(inventory: dict[str, int]) -> str:
    """BALROG's ``describe_inventory``: the four vitals out of 9, then the non-zero items."""
    status = "Your status:\n" + "\n".join(f"- {v}: {inventory[v]}/9" for v in _VITALS)
    items = [f"- {name}: {n}" for name, n in inventory.items() if name not in _VITALS and n != 0]
    held = (
        "Your inventory:\n" + "\n".join(items) if items else "You have nothing in your inventory."
    )
    return f"{status}\n\n{held}"


_ENV_CLASS: Any = None


def _deterministic_env_class(crafter: Any) -> Any:
    """``crafter.Env`` with its creature balancing made reproducible.

    Every 10 steps crafter may despawn a creature of a chunk, drawn by index from a list built
    out of a ``set`` of objects -- whose order follows memory addresses, so the same seed and
    actions give different worlds in two processes (or after unpickling). Here the list is
    sorted by position first: the same uniform choice, now a function of the state.
    """
    global _ENV_CLASS
    if _ENV_CLASS is None:

        class DeterministicCrafterEnv(crafter.Env):
            def _balance_object(
                self, chunk, objs, cls, material, span_dist, despan_dist, *args, **kwargs
            ):
                ordered = sorted(objs, key=lambda obj: (int(obj.pos[0]), int(obj.pos[1])))
                return super()._balance_object(
                    chunk, ordered, cls, material, span_dist, despan_dist, *args, **kwargs
                )

        _ENV_CLASS = DeterministicCrafterEnv
    return _ENV_CLASS


class CrafterEnv(VLAgentEnv):
    """BALROG's Crafter: survive and unlock achievements in a procedurally generated 2-D world.

    Description:
        Crafter (Hafner, 2021) as BALROG evaluates it (``balrog/environments/crafter``): a
        64x64 world of grassland, forests, lakes, mountains with caves, coal, iron, diamonds and
        lava; cows, zombies (more at night) and skeletons in tunnels. The agent must keep health,
        food, drink and energy up and unlock the 22 achievements (collect wood, place a table,
        make a wood pickaxe, ... collect a diamond). The simulator is the ``crafter`` package
        itself, with BALROG's arguments (``area (64, 64)``, ``view (9, 9)``, ``size (256, 256)``,
        ``reward=True``).

    Action Space:
        Text: one of BALROG's 17 actions (``"Noop"``, ``"Move West"``, ``"Move East"``,
        ``"Move North"``, ``"Move South"``, ``"Do"``, ``"Sleep"``, ``"Place Stone"``, ``"Place
        Table"``, ``"Place Furnace"``, ``"Place Plant"``, ``"Make Wood Pickaxe"``, ``"Make Stone
        Pickaxe"``, ``"Make Iron Pickaxe"``, ``"Make Wood Sword"``, ``"Make Stone Sword"``,
        ``"Make Iron Sword"``), case-insensitive; crafter's own names (``move_left``, ``do``)
        are accepted too. Anything else plays ``"Noop"`` (BALROG's default action) and is
        counted as invalid.

    Observation Space:
        ``image``: crafter's 256x256 frame (the 9x7 local view and the inventory rows).
        ``text``: BALROG's current observation: the status (``- health: 9/9`` ...), the
        inventory, then ``You see:`` with the nearest object of each kind in the 9x7 view and its
        offset (``- tree 1 step north and 2 steps west``; grass, sand and path are not listed,
        water only at its edge), and ``You face ... at your front.``; while asleep or dead,
        BALROG's line saying so comes before ``You see``. Cells outside the world read as
        nothing (BALROG's slice wraps there). ``instruction``: BALROG's goal sentence.

    Rewards:
        Crafter's (``reward=True``): +1 for each achievement unlocked for the first time in the
        episode, plus the change of health divided by 10 every step.

    Starting State:
        A new world from a seed drawn from the env's generator (``reset(seed=s)`` fixes it), the
        player at its centre. As in BALROG, the first observation follows one ``Noop`` step.

    Episode End:
        Terminated when the player dies (health 0); truncated after 2000 steps (registered,
        BALROG's ``max_episode_steps``; crafter's own length limit is switched off).
        ``progress`` is BALROG's progression: achievements unlocked / 22. BALROG's Crafter has no
        success criterion; ``success`` is set only when all 22 are unlocked (progress 1.0), and
        the episode goes on (BALROG does not stop it).

    Arguments:
        area: World size (BALROG 64x64).
        view: Local view in cells, including the two inventory rows (BALROG 9x9).
        size: Image size in pixels, (width, height) (BALROG 256x256).
        precise_location: BALROG's location strings (``"1 step north and 2 steps west"``);
            ``False`` gives its older ``"3 steps to your north-west"``.

    Version History:
        v0: initial version (crafter 1.8.3).
    """

    default_invalid_action_policy: ClassVar[InvalidActionPolicy] = InvalidActionPolicy(
        "default", default_action="Noop"
    )
    grammar = _GRAMMAR

    def __init__(
        self,
        area: tuple[int, int] | list[int] = (64, 64),
        view: tuple[int, int] | list[int] = (9, 9),
        size: tuple[int, int] | list[int] = (256, 256),
        precise_location: bool = True,
        render_mode: str | None = None,
        invalid_action_policy: dict[str, Any] | str | None = None,
        max_action_length: int = 4096,
        max_text_length: int = 8192,
    ):
        self.area = (int(area[0]), int(area[1]))
        self.view = (int(view[0]), int(view[1]))
        self.size = (int(size[0]), int(size[1]))
        if min(self.area) < 9 or min(self.view) < 3 or min(self.size) < 16:
            raise ValueError(f"area, view or size too small: {area}, {view}, {size}")
        self.precise_location = bool(precise_location)
        self.image_shape = (self.size[1], self.size[0], 3)
        super().__init__(render_mode, invalid_action_policy, max_action_length, max_text_length)
        self._env: Any = None
        self._image: np.ndarray | None = None
        self._world_seed = 0

    # ------------------------------------------------------------------ simulator
    def _crafter(self) -> Any:
        if self._env is None:
            crafter = require("crafter", "balrog")
            # length=None: crafter never ends the episode itself; the registration's TimeLimit
            # truncates at BALROG's 2000 steps, so only death terminates.
            self._env = _deterministic_env_class(crafter)(
                area=self.area, view=self.view, size=self.size, reward=True, length=None, seed=0
            )
        return self._env

    def _reset(self, options: dict[str, Any] | None) -> str:
        env = self._crafter()
        self._world_seed = int(self.np_random.integers(2**31 - 1))
        # crafter seeds world k of an Env with hash((seed, k)); pin both so the world depends on
        # the drawn seed alone.
        env._seed, env._episode = self._world_seed, 0
        env.reset()
        # BALROG's reset plays one Noop to get crafter's info; do the same.
        return self._advance(0)[0]

    def _advance(self, index: int) -> tuple[str, float, bool]:
        obs, reward, done, _ = self._env.step(index)
        self._image = obs
        return self._describe(), float(reward), bool(done)

    def _step(self, action: str) -> StepResult:
        text, reward, dead = self._advance(_ACTION_INDEX[action])
        progress = self.achievements_unlocked() / len(ACHIEVEMENTS)
        return StepResult(
            reward=reward,
            terminated=dead,
            text=text,
            success=progress >= 1.0,
            progress=progress,
            info={"achievements": dict(self._env._player.achievements)},
        )

    def _idle(self, event: str) -> StepResult:
        # Crafter's clock runs on (hunger, thirst, fatigue, creatures): a no-op is a Noop step.
        result = self._step("Noop")
        result.text = f"{event}\n{result.text}"
        return result

    def achievements_unlocked(self) -> int:
        """How many of the 22 achievements this episode has unlocked."""
        if self._env is None or self._env._player is None:
            return 0
        return sum(1 for count in self._env._player.achievements.values() if count > 0)

    # ------------------------------------------------------------------ text
    def local_semantic(self) -> np.ndarray:
        """BALROG's window of crafter's semantic map: ``(view_x, view_y - 2)``, player centred.

        Built from the material and object maps of the window only (crafter's own semantic
        view walks every object of the world); cells outside the world are 0.
        """
        world, player = self._env._world, self._env._player
        wx, wy = self.view[0], self.view[1] - 2
        x0, y0 = int(player.pos[0]) - wx // 2, int(player.pos[1]) - wy // 2
        window = np.zeros((wx, wy), np.int64)
        ax0, ay0 = max(x0, 0), max(y0, 0)
        ax1, ay1 = min(x0 + wx, self.area[0]), min(y0 + wy, self.area[1])
        if ax0 < ax1 and ay0 < ay1:
            region = (slice(ax0 - x0, ax1 - x0), slice(ay0 - y0, ay1 - y0))
            window[region] = world._mat_map[ax0:ax1, ay0:ay1]
            objs = world._obj_map[ax0:ax1, ay0:ay1]
            ox, oy = np.nonzero(objs)
            if ox.size:
                table = self._object_ids()
                ids = [table[type(world._objects[i]).__name__] for i in objs[ox, oy].tolist()]
                window[ox + (ax0 - x0), oy + (ay0 - y0)] = ids
        return window

    @staticmethod
    def _object_ids() -> dict[str, int]:
        return {name: _ID[name.lower()] for name in _OBJECT_CLASSES}

    def _describe(self) -> str:
        player = self._env._player
        if player.sleeping:
            status = "You are sleeping, and will not be able take actions until energy is full.\n\n"
        elif player.health <= 0:
            status = "You died.\n\n"
        else:
            status = ""
        facing = (int(player.facing[0]), int(player.facing[1]))
        scene = describe_view(self.local_semantic(), facing, self.precise_location)
        # BALROG's "Current Observation": short-term context (status, inventory), a newline,
        # then the long-term context (sleeping/dead line, what is seen and faced).
        return f"{describe_inventory(player.inventory)}\n{status}{scene}"

    @property
    def instruction(self) -> str:
        return _INSTRUCTION

    @property
    def task_prompt(self) -> str:
        actions = ",\n".join(f"{a}: {ACTION_DESCRIPTIONS[a]}" for a in ACTIONS)
        achievements = "\n".join(
            f"{i}. {name.replace('_', ' ').title()}" for i, name in enumerate(ACHIEVEMENTS, 1)
        )
        return (
            "You are an agent playing Crafter. The following are the only valid actions you can "
            "take in the game, followed by a short description of each action:\n\n"
            f"{actions}.\n\nThese are the game achievements you can get:\n{achievements}\n\n"
            "In a moment I will present a history of actions and observations from the game.\n"
            f"{_INSTRUCTION}\n\nPLAY!\n\n"
            "You always have to output one of the above actions at a time and no other text. "
            'You may also answer {"thoughts": "...", "action": "<one of the actions>"}.'
        )

    # ------------------------------------------------------------------ image
    def _render_image(self) -> np.ndarray:
        if self._image is None:
            return np.zeros(self.image_shape, np.uint8)
        # Crafter renders inside step() (drawing night noise from the world's generator), so the
        # frame is kept rather than rendered again: looking must not change the world.
        return self._image.copy()

    # ------------------------------------------------------------------ scripted policy
    def expert_action(self) -> str | None:
        """A scripted survival-and-crafting policy reading the simulator state (deterministic).

        See :class:`CrafterExpert`: breadth-first paths over the world map to trees, water,
        cows, stone, coal, iron and diamonds; tables, furnaces and tools in the tech-tree order;
        drinking, eating and sleeping when a vital runs low; fighting adjacent monsters.
        """
        if self._env is None or self._env._player is None:
            return None
        return CrafterExpert(self._env).act()

    # ------------------------------------------------------------------ pickling
    _VIEWS: ClassVar[tuple[str, ...]] = ("_textures", "_local_view", "_item_view", "_sem_view")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        env = state.pop("_env")
        if env is not None:
            # The textures and views are rebuilt on unpickling; the world, player and counters
            # travel.
            state["_crafter_state"] = {
                k: v for k, v in env.__dict__.items() if k not in self._VIEWS
            }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        crafter_state = state.pop("_crafter_state", None)
        self.__dict__.update(state)
        self._env = None
        if crafter_state is not None:
            crafter = require("crafter", "balrog")
            env = self._crafter()
            env.__dict__.update(crafter_state)
            items = int(np.ceil(len(crafter.constants.items) / env._view[0]))
            env._local_view = crafter.engine.LocalView(
                env._world, env._textures, [env._view[0], env._view[1] - items]
            )
            env._item_view = crafter.engine.ItemView(env._textures, [env._view[0], items])
            objects = crafter.objects
            env._sem_view = crafter.engine.SemanticView(
                env._world,
                [
                    objects.Player,
                    objects.Cow,
                    objects.Zombie,
                    objects.Skeleton,
                    objects.Arrow,
                    objects.Plant,
                ],
            )

    def close(self) -> None:
        self._env = None
        super().close()


# ---------------------------------------------------------------------- the scripted policy
_MOVES = {(-1, 0): "Move West", (1, 0): "Move East", (0, -1): "Move North", (0, 1): "Move South"}
_DIRS = tuple(_MOVES)
_WALKABLE = frozenset((_ID["grass"], _ID["sand"], _ID["path"]))


class CrafterExpert:
    """One decision of the scripted policy from a crafter ``Env``'s state.

    Priorities, first that applies: keep still while asleep; hit an adjacent zombie or skeleton;
    drink / eat / sleep when a vital is low; then the tech tree (wood, table, wood pickaxe and
    sword, sapling and plant, stone, stone tools, furnace, coal, iron, iron tools, diamond), the
    one-off achievements (drink, eat a cow, place stone, sleep and wake up, fight a zombie and a
    skeleton, eat the ripe plant). Paths are breadth-first over the world map; with a pickaxe
    they may cut through stone (and coal, iron with a stone pickaxe); lava is never entered.
    """

    def __init__(self, env: Any):
        self.env = env
        self.world = env._world
        self.player = env._player
        self.inv = self.player.inventory
        self.done = {k for k, v in self.player.achievements.items() if v > 0}
        self.mat = self.world._mat_map
        self.pos = (int(self.player.pos[0]), int(self.player.pos[1]))
        self.facing = (int(self.player.facing[0]), int(self.player.facing[1]))
        self.objects = [obj for obj in self.world._objects if obj]
        self.costs = require("crafter", "balrog").constants

    # -- helpers
    def _kind(self, name: str) -> list[tuple[int, int]]:
        return [(int(o.pos[0]), int(o.pos[1])) for o in self.objects if type(o).__name__ == name]

    def _front(self) -> tuple[int, int]:
        return self.pos[0] + self.facing[0], self.pos[1] + self.facing[1]

    def _inside(self, cell: tuple[int, int]) -> bool:
        return 0 <= cell[0] < self.mat.shape[0] and 0 <= cell[1] < self.mat.shape[1]

    def _material(self, cell: tuple[int, int]) -> int:
        return int(self.mat[cell]) if self._inside(cell) else -1

    def _free(self, cell: tuple[int, int]) -> bool:
        return (
            self._inside(cell)
            and int(self.mat[cell]) in _WALKABLE
            and self.world._obj_map[cell] == 0
        )

    def _nearby(self, name: str, distance: int = 1) -> bool:
        x, y = self.pos
        region = self.mat[
            max(x - distance, 0) : x + distance + 1, max(y - distance, 0) : y + distance + 1
        ]
        return bool((region == _ID[name]).any())

    def _has(self, uses: dict[str, int]) -> bool:
        return all(self.inv[k] >= v for k, v in uses.items())

    def _closest_enemy(self, limit: int) -> tuple[int, int] | None:
        best, best_d = None, limit + 1
        for cell in self._kind("Zombie") + self._kind("Skeleton"):
            d = abs(cell[0] - self.pos[0]) + abs(cell[1] - self.pos[1])
            if d < best_d:
                best, best_d = cell, d
        return best

    def _face_and(self, cell: tuple[int, int], action: str) -> str:
        """``action`` if facing the adjacent ``cell``, else turn to it (it is not free)."""
        d = (cell[0] - self.pos[0], cell[1] - self.pos[1])
        return action if d == self.facing else _MOVES[d]

    def _goto(self, targets: set[tuple[int, int]], action: str = "Do") -> str | None:
        """Step towards the nearest cell next to a target; ``action`` once facing one."""
        if not targets:
            return None
        front = self._front()
        if front in targets:
            return action
        for d in _DIRS:
            cell = (self.pos[0] + d[0], self.pos[1] + d[1])
            if cell in targets:
                return _MOVES[d]  # the target blocks the way: this turns towards it
        mineable = {_ID["stone"], _ID["coal"]} if self.inv["wood_pickaxe"] else set()
        if self.inv["stone_pickaxe"]:
            mineable.add(_ID["iron"])
        if self.inv["iron_pickaxe"]:
            mineable.add(_ID["diamond"])
        width, height = self.mat.shape
        start = self.pos
        first: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
        queue = deque([start])
        obj_map = self.world._obj_map
        mat = self.mat
        while queue:
            cell = queue.popleft()
            for d in _DIRS:
                nxt = (cell[0] + d[0], cell[1] + d[1])
                if nxt in first or not (0 <= nxt[0] < width and 0 <= nxt[1] < height):
                    continue
                if nxt in targets:
                    step = first[cell] or d
                    return self._step_towards(step)
                material = int(mat[nxt])
                if material in _WALKABLE:
                    if obj_map[nxt] and nxt not in targets:
                        continue
                elif material not in mineable:
                    continue
                first[nxt] = first[cell] or d
                queue.append(nxt)
        return None

    def _step_towards(self, d: tuple[int, int]) -> str:
        cell = (self.pos[0] + d[0], self.pos[1] + d[1])
        if self._free(cell) or d != self.facing:
            return _MOVES[d]
        # Facing a blocking cell on the path: mine it (stone, coal, iron) or wait for a creature.
        return "Do" if self._material(cell) not in _WALKABLE else "Noop"

    def _cells(self, name: str) -> set[tuple[int, int]]:
        xs, ys = np.nonzero(self.mat == _ID[name])
        return set(zip(xs.tolist(), ys.tolist()))

    def _place(self, action: str, where: tuple[str, ...]) -> str:
        front = self._front()
        ok = {_ID[w] for w in where}
        if self._inside(front) and self._material(front) in ok and not self.world._obj_map[front]:
            return action
        for d in _DIRS:
            cell = (self.pos[0] + d[0], self.pos[1] + d[1])
            if self._free(cell) and self._material(cell) in ok:
                return _MOVES[d]  # walks there (never onto lava); the next cell is tried then
        return self._wander()

    def _wander(self) -> str:
        for d in _DIRS:
            if self._free((self.pos[0] + d[0], self.pos[1] + d[1])):
                return _MOVES[d]
        return "Do"

    def _craft(self, action: str, needs: tuple[str, ...]) -> str | None:
        if all(self._nearby(n) for n in needs):
            return action
        missing = [n for n in needs if not self._nearby(n)]
        near = {n: self._cells(n) for n in missing}
        # A station within a short walk is reused; otherwise a new one is placed here.
        for name in missing:
            cells = {
                c for c in near[name] if abs(c[0] - self.pos[0]) + abs(c[1] - self.pos[1]) < 12
            }
            if cells:
                return self._goto(cells, "Noop")
        name = missing[0]
        uses = self.costs.place[name]["uses"]
        if self._has(uses):
            return self._place(f"Place {name.title()}", tuple(self.costs.place[name]["where"]))
        return None

    # -- the policy
    def act(self) -> str:
        if self.player.sleeping:
            return "Noop"
        for d in _DIRS:
            cell = (self.pos[0] + d[0], self.pos[1] + d[1])
            obj = self.world[cell][1] if self._inside(cell) else None
            if type(obj).__name__ in ("Zombie", "Skeleton"):
                return self._face_and(cell, "Do")
        enemy = self._closest_enemy(6)
        if enemy is not None and self.player.health <= 4:
            return self._flee(enemy)
        for check in (self._survive, self._progress, self._fight, self._explore):
            action = check(enemy)
            if action is not None:
                return action
        return "Noop"

    def _flee(self, enemy: tuple[int, int]) -> str:
        """Step away from ``enemy`` (off grass, where zombies live, when possible)."""
        best, best_key = None, None
        for d in _DIRS:
            cell = (self.pos[0] + d[0], self.pos[1] + d[1])
            if not self._free(cell):
                continue
            key = (
                abs(cell[0] - enemy[0]) + abs(cell[1] - enemy[1]),
                self._material(cell) != _ID["grass"],
            )
            if best_key is None or key > best_key:
                best, best_key = d, key
        if best is None:
            return "Noop"
        ahead = self._front()
        toward = abs(ahead[0] - enemy[0]) + abs(ahead[1] - enemy[1]) < abs(
            self.pos[0] - enemy[0]
        ) + abs(self.pos[1] - enemy[1])
        if toward and self.inv["stone"] and self._free(ahead):
            return "Place Stone"  # wall off the side the monster comes from
        return _MOVES[best]

    def _survive(self, enemy: tuple[int, int] | None) -> str | None:
        inv = self.inv
        if inv["drink"] <= 4 or ("collect_drink" not in self.done and inv["drink"] < 9):
            action = self._goto(self._cells("water"))
            if action is not None:
                return action
        if inv["food"] <= 4 or "eat_cow" not in self.done:
            plants = {c for c, o in self._plants() if o.ripe}
            action = self._goto(set(self._kind("Cow")) | plants)
            if action is not None:
                return action
        if enemy is None and (
            inv["energy"] <= 3 or ("wake_up" not in self.done and inv["energy"] < 9)
        ):
            return "Sleep"
        return None

    def _plants(self) -> list[tuple[tuple[int, int], Any]]:
        return [
            ((int(o.pos[0]), int(o.pos[1])), o) for o in self.objects if type(o).__name__ == "Plant"
        ]

    def _progress(self, enemy: tuple[int, int] | None) -> str | None:
        inv, done, costs = self.inv, self.done, self.costs
        wood_for = {
            "wood_pickaxe": 1,
            "wood_sword": 1,
            "stone_pickaxe": 1,
            "stone_sword": 1,
            "iron_pickaxe": 1,
            "iron_sword": 1,
        }
        wood_needed = sum(v for k, v in wood_for.items() if not inv[k])
        if wood_needed and "place_table" not in done:
            wood_needed += costs.place["table"]["uses"]["wood"]
        if inv["wood"] < min(wood_needed, 9) and (
            inv["wood"] < 2 or not (inv["wood_pickaxe"] and inv["wood_sword"])
        ):
            return self._goto(self._cells("tree"))
        if "place_table" not in done:
            return self._place("Place Table", tuple(costs.place["table"]["where"]))
        for tool in ("wood_pickaxe", "wood_sword"):
            if not inv[tool] and self._has(costs.make[tool]["uses"]):
                action = self._craft(f"Make {tool.replace('_', ' ').title()}", ("table",))
                if action is not None:
                    return action
        if "collect_sapling" not in done and not inv["sapling"]:
            front = self._front()
            if self._material(front) == _ID["grass"] and self.world._obj_map[front] == 0:
                return "Do"
            return self._goto(self._cells("grass") - {self.pos}, "Do")
        if inv["sapling"] and "place_plant" not in done:
            return self._place("Place Plant", ("grass",))
        if not inv["wood_pickaxe"]:
            return self._goto(self._cells("tree"))
        stone_needed = 1 + 1 + costs.place["furnace"]["uses"]["stone"] + 1
        if inv["stone"] < min(stone_needed, 9) and "place_furnace" not in done:
            return self._goto(self._cells("stone"))
        if "place_stone" not in done and inv["stone"]:
            return self._place("Place Stone", tuple(costs.place["stone"]["where"]))
        for tool in ("stone_pickaxe", "stone_sword"):
            if not inv[tool]:
                if inv["wood"] < 1:
                    return self._goto(self._cells("tree"))
                if inv["stone"] < 1:
                    return self._goto(self._cells("stone"))
                action = self._craft(f"Make {tool.replace('_', ' ').title()}", ("table",))
                if action is not None:
                    return action
        if "place_furnace" not in done:
            if inv["stone"] < costs.place["furnace"]["uses"]["stone"]:
                return self._goto(self._cells("stone"))
            if self._nearby("table"):
                return self._place("Place Furnace", tuple(costs.place["furnace"]["where"]))
            return self._craft("Place Furnace", ("table",))
        for tool in ("iron_pickaxe", "iron_sword"):
            if inv[tool]:
                continue
            for item, name in (("wood", "tree"), ("coal", "coal"), ("iron", "iron")):
                if inv[item] < 1:
                    action = self._goto(self._cells(name))
                    if action is not None:
                        return action
                    break
            else:
                action = self._craft(f"Make {tool.replace('_', ' ').title()}", ("table", "furnace"))
                if action is not None:
                    return action
        if inv["iron_pickaxe"] and "collect_diamond" not in done:
            action = self._goto(self._cells("diamond"))
            if action is not None:
                return action
        ripe = {c for c, o in self._plants() if o.ripe}
        if ripe and "eat_plant" not in done:
            return self._goto(ripe)
        return None

    def _fight(self, enemy: tuple[int, int] | None) -> str | None:
        inv, done = self.inv, self.done
        armed = inv["wood_sword"] or inv["stone_sword"] or inv["iron_sword"]
        if not armed or inv["health"] < 7:
            return None
        wanted = set()
        if "defeat_zombie" not in done:
            wanted |= set(self._kind("Zombie"))
        if "defeat_skeleton" not in done and inv["stone_sword"]:
            wanted |= set(self._kind("Skeleton"))
        return self._goto(wanted)

    def _explore(self, enemy: tuple[int, int] | None) -> str | None:
        # Nothing left to do: stay near a growing plant (it grows only near the player), else
        # keep still.
        plants = [c for c, _ in self._plants()]
        if plants and "eat_plant" not in self.done:
            target = min(plants, key=lambda c: abs(c[0] - self.pos[0]) + abs(c[1] - self.pos[1]))
            if abs(target[0] - self.pos[0]) + abs(target[1] - self.pos[1]) > 4:
                return self._goto({target}, "Noop")
        return "Noop"
