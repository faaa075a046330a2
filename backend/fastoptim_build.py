"""The build backend: setuptools' own, with one change: an editable install
(``pip install -e .``) defaults to setuptools' ``compat`` mode.

Why (issue 12): setuptools' default editable mode puts a finder at the *end* of
``sys.meta_path``, after Python's path finder. If ``site-packages/fastoptim/`` exists
without an ``__init__.py`` (left behind by an earlier non-editable install: pip's uninstall
keeps files it did not install, such as caches), the path finder imports it as an empty
namespace package and the editable finder is never asked (``fo.Dataset``: AttributeError).
In ``compat`` mode the install is one ``.pth`` line that puts the repository root on
``sys.path``; a regular package (``fastoptim/__init__.py`` at the root) always wins over a
namespace folder, wherever each sits on the path. The editable install then imports exactly
as running from the repository root does: ``fastoptim/`` from the root and
``fastoptim.kernels`` from ``kernels/`` through the finder in ``fastoptim/__init__.py``; one
mechanism, not two. The cost: the root's other folders (``bench``, ``tests``) are importable
from the environment too, as they are from the root. Another mode can still be asked for:
``pip install -e . --config-settings editable_mode=lenient``.

Non-editable builds (wheels, sdists) are setuptools' unchanged.
"""
from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 (the PEP 517 hooks)

EDITABLE_MODE = "compat"


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660 ``build_editable``: setuptools' in ``compat`` mode unless another is asked for."""
    config_settings = dict(config_settings or {})
    config_settings.setdefault("editable_mode", EDITABLE_MODE)
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
