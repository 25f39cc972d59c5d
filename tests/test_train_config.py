"""TOML configs and the registries keyed by name."""

import tomllib

import numpy as np
import pytest

import descentlab as dl
from descentlab import registry
from descentlab.train import config as C
from descentlab.train.experiment import build_experiment


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
            "optim.lrr: expected a key of [optim] (alpha, betas, dampening, eps, lr, momentum, "
            "name, nesterov, weight_decay), got an unknown key",
        ),
        (["optim.lr=fast"], "optim.lr: expected a number > 0, got 'fast' (a string)"),
        (["optim.lr=-1"], "optim.lr: expected a number > 0, got -1"),
        (["train.epochs=2.5"], "train.epochs: expected an integer >= 1 and <= 1,000,000, got 2.5"),
        (["train.shuffle=1"], "train.shuffle: expected true or false, got 1"),
        (
            ["data.name=mnist"],
            "data.name: expected one of xor, moons, circles, spirals, blobs, digits, file, got "
            "'mnist' (a string)",
        ),
        (
            ["optim.name=adamax"],
            "optim.name: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, "
            "adamw, got 'adamax' (a string)",
        ),
        (
            ["model.activation=swish"],
            "model.activation: expected one of relu, leaky_relu,",
        ),
        (
            ["train.batch_size=0"],
            "train.batch_size: expected an integer >= 1 and <= 10,000,000 or 'full', got 0",
        ),
        (
            ["optim.betas=[0.9]"],
            "optim.betas: expected a list of 2 numbers >= 0 and < 1, got [0.9] (a list)",
        ),
        (["foo=1"], "config: expected one of the keys description, name, seed, [checkpoint],"),
        (["bar.x=1"], "--set bar.x: expected a section among data, model, optim,"),
        (["optim.lr"], "--set: expected key=value (e.g. optim.lr=0.01), got 'optim.lr'"),
        (["data.val=0.5", "data.test=0.5"], "data.val + data.test: expected a sum < 1, got 1"),
        (
            ["data.val=0", "early_stopping.enabled=true", "early_stopping.monitor=val_acc"],
            "early_stopping.monitor: expected 'train_loss' or 'train_acc' without a validation "
            "set (data.val = 0), got 'val_acc'",
        ),
        (
            ["model.name=cnn", "data.name=moons"],
            "model.name: expected 'cnn' only with image data (data.name = 'digits'), got 'moons'",
        ),
    ],
)
def test_config_errors_are_one_line_naming_the_key(overrides, message):
    with pytest.raises(C.ConfigError) as exc:
        C.load_config(None, overrides)
    text = str(exc.value)
    assert text.startswith(message) and "\n" not in text


def test_file_errors(tmp_path):
    with pytest.raises(
        C.ConfigError, match=r"^config file: expected an existing TOML file, got .*nope"
    ):
        C.load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[optim\nlr = 1\n")
    with pytest.raises(
        C.ConfigError, match=r"^config file .*bad\.toml: expected valid TOML, got an error: "
    ):
        C.load_config(bad)
    table = tmp_path / "t.toml"
    table.write_text("optim = 3\n")
    with pytest.raises(C.ConfigError, match=r"^optim: expected a table \[optim\], got 3"):
        C.load_config(table)


def test_registries_are_complete_and_importable():
    assert set(registry.BY_KIND) == {
        "dataset", "model", "activation", "loss", "optimizer", "schedule", "surface"
    }  # fmt: skip
    assert registry.datasets.names() == [
        "xor",
        "moons",
        "circles",
        "spirals",
        "blobs",
        "digits",
        "file",
    ]
    assert {"relu", "sigmoid", "tanh", "leaky_relu", "gelu"} <= set(registry.activations)
    for reg in registry.BY_KIND.values():
        for name in reg:
            entry = reg.get(name)
            assert entry.name == name and entry.help
            for p in entry.params:
                assert p.help and p.allowed(), (name, p.name)
                if p.default is not None:
                    assert p.check(p.default) == p.default


def test_names_are_case_insensitive_and_errors_list_the_allowed():
    assert registry.activations.get("GELU").name == "gelu" and "ReLU" in registry.activations
    with pytest.raises(registry.InvalidArgument) as exc:
        registry.optimizers.get("adamax")
    assert str(exc.value) == (
        "optimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, "
        "got 'adamax' (a string)"
    )
    with pytest.raises(registry.InvalidArgument, match=r"^lr: expected a number > 0, got -1$"):
        registry.optimizers.build("sgd", [], lr=-1)


def test_every_registry_entry_builds_and_runs():
    dl.manual_seed(0)
    x = dl.tensor(np.random.default_rng(0).normal(size=(6, 2)))
    y = dl.tensor(np.array([0, 1, 0, 1, 1, 0]))
    for act in registry.activations:
        model = registry.models.build("mlp", (2,), 2, hidden=[4], activation=act)
        assert model(x).shape == (6, 2)
    for name in registry.losses:
        model = registry.models.build(
            "mlp", (2,), 1 if name == "bce_with_logits" else 2, hidden=[4]
        )
        loss = registry.losses.build(name)(model(x), y)
        loss.backward()
        assert np.isfinite(loss.item()) and model[0].weight.grad is not None
    for name in registry.optimizers:
        model = registry.models.build("linear", (2,), 2)
        opt = registry.optimizers.build(name, model.parameters())
        assert opt.param_groups[0]["lr"] == registry.optimizers.defaults(name)["lr"]
        before = model[0].weight.data.numpy().copy()
        registry.losses.build("cross_entropy")(model(x), y).backward()
        opt.step()
        assert not np.array_equal(before, model[0].weight.data), name
    cnn = registry.models.build("cnn", (1, 8, 8), 10, channels=[2, 3])
    assert cnn(dl.randn(2, 1, 8, 8)).shape == (2, 10)
    opt = registry.optimizers.build("sgd", registry.models.build("linear", (2,), 2).parameters())
    lr_scheduler = dl.optim.lr_scheduler
    expected = {
        "none": type(None),
        "step": lr_scheduler.StepLR,
        "exponential": lr_scheduler.ExponentialLR,
        "cosine": lr_scheduler.CosineAnnealingLR,
        "warmup": lr_scheduler.LinearLR,
        "onecycle": lr_scheduler.OneCycleLR,
        "plateau": lr_scheduler.ReduceLROnPlateau,
    }
    for name in registry.schedules:
        sched = registry.schedules.build(name, opt, epochs=5, lr=0.1, total_steps=10)
        assert type(sched) is expected[name], name
    for name in registry.surfaces:
        surface = registry.surfaces.build(name)
        assert surface.name == name and np.isfinite(surface(dl.tensor(0.5), dl.tensor(0.5)).item())


def test_momentum_and_nesterov_entries():
    model = registry.models.build("linear", (2,), 2)
    g = registry.optimizers.build("nesterov", model.parameters()).param_groups[0]
    assert g["momentum"] == 0.9 and g["nesterov"] is True
    g = registry.optimizers.build("momentum", model.parameters(), momentum=0.5).param_groups[0]
    assert g["momentum"] == 0.5 and not g["nesterov"]
