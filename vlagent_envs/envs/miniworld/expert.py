"""The scripted MiniWorld expert: plans on the simulator's floor plan and steers there.

It reads the simulator state -- wall segments, entity positions and radii, the agent's pose --
never the image. Each objective becomes an occupancy grid of where the agent's centre may be
(clear of walls and obstacles by the agent's radius, plus forbidden rooms such as Sidewalk's
street), a breadth-first distance field to the cells from which the objective can be completed,
and a controller: follow the steepest descent of the field up to 8 m ahead, aim at the furthest
point of it still in a straight line of free cells, turn until facing that point within half a
turn step, then move forward; a move MiniWorld would block (checked with its own collision
test) becomes a detour. Close to a target, with no wall between, it aims at the target itself;
it picks up when MiniWorld's own pick-up test would hit a target, and drops when the carried box
would be next to the other one. It always faces where it goes, so its episodes show the way.

The grid's resolution adapts to the floor plan (at most ~15,000 cells; 0.1 m for OneRoom), the
field is computed once per objective and episode (a few milliseconds; tens for the 8x8 Maze).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["NavigationExpert", "Objective", "distance_field"]

_MAX_CELLS = 15_000
_MIN_RESOLUTION = 0.1
_LOOKAHEAD_M = 8.0
_NEIGHBOURS = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))


@dataclass(frozen=True)
class Objective:
    """What the expert should do now.

    Attributes:
        kind: ``"reach"`` (come near a target), ``"pick_up"`` (pick a target up) or
            ``"put_next"`` (drop the carried object next to the target).
        targets: The candidate target entities (the nearest reachable one is taken).
        avoid: Entities whose touch ends the episode badly: kept clear of by a step's margin.
        forbidden_rooms: Rooms the agent must not enter.
    """

    kind: str
    targets: tuple[Any, ...]
    avoid: tuple[Any, ...] = ()
    forbidden_rooms: tuple[Any, ...] = ()


def _dilate(mask: np.ndarray, diagonal: bool) -> np.ndarray:
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    if diagonal:
        out[1:, 1:] |= mask[:-1, :-1]
        out[1:, :-1] |= mask[:-1, 1:]
        out[:-1, 1:] |= mask[1:, :-1]
        out[:-1, :-1] |= mask[1:, 1:]
    return out


def distance_field(free: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Steps from each free cell to the nearest source cell through free cells (``inf`` if none).

    A breadth-first wavefront alternating 4- and 8-neighbour growth, so distances follow an
    octagonal metric (within 8% of Euclidean); every reached cell has a neighbour one step
    closer.
    """
    dist = np.full(free.shape, np.inf, dtype=np.float32)
    frontier = sources & free
    reached = frontier.copy()
    step = 0
    while frontier.any():
        dist[frontier] = step
        frontier = _dilate(frontier, diagonal=step % 2 == 1) & free & ~reached
        reached |= frontier
        step += 1
    return dist


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _flat(pos: Any) -> np.ndarray:
    return np.array([pos[0], pos[2]], dtype=float)


@dataclass
class _Plan:
    key: tuple
    x0: float
    z0: float
    res: float
    free: np.ndarray
    dist: np.ndarray
    xs: np.ndarray = field(repr=False)
    zs: np.ndarray = field(repr=False)

    def cell(self, point: np.ndarray) -> tuple[int, int]:
        col = int(np.clip((point[0] - self.x0) / self.res, 0, self.free.shape[1] - 1))
        row = int(np.clip((point[1] - self.z0) / self.res, 0, self.free.shape[0] - 1))
        return row, col

    def center(self, row: int, col: int) -> np.ndarray:
        return np.array([self.xs[col], self.zs[row]])

    def visible(self, a: np.ndarray, points: np.ndarray, skip: float = 0.0) -> np.ndarray:
        """For each of ``points`` (N, 2): is every cell on the segment from ``a`` free?

        Cells within ``skip`` metres of ``a`` are not looked at.
        """
        offsets = points - a[None, :]
        lengths = np.linalg.norm(offsets, axis=1)
        count = max(2, int(lengths.max(initial=0.0) / (self.res / 2)) + 1)
        t = np.linspace(0.0, 1.0, count)
        samples = a[None, None, :] + t[None, :, None] * offsets[:, None, :]
        cols = ((samples[..., 0] - self.x0) / self.res).astype(int)
        rows = ((samples[..., 1] - self.z0) / self.res).astype(int)
        np.clip(cols, 0, self.free.shape[1] - 1, out=cols)
        np.clip(rows, 0, self.free.shape[0] - 1, out=rows)
        ok = self.free[rows, cols] | (t[None, :] * lengths[:, None] <= skip)
        return ok.all(axis=1)


class NavigationExpert:
    """The scripted solver of the MiniWorld envs (``MiniWorldEnv.expert_action``).

    Its actions are ``turn left``, ``turn right``, ``move forward``, ``pick up`` and ``drop``:
    it always faces where it goes, so its trajectories show the way (demonstrations a policy
    that sees only the image can learn from).
    """

    def __init__(self) -> None:
        self._plan: _Plan | None = None
        self._last_action = ""
        self._detour: float | None = None  # a heading to turn to, then move forward

    def reset(self) -> None:
        """Forget the plan (a new episode)."""
        self._plan = None
        self._last_action = ""
        self._detour = None

    # ------------------------------------------------------------------ the controller
    def act(self, sim: Any, objective: Objective) -> str:
        """The next action towards ``objective`` in ``sim``'s current state."""
        action = self._decide(sim, objective)
        self._last_action = action
        return action

    def _decide(self, sim: Any, objective: Objective) -> str:
        agent = sim.agent
        here = _flat(agent.pos)
        if not objective.targets:
            return "turn left"
        if objective.kind == "pick_up" and agent.carrying is None:
            probe = agent.pos + agent.dir_vec * 1.5 * agent.radius
            if sim.intersect(agent, probe, 1.2 * agent.radius) in objective.targets:
                return "pick up"
        if objective.kind == "put_next" and agent.carrying is not None:
            carried, target = agent.carrying, objective.targets[0]
            gap = np.linalg.norm(_flat(carried.pos) - _flat(target.pos))
            if gap < carried.radius + target.radius + 1.1 * sim.max_forward_step:
                return "drop"
        nearest = min(objective.targets, key=lambda t: np.linalg.norm(_flat(t.pos) - here))
        goal = _flat(nearest.pos)
        plan = None
        near = np.linalg.norm(goal - here) < self._finish_radius(sim, objective, nearest)
        if not near or _wall_between(sim, here, goal):
            plan = self._planned(sim, objective)
            waypoint = self._waypoint(plan, here) if plan is not None else None
            goal = goal if waypoint is None else waypoint
        return self._steer(sim, goal, plan)

    def _steer(self, sim: Any, point: np.ndarray, plan: _Plan | None) -> str:
        """Turn towards ``point``, else move forward (the agent always faces where it goes).

        A turn is taken when the bearing is off by more than half a turn step; once moving, the
        agent keeps going until it is off by 80% of a step, so a bearing that falls between two
        reachable headings does not make it turn left and right in alternation. A move that
        MiniWorld would block is replaced by a detour: the nearest heading from which a move
        still gets closer (along the plan's distance field, or straight to ``point``).
        """
        agent = sim.agent
        turn = math.radians(sim.params.sample(None, "turn_step"))
        if self._detour is not None:
            error = _wrap(self._detour - agent.dir)
            if abs(error) > turn / 2:
                return "turn left" if error > 0 else "turn right"
            self._detour = None
            if self._can_move(sim, agent.dir):
                return "move forward"
        delta = point - _flat(agent.pos)
        error = _wrap(math.atan2(-delta[1], delta[0]) - agent.dir)
        moving = self._last_action == "move forward"
        if abs(error) > (0.8 if moving else 0.5) * turn + 1e-6:
            return "turn left" if error >= 0 else "turn right"
        if self._can_move(sim, agent.dir):
            return "move forward"
        self._detour = self._find_detour(sim, point, turn, plan)
        if self._detour is None:
            return "turn left" if error >= 0 else "turn right"
        return self._steer(sim, point, plan)

    @staticmethod
    def _can_move(sim: Any, heading: float) -> bool:
        """Would MiniWorld let the agent (and what it carries) move forward from ``heading``?"""
        agent = sim.agent
        direction = np.array([math.cos(heading), 0.0, -math.sin(heading)])
        target = agent.pos + direction * sim.params.sample(None, "forward_step")
        if sim.intersect(agent, target, agent.radius):
            return False
        carried = agent.carrying
        if carried is None:
            return True
        reach = agent.radius + carried.radius + sim.max_forward_step
        carry = target + direction * 1.05 * reach
        carry[1] = carried.pos[1]
        return not sim.intersect(carried, carry, carried.radius)

    def _find_detour(
        self, sim: Any, point: np.ndarray, turn: float, plan: _Plan | None
    ) -> float | None:
        """The nearest heading from which a move makes progress; the least bad one otherwise."""
        agent = sim.agent
        here = _flat(agent.pos)
        step = sim.params.sample(None, "forward_step")

        def cost(position: np.ndarray) -> float:
            if plan is not None:
                row, col = plan.cell(position)
                value = float(plan.dist[row, col])
                if np.isfinite(value):
                    return value * plan.res
                row, col = self._nearest_reachable(plan, row, col)
                if row >= 0:  # off the free cells: via the nearest reachable one
                    offset = float(np.linalg.norm(plan.center(row, col) - position))
                    return float(plan.dist[row, col]) * plan.res + offset
            return float(np.linalg.norm(point - position))

        before = cost(here)
        fallback: tuple[float, float] | None = None
        for k in range(1, round(math.pi / turn) + 1):
            for heading in (agent.dir + k * turn, agent.dir - k * turn):
                if not self._can_move(sim, heading):
                    continue
                after = cost(here + step * np.array([math.cos(heading), -math.sin(heading)]))
                if after < before - 0.2 * step:
                    return heading
                if fallback is None or after < fallback[0]:
                    fallback = (after, heading)
        return None if fallback is None else fallback[1]

    @staticmethod
    def _carry_distance(sim: Any) -> float:
        agent = sim.agent
        carried = agent.carrying
        return 1.05 * (agent.radius + carried.radius + sim.max_forward_step)

    def _finish_radius(self, sim: Any, objective: Objective, target: Any) -> float:
        """Within this distance of ``target`` (and no wall between) it aims at it directly."""
        return self._done_radius(sim, objective, target) + 0.3

    def _done_radius(self, sim: Any, objective: Objective, target: Any) -> float:
        """Within this distance of ``target`` the objective can be completed."""
        agent = sim.agent
        if objective.kind == "pick_up":
            # MiniWorld picks up what a circle of 1.2 radii, 1.5 radii ahead, touches.
            return 2.7 * agent.radius + target.radius - 0.1
        if objective.kind == "put_next":
            carried = agent.carrying
            return self._carry_distance(sim) + carried.radius + target.radius + 0.1
        return agent.radius + target.radius + 1.1 * sim.max_forward_step - 0.02

    def _waypoint(self, plan: _Plan, here: np.ndarray) -> np.ndarray | None:
        """The furthest point of the descent path in a straight line of free cells."""
        row, col = plan.cell(here)
        if not np.isfinite(plan.dist[row, col]):
            row, col = self._nearest_reachable(plan, row, col)
            if row < 0:
                return None
        path = [(row, col)]
        rows, cols = plan.dist.shape
        for _ in range(int(_LOOKAHEAD_M / plan.res)):
            r, c = path[-1]
            best, best_value = None, plan.dist[r, c]
            for dr, dc in _NEIGHBOURS:
                nr, nc = r + dr, c + dc
                if 0 <= nr < rows and 0 <= nc < cols and plan.dist[nr, nc] < best_value:
                    best, best_value = (nr, nc), plan.dist[nr, nc]
            if best is None:
                break
            path.append(best)
        if len(path) == 1:
            return plan.center(*path[0])
        cells = np.array(path[1:])
        points = np.stack([plan.xs[cells[:, 1]], plan.zs[cells[:, 0]]], axis=1)
        # The agent may stand in the safety margin of a wall: ignore the cells right around it.
        visible = plan.visible(here, points, skip=2.0 * plan.res)
        index = int(np.flatnonzero(visible)[-1]) if visible.any() else 0
        return points[index]

    @staticmethod
    def _nearest_reachable(plan: _Plan, row: int, col: int, radius: int = 8) -> tuple[int, int]:
        r0, r1 = max(0, row - radius), min(plan.dist.shape[0], row + radius + 1)
        c0, c1 = max(0, col - radius), min(plan.dist.shape[1], col + radius + 1)
        window = plan.dist[r0:r1, c0:c1]
        if not np.isfinite(window).any():
            return -1, -1
        rr, cc = np.mgrid[r0:r1, c0:c1]
        score = np.where(np.isfinite(window), np.hypot(rr - row, cc - col), np.inf)
        index = np.unravel_index(int(np.argmin(score)), score.shape)
        return int(rr[index]), int(cc[index])

    # ------------------------------------------------------------------ planning
    def _planned(self, sim: Any, objective: Objective) -> _Plan | None:
        agent = sim.agent
        moving = [e for e in sim.entities if e is not agent and not e.is_static]
        key = (
            id(sim),
            objective.kind,
            tuple(id(t) for t in objective.targets),
            tuple((id(e), round(float(e.pos[0]), 3), round(float(e.pos[2]), 3)) for e in moving),
            id(sim.wall_segs),
        )
        if self._plan is not None and self._plan.key == key:
            return self._plan
        here = _flat(agent.pos)
        plan = None
        for cautious in (True, False):
            plan = self._make_plan(sim, objective, key, cautious)
            row, col = plan.cell(here)
            if np.isfinite(plan.dist[row, col]) or self._nearest_reachable(plan, row, col)[0] >= 0:
                break
        self._plan = plan
        return plan

    def _bounds(self, sim: Any, objective: Objective) -> tuple[float, float, float, float]:
        rooms = [r for r in sim.rooms if not any(r is f for f in objective.forbidden_rooms)]
        margin = 0.5
        return (
            min(r.min_x for r in rooms) - margin,
            max(r.max_x for r in rooms) + margin,
            min(r.min_z for r in rooms) - margin,
            max(r.max_z for r in rooms) + margin,
        )

    def _make_plan(self, sim: Any, objective: Objective, key: tuple, cautious: bool) -> _Plan:
        min_x, max_x, min_z, max_z = self._bounds(sim, objective)
        area = (max_x - min_x) * (max_z - min_z)
        res = max(_MIN_RESOLUTION, math.sqrt(area / _MAX_CELLS))
        nx, nz = max(2, math.ceil((max_x - min_x) / res)), max(2, math.ceil((max_z - min_z) / res))
        xs = min_x + (np.arange(nx) + 0.5) * res
        zs = min_z + (np.arange(nz) + 0.5) * res
        agent = sim.agent
        margin = 0.75 * res
        clearance = agent.radius + margin
        carried = agent.carrying
        if cautious and objective.kind == "put_next" and carried is not None:
            clearance = self._carry_distance(sim) + carried.radius + margin
        free = np.ones((nz, nx), dtype=bool)
        for seg in np.asarray(sim.wall_segs):
            _block_segment(free, xs, zs, _flat(seg[0]), _flat(seg[1]), clearance)
        step = 1.1 * sim.max_forward_step
        for ent in sim.entities:
            if ent is agent or ent is carried or ent.radius <= 0:
                continue
            if any(ent is t for t in objective.targets):
                continue
            reach = clearance + ent.radius
            if any(ent is a for a in objective.avoid):
                reach += step + (0.3 if cautious else 0.05)
            elif cautious:
                reach += 0.1
            _block_disc(free, xs, zs, _flat(ent.pos), reach)
        for room in objective.forbidden_rooms:
            _block_room(free, xs, zs, room, clearance if cautious else margin)
        sources = np.zeros_like(free)
        for target in objective.targets:
            radius = self._done_radius(sim, objective, target)
            _mark_disc(sources, xs, zs, _flat(target.pos), radius)
        dist = distance_field(free, sources)
        return _Plan(key, float(min_x), float(min_z), res, free, dist, xs, zs)


def _wall_between(sim: Any, a: np.ndarray, b: np.ndarray) -> bool:
    """Does the segment ``a``-``b`` cross a wall (a collidable wall segment)?"""
    segs = np.asarray(sim.wall_segs)
    if len(segs) == 0:
        return False
    p, q = segs[:, 0, [0, 2]], segs[:, 1, [0, 2]]

    def side(o: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.sign(
            (u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1])
            - (u[..., 1] - o[..., 1]) * (v[..., 0] - o[..., 0])
        )

    crosses = (side(a, b, p) != side(a, b, q)) & (side(p, q, a) != side(p, q, b))
    return bool(crosses.any())


def _window(xs: np.ndarray, zs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[slice, slice]:
    c0, c1 = np.searchsorted(xs, lo[0]), np.searchsorted(xs, hi[0], side="right")
    r0, r1 = np.searchsorted(zs, lo[1]), np.searchsorted(zs, hi[1], side="right")
    return slice(int(r0), int(r1)), slice(int(c0), int(c1))


def _block_segment(
    free: np.ndarray, xs: np.ndarray, zs: np.ndarray, a: np.ndarray, b: np.ndarray, radius: float
) -> None:
    rows, cols = _window(xs, zs, np.minimum(a, b) - radius, np.maximum(a, b) + radius)
    if rows.start >= rows.stop or cols.start >= cols.stop:
        return
    px, pz = np.meshgrid(xs[cols], zs[rows])
    ab = b - a
    t = np.clip(((px - a[0]) * ab[0] + (pz - a[1]) * ab[1]) / max(float(ab @ ab), 1e-12), 0, 1)
    d = np.hypot(px - (a[0] + t * ab[0]), pz - (a[1] + t * ab[1]))
    free[rows, cols] &= d >= radius


def _disc(xs: np.ndarray, zs: np.ndarray, c: np.ndarray, radius: float):
    rows, cols = _window(xs, zs, c - radius, c + radius)
    px, pz = np.meshgrid(xs[cols], zs[rows])
    return rows, cols, np.hypot(px - c[0], pz - c[1]) < radius


def _block_disc(
    free: np.ndarray, xs: np.ndarray, zs: np.ndarray, c: np.ndarray, radius: float
) -> None:
    rows, cols, inside = _disc(xs, zs, c, radius)
    free[rows, cols] &= ~inside


def _mark_disc(mask: np.ndarray, xs: np.ndarray, zs: np.ndarray, c: np.ndarray, radius: float):
    rows, cols, inside = _disc(xs, zs, c, radius)
    mask[rows, cols] |= inside


def _block_room(free: np.ndarray, xs: np.ndarray, zs: np.ndarray, room: Any, margin: float):
    """Block the cells inside ``room`` or within ``margin`` of it."""
    px, pz = np.meshgrid(xs, zs)
    inside = np.ones(free.shape, dtype=bool)
    for point, normal in zip(room.outline, room.edge_norms):
        inside &= (px - point[0]) * normal[0] + (pz - point[2]) * normal[2] > -margin
    free &= ~inside
