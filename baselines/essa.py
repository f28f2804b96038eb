"""ESSA: evolution strategies over the singular values of LoRA adapters (arXiv:2507.04453).

Gradient-free alignment in four steps, as the paper describes it:

1. **Warm start**: a short supervised fine-tune of LoRA adapters on demonstrations (the env's
   scripted expert, or a dataset's answers: MathQA's solutions) -- :mod:`baselines.sft`.
2. **SVD**: each adapter factored once, singular vectors frozen (:mod:`baselines.lora_svd`;
   the paper factors ``A`` and ``B`` separately, ``--svd product`` factors ``B @ A``).
3. **CMA-ES** (the ``cma`` package) over additive offsets to the top ``floor(alpha * r)``
   singular values of every factor: search dimension = layers x adapted matrices x rank (x 2 for
   the paper's two factors).
4. **Fitness** = mean episode return of a candidate on a mini-batch of episodes (the same
   mini-batch for the whole population, drawn from the generation's seed), by inference only,
   greedy decoding (or sampled, with the same random numbers for every candidate:
   ``--sampled-fitness``).

The population is evaluated in this process, in local worker processes or on Ray actors. Each
worker holds the model and a **replica of the CMA-ES state**; per generation the workers receive
only a generation seed and which candidates to score, regenerate the whole population from the
seed, score their share, and then receive everyone's rewards and replay the same CMA-ES update.
A checkpoint is the list of (seed, rewards) pairs: resuming replays it (no evaluation) and
continues exactly. ``--quantize`` evaluates with the frozen base weights in int8 (dynamic
quantisation, CPU).

Defaults: rank 8, population 96, alpha 1.0 and a 100-episode mini-batch are the paper's (Table
7); it does not give the initial step size or the number of generations. Ours: offsets start at
zero with step size ``--sigma 0.1`` in units of each singular value (CMA-ES's per-coordinate
scales are the singular values themselves, so the first candidates move every singular value by
about 10%); ``--generations 50``. LoRA on the attention projections (q, k, v, o), as the paper.

Run from the repository root (the tiny CPU example of ``baselines/README.md``)::

    python -m baselines.essa --model tiny --sft-steps 20 --population 8 --batch-size 8 \\
        --generations 3 --eval-episodes 20
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from baselines.episodes import EpisodePlayer, mean_return
from baselines.lora_svd import SingularValueSpace, quantize_base_layers
from baselines.policy import VLMPolicy
from baselines.sft import evaluate_player, prompting
from baselines.trainer import (
    WARM_START_FILE,
    RunArgs,
    build_lora_policy,
    load_warm_start,
    open_run,
    over_budget,
    record_eval,
    save_args,
    warm_start_once,
)

__all__ = [
    "Args",
    "PopulationWorker",
    "SeededNormal",
    "batch_seeds",
    "generation_seed",
    "main",
    "make_es",
]

logger = logging.getLogger(__name__)


@dataclass
class Args(RunArgs):
    """ESSA's arguments (one line of help under each); the shared ones are in ``RunArgs``."""

    svd: Literal["factors", "product"] = "factors"
    """'factors' (paper: A and B each by SVD) or 'product' (B @ A by SVD)."""
    alpha: float = 1.0
    """Fraction of each factor's singular values that is searched (paper default 1.0)."""
    population: int = 96
    """CMA-ES population (paper: 24-96 works; default 96)."""
    sigma: float = 0.1
    """Initial step size, in units of each singular value (paper: not given)."""
    generations: int = 50
    """Generations to run (paper: not given)."""
    batch_size: int = 100
    """Episodes per candidate per generation (the fitness mini-batch; paper default 100)."""
    sampled_fitness: bool = False
    """Score candidates on sampled answers (at --temperature, with the same random numbers for
    every candidate of a generation) instead of greedy ones: a smoother fitness when small
    changes rarely flip a greedy choice."""
    quantize: bool = False
    """Evaluate candidates with the base weights in int8 (dynamic quantisation, CPU)."""
    backend: Literal["inprocess", "process", "ray"] = "inprocess"
    """Where candidates are scored: this process, local worker processes, or Ray actors."""
    workers: int = 1
    """Worker processes or Ray actors (candidates are split among them)."""
    ray_address: str = ""
    """Ray cluster to join ("auto"); empty = start Ray on this machine."""
    stop_after_generations: int = 0
    """Stop (with a checkpoint) after this many generations in this invocation (0 = run to the
    end); --resume continues."""


# ==================================================================== seeds and CMA-ES


def generation_seed(seed: int, generation: int) -> int:
    """The seed of one generation: every worker derives the same one."""
    return int(np.random.SeedSequence([seed, generation]).generate_state(1)[0])


def batch_seeds(gen_seed: int, batch_size: int, train_seeds: int) -> list[int]:
    """The generation's fitness mini-batch: episode seeds drawn from ``0..train_seeds-1``."""
    rng = np.random.default_rng(gen_seed)
    replace = batch_size > train_seeds
    return [int(s) for s in rng.choice(train_seeds, size=batch_size, replace=replace)]


class SeededNormal:
    """CMA-ES's normal sampler, re-seeded before each ``ask``: the population of a generation is
    a function of the CMA-ES state and the generation's seed only (and it pickles)."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def seed(self, value: int) -> None:
        self.rng = np.random.default_rng(value)

    def __call__(self, *shape: int) -> np.ndarray:
        return self.rng.standard_normal(shape)


def make_es(dim: int, scales: np.ndarray, args: Args) -> Any:
    """A fresh CMA-ES over ``dim`` offsets (mean 0, per-coordinate scales ``scales``)."""
    import cma

    options = {
        "popsize": args.population,
        "seed": args.seed + 1,
        "randn": SeededNormal(),
        "CMA_stds": list(scales),
        "verbose": -9,
        "tolfun": 0,
        "tolflatfitness": 10**9,
        "tolfunhist": 0,
        "tolstagnation": 10**9,
    }
    return cma.CMAEvolutionStrategy(np.zeros(dim), args.sigma, options)


def ask(es: Any, gen_seed: int) -> list[np.ndarray]:
    """The generation's population, regenerated from its seed."""
    es.opts["randn"].seed(gen_seed)
    return [np.asarray(x) for x in es.ask()]


def tell(es: Any, population: Sequence[np.ndarray], rewards: Sequence[float]) -> None:
    """The CMA-ES update (CMA-ES minimises: it is told the negated rewards)."""
    es.tell(list(population), [-float(r) for r in rewards])


def es_digest(es: Any) -> str:
    """A hash of the CMA-ES state (mean, step size, covariance): equal on every worker."""
    h = hashlib.sha256()
    for part in (np.asarray(es.mean), np.asarray([es.sigma]), np.asarray(es.sm.C)):
        h.update(np.ascontiguousarray(part, dtype=np.float64).tobytes())
    return h.hexdigest()


def search_scales(space: SingularValueSpace) -> np.ndarray:
    """Per-coordinate CMA-ES scales: each singular value (floored at 1e-3 of the largest)."""
    values = np.abs(space.singular_values())
    return np.maximum(values, 1e-3 * max(float(values.max()), 1e-12))


# ==================================================================== workers


@dataclass
class WorkerSpec:
    """What a worker needs to rebuild the model and the CMA-ES state (all picklable)."""

    args: dict[str, Any]
    warm_start: str
    history: list[tuple[int, list[float]]]


class PopulationWorker:
    """Scores candidates: a model with the warm-started adapters, their SVD, a CMA-ES replica.

    Args:
        spec: The run's arguments, the warm-start file and the (seed, rewards) history to
            replay.
        policy: An already-built policy to use (in-process backend); else one is built.
    """

    def __init__(self, spec: WorkerSpec, policy: VLMPolicy | None = None):
        args = Args(**spec.args)
        torch.set_num_threads(args.torch_threads)
        self.args = args
        if policy is None:
            policy = build_lora_policy(args)
            load_warm_start(policy, spec.warm_start)
            if args.quantize:
                quantize_base_layers(policy.model)
        self.policy = policy
        self.space = SingularValueSpace(policy.model, args.alpha, args.svd)
        self.es = make_es(self.space.dim, search_scales(self.space), args)
        self.player = EpisodePlayer(
            args.env_id, json.loads(args.env_kwargs), prompting(args), args.env_batch
        )
        self._population: list[np.ndarray] = []
        for gen_seed, rewards in spec.history:
            tell(self.es, ask(self.es, gen_seed), rewards)

    def evaluate(self, gen_seed: int, indices: Sequence[int]) -> list[float]:
        """Fitness of the candidates ``indices`` of the generation seeded ``gen_seed``."""
        self._population = ask(self.es, gen_seed)
        seeds = batch_seeds(gen_seed, self.args.batch_size, self.args.train_seeds)
        rewards = []
        sampled = self.args.sampled_fitness
        for i in indices:
            self.space.set(self._population[i])
            with torch.no_grad(), torch.random.fork_rng(devices=[]):
                torch.manual_seed(gen_seed)  # common random numbers across candidates
                episodes = self.player.play(self.policy, seeds, greedy=not sampled, record=False)
            rewards.append(mean_return(episodes))
        self.space.set(np.zeros(self.space.dim))
        return rewards

    def tell(self, rewards: Sequence[float]) -> str:
        """Replay the CMA-ES update with everyone's rewards; returns the state's digest."""
        tell(self.es, self._population, rewards)
        return es_digest(self.es)

    def digest(self) -> str:
        return es_digest(self.es)

    def close(self) -> None:
        self.player.close()


def _worker_loop(connection: Any, spec: WorkerSpec) -> None:
    """A local worker process: build, then answer (method, arguments) messages until None."""
    worker = PopulationWorker(spec)
    connection.send("ready")
    while True:
        message = connection.recv()
        if message is None:
            break
        method, arguments = message
        connection.send(getattr(worker, method)(*arguments))
    worker.close()


class ProcessWorkers:
    """Workers in local processes (spawned), talking through pipes."""

    def __init__(self, spec: WorkerSpec, count: int):
        context = mp.get_context("spawn")
        self.connections, self.processes = [], []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=_worker_loop, args=(child, spec), daemon=True)
            process.start()
            self.connections.append(parent)
            self.processes.append(process)
        for connection, process in zip(self.connections, self.processes, strict=True):
            if not connection.poll(600) or connection.recv() != "ready":
                raise RuntimeError(f"ESSA worker process {process.pid} failed to start")

    def call(self, method: str, per_worker: Sequence[tuple]) -> list[Any]:
        for connection, arguments in zip(self.connections, per_worker, strict=True):
            connection.send((method, arguments))
        results = []
        for connection, process in zip(self.connections, self.processes, strict=True):
            try:
                results.append(connection.recv())
            except EOFError as error:
                raise RuntimeError(
                    f"ESSA worker process {process.pid} died (exit code {process.exitcode})"
                ) from error
        return results

    def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(BrokenPipeError, OSError):
                connection.send(None)
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


class RayWorkers:
    """Workers as Ray actors (one CPU each); Ray is started here unless it already runs."""

    def __init__(self, spec: WorkerSpec, count: int, address: str | None):
        from vlagent_envs.core import require

        ray = require("ray", "baselines")
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.ray = ray
        actor = ray.remote(num_cpus=1)(PopulationWorker)
        self.actors = [actor.remote(spec) for _ in range(count)]

    def call(self, method: str, per_worker: Sequence[tuple]) -> list[Any]:
        futures = [
            getattr(a, method).remote(*arguments)
            for a, arguments in zip(self.actors, per_worker, strict=True)
        ]
        return self.ray.get(futures)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)


class InProcessWorkers:
    """One worker in this process, sharing the trainer's model."""

    def __init__(self, spec: WorkerSpec, policy: VLMPolicy):
        self.worker = PopulationWorker(spec, policy)

    def call(self, method: str, per_worker: Sequence[tuple]) -> list[Any]:
        return [getattr(self.worker, method)(*per_worker[0])]

    def close(self) -> None:
        self.worker.close()


def shares(population: int, workers: int) -> list[list[int]]:
    """Candidate indices per worker (round robin)."""
    return [list(range(w, population, workers)) for w in range(workers)]


# ==================================================================== training


@dataclass
class State:
    """What a checkpoint holds: the (seed, rewards) history and the clocks."""

    generation: int = 0
    history: list[tuple[int, list[float]]] | None = None
    wall_time: float = 0.0
    episodes: int = 0

    def __post_init__(self) -> None:
        self.history = list(self.history or [])


def main(args: Args) -> Path:
    """Train; returns the run folder (``model/`` adapter, checkpoint, TensorBoard, evals)."""
    from torch.utils.tensorboard import SummaryWriter

    args, run_dir = open_run(args, "essa", keep=("stop_after_generations",))
    if args.workers < 1 or args.population < 2:
        raise ValueError("ESSA needs at least one worker and a population of at least 2")
    if args.backend == "inprocess" and args.workers != 1:
        raise ValueError("--backend inprocess has one worker; use process or ray for more")
    save_args(run_dir, args)
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(args.seed)
    policy = build_lora_policy(args)
    shown = prompting(args)

    # 1. Warm start (once; a resumed run reloads it).
    warm_start_once(policy, args, run_dir)
    if args.quantize:
        quantize_base_layers(policy.model)

    # 2. SVD and the coordinator's CMA-ES replica (replaying any history).
    checkpoint = run_dir / "checkpoint.json"
    resumed = args.resume and checkpoint.exists()
    state = State(**json.loads(checkpoint.read_text())) if resumed else State()
    if state.generation >= args.generations and (run_dir / "model").exists():
        return run_dir  # finished already
    space = SingularValueSpace(policy.model, args.alpha, args.svd)
    es = make_es(space.dim, search_scales(space), args)
    for gen_seed, rewards in state.history:
        tell(es, ask(es, gen_seed), rewards)
    spec = WorkerSpec(asdict(args), str(run_dir / WARM_START_FILE), list(state.history))
    if args.backend == "process":
        workers: Any = ProcessWorkers(spec, args.workers)
    elif args.backend == "ray":
        workers = RayWorkers(spec, args.workers, args.ray_address or None)
    else:
        workers = InProcessWorkers(spec, policy)
    held_out = EpisodePlayer(
        args.env_id, json.loads(args.eval_env_kwargs or args.env_kwargs), shown, args.env_batch
    )
    eval_seeds = range(args.eval_seed, args.eval_seed + args.eval_episodes)
    writer = SummaryWriter(str(run_dir), purge_step=state.generation or None)
    logger.info("ESSA: search dimension %d, population %d", space.dim, args.population)
    if state.generation == 0:
        _evaluate(policy, space, es, held_out, eval_seeds, run_dir, writer, state)

    stop_at = args.generations
    if args.stop_after_generations:
        stop_at = min(stop_at, state.generation + args.stop_after_generations)
    portions = shares(args.population, args.workers)
    try:
        while state.generation < stop_at and not over_budget(args, state.wall_time):
            started = time.perf_counter()
            gen_seed = generation_seed(args.seed, state.generation)
            # 3. Every worker regenerates the population from the seed and scores its share.
            parts = workers.call("evaluate", [(gen_seed, p) for p in portions])
            rewards = [0.0] * args.population
            for portion, part in zip(portions, parts, strict=True):
                for index, reward in zip(portion, part, strict=True):
                    rewards[index] = reward
            # 4. Everyone replays the same update with everyone's rewards.
            population = ask(es, gen_seed)
            tell(es, population, rewards)
            digests = workers.call("tell", [(rewards,)] * len(portions))
            if any(d != es_digest(es) for d in digests):
                raise RuntimeError("a worker's CMA-ES state diverged from the coordinator's")
            state.generation += 1
            state.history.append((gen_seed, rewards))  # type: ignore[union-attr]
            state.episodes += args.population * args.batch_size
            state.wall_time += time.perf_counter() - started
            step = state.generation
            writer.add_scalar("charts/fitness_mean", float(np.mean(rewards)), step)
            writer.add_scalar("charts/fitness_max", float(np.max(rewards)), step)
            writer.add_scalar("charts/sigma", float(es.sigma), step)
            seconds = time.perf_counter() - started
            writer.add_scalar("charts/generation_time_s", seconds, step)
            with (run_dir / "generations.jsonl").open("a") as handle:
                record = {
                    "generation": step,
                    "fitness_mean": float(np.mean(rewards)),
                    "fitness_max": float(np.max(rewards)),
                    "sigma": float(es.sigma),
                    "seconds": round(seconds, 3),
                    "workers": args.workers,
                }
                handle.write(json.dumps(record) + "\n")
            logger.info(
                "generation %d: fitness mean %.3f max %.3f sigma %.4f",
                step,
                np.mean(rewards),
                np.max(rewards),
                es.sigma,
            )
            finishing = step == args.generations or over_budget(args, state.wall_time)
            if args.eval_every and step % args.eval_every == 0 and not finishing:
                _evaluate(policy, space, es, held_out, eval_seeds, run_dir, writer, state)
            checkpoint.write_text(json.dumps(asdict(state)) + "\n")
    finally:
        workers.close()
    if state.generation == args.generations or over_budget(args, state.wall_time):
        _evaluate(policy, space, es, held_out, eval_seeds, run_dir, writer, state)
        # The result: the adapters at the CMA-ES mean, saved as an ordinary LoRA adapter.
        space.set(np.asarray(es.mean))
        policy.save(run_dir / "model")
    writer.close()
    held_out.close()
    return run_dir


def _evaluate(
    policy: VLMPolicy,
    space: SingularValueSpace,
    es: Any,
    player: EpisodePlayer,
    seeds: Sequence[int],
    run_dir: Path,
    writer: Any,
    state: State,
) -> None:
    """Greedy held-out success of the CMA-ES mean, into eval.jsonl and TensorBoard."""
    space.set(np.asarray(es.mean))
    result = evaluate_player(policy, player, seeds)
    space.set(np.zeros(space.dim))
    progress = {"generation": state.generation, "train_episodes": state.episodes}
    record_eval(run_dir, writer, progress, state.wall_time, result)


if __name__ == "__main__":
    import tyro

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(main(tyro.cli(Args)))
