"""``descentlab gradcheck``: every op against centred finite differences, as one table."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from descentlab.cli import typed
    from descentlab.registry import Param

    parser = subparsers.add_parser(
        "gradcheck",
        help="check every op's backward against finite differences",
        description="Check every differentiable op's backward() against centred finite "
        "differences in float64 on random inputs, and print one row per op.",
    )
    parser.add_argument("--only", nargs="+", metavar="OP", help="check only these ops")
    parser.add_argument(
        "--eps",
        type=typed(Param("--eps", "float", gt=0, le=1)),
        default=1e-6,
        help="finite-difference step, in (0, 1] (default 1e-6)",
    )
    tolerance = typed(Param("tolerance", "float", ge=0))
    parser.add_argument("--atol", type=tolerance, default=1e-5, help="absolute tolerance >= 0")
    parser.add_argument("--rtol", type=tolerance, default=1e-3, help="relative tolerance >= 0")
    parser.add_argument(
        "--seed",
        type=typed(Param("--seed", "int", ge=0, le=2**32 - 1)),
        default=0,
        help="seed for the random inputs (an integer >= 0)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from descentlab.cli import UsageError
    from descentlab.gradcheck import gradcheck
    from descentlab.op_cases import OP_CASES

    cases = OP_CASES
    if args.only:
        known = {case.name for case in OP_CASES}
        unknown = [name for name in args.only if name not in known]
        if unknown:
            raise UsageError(
                f"--only: unknown op(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
            )
        cases = [case for case in OP_CASES if case.name in args.only]

    rng = np.random.default_rng(args.seed)
    width = max(len(case.name) for case in cases)
    print(f"{'op':<{width}}  {'max abs error':>13}  {'max rel error':>13}  result")
    failures = 0
    for case in cases:
        report = gradcheck(
            case.fn, case.inputs(rng), eps=args.eps, atol=args.atol, rtol=args.rtol,
            raise_exception=False,
        )  # fmt: skip
        failures += not report.passed
        verdict = "pass" if report.passed else "FAIL"
        print(
            f"{case.name:<{width}}  {report.max_abs_error:13.2e}  "
            f"{report.max_rel_error:13.2e}  {verdict}"
        )
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0
