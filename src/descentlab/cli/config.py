"""``descentlab config [--markdown]``: every config key with its type, default, allowed values
and help, generated from the schema (and so from the registry)."""

from __future__ import annotations

import argparse
import shutil
import textwrap


def run_command(args: argparse.Namespace) -> int:
    from descentlab.train import config as C

    if args.markdown:
        print(C.markdown(), end="")
        return 0
    if args.update_docs:
        from pathlib import Path

        page = Path(args.update_docs)
        page.write_text(C.with_reference(page.read_text()))
        print(f"wrote {page}")
        return 0
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    rows = C.rows()
    key_w = max(len(r[0]) for r in rows)
    indent = " " * (key_w + 2)
    section = None
    for key, type_name, default, allowed, help_text in rows:
        head = key.split(".")[0] if "." in key else ""
        if head != section:
            section = head
            print(f"\n[{head}]" if head else "top level")
        line = f"{key.ljust(key_w)}  {type_name} = {default}: {help_text}"
        print(textwrap.fill(line, width, subsequent_indent=indent))
        print(
            textwrap.fill(
                f"allowed: {allowed}", width, initial_indent=indent, subsequent_indent=indent
            )
        )
    print("\nset a key in a TOML file ([section] then key = value) or with --set section.key=value")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "config",
        help="list every config key: type, default, allowed values, help",
        description="List every key of an experiment config (TOML) with its type, default, "
        "allowed values and help. --markdown prints the reference table of docs/config.md.",
    )
    p.add_argument("--markdown", action="store_true", help="print the key reference as Markdown")
    p.add_argument(
        "--update-docs",
        metavar="PAGE",
        help="rewrite the generated reference block of PAGE (docs/config.md)",
    )
    p.set_defaults(func=run_command)
