"""``descentlab gradcheck`` prints one row per op and fails loudly on a wrong backward."""

from __future__ import annotations

from descentlab.cli import main
from descentlab.op_cases import OP_CASES


def test_gradcheck_command_checks_every_op(capsys):
    assert main(["gradcheck"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:1] == ["op"]
    rows = {line.split()[0]: line.split()[-1] for line in lines[1:-1]}
    assert set(rows) == {case.name for case in OP_CASES}
    assert set(rows.values()) == {"pass"}
    assert lines[-1] == f"{len(OP_CASES)} passed, 0 failed"


def test_gradcheck_command_reports_failures(capsys):
    # With a step this large, finite differences of exp are visibly wrong: the check fails.
    assert main(["gradcheck", "--only", "exp", "--eps", "0.5", "--rtol", "1e-6"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_unknown_op_is_a_usage_error(capsys):
    assert main(["gradcheck", "--only", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown op(s) nonsense" in err and "allowed:" in err
