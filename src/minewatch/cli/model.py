"""`minewatch model`: rebuild the behavioural miner model, and describe the one in use.

Exit status: 0 success, 2 usage error, 65 a model that does not fit this code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from minewatch.cli.common import EXIT_DATAERR, EXIT_USAGE, fail

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="The behavioural model (TLS and unknown pools from flow features).")


def _seeds(text: str) -> tuple[int, ...]:
    """'101,102' or '101-115' (or a mix) as a tuple of seeds."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return tuple(out)


@app.command()
def train(
    seeds: str = typer.Option("101-115", "--seeds", help="Simulator seeds to train on, e.g. "
                              "101-115 or 1,2,3. Keep them apart from evaluation seeds."),
    scale: str = typer.Option("small", "--scale", help="Simulator scale: small, medium, province."),
    out: Optional[Path] = typer.Option(None, "--out", help="Directory for behaviour.txt and "
                                       "behaviour.json (default: the package's own model)."),
    captures: Optional[Path] = typer.Option(None, "--captures", help="Directory of real pcap/pcapng "
                                            "captures to add (default: ../shared/data/pcaps when present)."),
    work: Optional[Path] = typer.Option(None, "--work", help="Keep the simulated provinces here "
                                        "(and reuse them next time) instead of a temporary directory."),
    threads: int = typer.Option(2, "--threads", help="LightGBM threads (results do not depend on it)."),
) -> None:
    """Rebuild the model: simulate the seeds, label their conversations from truth.json, add the
    real captures, fit LightGBM and pick the threshold out of fold. Deterministic."""
    from minewatch.cli.progress import progress_bar
    from minewatch.detect.train import PCAPS, TrainConfig, train as run_training
    from minewatch.sim.province import SCALES

    if scale not in SCALES:
        fail(f"unknown scale {scale!r} (one of {', '.join(SCALES)})", EXIT_USAGE)
    try:
        chosen = _seeds(seeds)
    except ValueError:
        fail(f"--seeds: {seeds!r} is not a list of numbers or ranges", EXIT_USAGE)
    if captures is not None and not captures.is_dir():
        fail(f"--captures: {captures} is not a directory", EXIT_USAGE)
    kw = {"out": out} if out is not None else {}
    config = TrainConfig(seeds=chosen, scale=scale, captures=captures or PCAPS, work=work,
                         threads=threads, **kw)
    with progress_bar() as progress:
        card = run_training(config, progress)
    cv = card["out_of_fold"]
    typer.echo(f"wrote {config.out}: threshold {card['threshold']:.4f}; out of fold: recall "
               f"{cv['recall']:.3f} (TLS pools {cv['tls_recall']:.3f}), {cv['false_positives']} "
               f"false positives in {cv['negatives']:,} non-mining conversations")


@app.command()
def info(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Model directory (default: the "
                                             "package's own)."),
) -> None:
    """Print the model card (JSON): version, features, threshold, training seeds and figures."""
    from minewatch.detect.model import ModelMismatch, load

    try:
        model = load(directory)
    except ModelMismatch as exc:
        fail(str(exc), EXIT_DATAERR)
    typer.echo(json.dumps(model.card, indent=1))
