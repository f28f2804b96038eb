"""The ALFWorld schematic: sizes, determinism, what changes the picture, and hostile inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vlagent_envs.envs.alfworld.render import (
    Renderer,
    Situation,
    receptacle_kind,
    render_situation,
)

KITCHEN = (
    "cabinet 1",
    "cabinet 2",
    "coffeemachine 1",
    "countertop 1",
    "countertop 2",
    "drawer 1",
    "fridge 1",
    "garbagecan 1",
    "microwave 1",
    "sinkbasin 1",
    "stoveburner 1",
    "toaster 1",
)
OPENABLE = frozenset({"cabinet 1", "cabinet 2", "drawer 1", "fridge 1", "microwave 1"})


@pytest.fixture
def situation() -> Situation:
    return Situation(
        task="put a clean mug in coffeemachine.",
        location="countertop 1",
        receptacles=KITCHEN,
        openable=OPENABLE,
        opened=frozenset({"cabinet 2"}),
        visible=("apple 1", "mug 2"),
        states={"apple 1": ("hot",)},
        feedback="You arrive at countertop 1. On the countertop 1, you see a apple 1, and a mug 2.",
    )


def _differs(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((a != b).any())


@pytest.mark.parametrize(("width", "height"), [(512, 512), (64, 64), (256, 192), (800, 600)])
def test_shape_and_dtype(situation: Situation, width: int, height: int) -> None:
    image = render_situation(situation, width, height)
    assert image.shape == (height, width, 3) and image.dtype == np.uint8
    assert image.flags.writeable
    assert image.std() > 10  # something is drawn


def test_same_situation_same_pixels(situation: Situation) -> None:
    first = render_situation(situation)
    again = render_situation(dataclasses.replace(situation))
    fresh = Renderer(512, 512).render(situation)  # caches play no part in the result
    assert np.array_equal(first, again) and np.array_equal(first, fresh)


def test_moving_opening_and_holding_change_the_picture(situation: Situation) -> None:
    base = render_situation(situation)
    moved = render_situation(dataclasses.replace(situation, location="fridge 1", visible=()))
    opened = render_situation(dataclasses.replace(situation, opened=frozenset({"cabinet 1"})))
    holding = render_situation(dataclasses.replace(situation, inventory=("mug 2",)))
    states = render_situation(dataclasses.replace(situation, states={"apple 1": ("cool",)}))
    for changed in (moved, opened, holding, states):
        assert _differs(base, changed)
    # Opening touches only the tile and its neighbourhood, not the whole picture.
    assert (base != opened).any(axis=2).mean() < 0.05


def test_start_and_unlisted_location_render(situation: Situation) -> None:
    start = render_situation(dataclasses.replace(situation, location=None, visible=()))
    elsewhere = render_situation(dataclasses.replace(situation, location="garage 1"))
    assert start.shape == elsewhere.shape == (512, 512, 3)
    assert _differs(start, elsewhere) and _differs(start, render_situation(situation))


def test_sixty_receptacles_and_very_long_texts() -> None:
    kinds = ("toiletpaperhanger", "handtowelholder", "coffeemachine", "cabinet", "countertop")
    receptacles = tuple(f"{kind} {i}" for kind in kinds for i in range(1, 13))
    assert len(receptacles) == 60
    situation = Situation(
        task="put " + "a very clean and slightly warm mug " * 15,
        location=receptacles[-1],
        receptacles=receptacles,
        openable=frozenset(receptacles[36:48]),
        opened=frozenset(receptacles[36:40]),
        visible=tuple(f"object{i} {i}" for i in range(40)),
        inventory=("supercalifragilisticexpialidocious" * 4,),
        states={f"object{i} {i}": ("hot", "sliced") for i in range(40)},
        feedback="Nothing happens. " * 118,
    )
    assert len(situation.task) >= 500 and len(situation.feedback) >= 2000
    for width, height in ((512, 512), (96, 300), (300, 96)):
        assert render_situation(situation, width, height).shape == (height, width, 3)


def test_empty_room_and_empty_texts() -> None:
    situation = Situation(task="", location=None, receptacles=())
    assert render_situation(situation).shape == (512, 512, 3)


@pytest.mark.parametrize(("width", "height"), [(63, 512), (512, 10), (0, 0), (-5, 100)])
def test_too_small_sizes_raise(situation: Situation, width: int, height: int) -> None:
    with pytest.raises(ValueError, match="at least 64x64"):
        render_situation(situation, width, height)
    with pytest.raises(ValueError, match="at least 64x64"):
        Renderer(width, height)


def test_receptacle_kinds() -> None:
    assert receptacle_kind("fridge 1") == "appliance"
    assert receptacle_kind("CounterTop") == "surface"
    assert receptacle_kind("cabinet 12") == "storage"
    assert receptacle_kind("garbagecan 1") == "other"
    assert receptacle_kind("spaceship 3") == "other"
