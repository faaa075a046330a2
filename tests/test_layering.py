"""The layering of DESIGN.md, checked on the source (the imports in each module's syntax tree,
lazy imports inside functions included) and on a running process.

DESIGN.md, "Layout": "The arrows point down: `cli`/`demo`/`plot` → `train`/`sweep`/`estimators`
→ a run plan (every decision about a run made once) → the engines (compiled epochs, the sweep
kernel, the numpy reference) → `kernels/`. The reference may read the plan's interface; nothing
on the compiled path imports the reference. A reference that shares the code it checks checks
nothing: the orchestration (counters, schedules, shuffle order, divergence, resume) needs its own
naive loop in the tests."

Issue 13 asks for "a test that fails if `fastoptim/training.py` or `fastoptim/plan.py` imports
`fastoptim.reference`": here, anything those two import inside fastoptim, transitively, and the
rest of the compiled path (the sweeps, the searches, the estimators).
"""
import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "fastoptim.reference"

#: The compiled path: `train`/`sweep`/`estimators` and the searches built on them, the plan, and
#: the compiled engines (training.CompiledEngine, sweep_engine, sweep_dask).
COMPILED_PATH = ("fastoptim.training", "fastoptim.plan", "fastoptim.sweeps", "fastoptim.sweep_engine",
                 "fastoptim.sweep_dask", "fastoptim.search", "fastoptim.estimators")


# --- the imports of a module, from its source ----------------------------------------------------------

def module_file(name):
    """The source file of the fastoptim module ``name`` (``fastoptim.kernels`` is the folder
    kernels/, mapped into the package by pyproject.toml), or None (not a module of the tree)."""
    parts = name.split(".")
    if parts[0] != "fastoptim":
        return None
    if parts[1:2] == ["kernels"]:
        path = ROOT.joinpath("kernels", *parts[2:])
    else:
        path = ROOT.joinpath("fastoptim", *parts[1:])
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _absolute(module, level, package):
    if not level:
        return module
    base = package
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{module}" if module else base


def imports(name):
    """``{imported module: [(line, names imported from it)]}`` of every import statement in the
    module ``name`` (at the top and inside functions; ``importlib.import_module`` with a constant
    name too), relative imports made absolute; ``from package import submodule`` counts as an
    import of the submodule."""
    path = module_file(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = {}

    def add(module, line, names=()):
        found.setdefault(module, []).append((line, tuple(names)))

    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, package)
            names = [alias.name for alias in node.names]
            add(module, node.lineno, names)
            for item in names:
                if module_file(f"{module}.{item}") is not None:
                    add(f"{module}.{item}", node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            target = node.args[0].value
            level = len(target) - len(target.lstrip("."))
            add(_absolute(target.lstrip(".") or None, level, package), node.lineno)
    return found


def _parents(name):
    """Importing ``a.b.c`` runs ``a`` and ``a.b`` first."""
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def closure(roots):
    """Every fastoptim module that importing ``roots`` may import, each with the chain of imports
    that reaches it: ``{module: (root, …, module)}``."""
    chains = {}
    pending = []
    for root in roots:
        chains[root] = (root,)
        pending.append(root)
    while pending:
        name = pending.pop()
        for module in list(imports(name)) + _parents(name):
            for target in [module, *_parents(module)]:
                if target not in chains and module_file(target) is not None:
                    chains[target] = chains[name] + (target,)
                    pending.append(target)
    return chains


def test_the_import_graph_is_read_correctly():
    """The resolver itself: relative, lazy and package imports, kernels/ as fastoptim.kernels;
    and it finds the one module that imports the reference on purpose (the demo, at the top)."""
    training = imports("fastoptim.training")
    assert "fastoptim.plan" in training and "fastoptim.kernels.epochs" in training  # lazy, in CompiledEngine
    reached = closure(["fastoptim.training"])
    assert {"fastoptim", "fastoptim.kernels", "fastoptim.kernels.updates", "fastoptim.schedules"} <= set(reached)
    assert REFERENCE in imports("fastoptim.demo")
    assert closure(["fastoptim.demo"])[REFERENCE] == ("fastoptim.demo", REFERENCE)


@pytest.mark.parametrize("root", COMPILED_PATH)
def test_the_compiled_path_never_imports_the_reference(root):
    """Nothing `root` imports, at any depth inside fastoptim, is fastoptim.reference or one of
    its modules."""
    def in_reference(module):
        return module == REFERENCE or module.startswith(REFERENCE + ".")

    entries = [chain for module, chain in closure([root]).items()  # where the path steps into the reference
               if in_reference(module) and not in_reference(chain[-2])]
    assert not entries, "the compiled path imports the reference: " + "; ".join(" → ".join(c) for c in entries)


DYNAMIC = textwrap.dedent("""
    import sys
    import numpy as np
    import fastoptim as fo

    data = fo.data.synthetic(200, seed=0)
    fo.train(data, fo.Adam(lr=0.05), epochs=2, batch_size=16, init=(0.0, 0.0), shuffle=True, validation=0.2,
             on_plateau=fo.plateau.halve_on_increase(), early_stopping=fo.EarlyStopping(patience=5))
    fo.train(data, fo.Nesterov(lr=0.05), epochs=1, batch_size=None, init=(0.0, 0.0), record="step",
             schedule=fo.schedules.cosine(0.1, 0.01, 10))
    fo.sweep(data, fo.grid(fo.GD, lr=[0.01, 0.1]), seeds=(0, 1), epochs=2, batch_size=8, init=(0.0, 0.0), shuffle=True)
    fo.plan_run(data, fo.GD(), epochs=1, init=(0.0, 0.0))
    loaded = sorted(name for name in sys.modules if name == "fastoptim.reference" or name.startswith("fastoptim.reference."))
    assert "fastoptim.training" in sys.modules and "fastoptim.sweep_engine" in sys.modules
    print("reference modules:", loaded)
    sys.exit(1 if loaded else 0)
""")


def test_a_process_that_trains_and_sweeps_never_loads_the_reference():
    """The same, at run time: import fastoptim, train (shuffled, validation, a plateau controller,
    early stopping; Nesterov's look-ahead with a schedule and the step record), sweep, plan; then
    no fastoptim.reference module is in sys.modules."""
    done = subprocess.run([sys.executable, "-c", DYNAMIC], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reference modules: []" in done.stdout


# --- what the reference imports ------------------------------------------------------------------------

#: What each module of fastoptim/reference/ may import from fastoptim outside the reference, by
#: name. The formulas (model, updates) import nothing. The engine reads the plan's interface:
#: the plan's fields are duck-typed, and the state's layout constant comes from kernels/layout.py,
#: the contract records a plan holds (its ``hyper``, its state's ``scalars``; no numba, no code).
#: The reference's twins of the API's entry points share the API's own decisions, by design:
#: ``reference.train`` runs ``fastoptim.train``'s plan (``plan_run``) with the loop every engine
#: shares (``training.run_plan``; that loop is checked against tests/naive.py, not against the
#: reference, as DESIGN.md asks), and ``reference.surface`` takes ``fastoptim.surface``'s
#: argument checks and its best grid point (``error_surface``, which imports no kernel at import).
ALLOWED = {
    "fastoptim.reference": {"fastoptim.plan": {"plan_run"}, "fastoptim.training": {"run_plan"}},
    "fastoptim.reference.engine": {"fastoptim.kernels.layout": {"S_MU_PRODUCT"}},
    "fastoptim.reference.model": {},
    "fastoptim.reference.updates": {},
    "fastoptim.reference.surface": {"fastoptim.error_surface": {"best_point", "check_arguments"}},
}


def reference_modules():
    folder = ROOT / "fastoptim" / "reference"
    return sorted(REFERENCE if path.stem == "__init__" else f"{REFERENCE}.{path.stem}" for path in folder.glob("*.py"))


def test_every_reference_module_is_in_the_table():
    assert reference_modules() == sorted(ALLOWED)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_the_reference_reads_only_the_plans_interface(name):
    """Each reference module's imports from fastoptim outside fastoptim.reference are exactly
    those of :data:`ALLOWED`, by module and by name: no compiled engine (training.CompiledEngine,
    sweep_engine, kernels/epochs, kernels/model, kernels/updates, kernels/sweep …), no other part
    of the API; a new one fails here until DESIGN.md's rule says why it may."""
    found = {}
    for module, statements in imports(name).items():
        if not module.startswith("fastoptim") or module == REFERENCE or module.startswith(REFERENCE + "."):
            continue
        if module in ("fastoptim", "fastoptim.kernels") and all(not names for _, names in statements):
            continue  # the parent package of a submodule imported by `from . import x`
        found[module] = {item for _, names in statements for item in names}
    assert found == ALLOWED[name]


NUMBA_FREE = textwrap.dedent("""
    import sys
    import numpy as np
    import fastoptim.reference as reference
    from fastoptim.data import Dataset

    data = Dataset(np.array([0.5, 2.5]), np.array([0.2, 0.9]))
    reference.surface(data, resolution=5)
    reference.model.gradient(data, np.array([1.0, 0.0]), "sum", "squared")
    kernels = sorted(name for name in sys.modules
                     if name.split(".")[0] in ("numba", "llvmlite") or name.startswith("fastoptim.kernels."))
    print("kernel modules:", kernels)
""")


def test_the_references_formulas_run_without_the_kernels():
    """The numpy reference shares no code with the kernels: importing it and running its model
    and its surface loads neither numba nor any module of kernels/."""
    done = subprocess.run([sys.executable, "-c", NUMBA_FREE], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kernel modules: []" in done.stdout
