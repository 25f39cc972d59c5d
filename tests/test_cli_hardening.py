"""Bad input on the command line and in configs: one line naming what was wrong, exit 2.

One test per crash class found by fuzzing (issue 10), each message pinned, and a bounded,
derandomized fuzz of the config path.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descentlab.cli import main
from descentlab.train import config as C

TINY = ["--set", "data.name=xor", "--set", "data.n=16", "--set", "model.hidden=[4]",
        "--set", "train.epochs=1", "--set", "train.plots=false", "--no-progress"]  # fmt: skip


def exit_code(argv: list[str]) -> int:
    """The CLI's exit status, whether ``main`` returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def error_of(argv: list[str], capsys) -> str:
    """Run the CLI, expect exit 2 and one line on stderr; return that line's message."""
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.split(": error: ", 1)[1].rstrip("\n")


def test_divergence_in_the_first_epoch_is_a_diagnosis_not_a_traceback(tmp_path, capsys):
    argv = ["train", *TINY, "--set", "data.name=moons", "--set", "data.n=64"]
    argv += ["--set", "optim.lr=1e300", "--out", str(tmp_path / "r")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = " ".join(captured.out.split())
    assert "diagnosis: diverging - Training diverged at epoch 1" in out
    assert "Lower the learning rate by 10x (lr 1e+300 -> 1e+299)" in out
    assert "Traceback" not in captured.err and "Warning" not in captured.err


def test_sizes_that_cannot_fit_are_refused_before_allocating(capsys):
    msg = error_of(["train", *TINY, "--set", "model.hidden=[2000000000]"], capsys)
    assert msg.startswith("model.hidden: expected layers that fit in memory (")
    assert msg.endswith(
        "got [2000000000] (about 373 GiB of weights, gradients and optimiser state)"
    )
    msg = error_of(["train", *TINY, "--set", "data.n=1000000000000"], capsys)
    assert msg == "data.n: expected an integer >= 1 and <= 10,000,000, got 1000000000000"


def test_toml_nested_5000_deep(tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    msg = error_of(["train", str(deep)], capsys)
    assert msg == f"config file {deep}: expected TOML nested a few levels, got deeper"
    msg = error_of(["train", "--set", "model.hidden=" + "[" * 5000], capsys)
    assert msg.startswith("model.hidden: expected a list of integers >= 1")


def test_out_pointing_at_a_file_or_proc(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    msg = error_of(["train", *TINY, "--out", str(afile)], capsys)
    assert msg == f"--out: expected a directory (new or existing), got {afile} (a file)"
    msg = error_of(["train", *TINY, "--out", "/proc/descentlab"], capsys)
    assert msg == (
        "--out: expected a directory that can be written, got /proc/descentlab "
        "(No such file or directory)"
    )


NAME_RULE = (
    "name: expected a name of letters, digits, '.', '_' or '-' not starting with '.' or '-' "
    "(at most 100 characters), got "
)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('"a\\u0000b"', "'a\\x00b' (a string)"),
        ("x" * 300, "'" + "x" * 56 + "... (a string)"),
        ("../../x", "'../../x' (a string)"),
        ("/tmp/abs", "'/tmp/abs' (a string)"),
    ],
)
def test_run_names_stay_inside_runs(name, shown, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert error_of(["train", *TINY, "--set", f"name={name}"], capsys) == NAME_RULE + shown
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--eps", "0"], "--eps: expected a number > 0 and <= 1, got '0'"),
        (["--eps", "-1"], "--eps: expected a number > 0 and <= 1, got '-1'"),
        (["--seed", "-1"], "--seed: expected an integer >= 0 and <= 4,294,967,295, got '-1'"),
    ],
)
def test_gradcheck_refuses_bad_numbers(argv, message, capsys):
    assert error_of(["gradcheck", *argv], capsys) == message


def test_numbers_have_upper_bounds(capsys):
    msg = error_of(["train", "--set", f"train.epochs={2**63 - 1}"], capsys)
    assert msg == "train.epochs: expected an integer >= 1 and <= 1,000,000, got 9223372036854775807"
    msg = error_of(["lr-find", "--steps", "1e9"], capsys)
    assert msg == "--steps: expected an integer >= 3 and <= 100,000, got '1e9'"


def test_settings_that_do_not_apply_are_errors(capsys):
    msg = error_of(["train", "--set", "optim.momentum=0.9"], capsys)
    assert msg == (
        "optim.momentum: expected no value with optimizer 'adam' (it takes lr, betas, eps, "
        "weight_decay), got 0.9"
    )
    msg = error_of(["train", "--set", "data.noise=0.1"], capsys)
    assert msg == "data.noise: expected no value with dataset 'digits' (it takes n), got 0.1"


def test_resume_refuses_other_data_unless_forced(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    argv = ["train", "--resume", str(out), "--set", "data.name=moons", "--set", "data.n=32"]
    assert error_of(argv, capsys) == (
        "--resume: expected the run's own [data] (or --force to continue on a changed one), "
        "got data.n changed from 16 to 32"
    )


def test_renamed_runs_are_announced(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["train", *TINY, "--set", "name=tiny"]
    assert main(argv) == 0 and main(argv) == 0
    assert "runs/tiny exists: writing to runs/tiny-2" in capsys.readouterr().err


def test_graph_svg_says_where_it_wrote(tmp_path, capsys):
    svg = tmp_path / "g.svg"
    assert main(["graph", "x * y", "--at", "x=2,y=3", "--svg", str(svg)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"wrote SVG: {svg}") and svg.is_file()


def test_version(capsys):
    from descentlab import __version__

    assert exit_code(["--version"]) == 0
    assert capsys.readouterr().out == f"descentlab {__version__}\n"


def test_compare_says_which_lr_each_optimiser_used(tmp_path, capsys):
    argv = ["compare", *TINY, "--vary", "optimizer=sgd,adam", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "optimizer = sgd (lr 0.1, sgd's usual default)" in out
    assert "optimizer = adam (lr 0.001, adam's usual default)" in out
    assert main([*argv, "--set", "optim.lr=0.05"]) == 0
    assert "optimizer = sgd (lr 0.05, set in the config)" in " ".join(
        capsys.readouterr().out.split()
    )


def test_names_fold_case_and_lists_without_brackets_get_a_hint(capsys):
    cfg = C.load_config(
        None, ["model.activation=GELU", "optim.name=AdamW", "train.batch_size=Full"]
    )
    assert (cfg["model"]["activation"], cfg["optim"]["name"]) == ("gelu", "adamw")
    assert cfg["train"]["batch_size"] == "full"
    msg = error_of(["train", "--set", "model.hidden=64,32"], capsys)
    assert msg.endswith("got '64,32' (a string); write a list in brackets: model.hidden=[64,32]")


# ------------------------------------------------------------------------------------ fuzz
KEYS = [f"{s}.{k}" if s else k for s, ps in C.SCHEMA.items() for k in ps] + ["x.y", "a.b.c", ""]
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30),
    st.sampled_from(["true", "[]", "[1, 2]", "[0.9, 1.5]", "{a = 1}", "full", "'x'", "[[1]]"]),
    st.lists(st.integers(-5, 10**12), max_size=4).map(str),
)


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=4))
def test_fuzz_the_config_gives_a_config_or_one_line(pairs):
    overrides = [f"{k}={v}" for k, v in pairs]
    try:
        cfg = C.load_config(None, overrides)
    except C.ConfigError as exc:
        text = str(exc)
        assert text and "\n" not in text and ": expected " in text and ", got " in text
    else:
        assert C.validate(__import__("tomllib").loads(C.dumps(cfg))) == cfg
