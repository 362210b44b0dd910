"""Actions of trained agents on a 2-D bandit, drawn over the dataset (Diffusion-QL's Figure 1).

    python launch/train_diffusion_ql.py --config=configs/diffusion_ql/toy.py:bandit-dql-4mode \
        --seeds=3 --sweep=eta=0,1 --workdir=runs/dql-bandit
    python launch/plot_bandit.py runs/dql-bandit --out=dql-bandit.png

One column per run of the job (seeds × sweep points), restored from its latest checkpoint (or
``--step``). Rows: for agents that define ``sample_policy`` (Diffusion-QL, DAC) the policy's own
samples, then the actions of the agent's acting rule (``sample_actions``). Agents with an explicit
behaviour density (``behaviour_nll``: CPED's flow) draw each run's −log p(a) under the points, so
the figure shows where the constraint holds the actor. Prints the fraction of each row within
``--radius`` of every mode centre (best mode first) and writes them next to the figure as JSON,
with the density's value at the acting rule's actions where there is one.

    python launch/train_cped.py --config=configs/cped/toy.py --seeds=3 --sweep=alpha=0,1 \
        --sweep=alpha_lr=0,0.01 --workdir=runs/cped-bandit
    python launch/plot_bandit.py runs/cped-bandit --out=cped-bandit.png
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags, logging  # noqa: E402

import jaxdiffrl.app  # noqa: E402, F401  (registers the agents and generators)
from jaxdiffrl.data.registry import prepare_dataset  # noqa: E402
from jaxdiffrl.data.toy import BANDITS  # noqa: E402
from jaxdiffrl.train.registry import agent_class  # noqa: E402
from jaxdiffrl.train.restore import load_run, restore_agents  # noqa: E402
from jaxdiffrl.train.runs import point_label, swept_keys  # noqa: E402

FLAGS = flags.FLAGS

BANDITS_2D = sorted(name for name, spec in BANDITS.items() if spec.centres.shape[1] == 2)


def draw(agents, observation: np.ndarray, samples: int, seed: int) -> dict[str, np.ndarray]:
    """{row name: actions (runs, samples, 2)} for every vmapped run."""
    observations = jnp.broadcast_to(jnp.asarray(observation), (samples, observation.shape[-1]))
    methods = {"policy samples": "sample_policy", "actions": "sample_actions"}
    methods = {row: method for row, method in methods.items() if hasattr(agents, method)}
    num_runs = jax.tree.leaves(agents)[0].shape[0]
    keys = jax.random.split(jax.random.PRNGKey(seed), num_runs)

    @jax.jit
    @jax.vmap
    def one_run(agent, key):
        row_keys = jax.random.split(key, len(methods))
        return {
            row: getattr(agent, method)(observations, row_key)
            for (row, method), row_key in zip(methods.items(), row_keys, strict=True)
        }

    drawn = one_run(agents, keys)
    return {row: np.asarray(drawn[row]) for row in methods}


def behaviour_nll_at(agents, observation: np.ndarray, actions) -> np.ndarray | None:
    """−log p(a) under each run's behaviour density at ``actions``, (runs, N, 2) per run or (N, 2)
    shared: (runs, N). None for agents without a density."""
    if not hasattr(agents, "behaviour_nll"):
        return None
    actions = jnp.asarray(actions)
    observations = jnp.broadcast_to(jnp.asarray(observation), (actions.shape[-2], observation.shape[-1]))
    per_run = jax.vmap(
        lambda agent, a: agent.behaviour_nll(observations, a), in_axes=(0, 0 if actions.ndim == 3 else None)
    )
    return np.asarray(jax.jit(per_run)(agents, actions))


def behaviour_nll_grid(agents, observation: np.ndarray, size: int = 161) -> np.ndarray | None:
    """``behaviour_nll_at`` on a ``size`` × ``size`` grid over [−1, 1]²: (runs, size, size), rows
    along a₂ and columns along a₁; None for agents without a density."""
    axis = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    nll = behaviour_nll_at(agents, observation, grid)
    return None if nll is None else nll.reshape(-1, size, size)


def near_fractions(actions: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """Fraction of actions (..., N, d) within ``radius`` of each centre (M, d): (..., M)."""
    distances = np.linalg.norm(actions[..., :, None, :] - centres, axis=-1)
    return (distances < radius).mean(axis=-2)


def plot(
    draws,
    dataset_actions,
    spec,
    labels,
    radius: float,
    path: str,
    nll=None,
    nll_clip=60.0,
    wrap=None,
    dpi=130,
):
    """One panel per (row of ``draws``, run); ``wrap`` runs per line of panels (default: all).
    ``nll``: (runs, G, G) from ``behaviour_nll_grid``, shaded under the points, or None. Writes
    ``path`` and returns the figure."""
    runs = len(labels)
    wrap = min(wrap or runs, runs)
    lines = -(-runs // wrap)
    rows, columns = len(draws) * lines, wrap
    figure, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns + 1.2 * (nll is not None), 2.7 * rows), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    shown = dataset_actions[np.random.default_rng(0).permutation(len(dataset_actions))[:2000]]
    shading = None
    for row, (name, actions) in enumerate(draws.items()):
        for run, label in enumerate(labels):
            axis = axes[row * lines + run // wrap, run % wrap]
            if nll is not None:
                values = np.linspace(-1.0, 1.0, nll.shape[-1])
                finite = np.nan_to_num(nll[run], nan=nll_clip, posinf=nll_clip)
                shading = axis.contourf(
                    values, values, np.minimum(finite, nll_clip), levels=24, cmap="viridis_r"
                )
            axis.scatter(*shown.T, s=2, color="0.8", alpha=0.3 if nll is not None else 1.0)
            axis.scatter(
                *actions[run].T, s=2 if nll is None else 14, alpha=0.5, color="C0" if nll is None else "C3"
            )
            for centre, reward in zip(spec.centres, spec.reward_means, strict=True):
                axis.add_patch(plt.Circle(centre, radius, fill=False, lw=0.6, color="C3"))
                axis.annotate(f"{reward:g}", centre, xytext=(6, 6), textcoords="offset points", fontsize=7)
            axis.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), aspect="equal", xticks=[], yticks=[])
            axis.set_title(f"{label}\n{name}", fontsize=8)
    for run in range(runs, lines * wrap):  # empty panels of the last line
        for row in range(len(draws)):
            axes[row * lines + run // wrap, run % wrap].set_axis_off()
    if shading is not None:
        figure.colorbar(shading, ax=axes, shrink=0.8, label=f"behaviour −log p(a), clipped at {nll_clip:g}")
    figure.savefig(path, dpi=dpi)
    return figure


def main(argv):
    if len(argv) != 2:
        raise app.UsageError("Give one run directory.")
    workdir = argv[1]
    logging.set_verbosity(logging.WARNING)  # orbax logs every restore at INFO
    try:
        config, runs = load_run(workdir)
        if config.dataset not in BANDITS_2D:
            raise ValueError(
                f"{workdir} trained on {config.dataset!r}, not a 2-D bandit ({', '.join(BANDITS_2D)})."
            )
        dataset = prepare_dataset(config)
        agents, step = restore_agents(agent_class(config.algo), config, dataset, runs, workdir, FLAGS.step)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    spec = BANDITS[config.dataset]
    draws = draw(agents, dataset.observations[:1], FLAGS.samples, FLAGS.seed)
    nll = behaviour_nll_grid(agents, dataset.observations[:1])
    at_actions = behaviour_nll_at(agents, dataset.observations[:1], draws["actions"])
    swept = swept_keys([r.hparams for r in runs])
    labels = [f"seed {r.seed}{point_label(r.hparams, swept)}" for r in runs]
    report = {"workdir": workdir, "step": step, "radius": FLAGS.radius, "centres": spec.centres.tolist()}
    report["runs"] = []
    print(f"{config.algo} on {config.dataset}, step {step}: fraction within {FLAGS.radius} of each centre")
    for index, (run, label) in enumerate(zip(runs, labels, strict=True)):
        entry = {"run": run.index, "seed": run.seed, "hparams": run.hparams}
        for name, actions in draws.items():
            fractions = near_fractions(actions[index], spec.centres, FLAGS.radius)
            entry[name] = fractions.round(4).tolist()
            print(f"  {label:<24} {name:<15} " + " ".join(f"{f:6.1%}" for f in fractions))
        if nll is not None:
            entry["behaviour_nll_at_actions"] = round(float(at_actions[index].mean()), 4)
            print(f"  {label:<24} {'−log p(action)':<15} {entry['behaviour_nll_at_actions']:.2f}")
        report["runs"].append(entry)
    seeds = len({run.seed for run in runs})
    wrap = seeds if len(runs) > seeds else None  # a line of panels per sweep point
    plot(draws, dataset.actions, spec, labels, FLAGS.radius, FLAGS.out, nll, FLAGS.nll_clip, wrap, FLAGS.dpi)
    with open(os.path.splitext(FLAGS.out)[0] + ".json", "w") as f:
        json.dump(report, f, indent=2)
    print(f"Wrote {FLAGS.out}")


def define_flags() -> None:
    """The script's flags, defined only when it runs (so tests can import its functions)."""
    flags.DEFINE_string("out", "bandit.png", "Image file to write; the fractions go to <out>.json.")
    flags.DEFINE_integer("samples", 1000, "Actions drawn per run and row.")
    flags.DEFINE_float("radius", 0.2, "Distance from a centre within which an action counts as at that mode.")
    flags.DEFINE_integer("step", None, "Checkpoint to restore (default: the latest).")
    flags.DEFINE_integer("seed", 0, "Seed of the drawn actions.")
    flags.DEFINE_integer("dpi", 130, "Resolution of the written image.")
    flags.DEFINE_float(
        "nll_clip", 60.0, "Upper end of the drawn −log p(a) scale (agents with a behaviour density)."
    )


if __name__ == "__main__":
    define_flags()
    app.run(main)
