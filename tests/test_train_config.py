"""TOML configs and the registries keyed by name."""

import tomllib

import numpy as np
import pytest

import descentlab as dl
from descentlab.train import config as C
from descentlab.train.experiment import build_experiment
from descentlab.train.registry import (
    ACTIVATIONS,
    DATASETS,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    REGISTRIES,
    SCHEDULES,
    build_optimizer,
)


def test_defaults_are_the_digits_mlp():
    cfg = C.load_config()
    assert cfg["data"]["name"] == "digits" and cfg["model"]["hidden"] == [128, 64]
    assert cfg["optim"]["name"] == "adam" and cfg["train"]["batch_size"] == 32
    assert cfg["early_stopping"]["monitor"] == "val_loss"
    exp = build_experiment(C.load_config(None, ["train.epochs=1"]))
    shapes = [tuple(p.shape) for p in exp.model.parameters()]
    assert shapes == [(128, 64), (128,), (64, 128), (64,), (10, 64), (10,)]
    assert exp.optimizer.param_groups[0]["lr"] == 1e-3


def test_file_overrides_and_round_trip(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\n[optim]\nname = "sgd"\nlr = 0.5\n[train]\nepochs = 3\n')
    cfg = C.load_config(
        path,
        [
            "optim.lr=0.25",
            "train.batch_size=full",
            "seed=7",
            "model.hidden=[16, 8]",
            "data.name=moons",
        ],
    )
    assert cfg["name"] == "x" and cfg["seed"] == 7 and cfg["optim"]["lr"] == 0.25
    assert cfg["train"]["batch_size"] == "full" and cfg["model"]["hidden"] == [16, 8]
    text = C.dumps(cfg)
    assert C.validate(tomllib.loads(text)) == cfg
    assert C.get(cfg, "optim.lr") == 0.25 and C.get(cfg, "seed") == 7


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["optim.lrr=1"],
            "unknown key 'optim.lrr' (allowed keys in [optim]: alpha, betas, "
            "dampening, eps, lr, momentum, name, nesterov, weight_decay)",
        ),
        (["optim.lr=fast"], "optim.lr: expected a number > 0, got 'fast' (a string)"),
        (["optim.lr=-1"], "optim.lr: expected a number > 0, got -1"),
        (["train.epochs=2.5"], "train.epochs: expected an integer >= 1, got 2.5 (a number)"),
        (["train.shuffle=1"], "train.shuffle: expected true or false, got 1 (an integer)"),
        (
            ["data.name=mnist"],
            "data.name: unknown dataset 'mnist' (allowed: blobs, circles, "
            "digits, moons, spirals, xor)",
        ),
        (
            ["optim.name=adamax"],
            "optim.name: unknown optimizer 'adamax' (allowed: adagrad, adam, "
            "adamw, momentum, nesterov, rmsprop, sgd)",
        ),
        (["model.activation=swish"], "model.activation: unknown activation 'swish' (allowed: elu,"),
        (["train.batch_size=0"], "train.batch_size: expected an integer >= 1 or 'full', got 0"),
        (["optim.betas=[0.9]"], "optim.betas: expected a list of 2 numbers, got [0.9] (a list)"),
        (["foo=1"], "unknown key 'foo' (allowed: description, name, seed, [checkpoint], [clip],"),
        (["bar.x=1"], "unknown section 'bar' in 'bar.x' (allowed: checkpoint, clip, data,"),
        (["optim.lr"], "--set: expected key=value (e.g. optim.lr=0.01), got 'optim.lr'"),
        (["data.val=0.5", "data.test=0.5"], "data.val + data.test: expected a sum < 1, got 1"),
        (
            ["data.val=0", "early_stopping.enabled=true", "early_stopping.monitor=val_acc"],
            "early_stopping.monitor: 'val_acc' needs a validation set (data.val > 0)",
        ),
        (["model.name=cnn", "data.name=moons"], "model.name: 'cnn' needs image data"),
    ],
)
def test_config_errors_are_one_line_naming_the_key(overrides, message):
    with pytest.raises(C.ConfigError) as exc:
        C.load_config(None, overrides)
    text = str(exc.value)
    assert text.startswith(message) and "\n" not in text


def test_file_errors(tmp_path):
    with pytest.raises(C.ConfigError, match=r"^config file not found: .*nope\.toml$"):
        C.load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[optim\nlr = 1\n")
    with pytest.raises(C.ConfigError, match=r"^invalid TOML in .*bad\.toml: "):
        C.load_config(bad)
    table = tmp_path / "t.toml"
    table.write_text("optim = 3\n")
    with pytest.raises(C.ConfigError, match=r"^optim: expected a table \[optim\], got 3"):
        C.load_config(table)


def test_registries_are_complete_and_importable():
    assert set(REGISTRIES) == {"dataset", "model", "activation", "loss", "optimizer", "schedule"}
    assert set(DATASETS) == {"xor", "moons", "circles", "spirals", "blobs", "digits"}
    assert {"relu", "sigmoid", "tanh", "leaky_relu", "gelu"} <= set(ACTIVATIONS)
    for reg in REGISTRIES.values():
        for name, entry in reg.items():
            assert entry.name == name and entry.help


def test_every_registry_entry_builds_and_runs():
    dl.manual_seed(0)
    x = dl.tensor(np.random.default_rng(0).normal(size=(6, 2)))
    y = dl.tensor(np.array([0, 1, 0, 1, 1, 0]))
    for act in ACTIVATIONS:
        model = MODELS["mlp"].build((2,), 2, hidden=[4], activation=act)
        assert model(x).shape == (6, 2)
    for name, entry in LOSSES.items():
        model = MODELS["mlp"].build((2,), 1 if name == "bce_with_logits" else 2, hidden=[4])
        loss = entry.build(model(x), y)
        loss.backward()
        assert np.isfinite(loss.item()) and model[0].weight.grad is not None
    for name in OPTIMIZERS:
        model = MODELS["linear"].build((2,), 2)
        opt = build_optimizer(name, model.parameters())
        assert opt.param_groups[0]["lr"] == OPTIMIZERS[name].defaults["lr"]
        before = model[0].weight.data.numpy().copy()
        LOSSES["cross_entropy"].build(model(x), y).backward()
        opt.step()
        assert not np.array_equal(before, model[0].weight.data), name
    cnn = MODELS["cnn"].build((1, 8, 8), 10, channels=[2, 3])
    assert cnn(dl.randn(2, 1, 8, 8)).shape == (2, 10)
    opt = build_optimizer("sgd", MODELS["linear"].build((2,), 2).parameters())
    for name, entry in SCHEDULES.items():
        schedule = entry.build(
            opt, **C.DEFAULT_CONFIG["schedule"], epochs=5, lr=0.1, total_steps=10
        )
        assert schedule is None or callable(getattr(schedule, "step", None)), name
        assert 0 < opt.param_groups[0]["lr"] <= 0.1, name


def test_momentum_and_nesterov_entries():
    model = MODELS["linear"].build((2,), 2)
    g = build_optimizer("nesterov", model.parameters()).param_groups[0]
    assert g["momentum"] == 0.9 and g["nesterov"] is True
    g = build_optimizer("momentum", model.parameters(), momentum=0.5).param_groups[0]
    assert g["momentum"] == 0.5 and not g["nesterov"]
