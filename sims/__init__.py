"""Simulators: one pure, seeded module per explainer, found by its file name.

Explainer ``consistent-hashing`` is ``sims/consistent_hashing.py``. Each module
exposes ``ID`` (the catalog id, which must match its file), ``PARAMS`` (a tuple
of :class:`sims.params.Param`), ``check_params(params)`` (cross-field checks,
raising :class:`sims.params.ParamError`), ``simulate(seed, **params) -> Trace``,
``ALTERNATE_PARAMS`` (a second, non-default parameter set that still tells the
story; the shared tests render with it) and a module docstring with the
sections ``Model``, ``Invariants`` and ``Leaves out`` (the fidelity note shown
with the video).

Nothing here imports a simulator until asked to, and nothing imports Manim.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

__all__ = ["SimulatorError", "docstring_section", "fidelity_note", "get_simulator", "has_simulator", "module_name"]

#: Modules of this package that are not simulators.
NOT_SIMULATORS = frozenset({"params", "trace"})
REQUIRED = ("ID", "PARAMS", "ALTERNATE_PARAMS", "check_params", "simulate")
SECTIONS = ("Model", "Invariants", "Leaves out")


class SimulatorError(ValueError):
    """A simulator module breaks the contract (wrong ``ID``, a missing name or docstring section)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def module_name(explainer_id: str) -> str:
    """``"consistent-hashing"`` -> ``"consistent_hashing"``: the file name of its simulator and scene."""
    return explainer_id.replace("-", "_")


def _file(explainer_id: str) -> Path:
    return Path(__file__).with_name(f"{module_name(explainer_id)}.py")


def has_simulator(explainer_id: str) -> bool:
    """Whether ``sims/<module>.py`` exists for ``explainer_id`` (without importing it)."""
    name = module_name(explainer_id)
    return name.isidentifier() and name not in NOT_SIMULATORS and _file(explainer_id).is_file()


def get_simulator(explainer_id: str) -> ModuleType:
    """Import and return the simulator module for ``explainer_id``, checked against the contract."""
    if not has_simulator(explainer_id):
        raise KeyError(f"no simulator for {explainer_id!r} (expected sims/{module_name(explainer_id)}.py)")
    module = importlib.import_module(f"sims.{module_name(explainer_id)}")
    where = f"sims/{module_name(explainer_id)}.py"
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise SimulatorError(where, f"defines no {', '.join(missing)} (see sims/__init__.py for the contract)")
    if module.ID != explainer_id:
        raise SimulatorError(where, f"ID is {module.ID!r}, but the file is named for {explainer_id!r}")
    for section in SECTIONS:
        if docstring_section(module.__doc__ or "", section) is None:
            raise SimulatorError(where, f"its docstring has no {section!r} section")
    return module


def docstring_section(doc: str, title: str) -> str | None:
    """The text of a numpydoc-style section (``Title`` over a dashed underline), paragraphs kept, or None."""
    lines = doc.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and re.fullmatch(r"-{3,}", lines[i + 1].strip()):
            body = []
            for line in lines[i + 2:]:
                if body and re.fullmatch(r"-{3,}", line.strip()):
                    body.pop()  # the next section's title
                    break
                body.append(line.strip())
            paragraphs = " ".join(body).strip()
            return re.sub(r"\s+", " ", paragraphs) or None
    return None


def fidelity_note(explainer_id: str) -> str:
    """What the simulator of ``explainer_id`` leaves out, in its own words (its docstring's ``Leaves out``)."""
    return docstring_section(get_simulator(explainer_id).__doc__ or "", "Leaves out") or ""
