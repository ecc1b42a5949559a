"""The catalog validator: every problem names its file, entry and field, on one line.

Each error kind is checked twice: through :func:`render.catalog.load_catalog`
(the exact ``.path`` / ``.entry`` / ``.field`` / ``.reason`` of the
:class:`CatalogError`) and through the CLI (``explainers --catalog PATH list``:
exit 2, one ``Error: ...`` line on stderr, no traceback).
"""

from __future__ import annotations

import copy
import math
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import scenes
import sims
from render.catalog import (
    CATEGORIES,
    DEFAULT_CATALOG,
    MAX_CATALOG_BYTES,
    OPTIONAL,
    REQUIRED,
    Catalog,
    load_catalog,
)
from render.cli import cli
from render.errors import CatalogError, UserError

#: The seed page's order (the catalog.yaml header): the catalog must keep it.
SEED_PAGE_ORDER = [
    "rate-limiting",
    "cap-theorem",
    "heartbeat-failure-detection",
    "majority-quorum",
    "lamport-clock",
    "gossip-protocol",
    "circuit-breaker",
    "consistent-hashing",
    "raft-consensus",
    "kafka-topic-partitioning",
    "eventual-consistency",
    "backpropagation",
    "write-ahead-log",
    "consumer-group-rebalancing",
    "producer-acknowledgments",
    "attention-mechanism",
    "two-phase-commit",
    "exactly-once-semantics",
    "log-compaction",
    "tokenization-embeddings",
]
RL, CAP = 0, 1  # indexes of rate-limiting (has a simulator) and the entry the tests turn into a planned one
#: The id the ``data`` fixture gives entry CAP: no simulator or scene will ever have it.
PLANNED = "planned-example"
ALLOWED_FIELDS = ", ".join([*REQUIRED, *OPTIONAL])

with open(DEFAULT_CATALOG, encoding="utf-8") as _handle:
    REAL_TEXT = _handle.read()
REAL = yaml.safe_load(REAL_TEXT)


# ------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def _no_catalog_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPLAINERS_CATALOG", raising=False)


@pytest.fixture
def data() -> dict[str, Any]:
    """A fresh, mutable copy of the real catalog, with entry CAP renamed to a planned explainer (PLANNED)."""
    fresh = copy.deepcopy(REAL)
    fresh["explainers"][CAP]["id"] = PLANNED
    return fresh


def dump(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def expect_error(path: Path, entry: str | None, field: str | None, reason: str, *, exact: bool = True) -> CatalogError:
    """Assert load_catalog and the CLI both reject ``path`` naming ``entry`` and ``field``."""
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    err = info.value
    assert isinstance(err, UserError) and err.exit_code == 2
    assert err.path == str(path)
    assert err.entry == entry
    assert err.field == field
    if exact:
        assert err.reason == reason
    else:
        assert err.reason.startswith(reason), err.reason
    expected = ": ".join([str(path)] + [p for p in (entry, field) if p] + [err.reason])
    assert err.message == expected
    assert "\n" not in err.message

    result = CliRunner().invoke(cli, ["--catalog", str(path), "list"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {expected}\n"
    assert "Traceback" not in result.output
    return err


def explainers_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["explainers"]


# ------------------------------------------------------------------ the real catalog
def test_real_catalog_loads_in_seed_page_order() -> None:
    catalog = load_catalog()
    assert isinstance(catalog, Catalog)
    assert catalog.path == DEFAULT_CATALOG
    assert [i for i in catalog.ids if i in SEED_PAGE_ORDER] == SEED_PAGE_ORDER  # new ones may come anywhere
    assert [e.id for e in catalog if e.featured] == ["rate-limiting"]
    assert catalog.featured is not None and catalog.featured.id == "rate-limiting"
    for e in catalog:
        assert e.category in CATEGORIES
        assert 30 <= e.duration_s <= 300
        assert isinstance(e.tags, tuple) and e.tags
        assert e.title.strip() and e.blurb.strip() and e.hook.strip()
        with pytest.raises(TypeError):
            e.params["new"] = 1  # read-only view


def test_explicit_path_equals_default(tmp_path: Path) -> None:
    copy_path = tmp_path / "catalog.yaml"
    copy_path.write_text(REAL_TEXT, encoding="utf-8")
    assert load_catalog(copy_path).explainers == load_catalog(DEFAULT_CATALOG).explainers
    assert load_catalog(str(copy_path)).path == copy_path


def test_status_is_ready_only_with_simulator_and_scene(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = load_catalog()
    for e in catalog:
        both = sims.has_simulator(e.id) and scenes.has_scene(e.id)
        assert e.status == ("ready" if both else "planned")
        assert e.ready is both
    assert catalog.get("rate-limiting").status == "ready"
    # A simulator alone (or a scene alone) is not enough.
    monkeypatch.setattr(scenes, "has_scene", lambda explainer_id: explainer_id != "rate-limiting")
    assert catalog.get("rate-limiting").status == "planned"
    monkeypatch.setattr(scenes, "has_scene", lambda explainer_id: True)
    monkeypatch.setattr(sims, "has_simulator", lambda explainer_id: False)
    assert all(e.status == "planned" for e in catalog)


def test_env_var_is_honored(tmp_path: Path, data: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    explainers_of(data)[CAP]["title"] = "CAP Theorem, from the environment"
    path = dump(tmp_path / "mine.yaml", data)
    monkeypatch.setenv("EXPLAINERS_CATALOG", str(path))
    catalog = load_catalog()
    assert catalog.path == path
    assert catalog.get(PLANNED).title == "CAP Theorem, from the environment"
    # An explicit path wins over the variable.
    assert load_catalog(DEFAULT_CATALOG).path == DEFAULT_CATALOG
    result = CliRunner().invoke(cli, ["list"], env={"EXPLAINERS_CATALOG": str(path), "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "CAP Theorem, from the environment" in result.stdout
    # ... and an invalid catalog named by the variable is reported like any other.
    bad = tmp_path / "missing.yaml"
    result = CliRunner().invoke(cli, ["list"], env={"EXPLAINERS_CATALOG": str(bad)})
    assert result.exit_code == 2
    assert result.stderr == f"Error: {bad}: file not found\n"


def test_duration_bounds_are_inclusive(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[RL]["duration_s"] = 30
    explainers_of(data)[CAP]["duration_s"] = 300
    catalog = load_catalog(dump(tmp_path / "c.yaml", data))
    assert catalog.get("rate-limiting").duration_s == 30
    assert catalog.get(PLANNED).duration_s == 300


def test_optional_featured_and_unicode_accepted(tmp_path: Path, data: dict[str, Any]) -> None:
    del explainers_of(data)[RL]["featured"]
    explainers_of(data)[CAP]["title"] = "CAP-Theorem — Konsistenz über alles"
    catalog = load_catalog(dump(tmp_path / "c.yaml", data))
    assert not any(e.featured for e in catalog)
    assert catalog.featured is not None and catalog.featured.id == "rate-limiting"  # falls back to the first
    assert catalog.get(PLANNED).title == "CAP-Theorem — Konsistenz über alles"


def test_planned_entry_params_are_not_checked_against_a_simulator(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["params"] = {"anything": [1, 2], "goes": {"here": True}}
    assert load_catalog(dump(tmp_path / "c.yaml", data)).get(PLANNED).params["goes"] == {"here": True}


# ------------------------------------------------------------------ file-level errors
def test_file_missing(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.yaml", None, None, "file not found")


def test_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert (info.value.path, info.value.entry, info.value.field, info.value.reason) == (
        str(tmp_path), None, None, "is not a file")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"],
                         ids=["empty", "blank", "comment", "doc-start"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    expect_error(path, None, None, "file is empty")


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    raw = REAL_TEXT.encode("utf-8")
    offset = raw.index(b"Rate Limiting Algorithms")
    path.write_bytes(raw[:offset] + b"\xff\xfe" + raw[offset:])
    expect_error(path, None, None, f"not UTF-8 text (bad byte at offset {offset})")


def test_latin1_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes("explainers:\n  - id: caf\xe9\n".encode("latin-1"))
    expect_error(path, None, None, "not UTF-8 text (bad byte at offset 23)")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    lines = REAL_TEXT.splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith("hook:"))
    lines[number - 1] = "    hook: Watch: bursts get shaped\n"
    path = tmp_path / "c.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    expect_error(path, f"line {number}", None, "invalid YAML: mapping values are not allowed here")


def test_yaml_unclosed_flow_sequence(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("explainers:\n  - id: a\n    tags: [x\n", encoding="utf-8")
    err = expect_error(path, "line 4", None, "invalid YAML: ", exact=False)
    assert "<stream end>" in err.reason


@pytest.mark.parametrize("where", ["top", "field"])
def test_python_tag_rejected_by_safe_loading(tmp_path: Path, where: str) -> None:
    marker = tmp_path / "pwned"
    tag = f'!!python/object/apply:os.mkdir ["{marker}"]'
    if where == "top":
        text, line = "!!python/object/apply:os.system [\"echo hi\"]\n", 1
        tag_name = "python/object/apply:os.system"
    else:
        lines = REAL_TEXT.splitlines(keepends=True)
        line = next(i for i, text_line in enumerate(lines, 1) if text_line.strip() == "seed: 7")
        lines[line - 1] = f"    seed: {tag}\n"
        text, tag_name = "".join(lines), "python/object/apply:os.mkdir"
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    expect_error(path, f"line {line}", None,
                 f"invalid YAML: YAML tag not allowed (could not determine a constructor for the tag "
                 f"'tag:yaml.org,2002:{tag_name}')")
    assert not marker.exists()


def test_deeply_nested_yaml_is_a_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("explainers: " + "[" * 1_500 + "]" * 1_500 + "\n", encoding="utf-8")
    expect_error(path, None, None, "invalid YAML: nested too deeply")


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(["a", "b"], "list"), ("just text", "str"), (42, "int"), (True, "bool")],
    ids=["list", "str", "int", "bool"],
)
def test_top_level_not_a_mapping(tmp_path: Path, value: Any, type_name: str) -> None:
    expect_error(dump(tmp_path / "c.yaml", value), None, None,
                 f"expected a mapping with an 'explainers' list, got {type_name}")


def test_unknown_top_level_key(tmp_path: Path, data: dict[str, Any]) -> None:
    data["version"] = 2
    expect_error(dump(tmp_path / "c.yaml", data), None, "version", "unknown top-level field (allowed: explainers)")


@pytest.mark.parametrize("value", [None, [], "x", {"id": "a"}], ids=["null", "empty", "str", "mapping"])
def test_explainers_not_a_nonempty_list(tmp_path: Path, value: Any) -> None:
    expect_error(dump(tmp_path / "c.yaml", {"explainers": value}), None, "explainers",
                 "expected a non-empty list of entries")


def test_explainers_key_missing(tmp_path: Path) -> None:
    expect_error(dump(tmp_path / "c.yaml", {}), None, "explainers", "expected a non-empty list of entries")


def test_file_larger_than_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    padding = "# padding\n" * (MAX_CATALOG_BYTES // 10 + 1)
    path.write_text(REAL_TEXT + padding, encoding="utf-8")  # still a valid catalog, only too big
    size = path.stat().st_size
    assert size > MAX_CATALOG_BYTES
    expect_error(path, None, None, f"file is {size} bytes, more than the {MAX_CATALOG_BYTES} a catalog may be")


def test_file_at_size_cap_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    body = REAL_TEXT.encode("utf-8")
    path.write_bytes(body + b"#" * (MAX_CATALOG_BYTES - len(body) - 1) + b"\n")
    assert path.stat().st_size == MAX_CATALOG_BYTES
    assert load_catalog(path).ids == load_catalog().ids


# ------------------------------------------------------------------ entry-level errors
@pytest.mark.parametrize(
    ("value", "type_name"), [("just a string", "str"), (["a"], "list"), (None, "NoneType"), (3, "int")]
)
def test_entry_not_a_mapping(tmp_path: Path, data: dict[str, Any], value: Any, type_name: str) -> None:
    explainers_of(data)[3] = value
    expect_error(dump(tmp_path / "c.yaml", data), "entry 4", None, f"expected a mapping, got {type_name}")


def test_unknown_field(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[RL]["colour"] = "red"
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", "colour",
                 f"unknown field (allowed: {ALLOWED_FIELDS})")


def test_unknown_non_string_field(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP][7] = "seven"
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "7", f"unknown field (allowed: {ALLOWED_FIELDS})")


@pytest.mark.parametrize(
    ("key", "shown"), [("", "''"), ("a\nb", "'a\\nb'"), (" tag", "' tag'"), ("x\u2028y", "'x\\u2028y'")]
)
@pytest.mark.parametrize("where", ["top", "entry", "param"])
def test_odd_unknown_key_is_quoted_on_one_line(tmp_path: Path, data: dict[str, Any], key: str, shown: str,
                                               where: str) -> None:
    if where == "top":
        data[key] = 1
        entry, field = None, shown
        reason = "unknown top-level field (allowed: explainers)"
    elif where == "entry":
        explainers_of(data)[CAP][key] = 1
        entry, field = PLANNED, shown
        reason = f"unknown field (allowed: {ALLOWED_FIELDS})"
    else:
        explainers_of(data)[RL]["params"][key] = 1
        entry, field = "rate-limiting", f"params.{shown}"
        reason = "unknown parameter (known: "
    err = expect_error(dump(tmp_path / "c.yaml", data), entry, field, reason, exact=where != "param")
    assert len(err.message.splitlines()) == 1


@pytest.mark.parametrize("field", list(REQUIRED))
def test_missing_required_field(tmp_path: Path, data: dict[str, Any], field: str) -> None:
    del explainers_of(data)[CAP][field]
    entry = "entry 2" if field == "id" else PLANNED
    expect_error(dump(tmp_path / "c.yaml", data), entry, field, "missing required field")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("duration_s", "100", "expected an integer, got str '100'"),
        ("duration_s", 100.0, "expected an integer, got float 100.0"),
        ("duration_s", True, "expected an integer, got bool True"),
        ("tags", "x", "expected a list, got str 'x'"),
        ("tags", {"a": 1}, "expected a list, got dict {'a': 1}"),
        ("seed", 1.5, "expected an integer, got float 1.5"),
        ("seed", False, "expected an integer, got bool False"),
        ("seed", "7", "expected an integer, got str '7'"),
        ("params", [], "expected a mapping, got list []"),
        ("params", None, "expected a mapping, got NoneType None"),
        ("featured", "yes", "expected true or false, got str 'yes'"),
        ("featured", 1, "expected true or false, got int 1"),
        ("title", 5, "expected a string, got int 5"),
        ("category", None, "expected a string, got NoneType None"),
        ("blurb", ["a"], "expected a string, got list ['a']"),
        ("hook", {"x": 1}, "expected a string, got dict {'x': 1}"),
    ],
)
def test_wrong_type(tmp_path: Path, data: dict[str, Any], field: str, value: Any, reason: str) -> None:
    explainers_of(data)[CAP][field] = value
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, field, reason)


def test_wrong_type_of_id_names_the_entry_by_position(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["id"] = 42
    expect_error(dump(tmp_path / "c.yaml", data), "entry 2", "id", "expected a string, got int 42")


def test_long_value_is_cut_in_the_message(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["seed"] = "9" * 500
    err = expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "seed", "expected an integer, got str '999",
                       exact=False)
    assert len(err.reason) < 120


def test_duplicate_id(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[4]["id"] = PLANNED
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "id", "duplicate id")


ID_RULE = "must be lowercase letters, digits and single hyphens ([a-z0-9-]+)"


@pytest.mark.parametrize(
    "bad_id",
    ["Rate-Limiting", "rate/limiting", "..", "../etc/passwd", "rate limiting", "-rate-limiting", "rate-limiting-",
     "rate--limiting", "rate_limiting", "caf\u00e9", "a\nb"],
)
def test_bad_id(tmp_path: Path, data: dict[str, Any], bad_id: str) -> None:
    explainers_of(data)[CAP]["id"] = bad_id
    # A malformed id is quoted, so the message stays one unambiguous line.
    expect_error(dump(tmp_path / "c.yaml", data), repr(bad_id), "id", ID_RULE)


@pytest.mark.parametrize("bad_id", ["", " "])
def test_blank_id(tmp_path: Path, data: dict[str, Any], bad_id: str) -> None:
    explainers_of(data)[CAP]["id"] = bad_id
    entry = "entry 2" if not bad_id else repr(bad_id)
    expect_error(dump(tmp_path / "c.yaml", data), entry, "id", ID_RULE)


def test_id_too_long(tmp_path: Path, data: dict[str, Any]) -> None:
    long_id = "a" * 65
    explainers_of(data)[CAP]["id"] = long_id
    expect_error(dump(tmp_path / "c.yaml", data), long_id, "id", ID_RULE)
    explainers_of(data)[CAP]["id"] = "a" * 64
    assert "a" * 64 in load_catalog(dump(tmp_path / "ok.yaml", data)).ids


def test_unknown_category(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["category"] = "Networking"
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "category",
                 f"unknown category 'Networking' (allowed: {', '.join(CATEGORIES)})")


def test_category_is_case_sensitive(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["category"] = "distributed systems"
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "category", "unknown category", exact=False)


@pytest.mark.parametrize("duration", [29, 301, 0, -100])
def test_duration_out_of_range(tmp_path: Path, data: dict[str, Any], duration: int) -> None:
    explainers_of(data)[RL]["duration_s"] = duration
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", "duration_s", f"{duration} is outside 30-300 s")


def test_empty_tags(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["tags"] = []
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "tags", "needs at least one tag")


@pytest.mark.parametrize(("tag", "shown"), [(5, "5"), ("", "''"), ("   ", "'   '"), ("x" * 41, repr("x" * 41)[:60])])
def test_bad_tag(tmp_path: Path, data: dict[str, Any], tag: Any, shown: str) -> None:
    explainers_of(data)[CAP]["tags"] = ["Fine", tag]
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "tags[1]",
                 f"expected a non-empty string of at most 40 characters, got {shown}")


@pytest.mark.parametrize("field", ["title", "blurb", "hook"])
@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text(tmp_path: Path, data: dict[str, Any], field: str, text: str) -> None:
    explainers_of(data)[CAP][field] = text
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, field, "must not be empty")


@pytest.mark.parametrize(("field", "limit"), [("title", 120), ("blurb", 300), ("hook", 90)])
def test_text_too_long(tmp_path: Path, data: dict[str, Any], field: str, limit: int) -> None:
    explainers_of(data)[CAP][field] = "x" * limit
    load_catalog(dump(tmp_path / "ok.yaml", data))
    explainers_of(data)[CAP][field] = "x" * (limit + 1)
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, field,
                 f"is {limit + 1} characters, more than {limit}")


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_out_of_range(tmp_path: Path, data: dict[str, Any], seed: int) -> None:
    explainers_of(data)[CAP]["seed"] = seed
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "seed", f"{seed} is outside 0..2**32-1")


def test_non_string_param_name(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[CAP]["params"] = {1: "x"}
    expect_error(dump(tmp_path / "c.yaml", data), PLANNED, "params", "parameter names must be strings, got 1")


# ------------------------------------------------------------------ simulator params
def test_unknown_simulator_param(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[RL]["params"]["nope"] = 1
    from sims.rate_limiting import PARAMS

    known = ", ".join(sorted(p.name for p in PARAMS))
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", "params.nope",
                 f"unknown parameter (known: {known})")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("limit", "8", "expected an integer, got str '8'"),
        ("limit", 8.0, "expected an integer, got float 8.0"),
        ("limit", True, "expected an integer, got bool True"),
        ("refill_per_s", "1.0", "expected a number, got str '1.0'"),
        ("refill_per_s", float("nan"), "expected a finite number, got nan"),
        ("tick_s", float("nan"), "expected a finite number, got nan"),
        ("burst_at_s", float("inf"), "expected a finite number, got inf"),
    ],
)
def test_param_of_wrong_type(tmp_path: Path, data: dict[str, Any], key: str, value: Any, reason: str) -> None:
    explainers_of(data)[RL]["params"][key] = value
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", f"params.{key}", reason)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("limit", 0, "0 is below the minimum 1"),
        ("limit", 65, "65 is above the maximum 64"),
        ("refill_per_s", -0.5, "-0.5 is below the minimum 0.0"),
    ],
)
def test_param_out_of_range(tmp_path: Path, data: dict[str, Any], key: str, value: Any, reason: str) -> None:
    explainers_of(data)[RL]["params"][key] = value
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", f"params.{key}", reason)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"edge_s": 20}, "edge_s", "must be a positive multiple of window_s=8, got 20"),
        ({"tick_s": 0.3}, "tick_s", "must divide one second evenly (1/tick_s whole), got 0.3"),
        ({"overload_from_s": 25}, "overload_from_s", "must be >= edge_s + 2 = 26 (quiet zone)"),
        ({"burst_at_s": 4.1}, "burst_at_s", "must lie on the 0.125 s tick grid, got 4.1"),
    ],
)
def test_cross_field_param_error(tmp_path: Path, data: dict[str, Any], changes: dict[str, Any], field: str,
                                 reason: str) -> None:
    explainers_of(data)[RL]["params"].update(changes)
    expect_error(dump(tmp_path / "c.yaml", data), "rate-limiting", f"params.{field}", reason)


def test_param_error_of_a_second_simulator(tmp_path: Path, data: dict[str, Any]) -> None:
    raft = next(e for e in explainers_of(data) if e["id"] == "raft-consensus")
    raft["params"]["heartbeat_ms"] = 400
    low = raft["params"]["election_timeout_ms"][0]
    expect_error(dump(tmp_path / "c.yaml", data), "raft-consensus", "params.heartbeat_ms",
                 f"400 must be below the shortest election timeout {low}")


def test_params_may_be_partial(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[RL]["params"] = {"limit": 4}
    catalog = load_catalog(dump(tmp_path / "c.yaml", data))
    resolved = catalog.get("rate-limiting").resolved_params()
    assert resolved["limit"] == 4 and resolved["window_s"] == 8  # the rest are simulator defaults


# ------------------------------------------------------------------ catalog-wide
def test_two_featured_entries(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[5]["featured"] = True
    second = explainers_of(data)[5]["id"]
    expect_error(dump(tmp_path / "c.yaml", data), second, "featured",
                 "only one explainer may be featured (rate-limiting already is)")


def test_featured_false_twice_is_fine(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[5]["featured"] = False
    explainers_of(data)[6]["featured"] = False
    assert load_catalog(dump(tmp_path / "c.yaml", data)).featured.id == "rate-limiting"


def test_first_error_wins(tmp_path: Path, data: dict[str, Any]) -> None:
    explainers_of(data)[2]["duration_s"] = 5
    explainers_of(data)[7]["category"] = "Nope"
    expect_error(dump(tmp_path / "c.yaml", data), explainers_of(data)[2]["id"], "duration_s", "5 is outside 30-300 s")


# ------------------------------------------------------------------ property: never any other exception
FUZZ_BASE = {"explainers": [copy.deepcopy(e) for e in REAL["explainers"]
                            if e["id"] in ("rate-limiting", "cap-theorem", "raft-consensus", "backpropagation")]}
FIELDS = [*REQUIRED, *OPTIONAL]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.integers(min_value=-3, max_value=700)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", "rate-limiting", PLANNED, "System Design", "leader", "-x", "A/B"])
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)
#: Values a simulator parameter might plausibly hold, valid or just out of range.
near_valid = (
    st.integers(min_value=-2, max_value=700)
    | st.floats(min_value=-1, max_value=700)
    | st.sampled_from([0.0, 0.125, 0.3, 1.0, 1e-9, float("nan"), float("inf"), "leader"])
    | st.lists(st.integers(-5, 20_000), max_size=3)
    | st.lists(st.tuples(st.integers(-5, 2000), st.text(max_size=3)).map(list), max_size=3)
    | st.lists(st.fixed_dictionaries({"who": st.sampled_from(["leader", 0, 2, 12]), "at_ms": st.integers(-5, 3000)},
                                     optional={"recover_ms": st.none() | st.integers(-5, 3000),
                                               "orphan_cmd": st.none() | st.text(max_size=3)}), max_size=2)
)
keys = st.sampled_from(FIELDS) | st.text(string.ascii_lowercase + "_", min_size=1, max_size=10) | st.text(max_size=4)


@st.composite
def mutated_catalogs(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(FUZZ_BASE)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["drop", "replace", "replace", "param", "param", "param", "param", "drop_param",
                                   "new_key", "entry", "drop_entry", "top", "whole"]))
        if op == "whole":
            data = draw(json_values)
            continue
        if not isinstance(data, dict):
            continue
        if op == "top":
            data[draw(st.sampled_from(["explainers", "version"]) | st.text(max_size=6))] = draw(json_values)
            continue
        entries = data.get("explainers")
        if not isinstance(entries, list) or not entries:
            continue
        i = draw(st.integers(0, len(entries) - 1))
        entry = entries[i]
        if op == "entry":
            if draw(st.booleans()):
                new = copy.deepcopy(draw(st.sampled_from(FUZZ_BASE["explainers"])))
                new["id"] = draw(st.sampled_from(["new-one", "raft-consensus"])
                                 | st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True))
            else:
                new = draw(json_values)
            entries.insert(draw(st.integers(0, len(entries))), new)
        elif op == "drop_entry":
            del entries[i]
        elif not isinstance(entry, dict):
            entries[i] = draw(json_values)
        elif op == "drop":
            entry.pop(draw(st.sampled_from(FIELDS)), None)
        elif op in ("replace", "new_key"):
            entry[draw(st.sampled_from(FIELDS) if op == "replace" else keys)] = draw(json_values)
        elif isinstance(entry.get("params"), dict):
            params = entry["params"]
            names = list(params) or ["limit"]
            if op == "drop_param":
                params.pop(draw(st.sampled_from(names)), None)
            else:
                key = draw(st.sampled_from(names)) if draw(st.integers(0, 3)) else draw(keys)
                params[key] = draw(near_valid | json_values)
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_fuzz_base_is_valid(fuzz_dir: Path) -> None:
    assert len(load_catalog(dump(fuzz_dir / "base.yaml", FUZZ_BASE))) == 4


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_catalogs())
def test_random_mutations_give_a_catalog_or_a_catalog_error(fuzz_dir: Path, data: Any) -> None:
    path = dump(fuzz_dir / "c.yaml", data)
    try:
        catalog = load_catalog(path)
    except CatalogError as err:
        field = err.field or ""
        event(f"error: {field if field in FIELDS or field.startswith('params.') else err.reason[:20]}")
        assert err.path == str(path)
        assert err.message.startswith(f"{path}: ")
        assert len(err.message.splitlines()) == 1
        return
    event("loaded")
    assert isinstance(catalog, Catalog)
    assert len(set(catalog.ids)) == len(catalog) > 0
    assert sum(e.featured for e in catalog) <= 1
    for e in catalog:
        if sims.has_simulator(e.id):
            resolved = e.resolved_params()  # valid params resolve again without error
            assert all(not isinstance(v, float) or math.isfinite(v) for v in resolved.values())


SIMULATED = [e["id"] for e in FUZZ_BASE["explainers"] if sims.has_simulator(e["id"])]


@st.composite
def param_overrides(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    index = draw(st.sampled_from([i for i, e in enumerate(FUZZ_BASE["explainers"]) if e["id"] in SIMULATED]))
    names = [p.name for p in sims.get_simulator(FUZZ_BASE["explainers"][index]["id"]).PARAMS]
    specials = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 2**63, True, None])
    values = st.dictionaries(st.sampled_from(names), specials | near_valid | json_values, min_size=1, max_size=3)
    return index, draw(values)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(param_overrides())
def test_random_simulator_params_give_a_catalog_or_a_catalog_error(fuzz_dir: Path, case: tuple[int, dict]) -> None:
    index, overrides = case
    data = copy.deepcopy(FUZZ_BASE)
    data["explainers"][index]["params"].update(overrides)
    path = dump(fuzz_dir / "p.yaml", data)
    try:
        catalog = load_catalog(path)
    except CatalogError as err:
        assert err.entry == data["explainers"][index]["id"]
        assert err.field is not None and err.field.startswith("params.")
        assert len(err.message.splitlines()) == 1
        return
    resolved = catalog.explainers[index].resolved_params()
    assert all(not isinstance(v, float) or math.isfinite(v) for v in resolved.values())
