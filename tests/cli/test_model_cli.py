"""`minewatch model info` prints the shipped model's card; a bad model or option is a clean exit."""

import json
import shutil

from typer.testing import CliRunner

from minewatch.cli.main import app
from minewatch.cli.model import _seeds
from minewatch.detect.model import CARD_FILE, MODEL_FILE, shipped_dir
from minewatch.flows.features import FEATURES


def test_info_prints_the_card():
    out = CliRunner().invoke(app, ["model", "info"])
    assert out.exit_code == 0, out.output
    card = json.loads(out.stdout)
    assert tuple(card["features"]) == FEATURES and 0 < card["threshold"] < 1


def test_info_on_a_mismatched_model_exits_65(tmp_path):
    for name in (MODEL_FILE, CARD_FILE):
        shutil.copy(shipped_dir() / name, tmp_path / name)
    card = json.loads((tmp_path / CARD_FILE).read_text())
    (tmp_path / CARD_FILE).write_text(json.dumps({**card, "features": ["duration_s"]}))
    out = CliRunner().invoke(app, ["model", "info", "--dir", str(tmp_path)])
    assert out.exit_code == 65 and "feature list" in out.output


def test_train_refuses_an_unknown_scale_and_bad_seeds(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["model", "train", "--scale", "galaxy", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["model", "train", "--seeds", "a-b", "--out", str(tmp_path)]).exit_code == 2
    missing = runner.invoke(app, ["model", "train", "--captures", str(tmp_path / "none"),
                                  "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "not a directory" in missing.output


def test_seed_lists_and_ranges():
    assert _seeds("101-103, 7") == (101, 102, 103, 7)


def test_train_rebuilds_a_model_that_loads_and_scores(tmp_path):
    """Three small seeds, no real captures: the whole pipeline, from simulation to a card."""
    from minewatch.detect.model import load

    (tmp_path / "captures").mkdir()
    out = CliRunner().invoke(app, ["model", "train", "--seeds", "901-903", "--out",
                                   str(tmp_path / "model"), "--captures", str(tmp_path / "captures")])
    assert out.exit_code == 0, out.output
    model = load(tmp_path / "model")
    assert model.card["trained_on"]["seeds"] == [901, 902, 903]
    assert model.card["out_of_fold"]["recall"] >= 0.9
    assert model.card["out_of_fold"]["false_positives"] <= 1e-4 * model.card["out_of_fold"]["negatives"]
