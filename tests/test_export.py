"""ONNX export checked by ONNX Runtime against descentlab (1e-5), layer by layer, for every model
the config can build, and ``descentlab export`` end to end (ONNX and safetensors)."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

import descentlab as dl
import descentlab.nn as nn
from descentlab.cli import main
from descentlab.onnx_export import ExportError, _converters, to_onnx

ort = pytest.importorskip("onnxruntime")


def _session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _check(model, in_shape, n=5, seed=0, warm=True):
    dl.manual_seed(seed)
    if warm:  # BatchNorm running statistics away from 0 and 1
        model.train()
        with dl.no_grad():
            model(dl.randn(16, *in_shape) * 2 + 0.5)
    model.eval()
    x = (np.random.default_rng(seed).standard_normal((n, *in_shape)) * 2).astype(np.float32)
    (got,) = _session(to_onnx(model, in_shape)).run(None, {"input": x})
    with dl.no_grad():
        expected = model(dl.tensor(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


LAYERS = {
    "linear": (lambda: nn.Linear(6, 3), (6,)),
    "linear-no-bias-3d": (lambda: nn.Linear(6, 3, bias=False), (4, 6)),
    "conv1d": (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=2), (2, 11)),
    "conv1d-same": (lambda: nn.Conv1d(2, 3, 4, padding="same"), (2, 9)),
    "conv2d": (lambda: nn.Conv2d(2, 4, 3, stride=(2, 1), padding=(1, 0)), (2, 7, 6)),
    "conv2d-same-even-kernel": (lambda: nn.Conv2d(1, 2, (2, 4), padding="same"), (1, 6, 7)),
    "conv2d-valid-no-bias": (lambda: nn.Conv2d(3, 2, 2, padding="valid", bias=False), (3, 5, 5)),
    "maxpool1d": (lambda: nn.MaxPool1d(3, 2, 1), (2, 9)),
    "maxpool2d": (lambda: nn.MaxPool2d(2), (2, 6, 7)),
    "maxpool2d-padded": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 7, 7)),
    "avgpool1d": (lambda: nn.AvgPool1d(3, 2, 1), (2, 9)),
    "avgpool2d": (lambda: nn.AvgPool2d(2, padding=1), (2, 5, 6)),
    "batchnorm1d": (lambda: nn.BatchNorm1d(4), (4,)),
    "batchnorm1d-sequence": (lambda: nn.BatchNorm1d(3), (3, 5)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(3), (3, 4, 4)),
    "batchnorm2d-no-affine": (lambda: nn.BatchNorm2d(3, affine=False), (3, 4, 4)),
    "batchnorm-batch-statistics": (
        lambda: nn.BatchNorm1d(4, track_running_stats=False),
        (4,),
    ),
    "layernorm": (lambda: nn.LayerNorm(6), (6,)),
    "layernorm-2d-no-affine": (lambda: nn.LayerNorm((3, 4), elementwise_affine=False), (3, 4)),
    "dropout": (lambda: nn.Dropout(0.5), (6,)),
    "identity": (lambda: nn.Identity(), (6,)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4)),
    "flatten-middle": (lambda: nn.Flatten(1, 2), (2, 3, 4)),
    "flatten-tail": (lambda: nn.Flatten(2), (2, 3, 4)),
    "residual": (lambda: nn.Residual(nn.Sequential(nn.Linear(5, 5), nn.Tanh())), (5,)),
    "relu": (lambda: nn.ReLU(), (7,)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (7,)),
    "sigmoid": (lambda: nn.Sigmoid(), (7,)),
    "tanh": (lambda: nn.Tanh(), (7,)),
    "gelu": (lambda: nn.GELU(), (7,)),
    "gelu-tanh": (lambda: nn.GELU("tanh"), (7,)),
    "elu": (lambda: nn.ELU(0.5), (7,)),
    "softplus": (lambda: nn.Softplus(), (7,)),
    "silu": (lambda: nn.SiLU(), (7,)),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 4)),
    "log_softmax": (lambda: nn.LogSoftmax(), (7,)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_each_layer_matches_onnx_runtime(name):
    build, in_shape = LAYERS[name]
    _check(build(), in_shape)


def test_every_activation_and_layer_of_nn_has_a_translation():
    import descentlab.nn.activation as activation

    converters = _converters()
    for _, cls in inspect.getmembers(activation, inspect.isclass):
        if issubclass(cls, nn.Module) and cls.__module__ == activation.__name__:
            assert cls in converters, cls.__name__
    layers = [nn.Linear, nn.Conv1d, nn.Conv2d, nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d]
    layers += [nn.AvgPool2d, nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.Dropout, nn.Flatten]
    assert all(cls in converters for cls in layers)


def _names(kind: str) -> list[str]:
    """The registry's model or activation names."""
    from descentlab import registry

    return registry.BY_KIND[kind].names()


@pytest.mark.parametrize("activation", _names("activation"))
@pytest.mark.parametrize("model", _names("model"))
def test_every_model_the_config_can_build_exports(model, activation):
    from descentlab.train.config import load_config
    from descentlab.train.experiment import build_model

    in_shape = (1, 8, 8) if model == "cnn" else (10,)
    cfg = load_config(
        None,
        [
            f"model.name={model}",
            f"model.activation={activation}",
            "model.hidden=[12, 8]",
            "model.channels=[3, 4]",
            "model.dropout=0.2",
        ],
    )
    _check(build_model(cfg, in_shape, 5), in_shape)


def test_an_unsupported_layer_is_named():
    class Mine(nn.Module):
        def forward(self, x):
            return x * 2

    with pytest.raises(
        ExportError, match=r"cannot write Mine as ONNX \(supported layers: AvgPool1d"
    ):
        to_onnx(nn.Sequential(nn.Linear(2, 2), Mine()), (2,))


def test_preprocessing_and_probabilities_are_in_the_graph():
    dl.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32, 3))
    model.eval()
    mean, std = np.linspace(-1, 1, 16), np.linspace(0.5, 2, 16)
    proto = to_onnx(model, (1, 4, 4), mean=mean, std=std, probabilities=True, metadata={"a": [1]})
    x = np.random.default_rng(2).standard_normal((3, 16)).astype(np.float32)
    logits, proba = _session(proto).run(None, {"input": x})
    net_in = ((x - mean) / std).reshape(3, 1, 4, 4).astype(np.float32)
    with dl.no_grad():
        expected = model(dl.tensor(net_in)).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
    e = np.exp(expected - expected.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    assert json.loads({p.key: p.value for p in proto.metadata_props}["a"]) == [1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from descentlab.train.config import load_config
    from descentlab.train.experiment import run

    cfg = load_config(
        None,
        [
            "name=exp",
            "data.name=moons",
            "data.n=200",
            "data.standardize=true",
            "model.hidden=[8]",
            "train.epochs=3",
            "train.progress=false",
            "train.plots=false",
        ],
    )
    out = tmp_path_factory.mktemp("export") / "exp"
    run(cfg, out)
    return out


def test_cli_export_onnx_matches_load_run(run_dir, tmp_path, capsys):
    from descentlab.train import load_run

    out = tmp_path / "model.onnx"
    assert main(["export", str(run_dir), str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (onnx, from ")
    trained = load_run(run_dir)
    x = np.random.default_rng(3).standard_normal((9, 2)).astype(np.float32) * 2
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    logits, proba = session.run(None, {"input": x})
    np.testing.assert_allclose(logits, trained.logits(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(proba, trained.predict_proba(x), rtol=1e-5, atol=1e-6)
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["task"]) == "classification" and json.loads(meta["in_shape"]) == [2]


def test_cli_export_safetensors_loads_into_torch(run_dir, tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    from descentlab.train import load_run

    out = tmp_path / "weights.safetensors"
    assert main(["export", str(run_dir), str(out)]) == 0
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    theirs.load_state_dict(load_file(str(out)))
    trained = load_run(run_dir)
    x = np.random.default_rng(4).standard_normal((5, 2)).astype(np.float32)
    net_in = trained.preprocessing.transform(x)
    with torch.no_grad():
        got = theirs(torch.from_numpy(net_in)).numpy()
    np.testing.assert_allclose(got, trained.logits(x), rtol=1e-5, atol=1e-6)
    _, meta = dl.load(out, with_metadata=True)
    assert meta["task"] == "classification" and len(meta["mean"]) == 2


def test_cli_export_errors_are_one_line(run_dir, tmp_path, capsys):
    def error(*argv):
        assert main(["export", *map(str, argv)]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err
        return err

    assert "cannot tell the format from" in error(run_dir, tmp_path / "model.bin")
    assert "is a directory" in error(run_dir, tmp_path)
    assert "does not exist" in error(run_dir, tmp_path / "no" / "m.onnx")
    assert "is not a run directory" in error(tmp_path, tmp_path / "m.onnx")
    assert main(["export", str(run_dir), str(tmp_path / "w.bin"), "--format", "safetensors"]) == 0
