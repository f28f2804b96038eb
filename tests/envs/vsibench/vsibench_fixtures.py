"""A VSI-Bench root in the official layout, written with pandas and PyAV.

Videos are 20 frames of 64x48 pixels; frame ``k`` is a flat grey of level ``12 * k``, so the
frame a sampled image came from reads back as ``round(mean / 12)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FRAMES = 20
WIDTH, HEIGHT = 64, 48
LEVEL = 12

ROWS = [
    {
        "id": 0,
        "dataset": "scannet",
        "scene_name": "scene0001_00",
        "question_type": "route_planning",
        "question": "You are a robot beginning at the door. Which turn reaches the sofa?",
        "ground_truth": "B",
        "options": ["A. Turn Left", "B. Turn Right", "C. Go forward", "D. Turn Back"],
    },
    {
        "id": 1,
        "dataset": "scannet",
        "scene_name": "scene0001_00",
        "question_type": "object_counting",
        "question": "How many chair(s) are in this room?",
        "ground_truth": "4",
        "options": None,
    },
    {
        "id": 2,
        "dataset": "arkitscenes",
        "scene_name": "41069025",
        "question_type": "object_rel_direction_easy",
        "question": "If I am standing by the bed and facing the lamp, is the desk to my left?",
        "ground_truth": "A",
        "options": ["A. left", "B. right", "C. back"],
    },
    {
        "id": 3,
        "dataset": "arkitscenes",
        "scene_name": "41069025",
        "question_type": "object_abs_distance",
        "question": "What is the distance between the bed and the desk (in meters)?",
        "ground_truth": "2.5",
        "options": None,
    },
    {
        "id": 4,
        "dataset": "scannetpp",
        "scene_name": "broken",
        "question_type": "room_size_estimation",
        "question": "What is the size of this room (in square meters)?",
        "ground_truth": "10",
        "options": None,
    },
]


def write_video(path: Path, frames: int = FRAMES) -> None:
    """An H.264 mp4 whose frame ``k`` is a flat grey of level ``LEVEL * k``."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for k in range(frames):
            array = np.full((HEIGHT, WIDTH, 3), LEVEL * k, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_root(
    root: Path, rows: list[dict] | None = None, name: str = "test-00000-of-00001.parquet"
) -> Path:
    """Write the parquet (the official columns plus an extra one) and the videos under ``root``."""
    import pandas as pd

    rows = ROWS if rows is None else rows
    root.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame["split_note"] = "extra column"  # extra columns are tolerated
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(target)
    for row in rows:
        video = root / row["dataset"] / f"{row['scene_name']}.mp4"
        if row["scene_name"] == "broken":
            video.parent.mkdir(parents=True, exist_ok=True)
            video.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 4)
        elif not video.exists():
            write_video(video)
    return root
