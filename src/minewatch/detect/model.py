"""The behavioural miner model: a LightGBM classifier over conversation features (flows.features)
that finds pool connections whose payload cannot be read (TLS pools, unknown pools, flow exports).

The model ships in the package as LightGBM's text format (`data/model/behaviour.txt`, stable
across LightGBM versions, unlike a pickle) beside a JSON card (`behaviour.json`): format version,
feature list, hash of the flows columns the features read, decision threshold, training seeds,
captures, date and the model text's sha256. Loading refuses a card whose features or input schema differ from this
code's (`ModelMismatch`): scoring with features in another order would be silently wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

from minewatch.errors import MinewatchError
from minewatch.flows import features

FORMAT = 1  # version of the card; bump when its meaning changes
MODEL_FILE, CARD_FILE = "behaviour.txt", "behaviour.json"


class ModelMismatch(MinewatchError):
    """A model file made for other features, another flows schema or another card format."""


@dataclass(frozen=True, slots=True)
class BehaviourModel:
    booster: object  # lightgbm.Booster
    card: dict

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Probability of mining for each row of a features.matrix."""
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(x, num_threads=1), dtype=np.float64)


def shipped_dir() -> Path:
    """The package's model directory (src/minewatch/data/model)."""
    return Path(str(resources.files("minewatch.data").joinpath("model")))


def check_card(card: dict) -> None:
    """Raise ModelMismatch unless `card` fits this code's features and flows schema."""
    if card.get("format") != FORMAT:
        raise ModelMismatch(f"model card format {card.get('format')!r}, this code reads {FORMAT}")
    if tuple(card.get("features", ())) != features.FEATURES:
        raise ModelMismatch("model feature list differs from flows.features.FEATURES: "
                            f"model {card.get('features')}, code {list(features.FEATURES)}; "
                            "rebuild it with `minewatch model train`")
    if card.get("input_schema") != features.input_schema_hash():
        raise ModelMismatch(f"model made for flows schema {card.get('input_schema')}, this code "
                            f"has {features.input_schema_hash()}; rebuild it with `minewatch model train`")


def load(directory: Path | None = None) -> BehaviourModel:
    """The model in `directory` (default: the shipped one), checked against its card and this code."""
    try:
        import lightgbm
    except (ImportError, OSError) as exc:  # its wheel needs the system's OpenMP (libgomp1)
        raise ModelMismatch(f"the behavioural model cannot run: lightgbm does not load ({exc}); "
                            "on Debian/Ubuntu: apt-get install libgomp1") from None

    directory = Path(directory) if directory is not None else shipped_dir()
    try:
        card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        check_card(card)
        text = (directory / card.get("model", MODEL_FILE)).read_bytes()
    except (OSError, ValueError) as exc:  # missing, unreadable, not JSON
        raise ModelMismatch(f"{directory}: no usable behavioural model ({exc}); rebuild it with "
                            "`minewatch model train`") from None
    if hashlib.sha256(text).hexdigest() != card.get("sha256"):
        raise ModelMismatch(f"{directory / MODEL_FILE} is not the model its card describes (sha256)")
    booster = lightgbm.Booster(model_str=text.decode("utf-8"))
    if tuple(booster.feature_name()) != features.FEATURES:
        raise ModelMismatch(f"{directory / MODEL_FILE} names features {booster.feature_name()}, "
                            f"its card and this code {list(features.FEATURES)}")
    return BehaviourModel(booster, card)


def save(booster, card: dict, directory: Path) -> None:
    """Write the model text and its card (with the text's sha256) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    text = booster.model_to_string().encode("utf-8")
    (directory / MODEL_FILE).write_bytes(text)
    card = {**card, "format": FORMAT, "model": MODEL_FILE, "sha256": hashlib.sha256(text).hexdigest(),
            "features": list(features.FEATURES), "input_schema": features.input_schema_hash()}
    (directory / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def score_conversations(convs: pa.Table, model: BehaviourModel) -> pa.Table:
    """`convs` (a features.conversations table) reduced to its key and times, with `score`
    (probability of mining, 0-1) and `flagged` (score >= the model's threshold)."""
    p = model.probability(features.matrix(convs))
    keep = [*features.KEY, "ts_start", "ts_end", "records"]
    return convs.select(keep).append_column("score", pa.array(p, pa.float64())).append_column(
        "flagged", pa.array(p >= model.threshold, pa.bool_()))


def score(flows: pa.Table, model: BehaviourModel | None = None) -> pa.Table:
    """One row per conversation of `flows` (a `flows` table; give it a whole input or period:
    the client/server rule looks across conversations): client_ip, client_port, server_ip,
    server_port, proto, ts_start, ts_end, records, score (0-1), flagged. `model` defaults to
    the shipped one."""
    return score_conversations(features.conversations(flows), model or load())
