"""docs/config.md's key reference is generated from the schema: it must be current."""

from pathlib import Path

from descentlab.train import config as C

PAGE = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def test_docs_config_md_matches_the_schema():
    text = PAGE.read_text()
    assert text == C.with_reference(text), (
        "docs/config.md is stale: run `descentlab config --update-docs docs/config.md`"
    )
    for key, *_ in C.rows():
        assert f"`{key.rpartition('.')[2]}`" in text, key


def test_every_key_has_help_and_an_allowed_text():
    for key, type_name, default, allowed, help_text in C.rows():
        assert type_name and default and allowed and help_text, key
