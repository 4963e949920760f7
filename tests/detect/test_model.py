"""The shipped behavioural model: it loads, fits this code's features, refuses a model made for
other features, and finds the miners of a simulated province it was not trained on."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

from minewatch.detect import dataset
from minewatch.detect.evaluate import figures
from minewatch.detect.model import CARD_FILE, MODEL_FILE, ModelMismatch, load, score, shipped_dir
from minewatch.detect.train import threshold
from minewatch.flows.features import FEATURES, KEY, matrix
from minewatch.schema import empty_table
from minewatch.sim.run import simulate

HELD_OUT = 301  # neither a training seed (101-115) nor a bench seed (201-208)


class Quiet:
    def start(self, task, total): pass
    def advance(self, n): pass
    def done(self): pass


@pytest.fixture(scope="module")
def model():
    return load()


def test_the_shipped_model_fits_this_code(model):
    assert tuple(model.card["features"]) == FEATURES
    assert tuple(model.booster.feature_name()) == FEATURES
    assert 0 < model.threshold < 1
    assert HELD_OUT not in model.card["trained_on"]["seeds"]


def copy_model(tmp_path, **changes):
    for name in (MODEL_FILE, CARD_FILE):
        shutil.copy(shipped_dir() / name, tmp_path / name)
    card = json.loads((tmp_path / CARD_FILE).read_text())
    (tmp_path / CARD_FILE).write_text(json.dumps({**card, **changes}))
    return tmp_path


def test_a_model_for_other_features_is_refused(tmp_path):
    with pytest.raises(ModelMismatch, match="feature list"):
        load(copy_model(tmp_path, features=list(reversed(FEATURES))))


def test_a_model_for_another_flows_schema_is_refused(tmp_path):
    with pytest.raises(ModelMismatch, match="schema"):
        load(copy_model(tmp_path, input_schema="0000000000000000"))


def test_an_unchanged_copy_loads(tmp_path):
    assert load(copy_model(tmp_path)).threshold == load().threshold


def test_score_of_no_flows_is_an_empty_table(model):
    out = score(empty_table("flows"), model)
    assert out.num_rows == 0
    assert out.column_names == [*KEY, "ts_start", "ts_end", "records", "score", "flagged"]


def test_threshold_keeps_the_allowed_share_of_negatives_below_it():
    neg = np.linspace(0, 0.99, 100_000)
    cut = threshold(neg, 2e-5)
    assert (neg >= cut).sum() == 2


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    """Labelled conversations of a small province the model never saw (about 20 s)."""
    d = tmp_path_factory.mktemp("province")
    simulate(d, HELD_OUT, "small", Quiet())
    return dataset.sim_views(d)


def view_figures(table, model, view):
    rows = np.flatnonzero(table["view"].to_numpy(zero_copy_only=False) == view)
    part = table.take(rows)
    return figures(part, model.probability(matrix(part)) >= model.threshold)


def test_flow_exports_of_a_held_out_province(held_out, model):
    f = view_figures(held_out, model, "export")
    assert f["negatives"] > 25_000 and f["tls_miners"] >= 10
    # 19 TLS-pool miners: one miss is 5 points, so the bar here is 0.8 (it finds 16); the 0.9 of
    # the issue is measured on eight seeds by bench/bench_model.py (docs/behavioural-model.md).
    assert f["tls_recall"] >= 0.8 and f["recall"] >= 0.9
    assert f["fp"] <= 2  # under 1e-4 of the negatives


def test_packet_flows_of_a_held_out_province(held_out, model):
    f = view_figures(held_out, model, "pcap")
    assert f["negatives"] > 10_000 and f["tp"] + f["fn"] >= 40
    assert f["recall"] >= 0.9
    assert f["fp"] <= 1


def test_a_model_file_its_card_does_not_describe_is_refused(tmp_path):
    d = copy_model(tmp_path)
    (d / MODEL_FILE).write_bytes((d / MODEL_FILE).read_bytes() + b"\n")
    with pytest.raises(ModelMismatch, match="sha256"):
        load(d)


def test_a_missing_or_broken_card_is_our_error_not_a_traceback(tmp_path):
    with pytest.raises(ModelMismatch, match="no usable behavioural model"):
        load(tmp_path)
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(ModelMismatch, match="no usable behavioural model"):
        load(tmp_path)


def test_lightgbm_that_does_not_load_is_our_error(monkeypatch):
    """Without the system's OpenMP runtime LightGBM's import fails: say so in one line."""
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # then `import lightgbm` raises ImportError
    with pytest.raises(ModelMismatch, match="libgomp1"):
        load()
