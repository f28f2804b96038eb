"""``python -m vlagent_envs``: list the envs, check one for conformance, or play one by hand.

* ``list`` -- every registered id with its family, pip extra and whether the extra is installed;
* ``check ID`` -- the conformance suite on one id (for third-party env authors), exit 1 on failure;
* ``play ID`` -- type actions in the terminal; each step prints the text and the path of the
  image saved as PNG (useful for debugging prompts).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import gymnasium as gym

from vlagent_envs.registration import FAMILIES, family_of, registered_ids

__all__ = ["main"]


def _installed(family: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in FAMILIES[family].modules)


def cmd_list(out: TextIO) -> int:
    rows = [("id", "family", "extra", "installed", "max steps")]
    for env_id in registered_ids():
        family = family_of(env_id)
        assert family is not None  # registered_ids() lists our namespace only
        spec = gym.spec(env_id)
        rows.append(
            (
                env_id,
                family,
                FAMILIES[family].extra,
                "yes" if _installed(family) else "no",
                str(spec.max_episode_steps or "-"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        if i == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")
    return 0


def cmd_check(env_id: str, skip: Sequence[str], out: TextIO) -> int:
    from vlagent_envs.testing import check_env_conformance

    gym.spec(env_id)  # an unknown id fails here with gymnasium's close-match suggestions
    report = check_env_conformance(env_id, skip=skip)
    for check, verdict in report.items():
        out.write(f"{check:16s} {verdict}\n")
    failed = [c for c, v in report.items() if v.startswith("FAILED")]
    out.write(f"{env_id}: {'FAILED ' + ', '.join(failed) if failed else 'conforms'}\n")
    return 1 if failed else 0


def cmd_play(env_id: str, seed: int, save_dir: Path | None, inp: TextIO, out: TextIO) -> int:
    from PIL import Image

    env = gym.make(env_id)
    folder = save_dir or Path(tempfile.mkdtemp(prefix="vlagent-play-"))
    folder.mkdir(parents=True, exist_ok=True)
    obs, info = env.reset(seed=seed)
    out.write(f"{info.get('task_prompt', '')}\n\n(type an action; 'quit' to stop)\n")
    step, total = 0, 0.0
    while True:
        image_path = folder / f"step_{step:04d}.png"
        Image.fromarray(obs["image"]).save(image_path)
        out.write(f"\n[step {step}] instruction: {obs['instruction']}\n{obs['text']}\n")
        if info.get("admissible_actions"):
            out.write(f"actions: {', '.join(info['admissible_actions'])}\n")
        out.write(f"image: {image_path}\n> ")
        out.flush()
        line = inp.readline()
        if not line or line.strip() == "quit":
            out.write("\n")
            break
        obs, reward, terminated, truncated, info = env.step(line.rstrip("\n"))
        step += 1
        total += float(reward)
        validity = "" if info["action_valid"] else " (invalid)"
        out.write(
            f"action {info['parsed_action']!r}{validity}: reward {reward:+g}, return {total:+g}\n"
        )
        if terminated or truncated:
            Image.fromarray(obs["image"]).save(folder / f"step_{step:04d}.png")
            out.write(
                f"\n{obs['text']}\nepisode over ({'success' if info['success'] else 'no success'}"
                f", return {total:+g}, {step} steps); images in {folder}\n"
            )
            break
    env.close()
    return 0


def main(
    argv: Sequence[str] | None = None, inp: TextIO | None = None, out: TextIO | None = None
) -> int:
    """Entry point; returns the exit status."""
    inp, out = inp or sys.stdin, out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m vlagent_envs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered ids, families and extras")
    check = sub.add_parser("check", help="run the conformance suite on one id")
    check.add_argument("env_id")
    check.add_argument("--skip", nargs="*", default=[], help="checks to skip")
    play = sub.add_parser("play", help="play an env by typing actions")
    play.add_argument("env_id")
    play.add_argument("--seed", type=int, default=0)
    play.add_argument("--save-dir", type=Path, default=None, help="where step images go")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list(out)
        if args.command == "check":
            return cmd_check(args.env_id, args.skip, out)
        return cmd_play(args.env_id, args.seed, args.save_dir, inp, out)
    except (gym.error.Error, ValueError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
