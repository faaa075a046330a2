"""Packaging and compile policy: one distribution with ``fastoptim.kernels`` inside it, and
every kernel compiled under kernels/policy.py."""
import pathlib
import re
import subprocess
import sys
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
