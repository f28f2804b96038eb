"""The generated VSI-Bench set (``vlagent_envs.benchmarks.vsibench.generate``) and its shipped copy.

Geometry helpers are checked on hand-computed cases; the rows of a seed are checked to be the
same twice and to be what the shipped parquet holds; rendering is checked against the
geometric camera model on a hand-built scene.
"""

from __future__ import annotations

import collections
import importlib.util
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vlagent_envs.benchmarks.vsibench import generate as gen
from vlagent_envs.benchmarks.vsibench.data import QUESTION_TYPES

SHIPPED = Path(gen.__file__).parent / "data" / "miniworld"
COLUMNS = ["id", "dataset", "scene_name", "question_type", "question", "ground_truth", "options"]
MCA = {
    "object_rel_distance",
    "object_rel_direction_easy",
    "object_rel_direction_medium",
    "object_rel_direction_hard",
    "route_planning",
    "obj_appearance_order",
}

needs_miniworld = pytest.mark.skipif(
    importlib.util.find_spec("miniworld") is None,
    reason='needs the miniworld extra: pip install "vlagent-envs[miniworld]"',
)


# -- geometry --------------------------------------------------------------------------------


def test_box_distance_hand_cases():
    unit = ((0, 0, 0), (1, 1, 1))
    assert gen.box_distance(*unit, (0.5, 0.5, 0.5), (2, 2, 2)) == 0.0  # overlapping
    assert gen.box_distance(*unit, (1, 0, 0), (2, 1, 1)) == 0.0  # touching faces
    assert gen.box_distance(*unit, (2.5, 0, 0), (3, 1, 1)) == pytest.approx(1.5)
    # gaps of 3 in x and 4 in z, overlapping in y: 5
    assert gen.box_distance(*unit, (4, 0.5, 5), (5, 2, 6)) == pytest.approx(5.0)
    assert gen.box_distance((4, 0.5, 5), (5, 2, 6), *unit) == pytest.approx(5.0)


def test_signed_angle_follows_miniworld_right_vector():
    # dir = 0: forward (x, z) = (1, 0); MiniWorld's right_vec is (sin 0, cos 0) = (0, 1).
    assert gen.signed_angle((1, 0), (0, 1)) == pytest.approx(90.0)
    assert gen.signed_angle((1, 0), (0, -1)) == pytest.approx(-90.0)
    assert gen.signed_angle((1, 0), (-1, 0)) == pytest.approx(180.0)
    assert gen.signed_angle((1, 0), (1, 1)) == pytest.approx(45.0)
    # dir = 90 degrees: forward is -z, right is +x.
    assert gen.signed_angle((0, -1), (1, 0)) == pytest.approx(90.0)


@pytest.mark.parametrize(
    ("angle", "easy", "medium", "hard"),
    [
        (45.0, "right", "right", "front-right"),
        (-45.0, "left", "left", "front-left"),
        (110.0, "right", "right", "back-right"),
        (-120.0, "left", "left", "back-left"),
        (150.0, "right", "back", "back-right"),
        (-160.0, "left", "back", "back-left"),
        (5.0, None, None, None),  # straight ahead
        (178.0, None, "back", None),  # straight behind
        (88.0, "right", "right", None),  # on the front/back axis
        (133.0, "right", None, "back-right"),  # at the 135 degree boundary
    ],
)
def test_direction_levels(angle, easy, medium, hard):
    assert gen.direction_easy(angle) == easy
    assert gen.direction_medium(angle) == medium
    assert gen.direction_hard(angle) == hard


@pytest.mark.parametrize(
    ("angle", "turn"),
    [
        (90.0, "Turn Right"),
        (-75.0, "Turn Left"),
        (180.0, "Turn Back"),
        (-155.0, "Turn Back"),
        (20.0, None),  # no turn
        (135.0, None),  # between right and back
        (-50.0, None),
    ],
)
def test_classify_turn(angle, turn):
    assert gen.classify_turn(angle) == turn


def test_room_area():
    assert gen.room_area([(0.0, 7.5, 0.0, 6.0)]) == pytest.approx(45.0)
    assert gen.room_area([(0, 2, 0, 3), (2, 6, 0, 1)]) == pytest.approx(10.0)


def test_object_box_scales_and_rotates_mesh_bounds():
    chair = gen.CATEGORIES["chair"]
    (lo_x, _, lo_z), (hi_x, hi_y, hi_z) = gen.MESH_BOUNDS["office_chair"]
    scale = 1.0 / hi_y
    bmin, bmax = gen._object_box(chair, 2.0, 3.0, 0, (1.0,))
    assert bmin == pytest.approx((2.0 + lo_x * scale, 0.0, 3.0 + lo_z * scale), abs=1e-6)
    assert bmax == pytest.approx((2.0 + hi_x * scale, 1.0, 3.0 + hi_z * scale), abs=1e-6)
    # A quarter turn: x' = z, z' = -x.
    bmin, bmax = gen._object_box(chair, 2.0, 3.0, 1, (1.0,))
    assert bmin == pytest.approx((2.0 + lo_z * scale, 0.0, 3.0 - hi_x * scale), abs=1e-6)
    assert bmax == pytest.approx((2.0 + hi_z * scale, 1.0, 3.0 - lo_x * scale), abs=1e-6)
    box = gen.CATEGORIES["box"]
    bmin, bmax = gen._object_box(box, 1.0, 1.0, 3, (0.4, 0.5, 0.8))
    assert bmin == pytest.approx((0.6, 0.0, 0.8))
    assert bmax == pytest.approx((1.4, 0.5, 1.2))


def _scene(*objects: gen.SceneObject) -> gen.Scene:
    return gen.Scene("t", 0, ((0.0, 8.0, 0.0, 8.0),), "concrete", "wood", "ceiling_tiles", objects)


def _box(x: float, z: float, color: str = "red", side: float = 0.6) -> gen.SceneObject:
    bmin, bmax = gen._object_box(gen.CATEGORIES["box"], x, z, 0, (side, side, side))
    return gen.SceneObject("box", "box", color, x, z, 0, (side, side, side), bmin, bmax)


def test_visibility_field_of_view_and_occlusion():
    # Camera at (2.5, 4) looking along +x (yaw 0). A box ahead is seen; one behind is not until
    # the camera turns round; a small box right behind a big one is never seen.
    ahead, behind = _box(5.5, 2.5), _box(0.3, 4.0, side=0.3)
    big, hidden = _box(5.0, 4.8, side=1.2), _box(7.0, 5.4, side=0.2)
    eye = np.array([2.5, gen.CAM_HEIGHT, 4.0])
    # the line of sight to the small box passes through the big one
    lo, hi = np.array(big.bbox_min), np.array(big.bbox_max)
    assert gen._segment_hits_box(eye, np.array([hidden.center]), lo, hi, 1.0)[0]
    scene = _scene(ahead, behind, big, hidden)
    first = gen.first_visible_frames(scene, [(2.5, 4.0, 0.0), (2.5, 4.0, math.pi)])
    assert first == [0, 1, 0, None]
    # without the big box, the small one is in view
    assert gen.first_visible_frames(_scene(hidden), [(2.5, 4.0, 0.0)]) == [0]


def _labelled(category: str, x: float, z: float) -> gen.SceneObject:
    box = _box(x, z, side=0.4)
    return gen.SceneObject(category, "box", "red", x, z, 0, box.size, box.bbox_min, box.bbox_max)


def test_route_and_direction_ground_truth_on_a_square():
    # chair (2, 2) -> desk (6, 2) -> barrel (6, 6) -> ball (2, 6): +x, then +z, then -x.
    # Facing +x, +z is to the right (MiniWorld's right_vec), so both turns are right turns.
    names = ("chair", "desk", "barrel", "ball")
    scene = _scene(
        *(
            _labelled(n, x, z)
            for n, (x, z) in zip(names, [(2, 2), (6, 2), (6, 6), (2, 6)], strict=True)
        )
    )
    obj_of = {o.category: o for o in scene.objects}
    routes = gen._routes(scene, list(names), obj_of)
    assert ("chair", "desk", ["desk", "barrel", "ball"], ["Turn Right", "Turn Right"]) in routes
    assert ("ball", "barrel", ["barrel", "desk", "chair"], ["Turn Left", "Turn Left"]) in routes
    # Form 2: at the chair facing the ball (+z), turn left (-> +x) to the desk, then right (+z).
    assert ("chair", "ball", ["desk", "barrel"], ["Turn Left", "Turn Right"]) in routes
    # Standing by the chair facing the desk (+x): the barrel is at +45 degrees, the ball at +90.
    chair, desk, barrel, ball = (obj_of[n].center[[0, 2]] for n in names)
    bearing = gen.signed_angle(desk - chair, barrel - chair)
    assert bearing == pytest.approx(45.0)
    assert (gen.direction_easy(bearing), gen.direction_hard(bearing)) == ("right", "front-right")
    assert gen.direction_hard(gen.signed_angle(desk - chair, ball - chair)) is None  # on an axis
    rows = gen.generate_questions(scene, [0, 10, 20, 30], num_frames=40)
    by_type = {row["question_type"]: row for row in rows}
    order = by_type["obj_appearance_order"]
    answer = order["options"]["ABCD".index(order["ground_truth"])]
    assert answer == "D. chair, desk, barrel, ball"[3:] or answer.endswith(
        "chair, desk, barrel, ball"
    )
    assert by_type["room_size_estimation"]["ground_truth"] == "64.0"


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="num_scenes"):
        gen.dataset_rows(seed=0, num_scenes=0)
    with pytest.raises(ValueError, match="num_frames"):
        gen.dataset_rows(seed=0, num_scenes=1, num_frames=2)


def _two_rooms(*objects: gen.SceneObject) -> gen.Scene:
    rooms = ((0.0, 6.0, 0.0, 6.0), (6.0, 12.0, 0.0, 5.0))
    return gen.Scene(
        "t2", 0, rooms, "concrete", "wood", "ceiling_tiles", objects, ((6.0, 2.0, 3.6),)
    )


def test_walls_have_the_door_cut_out():
    walls = set(_two_rooms().walls())
    assert (6.0, 0.0, 6.0, 2.0) in walls and (6.0, 3.6, 6.0, 6.0) in walls  # west room, east wall
    assert (6.0, 0.0, 6.0, 2.0) in walls and (6.0, 3.6, 6.0, 5.0) in walls  # east room, west wall
    assert not any(x0 == x1 == 6.0 and z0 < 2.8 < z1 for x0, z0, x1, z1 in walls)
    assert len(walls) == 5 + 5 - 1  # 3 whole walls and 2 pieces each; (6, 0)-(6, 2) twice


def test_crosses_wall():
    walls = _two_rooms().walls()
    ends = np.array([[8.0, 0.8], [8.0, 2.8], [5.0, 1.0], [6.0, 1.0]])
    # through the wall, through the door, inside the room, ending on the wall
    assert gen.crosses_wall((4.0, 2.8), ends, walls).tolist() == [True, False, False, False]


def test_walls_hide_objects_in_the_other_room():
    seen, hidden = _box(9.0, 2.8), _box(9.0, 0.8)
    # From (3, 2.8) facing +x: one box straight through the door, one behind the wall.
    first = gen.first_visible_frames(_two_rooms(seen, hidden), [(3.0, 2.8, 0.0)])
    assert first == [0, None]
    one_room = gen.Scene("t", 0, ((0.0, 12.0, 0.0, 6.0),), "concrete", "wood", "x", (hidden,))
    assert gen.first_visible_frames(one_room, [(3.0, 2.8, 0.0)]) == [0]


def test_two_room_walk_goes_through_the_door():
    scene = _two_rooms()
    poses = gen.camera_path(scene, 32)
    assert len(poses) == 32
    walls = scene.walls()
    for (x0, z0, _), (x1, z1, _) in itertools.pairwise(poses):
        assert not gen.crosses_wall((x0, z0), np.array([[x1, z1]]), walls)[0]
    assert poses[0][0] < 6.0 < poses[-1][0]
    assert all(0.0 < z < 6.0 for _, z, _ in poses)


# -- rows ------------------------------------------------------------------------------------


def test_rows_are_deterministic_and_seeded(tmp_path):
    a = gen.write_dataset(tmp_path / "a", seed=5, num_scenes=1, num_frames=16, render=False)
    b = gen.write_dataset(tmp_path / "b", seed=5, num_scenes=1, num_frames=16, render=False)
    rows_a, rows_b = pd.read_parquet(a / "test.parquet"), pd.read_parquet(b / "test.parquet")
    assert list(rows_a.columns) == COLUMNS
    pd.testing.assert_frame_equal(rows_a, rows_b)
    other = gen.dataset_rows(seed=6, num_scenes=1, num_frames=16)
    assert [r["question"] for r in other] != rows_a["question"].tolist()
    meta = json.loads((a / "generation.json").read_text())
    assert meta["seed"] == 5 and meta["generator_version"] == gen.GENERATOR_VERSION


def _check_rows(frame: pd.DataFrame) -> None:
    assert frame["id"].tolist() == list(range(len(frame)))
    assert set(frame["dataset"]) == {gen.DATASET}
    for row in frame.to_dict("records"):
        qtype, truth, options = row["question_type"], row["ground_truth"], row["options"]
        if qtype in MCA:
            letters = [option.split(". ", 1)[0] for option in options]
            assert letters == list("ABCD"[: len(options)])
            assert truth in letters
            texts = [option.split(". ", 1)[1] for option in options]
            assert len(set(texts)) == len(texts), row
        else:
            assert options is None
            assert float(truth) > 0
        if qtype == "object_counting":
            assert truth in {"1", "2", "3", "4"}


def test_generated_rows_are_well_formed():
    rows = gen.dataset_rows(seed=1, num_scenes=2, num_frames=32)
    _check_rows(pd.DataFrame(rows, columns=COLUMNS))


def test_cli_writes_parquet(tmp_path):
    assert gen.main(["--out", str(tmp_path), "--scenes", "1", "--frames", "8", "--no-render"]) == 0
    frame = pd.read_parquet(tmp_path / "test.parquet")
    assert len(frame) > 0 and (frame["scene_name"] == gen.scene_name(0, 0)).all()


# -- the shipped set -------------------------------------------------------------------------


def test_shipped_set_has_every_type_and_valid_answers():
    frame = pd.read_parquet(SHIPPED / "test.parquet")
    assert list(frame.columns) == COLUMNS
    counts = collections.Counter(frame["question_type"])
    assert set(counts) == set(QUESTION_TYPES)
    assert min(counts.values()) >= 4, counts
    _check_rows(frame)
    files = sorted(p.name for p in (SHIPPED / gen.DATASET).iterdir())
    assert files == sorted(f"{name}.mp4" for name in set(frame["scene_name"]))
    assert sorted(p.name for p in SHIPPED.iterdir()) == [
        "generation.json",
        "miniworld",
        "test.parquet",
    ]
    size = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert size < 4_000_000


@pytest.mark.slow
def test_shipped_parquet_is_what_the_generator_writes():
    meta = json.loads((SHIPPED / "generation.json").read_text())
    assert meta["generator_version"] == gen.GENERATOR_VERSION
    rows = gen.dataset_rows(meta["seed"], meta["num_scenes"], meta["num_frames"])
    expected = pd.DataFrame(rows, columns=COLUMNS)
    pd.testing.assert_frame_equal(pd.read_parquet(SHIPPED / "test.parquet"), expected)


def test_shipped_videos_decode_to_the_recorded_frames():
    av = pytest.importorskip("av")
    meta = json.loads((SHIPPED / "generation.json").read_text())
    for path in sorted((SHIPPED / gen.DATASET).glob("*.mp4")):
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(frames) == meta["num_frames"], path
        assert frames[0].shape == (gen.FRAME_HEIGHT, gen.FRAME_WIDTH, 3)


def test_shipped_set_loads_and_scores_with_the_vsibench_modules():
    data = pytest.importorskip("vlagent_envs.benchmarks.vsibench.data")
    metrics = pytest.importorskip("vlagent_envs.benchmarks.vsibench.metrics")
    items = data.load_items(SHIPPED)
    assert len(items) == len(pd.read_parquet(SHIPPED / "test.parquet"))
    for item in items:
        assert item.video_path.is_file()
        assert metrics.score(item, item.ground_truth) == 1.0, item
    frames = data.sample_frames(items[0].video_path, num_frames=8)
    assert frames.shape == (8, gen.FRAME_HEIGHT, gen.FRAME_WIDTH, 3)


# -- rendering (OpenGL) ----------------------------------------------------------------------


@needs_miniworld
def test_mesh_bounds_match_miniworld():
    from vlagent_envs.envs.miniworld.headless import load_miniworld

    load_miniworld()
    from miniworld.objmesh import ObjMesh

    for category in gen.CATEGORIES.values():
        if category.mesh == "box":
            continue
        mesh = f"{category.mesh}_{category.colors[0]}" if category.colors else category.mesh
        lo, hi = gen.MESH_BOUNDS[category.mesh]
        assert np.allclose(ObjMesh.get(mesh).min_coords, lo, atol=1e-5), mesh
        assert np.allclose(ObjMesh.get(mesh).max_coords, hi, atol=1e-5), mesh


@needs_miniworld
def test_camera_model_matches_miniworld_render(tmp_path):
    from miniworld.entity import Agent

    agent = Agent()
    agent.dir, agent.cam_pitch = 0.7, gen.CAM_PITCH
    assert np.allclose(agent.cam_dir, gen.camera_basis(0.7)[0])
    # A red box 3 m ahead and a blue one to the right: their projected centers are red and
    # blue in the rendered frame.
    red, blue = _box(4.0, 4.0, "red"), _box(3.5, 5.5, "blue", side=0.5)
    scene = _scene(red, blue)
    pose = (1.0, 4.0, 0.0)
    frame = gen.render_frames(scene, [pose])[0]
    assert frame.shape == (gen.FRAME_HEIGHT, gen.FRAME_WIDTH, 3)
    forward, right, up = gen.camera_basis(pose[2])
    eye = np.array([pose[0], gen.CAM_HEIGHT, pose[1]])
    tan_y = math.tan(math.radians(gen.CAM_FOV_Y) / 2)
    tan_x = tan_y * gen.FRAME_WIDTH / gen.FRAME_HEIGHT
    for obj, channel in ((red, 0), (blue, 2)):
        rel = obj.center - eye
        depth = rel @ forward
        col = int((1 + (rel @ right) / (depth * tan_x)) / 2 * gen.FRAME_WIDTH)
        row = int((1 - (rel @ up) / (depth * tan_y)) / 2 * gen.FRAME_HEIGHT)
        pixel = frame[row, col].astype(int)
        assert pixel[channel] > 100 and pixel[channel] > 2 * np.delete(pixel, channel).max()
    assert blue.center[2] > 4.0 and col > gen.FRAME_WIDTH // 2  # +z is to the right at yaw 0


@needs_miniworld
def test_write_dataset_renders_videos(tmp_path):
    av = pytest.importorskip("av")
    root = gen.write_dataset(tmp_path, seed=2, num_scenes=1, num_frames=8)
    video = root / gen.DATASET / f"{gen.scene_name(2, 0)}.mp4"
    with av.open(str(video)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 8
    assert (frames[0].height, frames[0].width) == (gen.FRAME_HEIGHT, gen.FRAME_WIDTH)
