#!/usr/bin/env bash
# The MiniWorld-OneRoom run behind baselines/README.md: VL-DAC with the tiny Qwen2-VL from
# scratch, from pixels (the last 4 frames; the env's text is only "You look around."), on one
# CPU core. Then the curve:
#   bash baselines/scripts/miniworld_oneroom.sh runs/oneroom
#   python -m baselines.scripts.plot_learning runs/oneroom --out baselines/oneroom.png
set -euo pipefail
out=${1:-runs/oneroom}
steps=${STEPS:-40960}
seed=${SEED:-1}
python -m baselines.vldac \
  --model tiny \
  --tiny-options '{"hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 2, "initializer_range": 0.1}' \
  --env-id VLAgent/MiniWorld-OneRoom-v0 \
  --no-task-prompt --constrained \
  --num-envs 16 --num-steps 32 --minibatch-size 128 --gamma 0.99 \
  --learning-rate 3e-4 --end-learning-rate 3e-5 --value-learning-rate 1e-3 \
  --total-timesteps "$steps" --eval-every 10 --eval-episodes 20 --checkpoint-every 5 \
  --output-dir "$out" --run-name "vldac-seed$seed" --seed "$seed" --no-progress
