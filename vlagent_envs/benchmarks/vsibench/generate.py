"""A generated, contamination-free VSI-Bench set: ``VLAgent/VSIBench-MiniWorld-v0``.

Each scene is a procedurally generated MiniWorld room, or two rooms joined by a doorway
(:func:`make_scene`), with real-scale objects standing along the walls, as furniture does
(:data:`CATEGORIES`: chairs, desks, barrels, traffic cones...). A camera at eye height (1.5 m,
pitched 20 degrees down) walks round each room looking outwards, so each part of the room comes
into view in turn, and through the doorway from one room to the next (:func:`camera_path`).
MiniWorld's own renderer (headless, see :mod:`vlagent_envs.envs.miniworld.headless`) draws the
336x448 frames, which PyAV encodes to an mp4 (64 frames at 8 fps, h264). Questions of all
eight VSI-Bench tasks (ten ``question_type`` strings) are asked with ground truth computed from
the scene's geometry. Everything except the video is pure NumPy on the seed, so one seed gives
the same parquet rows on any machine, with or without OpenGL.

Layout (the official one, ``nyu-visionx/VSI-Bench``): ``<root>/test.parquet`` with columns
``id, dataset, scene_name, question_type, question, ground_truth, options`` and the videos at
``<root>/<dataset>/<scene_name>.mp4`` (``dataset`` is ``"miniworld"``; the path rule is
``vsibench_doc_to_visual`` in vision-x-nyu/thinking-in-space
``lmms_eval/tasks/vsibench/utils.py``). ``options`` is a list like ``["A. chair", "B. desk"]``
for multiple-choice questions and ``None`` for numerical ones; the multiple-choice ground truth
is the option's letter. ``<root>/generation.json`` records the generator version and arguments.

Question wording. The templates are those of the paper (Yang et al., "Thinking in Space",
arXiv 2412.14171, appendix Table 4), in the form of the released questions as public
evaluation code quotes them (Spatial-MLLM's inference demo, papers' appendices): the second
sentence of a medium or hard relative-direction question is on a new line, and the hard one
reads "The directions refer to the quadrants of a Cartesian plane (if I am standing at the
origin and facing along the positive y-axis)." (Table 4 paraphrases it). Route plans follow
Table 4's complete example ("1. Go forward until the TV 2. [please fill in] 3. ..."), with
options like ``"A. Turn Back, Turn Left"`` as released. The room-size question is Table 4's
single line (we found no released example to tell whether it holds a line break). No official
generator code is public: the rules below are ours, following the paper's appendix B.1 where
it gives one.

Ground-truth rules (world units are meters; the floor is the x-z plane, y is up):

* ``object_counting``: up to :data:`MAX_PER_SCENE` categories with 2-4 instances, topped up
  with a single-instance one, each with every instance seen in the video. Answer: the count,
  ``"3"``.
* ``object_abs_distance``: two single-instance objects; the distance between the closest points
  of their 3D axis-aligned boxes (:func:`box_distance`), at least 0.5 m. Answer in meters with
  one decimal, ``"2.4"``.
* ``object_size_estimation``: a single-instance object; the longest side of its 3D box in
  centimeters, rounded to an integer (``"81"``).
* ``room_size_estimation``: the floor area of the room, or of both rooms together, in square
  meters with one decimal (:func:`room_area`; the paper uses an alpha shape of the scan, our
  rooms are exact rectangles).
* ``object_rel_distance``: which of four categories is closest to a single-instance object,
  measuring between closest box points and, for a category with several instances, to its
  closest instance. Asked only when the winner beats the runner-up by 0.15 m (rooms up to
  40 m^2) or 0.30 m (larger rooms): the paper's ambiguity rule (appendix B.1).
* ``object_rel_direction_{easy,medium,hard}``: standing at the center of object A, facing the
  center of B, where is the center of C (all single-instance, A-B and A-C at least 1 m apart)?
  :func:`signed_angle` gives C's bearing, positive to the right. Easy: left or right
  (:func:`direction_easy`), medium: left, right or back, back from 135 degrees
  (:func:`direction_medium`), hard: the Cartesian quadrant (:func:`direction_hard`). Bearings
  within :data:`ANGLE_MARGIN` degrees of a class boundary are skipped.
* ``obj_appearance_order``: four categories ordered by the first frame in which any of their
  instances is visible (:func:`first_visible_frames`); asked only when those frames are at
  least :data:`MIN_APPEARANCE_GAP` of the video apart. Visibility is geometric: an object is
  visible in a frame when at least :data:`VISIBLE_FRACTION` of the points sampled on its box
  surface fall inside the image and are not hidden by any box (its own included) on the way
  from the camera, walls included (:func:`crosses_wall`).
* ``route_planning``: start at a single-instance object facing another, then legs
  "Go forward until the X" between single-instance objects, with the turns in between
  replaced by "[please fill in]". A turn by a signed angle a is "Turn Right" for
  60 <= a <= 120, "Turn Left" for -120 <= a <= -60 and "Turn Back" for |a| >= 150 degrees
  (:func:`classify_turn`); other angles make the route ambiguous and it is not asked. Every
  leg is at least 1 m long and passes no wall and no other object's box. Two forms, both with
  two blanks: facing the first waypoint ("1. Go forward until the B 2. [please fill in] 3. Go
  forward until the C 4. [please fill in] 5. Go forward until the D.") or facing another
  object ("1. [please fill in] 2. Go forward until the B 3. [please fill in] 4. Go forward
  until the C.").
  Distractor options are other pairs of turns.

Every object considered by a question must be seen in the video. Multiple-choice options are
shuffled with the scene's random generator, as is every choice above.

Regenerating the shipped set (``vlagent_envs/benchmarks/vsibench/data/miniworld``) exactly::

    python -m vlagent_envs.benchmarks.vsibench.generate \\
        --out vlagent_envs/benchmarks/vsibench/data/miniworld --seed 0 --scenes 8

The parquet rows depend only on the seed and this module's :data:`GENERATOR_VERSION`; the mp4
bytes depend also on Mesa and libx264 builds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlagent_envs.benchmarks.vsibench.data import REQUIRED_COLUMNS

__all__ = [
    "CATEGORIES",
    "DATASET",
    "GENERATOR_VERSION",
    "MESH_BOUNDS",
    "Category",
    "Scene",
    "SceneObject",
    "box_distance",
    "camera_basis",
    "camera_path",
    "classify_turn",
    "crosses_wall",
    "dataset_rows",
    "direction_easy",
    "direction_hard",
    "direction_medium",
    "encode_video",
    "first_visible_frames",
    "generate_questions",
    "main",
    "make_scene",
    "render_frames",
    "render_video",
    "room_area",
    "scene_name",
    "scene_rows",
    "scene_seed",
    "signed_angle",
    "write_dataset",
]

logger = logging.getLogger(__name__)

GENERATOR_VERSION = "1"
# The module's import name, also when it runs as ``python -m`` (``__name__`` is then "__main__").
_MODULE = "vlagent_envs.benchmarks.vsibench.generate"
_ENTRY_POINT = f"{_MODULE}:_SceneWorld"
DATASET = "miniworld"
FRAME_HEIGHT, FRAME_WIDTH = 336, 448
NUM_FRAMES = 64
MIN_FRAMES = 8
FPS = 8

# Camera: MiniWorld's agent camera (60 degree vertical field of view, eyes 1.5 m above the
# floor, miniworld/entity.py Agent), pitched down so that the floor 1.3 m ahead is in view.
CAM_HEIGHT = 1.5
CAM_FOV_Y = 60.0
CAM_PITCH = -20.0
# MiniWorld's gluPerspective near plane (miniworld/miniworld.py render_obs).
Z_NEAR = 0.04

WALK_CLEARANCE = 2.5  # meters between the camera's loop and the walls
MIN_WALK_RADIUS = 0.5
WALL_GAP = 0.2  # objects stand at least this far from the walls
WALL_BAND = 1.3  # and entirely within this distance of one wall
OBJECT_GAP = 0.35  # and this far from each other (between boxes on the floor)
DOOR_WIDTH = 1.6  # the opening between two rooms

VISIBLE_FRACTION = 0.15
MIN_APPEARANCE_GAP = 0.05  # of the video's frames
ANGLE_MARGIN = 15.0  # degrees; bearings closer than this to a class boundary are skipped
MIN_ABS_DISTANCE = 0.5
MIN_DIRECTION_DISTANCE = 1.0
MIN_ROUTE_LEG = 1.0
# A route leg must pass this far (x, z) from other objects; y: any height blocks it.
_LEG_PAD = np.array([0.1, 1.0, 0.1])

# Questions of each type per scene, at most.
MAX_PER_SCENE: dict[str, int] = {
    "object_counting": 2,
    "object_abs_distance": 2,
    "object_size_estimation": 2,
    "room_size_estimation": 1,
    "object_rel_distance": 1,
    "object_rel_direction_easy": 1,
    "object_rel_direction_medium": 1,
    "object_rel_direction_hard": 1,
    "route_planning": 1,
    "obj_appearance_order": 1,
}

# Templates: "Thinking in Space" appendix, Table 4, in the released line layout.
COUNTING_TEMPLATE = "How many {category}(s) are in this room?"
ABS_DISTANCE_TEMPLATE = (
    "Measuring from the closest point of each object, what is the direct distance between the "
    "{object1} and the {object2} (in meters)?"
)
SIZE_TEMPLATE = (
    "What is the length of the longest dimension (length, width, or height) of the {category}, "
    "measured in centimeters?"
)
ROOM_SIZE_TEMPLATE = (
    "What is the size of this room (in square meters)? If multiple rooms are shown, estimate the "
    "size of the combined space."
)
REL_DISTANCE_TEMPLATE = (
    "Measuring from the closest point of each object, which of these objects ({choice_a}, "
    "{choice_b}, {choice_c}, {choice_d}) is the closest to the {category}?"
)
_DIRECTION_STEM = (
    "If I am standing by the {positioning} and facing the {orienting}, is the {querying} to "
)
REL_DIRECTION_EASY_TEMPLATE = _DIRECTION_STEM + "the left or the right of the {orienting}?"
REL_DIRECTION_MEDIUM_TEMPLATE = (
    _DIRECTION_STEM + "my left, right, or back?\n"
    "An object is to my back if I would have to turn at least 135 degrees in order to face it."
)
REL_DIRECTION_HARD_TEMPLATE = (
    _DIRECTION_STEM + "my front-left, front-right, back-left, or back-right?\n"
    "The directions refer to the quadrants of a Cartesian plane (if I am standing at the origin "
    "and facing along the positive y-axis)."
)
APPEARANCE_TEMPLATE = (
    "What will be the first-time appearance order of the following categories in the video: "
    "{choice_a}, {choice_b}, {choice_c}, {choice_d}?"
)
ROUTE_TEMPLATE = (
    "You are a robot beginning at the {start} facing the {facing}. You want to navigate to the "
    "{destination}. You will perform the following actions (Note: for each [please fill in], "
    "choose either 'turn back,' 'turn left,' or 'turn right.'): {actions} You have reached the "
    "final destination."
)
TURNS = ("Turn Left", "Turn Right", "Turn Back")
LETTERS = "ABCD"


@dataclass(frozen=True)
class Category:
    """An object category: its name in questions and the MiniWorld entity that draws it.

    Attributes:
        name: The category as questions name it.
        mesh: A MiniWorld mesh (``MeshEnt``), or ``"box"`` for a colored ``Box``.
        height: Meters; a mesh is scaled to it (``MeshEnt(mesh, height)``). For a box, the
            range ``(low, high)`` of each side is in :attr:`box_sides` instead.
        colors: Mesh name suffixes or box colors to choose from (empty: the mesh as it is).
        box_sides: For boxes, the ``(low, high)`` range of each side in meters.
    """

    name: str
    mesh: str
    height: float = 0.0
    colors: tuple[str, ...] = ()
    box_sides: tuple[float, float] = (0.0, 0.0)


# Real-world scale: a desk 76 cm high, an office chair 1 m, a drum barrel 90 cm...
CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("chair", "office_chair", 1.0),
        Category("desk", "office_desk", 0.76),
        Category("barrel", "barrel", 0.9),
        Category("traffic cone", "cone", 0.7),
        Category("first aid kit", "medkit", 0.35),
        Category("bottle", "potion", 0.4),
        Category("toy duck", "duckie", 0.35),
        Category("christmas tree", "tree_pine", 1.8),
        Category("ball", "ball", 0.5, colors=("red", "blue", "green", "yellow", "purple")),
        Category("box", "box", colors=("red", "green", "blue", "yellow"), box_sides=(0.4, 0.8)),
    )
}

# ObjMesh.min_coords / max_coords after MiniWorld's re-centering, miniworld 2.1.0 (checked
# against ObjMesh in the tests). Kept here so that ground truth needs no OpenGL.
MESH_BOUNDS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "office_chair": ((-14.32885, 0.0, -13.73), (14.544351, 47.314598, 13.73)),
    "office_desk": ((-33.45795, 0.0, -16.451252), (33.45795, 63.6329, 16.451252)),
    "barrel": ((-0.30539, 0.0, -0.30538952), (0.30539, 0.882287, 0.30538952)),
    "cone": ((-10.0, 0.0, -10.0), (10.0, 31.5229, 10.0)),
    "medkit": ((-28.1319, 0.0, -15.62425), (28.1319, 51.0648, 15.62425)),
    "potion": ((-0.6400001, 0.0, -0.64), (0.6400001, 2.513775, 0.6400001)),
    "duckie": ((-0.8244785, 0.0, -0.562172), (0.8303055, 1.518421, 0.58813)),
    "tree_pine": ((-1.5516884, 0.0, -1.5439061), (2.1321554, 7.543869, 2.1399379)),
    "ball": ((-1.2845649719, 0.0, -1.2834999561), (1.2845649719, 2.5643720626, 1.2850019931)),
}

WALL_TEXTURES = ("brick_wall", "concrete", "drywall", "stucco", "wood_planks", "cinder_blocks")
FLOOR_TEXTURES = ("floor_tiles_bw", "wood", "concrete_tiles", "marble", "wood_planks")
CEIL_TEXTURES = ("ceiling_tiles", "ceiling_tile_noborder", "concrete_tiles")


@dataclass(frozen=True)
class SceneObject:
    """One object instance, with its axis-aligned 3D box in world coordinates.

    Attributes:
        category: The category name (a key of :data:`CATEGORIES`).
        mesh: The MiniWorld mesh name (``"ball_red"``...) or ``"box"``.
        color: The box color (boxes only, else ``""``).
        x: Position of the base center on the floor.
        z: Position of the base center on the floor.
        quarter_turns: Rotation about the vertical axis, in quarter turns (MiniWorld's ``dir``
            is ``quarter_turns * pi / 2``), so the box stays axis-aligned.
        size: ``(height,)`` for meshes, ``(sx, sy, sz)`` for boxes (before rotation).
        bbox_min: The box's minimum corner ``(x, y, z)``.
        bbox_max: The box's maximum corner ``(x, y, z)``.
    """

    category: str
    mesh: str
    color: str
    x: float
    z: float
    quarter_turns: int
    size: tuple[float, ...]
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]

    @property
    def center(self) -> np.ndarray:
        """The box's center, ``(x, y, z)``."""
        return (np.asarray(self.bbox_min) + np.asarray(self.bbox_max)) / 2


@dataclass(frozen=True)
class Scene:
    """A generated scene: its rooms, textures and objects.

    Attributes:
        name: The scene name (the video's file stem).
        seed: The seed it was generated from.
        rooms: ``(min_x, max_x, min_z, max_z)`` of each rectangular room.
        wall_tex: MiniWorld texture names.
        floor_tex: MiniWorld texture names.
        ceil_tex: MiniWorld texture names.
        objects: The object instances.
        doors: ``(x, min_z, max_z)`` of each full-height opening in a wall ``x = const`` shared
            by two rooms (MiniWorld's ``connect_rooms`` of touching rooms).
    """

    name: str
    seed: int
    rooms: tuple[tuple[float, float, float, float], ...]
    wall_tex: str
    floor_tex: str
    ceil_tex: str
    objects: tuple[SceneObject, ...]
    doors: tuple[tuple[float, float, float], ...] = ()

    def walls(self) -> list[tuple[float, float, float, float]]:
        """The wall segments ``(x0, z0, x1, z1)`` on the floor, doors cut out."""
        segments = []
        for min_x, max_x, min_z, max_z in self.rooms:
            segments += [(min_x, min_z, max_x, min_z), (min_x, max_z, max_x, max_z)]
            for x in (min_x, max_x):
                pieces = [(min_z, max_z)]
                for door_x, lo, hi in self.doors:
                    if door_x == x:
                        pieces = [
                            part
                            for a, b in pieces
                            for part in ((a, min(b, lo)), (max(a, hi), b))
                            if part[1] - part[0] > 1e-9
                        ]
                segments += [(x, a, x, b) for a, b in pieces]
        return segments


# -- geometry -------------------------------------------------------------------------------


def box_distance(
    min_a: Sequence[float], max_a: Sequence[float], min_b: Sequence[float], max_b: Sequence[float]
) -> float:
    """Distance between the closest points of two axis-aligned boxes (0 when they touch).

    Args:
        min_a: Minimum corner of the first box.
        max_a: Maximum corner of the first box.
        min_b: Minimum corner of the second box.
        max_b: Maximum corner of the second box.
    """
    gap = np.maximum(0.0, np.maximum(np.subtract(min_a, max_b), np.subtract(min_b, max_a)))
    return float(np.linalg.norm(gap))


def signed_angle(forward: Sequence[float], target: Sequence[float]) -> float:
    """The bearing of ``target`` from ``forward`` on the floor, in degrees in (-180, 180].

    Both are ``(x, z)`` floor vectors in MiniWorld's frame, where the right of a heading
    ``(fx, fz)`` is ``(-fz, fx)`` (``Entity.right_vec``). Positive bearings are to the right.
    """
    fx, fz = float(forward[0]), float(forward[1])
    tx, tz = float(target[0]), float(target[1])
    angle = math.degrees(math.atan2(fx * tz - fz * tx, fx * tx + fz * tz))
    return 180.0 if angle == -180.0 else angle


def _near(angle: float, boundary: float, margin: float) -> bool:
    return abs(abs(angle) - boundary) < margin


def direction_easy(angle: float, margin: float = ANGLE_MARGIN) -> str | None:
    """``"left"`` or ``"right"`` for a bearing, ``None`` within ``margin`` of 0 or 180 degrees."""
    if _near(angle, 0.0, margin) or _near(angle, 180.0, margin):
        return None
    return "right" if angle > 0 else "left"


def direction_medium(angle: float, margin: float = ANGLE_MARGIN) -> str | None:
    """``"left"``, ``"right"`` or ``"back"`` (from 135 degrees) for a bearing.

    ``None`` within ``margin`` of 135 degrees, or of straight ahead (which is none of the three).
    """
    if _near(angle, 135.0, margin) or _near(angle, 0.0, margin):
        return None
    if abs(angle) >= 135.0:
        return "back"
    return "right" if angle > 0 else "left"


def direction_hard(angle: float, margin: float = ANGLE_MARGIN) -> str | None:
    """The quadrant (``"front-left"``...) of a bearing; ``None`` within ``margin`` of an axis."""
    if any(_near(angle, b, margin) for b in (0.0, 90.0, 180.0)):
        return None
    front = "front" if abs(angle) < 90.0 else "back"
    return f"{front}-{'right' if angle > 0 else 'left'}"


def classify_turn(angle: float) -> str | None:
    """The turn for a change of heading by ``angle`` degrees (positive: to the right).

    ``"Turn Right"`` for 60..120, ``"Turn Left"`` for -120..-60, ``"Turn Back"`` from 150
    degrees; ``None`` (ambiguous, or no turn) otherwise.
    """
    if abs(angle) >= 150.0:
        return "Turn Back"
    if 60.0 <= angle <= 120.0:
        return "Turn Right"
    if -120.0 <= angle <= -60.0:
        return "Turn Left"
    return None


def room_area(rooms: Sequence[Sequence[float]]) -> float:
    """Floor area in square meters of non-overlapping ``(min_x, max_x, min_z, max_z)`` rooms."""
    return float(sum((r[1] - r[0]) * (r[3] - r[2]) for r in rooms))


def _orientation(o: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The z component of ``(u - o) x (v - o)`` for 2D points (its sign: which side)."""
    return (u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1]) - (u[..., 1] - o[..., 1]) * (
        v[..., 0] - o[..., 0]
    )


def crosses_wall(
    start: Sequence[float], ends: np.ndarray, walls: Sequence[Sequence[float]]
) -> np.ndarray:
    """For floor segments ``start -> ends[i]`` (``(x, z)``): whether each crosses a wall.

    Walls are full height, so crossing on the floor plan means blocked. Touching (collinear or
    ending on a wall) does not count.
    """
    ends = np.atleast_2d(np.asarray(ends, dtype=float))
    p = np.asarray(start, dtype=float)
    blocked = np.zeros(len(ends), dtype=bool)
    for x0, z0, x1, z1 in walls:
        a, b = np.array([x0, z0]), np.array([x1, z1])
        straddles_wall = _orientation(a, b, p) * _orientation(a, b, ends) < 0
        straddles_segment = _orientation(p, ends, a) * _orientation(p, ends, b) < 0
        blocked |= straddles_wall & straddles_segment
    return blocked


def _segment_hits_box(
    start: np.ndarray, ends: np.ndarray, box_min: np.ndarray, box_max: np.ndarray, t_max: float
) -> np.ndarray:
    """For segments ``start -> ends[i]``: whether each enters the box before ``t_max`` of it."""
    direction = ends - start
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (box_min - start) / direction
        t1 = (box_max - start) / direction
    lo = np.where(
        direction == 0,
        np.where((start >= box_min) & (start <= box_max), -np.inf, np.inf),
        np.minimum(t0, t1),
    )
    hi = np.where(
        direction == 0,
        np.where((start >= box_min) & (start <= box_max), np.inf, -np.inf),
        np.maximum(t0, t1),
    )
    t_enter = np.max(lo, axis=-1)
    t_exit = np.min(hi, axis=-1)
    return (t_enter <= t_exit) & (t_exit > 0.0) & (t_enter < t_max)


def _surface_points(obj: SceneObject, per_side: int = 5) -> np.ndarray:
    """Points on a grid over the six faces of the object's box, ``(N, 3)``."""
    lo, hi = np.asarray(obj.bbox_min), np.asarray(obj.bbox_max)
    grid = np.linspace(0.0, 1.0, per_side)
    u, v = (a.ravel() for a in np.meshgrid(grid, grid))
    points = []
    for axis in range(3):
        others = [a for a in range(3) if a != axis]
        for side in (0.0, 1.0):
            unit = np.zeros((u.size, 3))
            unit[:, axis] = side
            unit[:, others[0]] = u
            unit[:, others[1]] = v
            points.append(lo + unit * (hi - lo))
    return np.concatenate(points)


def camera_basis(yaw: float, pitch_deg: float = CAM_PITCH) -> tuple[np.ndarray, ...]:
    """Forward, right and up unit vectors of MiniWorld's camera (``Agent.cam_dir``, gluLookAt).

    Args:
        yaw: MiniWorld's ``agent.dir`` in radians.
        pitch_deg: ``agent.cam_pitch`` in degrees (positive looks up).
    """
    p = math.radians(pitch_deg)
    forward = np.array([math.cos(p) * math.cos(yaw), math.sin(p), -math.cos(p) * math.sin(yaw)])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return forward, right, up


def first_visible_frames(
    scene: Scene, poses: Sequence[tuple[float, float, float]]
) -> list[int | None]:
    """The first frame in which each object of ``scene`` is visible (``None``: never).

    Visible: at least :data:`VISIBLE_FRACTION` of the points on its box surface project inside
    the ``FRAME_WIDTH`` x ``FRAME_HEIGHT`` image and no box (its own included) lies between them
    and the camera. ``poses`` are ``(x, z, yaw)`` camera positions and MiniWorld headings.
    """
    points = [_surface_points(obj) for obj in scene.objects]
    boxes = [(np.asarray(o.bbox_min), np.asarray(o.bbox_max)) for o in scene.objects]
    # A point on a box face lies on the box: shrink boxes a little so only what is in front
    # of a point hides it.
    shrunk = [(lo + 0.01, hi - 0.01) for lo, hi in boxes]
    walls = scene.walls() if scene.doors else []  # a single rectangular room hides nothing
    tan_y = math.tan(math.radians(CAM_FOV_Y) / 2)
    tan_x = tan_y * FRAME_WIDTH / FRAME_HEIGHT
    first: list[int | None] = [None] * len(scene.objects)
    for frame, (x, z, yaw) in enumerate(poses):
        eye = np.array([x, CAM_HEIGHT, z])
        forward, right, up = camera_basis(yaw)
        for i, pts in enumerate(points):
            if first[i] is not None:
                continue
            rel = pts - eye
            depth = rel @ forward
            with np.errstate(divide="ignore", invalid="ignore"):
                ndc_x = (rel @ right) / (depth * tan_x)
                ndc_y = (rel @ up) / (depth * tan_y)
            inside = (depth > Z_NEAR) & (np.abs(ndc_x) <= 1.0) & (np.abs(ndc_y) <= 1.0)
            if inside.sum() < VISIBLE_FRACTION * len(pts):
                continue
            hidden = np.zeros(len(pts), dtype=bool)
            for lo, hi in shrunk:
                hidden |= _segment_hits_box(eye, pts, lo, hi, 1.0)
            if walls:
                hidden |= crosses_wall(eye[[0, 2]], pts[:, [0, 2]], walls)
            if (inside & ~hidden).sum() >= VISIBLE_FRACTION * len(pts):
                first[i] = frame
    return first


# -- scenes -----------------------------------------------------------------------------------


def _object_box(
    category: Category, x: float, z: float, quarter_turns: int, size: tuple[float, ...]
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """The world box of a mesh scaled to ``size[0]`` or a box of sides ``size``, rotated.

    MiniWorld draws ``translate(pos) . scale . rotate_y(dir)`` (``MeshEnt.render``); a rotation
    by ``t`` about y maps ``(x, z)`` to ``(x cos t + z sin t, -x sin t + z cos t)``.
    """
    if category.mesh == "box":
        sx, sy, sz = size
        lo = np.array([-sx / 2, 0.0, -sz / 2])
        hi = np.array([sx / 2, sy, sz / 2])
    else:
        mesh_lo, mesh_hi = (np.asarray(c) for c in MESH_BOUNDS[category.mesh])
        scale = size[0] / mesh_hi[1]
        lo, hi = mesh_lo * scale, mesh_hi * scale
    t = quarter_turns * math.pi / 2
    c, s = round(math.cos(t)), round(math.sin(t))
    corners = [
        (px * c + pz * s, -px * s + pz * c) for px in (lo[0], hi[0]) for pz in (lo[2], hi[2])
    ]
    xs, zs = zip(*corners, strict=True)
    bmin = (round(x + min(xs), 6), round(float(lo[1]), 6), round(z + min(zs), 6))
    bmax = (round(x + max(xs), 6), round(float(hi[1]), 6), round(z + max(zs), 6))
    return bmin, bmax


def make_scene(seed: int, name: str) -> Scene:
    """Generate one scene from ``seed``: one room, or two joined by a door, with objects.

    One room is 7-10 m by 6-9 m; two rooms (a third of the scenes) are 5.5-7.5 m and 5-7 m
    wide, side by side along x, the second no deeper than the first, with a 1.6 m wide opening
    in the wall between them. Six to eight categories: one or two get 2-4 instances, the others
    one. Meshes are scaled to their category's height (:data:`CATEGORIES`) times 0.9 to 1.15.
    Objects stand along the walls, as furniture does: each inside one room, within
    :data:`WALL_BAND` m of one of its walls and at least :data:`WALL_GAP` m from all of them,
    :data:`OBJECT_GAP` m apart, and clear of the doorway; an instance that finds no place in 200
    tries is left out.
    """
    rng = np.random.default_rng(seed)
    doors: tuple[tuple[float, float, float], ...] = ()
    if rng.random() < 1 / 3:
        w1, w2 = round(float(rng.uniform(5.5, 7.5)), 1), round(float(rng.uniform(5.0, 7.0)), 1)
        d1 = round(float(rng.uniform(6.0, 8.5)), 1)
        d2 = round(float(rng.uniform(5.0, d1)), 1)
        rooms = ((0.0, w1, 0.0, d1), (w1, round(w1 + w2, 1), 0.0, d2))
        door_z = round(float(rng.uniform(1.6, d2 - 1.6)), 2)
        doors = ((w1, round(door_z - DOOR_WIDTH / 2, 2), round(door_z + DOOR_WIDTH / 2, 2)),)
    else:
        width = round(float(rng.uniform(7.0, 10.0)), 1)
        depth = round(float(rng.uniform(6.0, 9.0)), 1)
        rooms = ((0.0, width, 0.0, depth),)
    # Keep a corridor through each door free: the camera walks through it.
    keep_out = [((x - 1.6, 0.0, lo - 0.4), (x + 1.6, 3.0, hi + 0.4)) for x, lo, hi in doors]
    names = list(CATEGORIES)
    chosen = [names[i] for i in rng.choice(len(names), size=int(rng.integers(6, 9)), replace=False)]
    counts = dict.fromkeys(chosen, 1)
    for name_multi in rng.choice(chosen, size=int(rng.integers(1, 3)), replace=False):
        counts[str(name_multi)] = int(rng.integers(2, 5))
    objects: list[SceneObject] = []
    for cat_name in chosen:
        category = CATEGORIES[cat_name]
        mesh = (
            f"{category.mesh}_{rng.choice(category.colors)}" if category.colors else category.mesh
        )
        for _ in range(counts[cat_name]):
            if category.mesh == "box":
                color = str(rng.choice(category.colors))
                size = tuple(round(float(v), 2) for v in rng.uniform(*category.box_sides, size=3))
                mesh_name = "box"
            else:
                # Real objects of a kind differ in size: the height varies by -10% to +15%.
                height = round(category.height * float(rng.uniform(0.9, 1.15)), 2)
                color, size, mesh_name = "", (height,), mesh
            for _try in range(200):
                quarter = int(rng.integers(4))
                x0, x1, z0, z1 = rooms[int(rng.integers(len(rooms)))]
                x = round(float(rng.uniform(x0 + WALL_GAP, x1 - WALL_GAP)), 2)
                z = round(float(rng.uniform(z0 + WALL_GAP, z1 - WALL_GAP)), 2)
                bmin, bmax = _object_box(category, x, z, quarter, size)
                gaps = (bmin[0] - x0, bmin[2] - z0, x1 - bmax[0], z1 - bmax[2])
                far = (bmax[0] - x0, bmax[2] - z0, x1 - bmin[0], z1 - bmin[2])
                if (
                    min(gaps) >= WALL_GAP
                    and min(far) <= WALL_BAND
                    and all(box_distance(bmin, bmax, lo, hi) > 0 for lo, hi in keep_out)
                    and all(
                        box_distance(bmin, bmax, o.bbox_min, o.bbox_max) >= OBJECT_GAP
                        for o in objects
                    )
                ):
                    objects.append(
                        SceneObject(cat_name, mesh_name, color, x, z, quarter, size, bmin, bmax)
                    )
                    break
    return Scene(
        name=name,
        seed=seed,
        rooms=rooms,
        wall_tex=str(rng.choice(WALL_TEXTURES)),
        floor_tex=str(rng.choice(FLOOR_TEXTURES)),
        ceil_tex=str(rng.choice(CEIL_TEXTURES)),
        objects=tuple(objects),
        doors=doors,
    )


def _loop(
    room: Sequence[float], start: float, turn: float, num_frames: int
) -> list[tuple[float, float, float]]:
    """``num_frames`` poses once round the ellipse of ``room``, looking outwards."""
    min_x, max_x, min_z, max_z = room
    center = np.array([(min_x + max_x) / 2, (min_z + max_z) / 2])
    radii = np.maximum(
        MIN_WALK_RADIUS, np.array([max_x - min_x, max_z - min_z]) / 2 - WALK_CLEARANCE
    )
    poses = []
    for k in range(num_frames):
        phi = start + turn * 2 * math.pi * k / num_frames
        out = np.array([math.cos(phi), math.sin(phi)])
        pos = center + radii * out
        yaw = math.atan2(-out[1], out[0])  # dir_vec = (cos dir, -sin dir) points outwards
        poses.append((float(pos[0]), float(pos[1]), yaw))
    return poses


def _walk(points: Sequence[Sequence[float]], num_frames: int) -> list[tuple[float, float, float]]:
    """``num_frames`` poses evenly along a polyline (ends excluded), looking where it goes."""
    points = np.asarray(points, dtype=float)
    legs = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(legs)])
    poses = []
    for k in range(1, num_frames + 1):
        s = cumulative[-1] * k / (num_frames + 1)
        leg = min(int(np.searchsorted(cumulative, s, side="right")) - 1, len(legs) - 1)
        step = points[leg + 1] - points[leg]
        pos = points[leg] + (s - cumulative[leg]) / legs[leg] * step
        poses.append((float(pos[0]), float(pos[1]), math.atan2(-step[1], step[0])))
    return poses


def camera_path(scene: Scene, num_frames: int = NUM_FRAMES) -> list[tuple[float, float, float]]:
    """The camera's walk: ``(x, z, yaw)`` per frame, ``yaw`` being MiniWorld's ``agent.dir``.

    In each room the camera walks once round an ellipse about the room's center,
    :data:`WALK_CLEARANCE` m from the walls (at least :data:`MIN_WALK_RADIUS` m across),
    looking outwards at the objects along the walls: a panorama that shows each part of the
    room in turn. With one room the starting angle comes from the scene's seed. With two, the
    camera starts on the door's side of the first room, goes round it, walks through the door
    (a sixth of the frames) and goes round the second room from its far side. The direction
    of each round (clockwise or not) comes from the seed.
    """
    rng = np.random.default_rng([scene.seed, 1])
    start = float(rng.uniform(0.0, 2 * math.pi))
    turns = [1.0 if rng.random() < 0.5 else -1.0 for _ in scene.rooms]
    if not scene.doors:
        poses = _loop(scene.rooms[0], start, turns[0], num_frames)
    else:
        (door_x, lo, hi), room_a, room_b = scene.doors[0], scene.rooms[0], scene.rooms[1]
        walk = max(4, num_frames // 6)
        frames_a = (num_frames - walk) // 2
        first = _loop(room_a, 0.0, turns[0], frames_a)
        second = _loop(room_b, 0.0, turns[1], num_frames - walk - frames_a)
        door_z = (lo + hi) / 2
        through = [
            (first[0][0], first[0][1]),
            (door_x - 1.2, door_z),
            (door_x + 1.2, door_z),
            (second[0][0], second[0][1]),
        ]
        poses = first + _walk(through, walk) + second
    return [(round(x, 6), round(z, 6), round(yaw, 9)) for x, z, yaw in poses]


# -- questions --------------------------------------------------------------------------------


def _mca(
    rng: np.random.Generator, correct: str, distractors: Sequence[str]
) -> tuple[list[str], str]:
    """Shuffled lettered options (``"A. left"``) and the correct letter."""
    choices = [correct, *distractors]
    order = rng.permutation(len(choices))
    options = [f"{LETTERS[k]}. {choices[j]}" for k, j in enumerate(order)]
    return options, LETTERS[int(np.flatnonzero(order == 0)[0])]


def _fmt1(value: float) -> str:
    return f"{value:.1f}"


def generate_questions(
    scene: Scene,
    first_frames: Sequence[int | None],
    num_frames: int = NUM_FRAMES,
    max_per_scene: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """The questions about ``scene``: dicts with the official columns except ``id``.

    Args:
        scene: The scene.
        first_frames: Per object, the first frame it is visible in (``None``: never), from
            :func:`first_visible_frames`.
        num_frames: The video's frame count (sets the appearance-order gap).
        max_per_scene: Questions per type at most, overriding :data:`MAX_PER_SCENE`.
    """
    caps = {**MAX_PER_SCENE, **(max_per_scene or {})}
    rng = np.random.default_rng([scene.seed, 2])
    by_cat: dict[str, list[int]] = {}
    for i, obj in enumerate(scene.objects):
        by_cat.setdefault(obj.category, []).append(i)
    # Only categories whose every instance is seen in the video are asked about.
    seen = [c for c, idx in by_cat.items() if all(first_frames[i] is not None for i in idx)]
    unique = [c for c in seen if len(by_cat[c]) == 1]
    obj_of = {c: scene.objects[by_cat[c][0]] for c in unique}
    area = room_area(scene.rooms)
    rows: list[dict[str, Any]] = []

    def add(qtype: str, question: str, answer: str, options: list[str] | None = None) -> None:
        rows.append(
            {
                "dataset": DATASET,
                "scene_name": scene.name,
                "question_type": qtype,
                "question": question,
                "ground_truth": answer,
                "options": options,
            }
        )

    def pick(candidates: list[Any], cap: int) -> list[Any]:
        if not candidates:
            return []
        order = rng.permutation(len(candidates))
        return [candidates[j] for j in order[:cap]]

    # object_counting: categories with 2-4 instances, topped up with a single-instance one.
    multi = [c for c in seen if len(by_cat[c]) >= 2]
    counted = pick(multi, caps["object_counting"])
    if len(counted) < caps["object_counting"]:
        counted += pick(unique, 1)
    for cat in counted:
        add("object_counting", COUNTING_TEMPLATE.format(category=cat), str(len(by_cat[cat])))

    # object_abs_distance
    pairs = []
    for a, b in itertools.combinations(unique, 2):
        oa, ob = obj_of[a], obj_of[b]
        d = box_distance(oa.bbox_min, oa.bbox_max, ob.bbox_min, ob.bbox_max)
        if d >= MIN_ABS_DISTANCE:
            pairs.append((a, b, d))
    for a, b, d in pick(pairs, caps["object_abs_distance"]):
        if rng.random() < 0.5:
            a, b = b, a
        add("object_abs_distance", ABS_DISTANCE_TEMPLATE.format(object1=a, object2=b), _fmt1(d))

    # object_size_estimation
    for cat in pick(unique, caps["object_size_estimation"]):
        o = obj_of[cat]
        longest = max(np.subtract(o.bbox_max, o.bbox_min))
        add("object_size_estimation", SIZE_TEMPLATE.format(category=cat), str(round(longest * 100)))

    # room_size_estimation
    if caps["room_size_estimation"]:
        add("room_size_estimation", ROOM_SIZE_TEMPLATE, _fmt1(area))

    # object_rel_distance
    margin = 0.30 if area > 40.0 else 0.15
    rel = []
    for target in unique:
        t = obj_of[target]
        dist = {
            c: min(
                box_distance(
                    t.bbox_min, t.bbox_max, scene.objects[i].bbox_min, scene.objects[i].bbox_max
                )
                for i in by_cat[c]
            )
            for c in seen
            if c != target
        }
        for four in itertools.combinations(sorted(dist), 4):
            ds = sorted(dist[c] for c in four)
            if ds[1] - ds[0] >= margin:
                rel.append((target, four, min(four, key=dist.__getitem__)))
    for target, four, closest in pick(rel, caps["object_rel_distance"]):
        choices = [four[j] for j in rng.permutation(4)]
        options = [f"{LETTERS[k]}. {c}" for k, c in enumerate(choices)]
        question = REL_DISTANCE_TEMPLATE.format(
            choice_a=choices[0],
            choice_b=choices[1],
            choice_c=choices[2],
            choice_d=choices[3],
            category=target,
        )
        add("object_rel_distance", question, LETTERS[choices.index(closest)], options)

    # object_rel_direction_{easy,medium,hard}
    levels = (
        (
            "object_rel_direction_easy",
            REL_DIRECTION_EASY_TEMPLATE,
            direction_easy,
            ("left", "right"),
        ),
        (
            "object_rel_direction_medium",
            REL_DIRECTION_MEDIUM_TEMPLATE,
            direction_medium,
            ("left", "right", "back"),
        ),
        (
            "object_rel_direction_hard",
            REL_DIRECTION_HARD_TEMPLATE,
            direction_hard,
            ("front-left", "front-right", "back-left", "back-right"),
        ),
    )
    triples = []
    for a, b, c in itertools.permutations(unique, 3):
        pa, pb, pc = (obj_of[n].center[[0, 2]] for n in (a, b, c))
        if min(np.linalg.norm(pb - pa), np.linalg.norm(pc - pa)) >= MIN_DIRECTION_DISTANCE:
            triples.append((a, b, c, signed_angle(pb - pa, pc - pa)))
    for qtype, template, classify, labels in levels:
        valid = [(a, b, c, classify(angle)) for a, b, c, angle in triples if classify(angle)]
        for a, b, c, answer in pick(valid, caps[qtype]):
            options, letter = _mca(rng, answer, [lab for lab in labels if lab != answer])
            add(qtype, template.format(positioning=a, orienting=b, querying=c), letter, options)

    # route_planning
    routes = _routes(scene, unique, obj_of)
    for start, facing, legs, turns in pick(routes, caps["route_planning"]):
        steps = []
        if facing != legs[0]:
            steps.append("[please fill in]")
        for k, leg in enumerate(legs):
            if k > 0:
                steps.append("[please fill in]")
            steps.append(f"Go forward until the {leg}")
        actions = " ".join(f"{n}. {s}" for n, s in enumerate(steps, 1)) + "."
        answer = ", ".join(turns)
        others = [
            ", ".join(p) for p in itertools.product(TURNS, repeat=len(turns)) if list(p) != turns
        ]
        distractors = [others[j] for j in rng.permutation(len(others))[:3]]
        options, letter = _mca(rng, answer, distractors)
        question = ROUTE_TEMPLATE.format(
            start=start, facing=facing, destination=legs[-1], actions=actions
        )
        add("route_planning", question, letter, options)

    # obj_appearance_order
    appear = {c: min(first_frames[i] for i in by_cat[c]) for c in seen}
    gap = max(2, math.ceil(MIN_APPEARANCE_GAP * num_frames))
    orders = [
        four
        for four in itertools.combinations(sorted(seen), 4)
        if all(abs(appear[p] - appear[q]) >= gap for p, q in itertools.combinations(four, 2))
    ]
    for four in pick(orders, caps["obj_appearance_order"]):
        asked = [four[j] for j in rng.permutation(4)]
        correct = sorted(four, key=appear.__getitem__)
        perms = [p for p in itertools.permutations(four) if list(p) != correct]
        distractors = [", ".join(perms[j]) for j in rng.permutation(len(perms))[:3]]
        options, letter = _mca(rng, ", ".join(correct), distractors)
        question = APPEARANCE_TEMPLATE.format(
            choice_a=asked[0], choice_b=asked[1], choice_c=asked[2], choice_d=asked[3]
        )
        add("obj_appearance_order", question, letter, options)
    return rows


def _leg_clear(scene: Scene, a: SceneObject, b: SceneObject) -> bool:
    """Whether the straight walk between two objects' centers passes no wall, no other box."""
    start = np.array([a.center[0], 0.1, a.center[2]])
    end = np.array([[b.center[0], 0.1, b.center[2]]])
    if scene.doors and crosses_wall(start[[0, 2]], end[:, [0, 2]], scene.walls())[0]:
        return False
    for o in scene.objects:
        if o is a or o is b:
            continue
        lo = np.asarray(o.bbox_min) - _LEG_PAD
        hi = np.asarray(o.bbox_max) + _LEG_PAD
        if _segment_hits_box(start, end, lo, hi, 1.0)[0]:
            return False
    return True


def _routes(
    scene: Scene, unique: Sequence[str], obj_of: dict[str, SceneObject]
) -> list[tuple[str, str, list[str], list[str]]]:
    """Unambiguous two-turn routes: ``(start, facing, waypoints, turns)``."""
    pos = {c: obj_of[c].center[[0, 2]] for c in unique}

    def clear(p: str, q: str) -> bool:
        return np.linalg.norm(pos[q] - pos[p]) >= MIN_ROUTE_LEG and _leg_clear(
            scene, obj_of[p], obj_of[q]
        )

    routes = []
    for path in itertools.permutations(unique, 4):
        # Form 1: facing the first waypoint, start -> b -> c -> d, turns at b and c.
        s, b, c, d = path
        if clear(s, b) and clear(b, c) and clear(c, d):
            t1 = classify_turn(signed_angle(pos[b] - pos[s], pos[c] - pos[b]))
            t2 = classify_turn(signed_angle(pos[c] - pos[b], pos[d] - pos[c]))
            if t1 and t2:
                routes.append((s, b, [b, c, d], [t1, t2]))
        # Form 2: facing f, turn towards b, then a turn at b towards c.
        s, f, b, c = path
        if np.linalg.norm(pos[f] - pos[s]) >= MIN_ROUTE_LEG and clear(s, b) and clear(b, c):
            t1 = classify_turn(signed_angle(pos[f] - pos[s], pos[b] - pos[s]))
            t2 = classify_turn(signed_angle(pos[b] - pos[s], pos[c] - pos[b]))
            if t1 and t2:
                routes.append((s, f, [b, c], [t1, t2]))
    return routes


def scene_rows(scene: Scene, num_frames: int = NUM_FRAMES) -> list[dict[str, Any]]:
    """The question rows of one scene (no OpenGL needed): walk, visibility, questions."""
    first = first_visible_frames(scene, camera_path(scene, num_frames))
    return generate_questions(scene, first, num_frames)


# -- rendering --------------------------------------------------------------------------------


def _world_class() -> type:
    """A MiniWorld env class that builds the world from its ``scene`` attribute."""
    from vlagent_envs.envs.miniworld.simulator import simulator_class

    return simulator_class(_ENTRY_POINT)


def __getattr__(name: str) -> Any:
    # _SceneWorld subclasses MiniWorldEnv, so it is only built (loading OpenGL) when asked for.
    if name == "_SceneWorld":
        from vlagent_envs.envs.miniworld.headless import load_miniworld

        load_miniworld()
        from miniworld.entity import Box, MeshEnt
        from miniworld.miniworld import MiniWorldEnv

        class _SceneWorld(MiniWorldEnv):
            scene: Scene | None = None

            def _gen_world(self) -> None:
                scene = self.scene
                if scene is None:  # MiniWorldEnv.__init__ resets once before a scene is set
                    self.add_rect_room(0.0, 2.0, 0.0, 2.0)
                    self.place_agent(pos=np.array([1.0, 0.0, 1.0]), dir=0.0)
                    return
                rooms = [
                    self.add_rect_room(
                        x0,
                        x1,
                        z0,
                        z1,
                        wall_tex=scene.wall_tex,
                        floor_tex=scene.floor_tex,
                        ceil_tex=scene.ceil_tex,
                    )
                    for x0, x1, z0, z1 in scene.rooms
                ]
                for door_x, lo, hi in scene.doors:
                    west = next(r for r in rooms if abs(r.max_x - door_x) < 1e-9)
                    east = next(r for r in rooms if abs(r.min_x - door_x) < 1e-9)
                    self.connect_rooms(west, east, min_z=lo, max_z=hi)
                for obj in scene.objects:
                    if obj.mesh == "box":
                        ent = Box(obj.color, size=list(obj.size))
                    else:
                        ent = MeshEnt(obj.mesh, height=obj.size[0])
                    self.place_entity(
                        ent, pos=np.array([obj.x, 0.0, obj.z]), dir=obj.quarter_turns * math.pi / 2
                    )
                x0, _, z0, _ = scene.rooms[0]
                self.place_agent(pos=np.array([x0 + 0.5, 0.0, z0 + 0.5]), dir=0.0)

        globals()["_SceneWorld"] = _SceneWorld
        return _SceneWorld
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_frames(
    scene: Scene, poses: Sequence[tuple[float, float, float]], sim: Any = None
) -> np.ndarray:
    """Render the camera walk: ``(num_frames, FRAME_HEIGHT, FRAME_WIDTH, 3)`` uint8 RGB.

    Args:
        scene: The scene to build.
        poses: ``(x, z, yaw)`` per frame (:func:`camera_path`).
        sim: A simulator from an earlier call to reuse (else one is made and closed).
    """
    from vlagent_envs.envs.miniworld.simulator import close_simulator, create_simulator

    own = sim is None
    if own:
        _world_class()
        sim = create_simulator(_ENTRY_POINT, FRAME_WIDTH, FRAME_HEIGHT)
    try:
        sim.scene = scene
        sim.reset(seed=0)
        frames = []
        for x, z, yaw in poses:
            sim.agent.pos = np.array([x, 0.0, z])
            sim.agent.dir = yaw
            sim.agent.cam_height = CAM_HEIGHT
            sim.agent.cam_fov_y = CAM_FOV_Y
            sim.agent.cam_pitch = CAM_PITCH
            sim.agent.cam_fwd_disp = 0.0
            frames.append(sim.render_obs().copy())
        return np.stack(frames)
    finally:
        if own:
            close_simulator(sim)


def _codec() -> str:
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def encode_video(frames: np.ndarray, path: Path, fps: int = FPS) -> None:
    """Write RGB frames to an mp4 (h264 through libx264 when PyAV has it, else MPEG-4 Part 2)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    codec = _codec()
    options = {"crf": "30", "preset": "medium", "threads": "1"} if codec == "libx264" else {}
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if codec != "libx264":
            stream.bit_rate = 400_000
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def render_video(scene: Scene, path: Path, num_frames: int = NUM_FRAMES, sim: Any = None) -> None:
    """Render ``scene``'s camera walk and write it to ``path`` as an mp4."""
    encode_video(render_frames(scene, camera_path(scene, num_frames), sim), path)


# -- dataset ----------------------------------------------------------------------------------


def scene_name(seed: int, index: int) -> str:
    """The name of scene ``index`` of a dataset generated from ``seed``."""
    return f"mw{seed}_{index:04d}"


def scene_seed(seed: int, index: int) -> int:
    """The seed of scene ``index`` of a dataset generated from ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def dataset_rows(
    seed: int = 0, num_scenes: int = 8, num_frames: int = NUM_FRAMES
) -> list[dict[str, Any]]:
    """All rows of a dataset, with ``id`` numbering them from 0 (no OpenGL needed).

    Raises:
        ValueError: ``num_scenes`` is below 1 or ``num_frames`` below :data:`MIN_FRAMES`.
    """
    if num_scenes < 1:
        raise ValueError(f"num_scenes must be at least 1, got {num_scenes}")
    if num_frames < MIN_FRAMES:
        raise ValueError(f"num_frames must be at least {MIN_FRAMES}, got {num_frames}")
    rows = []
    for index in range(num_scenes):
        scene = make_scene(scene_seed(seed, index), scene_name(seed, index))
        rows.extend(scene_rows(scene, num_frames))
    return [{"id": i, **row} for i, row in enumerate(rows)]


def write_dataset(
    root: str | Path,
    seed: int = 0,
    num_scenes: int = 8,
    num_frames: int = NUM_FRAMES,
    render: bool = True,
) -> Path:
    """Generate a dataset in the official layout under ``root``; returns ``root``.

    Writes ``<root>/test.parquet``, ``<root>/miniworld/<scene_name>.mp4`` (when ``render``) and
    ``<root>/generation.json`` (generator version and arguments).

    Args:
        root: The output folder (created).
        seed: The dataset seed; scene ``i`` is generated from ``SeedSequence([seed, i])``.
        num_scenes: How many scenes.
        num_frames: Frames per video.
        render: Render the videos (needs OpenGL); without, only the parquet is written.
    """
    import pandas as pd

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rows = dataset_rows(seed, num_scenes, num_frames)
    frame = pd.DataFrame(
        rows,
        columns=list(REQUIRED_COLUMNS),
    )
    frame.to_parquet(root / "test.parquet", index=False)
    if render:
        from vlagent_envs.envs.miniworld.simulator import close_simulator, create_simulator

        _world_class()
        sim = create_simulator(_ENTRY_POINT, FRAME_WIDTH, FRAME_HEIGHT)
        try:
            for index in range(num_scenes):
                scene = make_scene(scene_seed(seed, index), scene_name(seed, index))
                render_video(scene, root / DATASET / f"{scene.name}.mp4", num_frames, sim)
                logger.info("rendered %s", scene.name)
        finally:
            close_simulator(sim)
    meta = {
        "generator": _MODULE,
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "num_scenes": num_scenes,
        "num_frames": num_frames,
        "fps": FPS,
        "frame_size": [FRAME_HEIGHT, FRAME_WIDTH],
        "codec": _codec() if render else None,
        "num_questions": len(rows),
    }
    (root / "generation.json").write_text(json.dumps(meta, indent=2) + "\n")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m vlagent_envs.benchmarks.vsibench.generate --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", required=True, help="output folder (test.parquet, miniworld/*.mp4)"
    )
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument("--scenes", type=int, default=8, help="number of scenes")
    parser.add_argument("--frames", type=int, default=NUM_FRAMES, help="frames per video")
    parser.add_argument("--no-render", action="store_true", help="write the parquet only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = write_dataset(args.out, args.seed, args.scenes, args.frames, render=not args.no_render)
    print(f"wrote {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
