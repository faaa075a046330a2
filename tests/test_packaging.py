"""Packaging and compile policy: one distribution with ``fastoptim.kernels`` inside it, and
every kernel compiled under kernels/policy.py."""
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import sysconfig
import zipfile

import numba

from fastoptim.kernels import policy

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_wheel_installs_kernels_as_a_subpackage(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "-w", str(tmp_path / "wheel"), "-q"], check=True, capture_output=True)
    (wheel,) = (tmp_path / "wheel").glob("fastoptim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "fastoptim/kernels/__init__.py" in names and "fastoptim/kernels/policy.py" in names
    assert "fastoptim/reference/__init__.py" in names
    assert not any(name.startswith(("kernels/", "tests/", "bench/")) for name in names)
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-c", "import fastoptim, fastoptim.kernels as k; print(fastoptim.__file__, k.loss_sum)"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""}, capture_output=True, text=True,
        check=True)
    assert str(tmp_path / "site") in result.stdout


def test_every_kernel_goes_through_the_policy():
    for path in (ROOT / "kernels").glob("*.py"):
        if path.name == "policy.py":
            continue
        source = path.read_text()
        assert not re.search(r"\b(njit|numba\.jit|vectorize|guvectorize)\s*\(", source.replace("@vectorize([", "")), path
        assert "fastmath" not in source, f"{path.name} sets its own fastmath flags"
    assert not {"nnan", "ninf", "fast"} & policy.FASTMATH


def test_policy_options_are_what_the_docs_say():
    @policy.jit
    def twice(x):
        return 2 * x

    assert twice(2.0) == 4.0
    options = twice.targetoptions
    assert type(twice._cache).__name__ == "FunctionCache"  # cache=True
    assert options["error_model"] == "numpy" and set(options["fastmath"]) == set(policy.FASTMATH)
    assert isinstance(twice, numba.core.registry.CPUDispatcher)


# --- the README's two install commands, in either order (issue 12) --------------------------------

#: Imports fastoptim and fastoptim.kernels, uses a name of each and compiles one (tiny) kernel.
PROBE = """
import json, fastoptim as fo, fastoptim.kernels as k
k.initial_scalars(0)
print(json.dumps({"fastoptim": fo.__file__, "kernels": k.__file__, "Dataset": fo.Dataset.__name__,
                  "cache": k.initial_scalars._cache._cache_path}))
"""


def _link_dependencies(folder):
    """A folder of links to this environment's numpy, numba and llvmlite (not to fastoptim): a
    fresh environment gets its dependencies without a download or a copy."""
    folder.mkdir()
    for name in ("numpy", "numba", "llvmlite"):
        package = pathlib.Path(importlib.util.find_spec(name).origin).parent
        for entry in package.parent.iterdir():
            if entry.name == name or entry.name.startswith((f"{name}-", f"{name}.libs")):
                (folder / entry.name).symlink_to(entry)
    return folder


class FreshEnvironment:
    """A new virtual environment whose only packages are fastoptim's dependencies (linked);
    pip is this environment's, pointed at it with ``--python``."""

    def __init__(self, folder):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True)
        self.python = folder / "venv" / "bin" / "python"
        self.site = pathlib.Path(subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True, capture_output=True, text=True).stdout.strip())
        (self.site / "dependencies.pth").write_text(f"{_link_dependencies(folder / 'dependencies')}\n")
        self.elsewhere = folder / "elsewhere"
        self.elsewhere.mkdir()
        self.cache = folder / "user-cache"
        self.environment = {key: value for key, value in os.environ.items()
                            if key not in ("PYTHONPATH", "NUMBA_CACHE_DIR", "VIRTUAL_ENV")}
        self.environment.update(XDG_CACHE_HOME=str(self.cache), PIP_DISABLE_PIP_VERSION_CHECK="1")

    def pip(self, *arguments):
        result = subprocess.run([sys.executable, "-m", "pip", "--python", str(self.python), *arguments,
                                 "--no-deps", "-q"],
                                cwd=ROOT, env=self.environment, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    def probe(self, cwd):
        result = subprocess.run([self.python, "-c", PROBE], cwd=cwd, env=self.environment,
                                capture_output=True, text=True)
        assert result.returncode == 0, f"from {cwd}:\n{result.stderr}"
        return json.loads(result.stdout)

    def installed_files(self):
        """Files under site-packages/fastoptim/, relative to site-packages."""
        package = self.site / "fastoptim"
        return {str(path.relative_to(self.site)) for path in package.rglob("*") if path.is_file()}

    def recorded_files(self):
        (record,) = self.site.glob("fastoptim-*.dist-info/RECORD")
        return {line.split(",")[0] for line in record.read_text().splitlines()
                if line.startswith("fastoptim/")}


def _assert_source(found):
    assert found["fastoptim"] == str(ROOT / "fastoptim" / "__init__.py"), found
    assert found["kernels"] == str(ROOT / "kernels" / "__init__.py"), found


def test_both_install_commands_in_either_order_import_from_the_root_and_elsewhere(tmp_path):
    """``pip install .`` then ``pip install -e .`` then ``.`` again then ``-e`` again, in one
    fresh environment; after each, ``import fastoptim, fastoptim.kernels`` (and a compiled
    kernel) from the repository root and from another folder.

    Reproduces issue 12's trap: numba's cache, written into site-packages/fastoptim/kernels/
    after a non-editable install, survived pip's uninstall, and the later editable install
    imported that folder as an empty namespace package from other folders (``fo.Dataset``:
    AttributeError). Now the cache is written outside the package, and the editable install
    (compat mode, backend/fastoptim_build.py) cannot be shadowed by such a folder: the test
    plants one, as an older fastoptim left it, to check."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "-w", str(wheels), "-q"], check=True, capture_output=True)
    (wheel,) = wheels.glob("fastoptim-*.whl")
    env = FreshEnvironment(tmp_path)

    # 1. the README's first command: a regular install
    env.pip("install", str(wheel))
    _assert_source(env.probe(ROOT))
    found = env.probe(env.elsewhere)
    assert found["fastoptim"] == str(env.site / "fastoptim" / "__init__.py")
    assert found["kernels"] == str(env.site / "fastoptim" / "kernels" / "__init__.py")
    assert found["Dataset"] == "Dataset"
    # the compiled kernel was cached outside the package: nothing but pip's own files there
    assert found["cache"].startswith(str(env.cache / "numba")), found
    assert any(pathlib.Path(found["cache"]).glob("updates.initial_scalars-*.nbi"))
    assert env.installed_files() <= env.recorded_files()

    # 2. then the second: editable, over a leftover folder such as an older version's cache made
    leftover = env.site / "fastoptim" / "kernels" / "__pycache__"
    leftover.mkdir(parents=True, exist_ok=True)
    (leftover / "model.loss_sum-208.py311.nbi").write_bytes(b"old cache")
    env.pip("install", "-e", str(ROOT))
    assert not (env.site / "fastoptim" / "__init__.py").exists() and leftover.exists()
    for cwd in (ROOT, env.elsewhere):
        found = env.probe(cwd)
        _assert_source(found)
        assert found["Dataset"] == "Dataset"

    # 3. the other order: the regular install over the editable one, then editable again
    env.pip("install", str(wheel))
    _assert_source(env.probe(ROOT))
    assert env.probe(env.elsewhere)["fastoptim"] == str(env.site / "fastoptim" / "__init__.py")
    env.pip("install", "-e", str(ROOT))
    _assert_source(env.probe(env.elsewhere))


def test_kernels_are_never_cached_inside_the_package():
    """The locators fastoptim puts first: $NUMBA_CACHE_DIR, the user-wide folder, a temporary
    folder; none is numba's in-tree ``__pycache__``."""
    assert all(not issubclass(locator, numba.core.caching.InTreeCacheLocator) for locator in policy.LOCATORS)
    assert list(numba.core.caching.CacheImpl._locator_classes[:3]) == list(policy.LOCATORS)
    from fastoptim.kernels import updates

    folder = pathlib.Path(policy.cache_folder(updates.initial_scalars))
    assert not folder.is_relative_to(ROOT / "kernels") and folder.name.startswith("kernels_")


def test_a_read_only_user_cache_falls_back_to_a_temporary_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from fastoptim.kernels import policy, updates; "
                               "print(policy.cache_folder(updates.initial_scalars))"],
        env={**{k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"},
             "XDG_CACHE_HOME": "/proc/not-a-folder"}, capture_output=True, text=True, check=True)
    assert pathlib.Path(result.stdout.strip()).is_relative_to(pathlib.Path(
        __import__("tempfile").gettempdir()))
