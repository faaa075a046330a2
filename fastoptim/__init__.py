"""fastoptim: gradient-descent optimizers for the sigmoid neuron, compiled with Numba and
checked against a plain numpy reference (``fastoptim.reference``).

``import fastoptim`` is cheap: numba and the kernels are imported on first use of a name that
needs them (PEP 562 lazy attributes), so a command that only reads data or prints help never
pays for them, and nothing is compiled at import.
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys

__version__ = "0.1.0"

_HERE = os.path.dirname(os.path.abspath(__file__))


class _SourceKernels(importlib.abc.MetaPathFinder):
    """Finds ``fastoptim.kernels`` in a source checkout, where it is the folder ``kernels/``
    beside ``fastoptim/`` (pyproject.toml maps it into the package when it is installed).

    Run from the repository root, ``import fastoptim`` finds the source folder first, whatever
    is installed; without this finder ``fastoptim.kernels`` would not exist there, or would be
    another checkout's (an editable install's). Installed from a wheel, ``fastoptim/kernels/``
    exists and this finder is not registered."""

    def __init__(self, folder):
        self.folder = folder

    def find_spec(self, name, path=None, target=None):
        if name != __name__ + ".kernels":
            return None
        return importlib.util.spec_from_file_location(
            name, os.path.join(self.folder, "__init__.py"), submodule_search_locations=[self.folder])


def _register_source_kernels():
    if os.path.isdir(os.path.join(_HERE, "kernels")):
        return  # an installed package: kernels/ is inside it
    folder = os.path.join(os.path.dirname(_HERE), "kernels")
    if os.path.isfile(os.path.join(folder, "__init__.py")):
        sys.meta_path.insert(0, _SourceKernels(folder))


_register_source_kernels()

#: Public name -> the submodule that defines it (imported on first access).
_LAZY = {
    "Dataset": "data",
    "Surface": "error_surface", "surface": "error_surface",
    "Run": "runs", "load_run": "runs",
    "train": "training", "check_train_arguments": "training",
    "grid": "sweeps", "sweep": "sweeps", "SweepResult": "sweeps",
    "lr_search": "search", "lr_range_test": "search", "suggest_lr": "search",
    "EarlyStopping": "callbacks", "EpochRecord": "callbacks", "STOP": "callbacks", "StopTraining": "callbacks",
    "plan_run": "plan", "RunPlan": "plan", "warmup": "compiling",
    # scikit-learn estimators: importing them imports scikit-learn (optional, the sklearn extra)
    "SigmoidClassifier": "estimators", "SigmoidRegressor": "estimators",
    **{name: "optimizers" for name in (
        "GD", "AMSGrad", "AdaDelta", "AdaGrad", "AdaGradW", "AdaMax", "Adam", "AdamP", "AdamW",
        "Momentum", "NAdam", "NAdamW", "Nesterov", "Optimizer", "RAdam", "RMSProp", "RMSPropW",
        "State")},
}
_SUBMODULES = ("data", "model", "schedules", "plateau", "callbacks", "reference", "kernels", "optimizers",
               "plan", "training", "error_surface", "runs", "sweeps", "search", "plot", "cli", "demo",
               "compiling", "loading", "estimators")

__all__ = sorted({*_LAZY, "data", "model", "schedules", "plateau", "reference"})


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'fastoptim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
