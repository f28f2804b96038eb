"""ESSA with its population scored by Ray actors gives exactly the in-process run.

Like the VL-DAC Ray test, the run happens in a network namespace with only loopback
(``unshare -n``, root only), so all of Ray's traffic stays on 127.0.0.1; the actors receive
only generation seeds, candidate indices and rewards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("cma")
torch = pytest.importorskip("torch")

from test_vldac_ray import _can_isolate, run_on_loopback  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
from dataclasses import replace
sys.path.insert(0, {root!r})
from baselines.essa import Args, main
import ray
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir={ray_tmp!r})
args = Args(**json.loads({args!r}))
print(main(replace(args, backend="ray", workers=2, run_name="ray")))
ray.shutdown()
"""


@pytest.mark.slow
def test_ray_workers_match_in_process_on_loopback_only(tmp_path: Path) -> None:
    if not _can_isolate():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run as root with unshare and ip to test Ray on loopback only")
        pytest.skip("needs root, unshare and ip to keep Ray on loopback")
    from test_essa import small_args

    from baselines.essa import main

    args = small_args(tmp_path)
    local = main(args)
    code = SCRIPT.format(root=str(ROOT), ray_tmp="{ray_tmp}", args=json.dumps(args.__dict__))
    done = run_on_loopback(code)
    assert done.returncode == 0, done.stderr[-3000:]
    ray_run = Path(done.stdout.strip().splitlines()[-1])
    a = json.loads((local / "checkpoint.json").read_text())
    b = json.loads((ray_run / "checkpoint.json").read_text())
    assert a["history"] == b["history"] and len(a["history"]) == args.generations
