#!/usr/bin/env bash
# The learning runs behind baselines/README.md: VL-DAC and the RL4VLM mode, 3 seeds each, on
# NumberLine with the tiny Qwen2-VL from scratch, on a 2-core CPU (one torch thread per run,
# two runs at a time). Then the curves and the table:
#   bash baselines/scripts/numberline.sh runs/numberline
#   python -m baselines.scripts.plot_learning runs/numberline --out baselines/numberline.png
set -euo pipefail
out=${1:-runs/numberline}
steps=${STEPS:-6400}
common=(
  --model tiny
  --tiny-options '{"hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 2, "initializer_range": 0.1}'
  --env-id VLAgent/GymCards-NumberLine-v0 --env-kwargs '{"text_observation": true}'
  --no-task-prompt --constrained
  --num-envs 32 --num-steps 4 --minibatch-size 64 --gamma 0.9
  --learning-rate 3e-4 --end-learning-rate 3e-5 --value-learning-rate 1e-3
  --total-timesteps "$steps" --eval-every 5 --eval-episodes 50 --output-dir "$out" --no-progress
)
run() {  # mode seed
  python -m baselines.vldac "${common[@]}" --logprob-mode "$1" --seed "$2" --run-name "$1-seed$2"
}
for seed in 1 2 3; do
  run vldac "$seed" &
  run rl4vlm "$seed" &
  wait
done
