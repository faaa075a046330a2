"""Issue 12, items 2, 3 and 8: ``Run.save`` writes exactly the ``.npz`` path given, atomically,
with a checksum; ``load_run`` reports every damaged, tampered or inconsistent file as a
``ValueError`` naming the file and what is wrong.

Each test starts from the hostile case of the issue (an interrupted save, ``save("run")``, a
folder, a truncated or bit-flipped file, members removed or changed) and checks the behaviour.
"""
import errno
import json
import os
import stat

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import runs


@pytest.fixture(scope="module")
def shuffled_run():
    """A run with every optional member: shuffled, validated, on a plateau controller, per step."""
    data = fo.data.synthetic(64, seed=1)
    return fo.train(data, fo.Adam(lr=0.05), epochs=3, batch_size=16, init=(0.0, 0.0), shuffle=True,
                    seed=2, record="step", validation=0.25, on_plateau=fo.schedules.halve_on_increase())


def assert_same_run(a, b):
    for name in ("theta", "loss", "lr", "validation_loss", "step_loss", "trajectory"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None and right is None) or np.array_equal(left, right), name
    assert (a.epochs, a.steps, a.diverged, a.settings, a.rng_state, a.controller_state) == \
           (b.epochs, b.steps, b.diverged, b.settings, b.rng_state, b.controller_state)
    assert a.state.step == b.state.step and np.array_equal(a.state.slots, b.state.slots)


def test_a_saved_run_loads_back_equal_and_without_pickle(shuffled_run, tmp_path):
    path = tmp_path / "run.npz"
    assert shuffled_run.save(path) == str(path)
    assert_same_run(fo.load_run(path), shuffled_run)
    with np.load(path, allow_pickle=False) as stored:
        assert "checksum" in stored.files and all(stored[name].dtype != object for name in stored.files)
    assert sorted(os.listdir(tmp_path)) == ["run.npz"]  # no temporary file left


# --- item 3: the path -----------------------------------------------------------------------------

def test_save_refuses_a_path_without_npz_and_writes_nothing(shuffled_run, tmp_path):
    """Issue: ``Run.save("run")`` silently wrote ``run.npz`` and ``load_run("run")`` then failed."""
    with pytest.raises(ValueError) as raised:
        shuffled_run.save(tmp_path / "run")
    assert str(raised.value) == (f"Invalid path: {str(tmp_path / 'run')!r} (must end in .npz: the run is "
                                 f"written to exactly the path given)")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_folder_and_a_missing_folder(shuffled_run, tmp_path):
    """Issue: a directory path wrote ``dir.npz`` beside it."""
    folder = tmp_path / "runs.npz"
    folder.mkdir()
    with pytest.raises(ValueError, match=r"^Invalid path: .*runs\.npz' \(is a folder; give a file name"):
        shuffled_run.save(folder)
    with pytest.raises(ValueError, match=r"^Invalid path: .* \(its folder .*missing does not exist\)$"):
        shuffled_run.save(tmp_path / "missing" / "run.npz")
    for bad in (None, 3, b"run.npz"):
        with pytest.raises(TypeError, match=r"^Invalid path: "):
            shuffled_run.save(bad)
    assert os.listdir(tmp_path) == ["runs.npz"] and os.listdir(folder) == []


def test_save_writes_exactly_the_path_given_with_the_usual_mode(shuffled_run, tmp_path):
    path = str(tmp_path / "my.run.npz")
    assert shuffled_run.save(path) == path
    assert os.listdir(tmp_path) == ["my.run.npz"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


# --- item 2: atomic saves -------------------------------------------------------------------------

def half_written_then(error):
    """An ``np.savez`` that writes part of a file and then fails with ``error``."""
    def savez(file, **arrays):
        file.write(b"PK\x03\x04 a partial zip")
        raise error
    return savez


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device")],
                         ids=["interrupt", "disk-full"])
def test_an_interrupted_save_keeps_the_good_file_and_removes_the_temporary(shuffled_run, tmp_path,
                                                                           monkeypatch, error):
    """Issue: an interrupt mid-save left a corrupt file and destroyed a good one already there."""
    path = tmp_path / "run.npz"
    shuffled_run.save(path)
    good = path.read_bytes()
    monkeypatch.setattr(np, "savez", half_written_then(error))
    with pytest.raises(type(error)) as raised:
        shuffled_run.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ["run.npz"]
    said = f"{path} is unchanged; the temporary file "
    if isinstance(error, OSError):
        assert raised.value.errno == errno.ENOSPC
        assert str(raised.value).startswith(f"[Errno {errno.ENOSPC}] could not save the run to {path} (No space")
        assert said in str(raised.value) and str(raised.value).endswith("was removed")
    else:
        assert any(said in note for note in raised.value.__notes__)
    assert_same_run(fo.load_run(path), shuffled_run)


def test_a_save_into_an_unwritable_folder_is_an_oserror_naming_it(shuffled_run, tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(runs.os, "open", refused)
    with pytest.raises(PermissionError, match=r"could not save the run to .*run\.npz: cannot create a file in"):
        shuffled_run.save(tmp_path / "run.npz")


# --- item 8: damaged and tampered files -----------------------------------------------------------

def members(path):
    with np.load(path, allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


def rewrite(path, *, checksum=True, drop=(), meta=None, **changes):
    """Rewrite the run file at ``path`` with members changed (as a tamperer would, with a
    valid zip), recomputing the checksum unless ``checksum=False``."""
    arrays = members(path)
    if meta is not None:
        arrays["meta"] = np.array(json.dumps(meta(json.loads(str(arrays["meta"])))) if callable(meta) else meta)
    arrays.update({name.replace("__", "."): np.asarray(value) for name, value in changes.items()})
    for name in drop:
        del arrays[name]
    if checksum:
        arrays["checksum"] = np.array(runs._checksum(arrays))
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def load_error(path):
    """``load_run(path)`` raises a ValueError naming the file; its reason."""
    with pytest.raises(ValueError) as raised:
        fo.load_run(path)
    message = str(raised.value)
    prefix = f"Invalid run file: {str(path)!r} ("
    assert message.startswith(prefix) and message.endswith(")"), message
    return message[len(prefix):-1]


@pytest.fixture
def saved(shuffled_run, tmp_path):
    path = tmp_path / "run.npz"
    shuffled_run.save(path)
    return path


def test_a_truncated_file(saved):
    """Issue: BadZipFile without the file's name."""
    data = saved.read_bytes()
    for size in (len(data) // 2, len(data) - 30, 10, 0):
        saved.write_bytes(data[:size])
        assert load_error(saved).startswith("not a readable .npz file")


def test_bit_flips_anywhere_in_the_file(saved, shuffled_run):
    """A flipped bit every ~1% of the file: a ValueError naming the file, or (where the flip
    falls in a part of the zip that nothing reads, such as a timestamp) the same run."""
    data = saved.read_bytes()
    refused = 0
    for offset in range(0, len(data), max(1, len(data) // 97)):
        flipped = bytearray(data)
        flipped[offset] ^= 0x10
        saved.write_bytes(bytes(flipped))
        try:
            loaded = fo.load_run(saved)
        except ValueError as error:
            assert str(error).startswith(f"Invalid run file: {str(saved)!r} (")
            refused += 1
        else:
            assert_same_run(loaded, shuffled_run)
    assert refused > 80


def test_a_changed_value_is_caught_by_the_checksum(saved):
    theta = members(saved)["theta"]
    rewrite(saved, checksum=False, theta=theta + 1e-12)
    assert load_error(saved).startswith("the checksum does not match the contents")


@pytest.mark.parametrize("change, reason", [
    (dict(drop=["lr"]), "missing members: lr"),
    (dict(drop=["checksum"], checksum=False), "missing members: checksum"),
    (dict(drop=["trajectory"]), "members listed in meta['has'] are missing: ['trajectory']"),
    (dict(extra=np.zeros(2)), "unexpected members: extra"),
    (dict(meta="{not json"), "member 'meta' is not valid JSON"),
    (dict(meta="[1, 2]"), "meta must be a JSON object, got list"),
    (dict(meta=lambda m: {**m, "epochs": "2"}), "meta['epochs'] must be an integer >= 0, got '2'"),
    (dict(meta=lambda m: {**m, "epochs": True}), "meta['epochs'] must be an integer >= 0, got True"),
    (dict(meta=lambda m: {**m, "steps": -1}), "meta['steps'] must be an integer >= 0, got -1"),
    (dict(meta=lambda m: {**m, "seconds": "fast"}), "meta['seconds'] must be a number >= 0"),
    (dict(meta=lambda m: {**m, "diverged": {"epoch": 1}}), "meta['diverged'] must be null or"),
    (dict(meta=lambda m: {**m, "format": 1}), "meta['format'] is 1, this fastoptim reads format 3"),
    (dict(meta=lambda m: {k: v for k, v in m.items() if k != "rng_state"}), "meta is missing ['rng_state']"),
    (dict(meta=lambda m: {**m, "settings": {**m["settings"], "optimizer": "Adamm"}}),
     "unknown optimizer 'Adamm'"),
    (dict(meta=lambda m: {**m, "settings": {**m["settings"], "optimizer_arguments": {"lr": -1}}}),
     "meta['settings']['optimizer_arguments'] do not make a Adam: Invalid lr: -1"),
    (dict(meta=lambda m: {**m, "settings": {**m["settings"], "shuffle": "yes"}}),
     "meta['settings']['shuffle'] must be a bool, got 'yes'"),
    (dict(meta=lambda m: {**m, "rng_state": None}),
     "the run shuffles (settings['shuffle'] is true) but its random-number state (meta['rng_state']) is missing"),
    (dict(meta=lambda m: {**m, "rng_state": {"bit_generator": "PCG64", "state": 5}}),
     "meta['rng_state'] is not a random-number state"),
    (dict(meta=lambda m: {**m, "controller_state": None}),
     "meta['controller_state'] must be given exactly when settings['on_plateau'] is"),
    (dict(meta=lambda m: {**m, "steps": m["steps"] + 1}), "the optimizer's state is at step 9, the run says 10 steps"),
    (dict(state__step=np.array(5)), "the optimizer's state is at step 5, the run says 9 steps"),
    (dict(theta=np.array([np.nan, 0.0])), "theta is not finite: [nan, 0.0]"),
    (dict(theta=np.array([0.0, 0.0, 0.0])), "theta has shape (3,) and dtype float64, the run's data needs (2,)"),
    (dict(theta=np.array([[0.0, 0.0]])), "theta must be a 1-d float array"),
    (dict(trajectory=np.zeros((10, 3))), "member 'trajectory' has shape (10, 3) and dtype float64, expected (10, 2)"),
    (dict(lr=np.zeros(2)), "member 'lr' has 2 entries, the run has 3"),
    (dict(step_lr=np.zeros(8)), "member 'step_lr' has 8 entries, the run has 9"),
    (dict(loss=np.zeros(3, np.int64)), "member 'loss' must be a 1-d float array"),
    (dict(lr=np.array([0.1, np.nan, 0.1])), "member 'lr' must hold finite numbers >= 0, got [0.1, nan, 0.1]"),
    (dict(loss=np.array([0.1, 0.1, np.nan])),  # found by the fuzz suite: it loaded and resumed
     "member 'loss' ends in nan, but the run recorded its loss (settings['record'] = 'step') and did not diverge"),
    (dict(state__slots=np.full((2, 2), np.nan)), "the optimizer's state: Invalid data['slots']"),
    (dict(state__slots=np.array([[0.0, 0.0], [-1.0, 0.0]])), "the optimizer's state: Invalid data['slots']: array(shape=(2, 2), dtype=float64) (slot 'v' must be finite and >= 0"),
    (dict(state__optimizer=np.array("GD")), "the optimizer's state: Invalid data['optimizer']: 'GD'"),
    (dict(state__step=np.array(2**64 - 1, np.uint64)), "the optimizer's state: Invalid data['step']"),
    (dict(meta=np.array(3)), "member 'meta' is not a JSON string"),
])
def test_damaged_or_inconsistent_contents(saved, change, reason):
    """Issue: missing members, bad JSON, an unknown optimizer, a wrong trajectory width,
    ``epochs: "2"`` gave KeyError/JSONDecodeError/TypeError without the file's name; NaN θ,
    steps that disagree with the state's and a missing rng_state under shuffle=True loaded and
    resumed silently wrong. The checksum is recomputed, as a tamperer could, so that the check
    of the content itself is reached."""
    rewrite(saved, **change)
    got = load_error(saved)
    assert got.startswith(reason), got


def test_files_that_are_not_runs(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a run")
    assert load_error(text).startswith("not a readable .npz file")
    array = tmp_path / "array.npz"
    with open(array, "wb") as file:
        np.save(file, np.zeros(3))
    assert load_error(array) == "not an .npz file of a run (a single .npy array)"
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(2))
    assert load_error(other).startswith("missing members: theta, loss, lr, meta, checksum")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        fo.load_run(tmp_path / "missing.npz")
    with pytest.raises(TypeError, match=r"^Invalid path: None"):
        fo.load_run(None)


def test_a_checksum_that_is_not_a_string(saved):
    arrays = members(saved)
    arrays["checksum"] = np.array(1.0)
    with open(saved, "wb") as file:
        np.savez(file, **arrays)
    assert load_error(saved) == "member 'checksum' is not a checksum string"


def test_an_older_file_without_a_checksum_is_refused_by_name(saved):
    rewrite(saved, checksum=False, drop=["checksum"])
    assert load_error(saved) == "missing members: checksum"


def test_a_diverged_run_with_a_non_finite_last_loss_still_loads(tmp_path):
    """A run that diverged after an epoch keeps that epoch's non-finite loss: not damage."""
    data = fo.data.Dataset(np.array([0.5, 2.5, 1.0]), np.array([1.2e154, 1.2e154, 1.2e154]))
    with pytest.warns(RuntimeWarning, match="diverged"):
        run = fo.train(data, fo.GD(lr=1e-160), epochs=3, batch_size=1, init=(0.5, 0.5), reduction="sum")
    assert run.loss.tolist() == [np.inf]
    assert run.diverged is not None
    run.save(tmp_path / "run.npz")
    assert_same_run(fo.load_run(tmp_path / "run.npz"), run)


def test_resume_from_a_file_continues_bit_for_bit(shuffled_run, tmp_path):
    data = fo.data.synthetic(64, seed=1)
    options = dict(batch_size=16, init=(0.0, 0.0), shuffle=True, seed=2, record="step", validation=0.25)
    shuffled_run.save(tmp_path / "run.npz")
    resumed = fo.train(data, fo.Adam(lr=0.05), epochs=2, resume=fo.load_run(tmp_path / "run.npz"),
                       on_plateau=fo.schedules.halve_on_increase(), **options)
    straight = fo.train(data, fo.Adam(lr=0.05), epochs=5, on_plateau=fo.schedules.halve_on_increase(), **options)
    assert np.array_equal(resumed.theta, straight.theta) and np.array_equal(resumed.trajectory, straight.trajectory)
