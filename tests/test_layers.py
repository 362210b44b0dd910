"""The package's layers: every import points down (README "Layout"), so no two subpackages import
each other and a reader can take the folders top-down."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxdiffrl"
# Lowest first; subpackages on one level may not import each other.
LAYERS = (("networks", "envs"), ("diffusion", "data"), ("agents",), ("train",), ("generators",), ("app",))
RANK = {name: level for level, names in enumerate(LAYERS) for name in names}


def imported_modules(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, module) of every jaxdiffrl import in the file, at any depth (lazy imports count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            literal = node.args[0] if node.args else None
            if isinstance(literal, ast.Constant) and str(literal.value).startswith("jaxdiffrl"):
                found.append((node.lineno, literal.value))
    return [(line, module) for line, module in found if module.split(".")[0] == "jaxdiffrl"]


def subpackage(module_path: str) -> str | None:
    parts = module_path.split(".")
    return parts[1] if len(parts) > 1 else None


def violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) == 1:
            continue  # jaxdiffrl/__init__.py
        source = relative.parts[0]
        if source not in RANK:
            problems.append(f"{relative}: subpackage {source!r} has no layer in LAYERS")
            continue
        for line, module in imported_modules(path):
            target = subpackage(module)
            if target is None or target == source:
                continue
            if target not in RANK:
                problems.append(f"{relative}:{line} imports {module}, a subpackage with no layer")
            elif RANK[target] >= RANK[source]:
                kind = "sideways" if RANK[target] == RANK[source] else "upward"
                problems.append(f"{relative}:{line} imports {module} ({kind}: {source} → {target})")
    return problems


def test_every_import_points_down():
    problems = violations()
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_every_subpackage_has_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(RANK), folders ^ set(RANK)


@pytest.mark.parametrize(
    "source, code, expected",
    [
        ("agents", "from jaxdiffrl.train.config import base_config", "upward"),
        ("data", "def f():\n    import jaxdiffrl.agents.sac", "upward"),
        ("envs", "from jaxdiffrl.networks import MLP", "sideways"),
        ("data", "import importlib\nimportlib.import_module('jaxdiffrl.generators.car')", "upward"),
    ],
)
def test_the_walk_catches_what_it_forbids(tmp_path, monkeypatch, source, code, expected):
    """The check itself fails on the imports the old layout had (agents → train, data → agents, …)."""
    fake = tmp_path / "jaxdiffrl"
    for name in RANK:
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text("")
    (fake / source / "bad.py").write_text(code + "\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    problems = violations()
    assert len(problems) == 1 and expected in problems[0], problems
