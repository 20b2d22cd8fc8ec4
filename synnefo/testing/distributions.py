"""Install a throw-away distribution (modules + entry points) on sys.path, for plugin tests."""
from __future__ import annotations

import contextlib
import importlib
import sys
import textwrap
from pathlib import Path

from stevedore import ExtensionManager


@contextlib.contextmanager
def test_distribution(root: Path, name: str, entry_points: dict[str, list[str]],
                      modules: dict[str, str] | None = None, version: str = "1.0"):
    """Make ``name`` importable with the given entry points while the context is open.

    :param entry_points: group -> ["name = module:attr", ...]
    :param modules: module name -> source code
    """
    root.mkdir(parents=True, exist_ok=True)
    for module, source in (modules or {}).items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{line}\n" for line in lines) for group, lines in entry_points.items()))
    sys.path.insert(0, str(root))
    _forget_entry_points()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for module in modules or {}:
            sys.modules.pop(module, None)
        _forget_entry_points()


def _forget_entry_points() -> None:
    # stevedore keeps a per-process cache of each group's entry points.
    ExtensionManager.ENTRY_POINT_CACHE.clear()
    importlib.invalidate_caches()
