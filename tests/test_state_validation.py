"""Issue 12, item 1: an optimizer's state is checked before any kernel runs.

Each test starts from the hostile input the issue reports (a segfault, wrong numbers, a numba
TypingError, a silent NaN) and checks that it now ends in a TypeError/ValueError whose message
reads ``Invalid {name}: {value} ({requirement})`` and names the argument, or works.
"""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastoptim as fo
from fastoptim import AdamP, AMSGrad, GD, Momentum, NAdam, State
from fastoptim.optimizers import Adam, AdaMax


def adam_state(n=3, dtype=np.float64, steps=1):
    params = np.linspace(-1.0, 1.0, n).astype(dtype)
    opt = Adam(lr=0.1)
    state = opt.init(params)
    for _ in range(steps):
        opt.step(params, np.full(n, 0.5, dtype), state)
    return opt, params, state


def raises(error, name, call):
    """``call()`` raises ``error`` (and not the other of ValueError/TypeError) with a message
    ``Invalid {name}: ...``."""
    with pytest.raises(error) as raised:
        call()
    other = TypeError if error is ValueError else ValueError
    assert not issubclass(raised.type, other), raised.type
    message = str(raised.value)
    assert message.startswith(f"Invalid {name}: "), message
    assert message.endswith(")"), message
    return message


def test_slots_of_the_wrong_shape_on_a_large_state_do_not_crash_the_process():
    """Issue: Adam, 10^5 params, ``state.slots = np.zeros((1, n))``, then ``opt.step``: exit 139.
    Run in a subprocess, so that a regression is a failed test, not a lost test run."""
    script = textwrap.dedent("""
        import numpy as np, fastoptim as fo
        n = 10**5
        params, grads = np.zeros(n), np.full(n, 0.1)
        opt = fo.Adam(lr=1e-3)
        state = opt.init(params)
        try:
            state.slots = np.zeros((1, n))
        except ValueError as error:
            print(error)
        state.slots.shape = (1, 2 * n)   # reshaped in place: only step() can see it
        try:
            opt.step(params, grads, state)
        except ValueError as error:
            print(error)
        print(state.step, params.any())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    first, second, last = result.stdout.splitlines()
    assert first == ("Invalid state.slots: array(shape=(1, 100000), dtype=float64) "
                     "(must have shape (2, 100000))")
    assert second == ("Invalid state.slots: array(shape=(1, 200000), dtype=float64) "
                      "(must have shape (2, 100000))")
    assert last == "0 False"  # nothing ran


def test_slots_of_the_wrong_shape_at_3_params_are_refused_not_wrong_numbers():
    opt, params, state = adam_state(3)
    before = params.copy()
    raises(ValueError, "state.slots", lambda: setattr(state, "slots", np.zeros((1, 3))))
    raises(ValueError, "state.slots", lambda: setattr(state, "slots", np.zeros((2, 2))))
    state.slots.shape = (6,)  # in place
    message = raises(ValueError, "state.slots", lambda: opt.step(params, np.ones(3), state))
    assert "must have shape (2, 3)" in message
    assert np.array_equal(params, before) and state.step == 1


@pytest.mark.parametrize("slots, error, requirement", [
    (np.zeros((2, 3), np.float32), TypeError, "must have dtype float64"),
    (np.zeros(6), ValueError, "must have shape (2, 3)"),
    (np.zeros((2, 3), np.int64), TypeError, "must have dtype float64"),
    (np.zeros((2, 3), ">f8"), TypeError, "must have dtype float64"),
    (np.zeros((3, 2)).T, ValueError, "must be C-contiguous"),
    ([[0.0] * 3] * 2, TypeError, "must be a numpy.ndarray"),
    (np.ma.zeros((2, 3)), TypeError, "a masked array"),
    (np.full((2, 3), np.nan), ValueError, "slot 'm' must be finite, got nan at index 0"),
    (np.array([[0.0] * 3, [0.0, -1.0, 0.0]]), ValueError, "slot 'v' must be finite and >= 0, got -1.0 at index 1"),
    (np.array([[np.inf, 0, 0], [0.0] * 3]), ValueError, "slot 'm' must be finite, got inf at index 0"),
])
def test_assigned_slots_are_checked_whole(slots, error, requirement):
    """Issue: wrong-dtype or 1-D slots gave a 60-line numba TypingError."""
    opt, params, state = adam_state(3)
    message = raises(error, "state.slots", lambda: setattr(state, "slots", slots))
    assert f"({requirement}" in message, message


def test_slots_made_read_only_or_retyped_in_place_are_caught_by_step():
    opt, params, state = adam_state(3)
    state.slots.flags.writeable = False
    assert "must be writable" in raises(ValueError, "state.slots", lambda: opt.step(params, np.ones(3), state))
    opt, params, state = adam_state(3)
    state.scalars.dtype = np.int64  # a view's dtype can be changed in place
    assert "must have dtype float64" in raises(TypeError, "state.scalars",
                                               lambda: opt.step(params, np.ones(3), state))


def test_slots_sharing_memory_with_params_are_refused():
    opt, params, state = adam_state(3)
    shared = np.zeros(6)
    state.slots = shared.reshape(2, 3)
    message = raises(ValueError, "state.slots", lambda: opt.step(shared[3:], np.ones(3), state))
    assert "must not share memory with params or grads" in message


@pytest.mark.parametrize("step, error", [
    (-5, ValueError),               # issue: NaN silently
    (1.5, TypeError),               # issue: accepted
    (2.0, TypeError),
    (True, TypeError),
    (np.bool_(True), TypeError),
    (np.uint64(2**64 - 1), ValueError),
    (2**53, ValueError),
    (2**70, ValueError),
    ("3", TypeError),
    (None, TypeError),
])
def test_step_must_be_an_integer_in_range(step, error):
    opt, params, state = adam_state(3)
    message = raises(error, "state.step", lambda: setattr(state, "step", step))
    assert message.endswith("(must be an integer in [0, 2**53))")
    assert state.step == 1


def test_numpy_integer_steps_work():
    opt, params, state = adam_state(3)
    reference_opt, reference_params, reference_state = adam_state(3, steps=3)
    state.step = np.int64(2)
    opt.step(params, np.full(3, 0.5), state)
    assert type(state.step) is int and state.step == 3
    state.step = np.uint8(0)
    assert state.step == 0


def test_scalars_are_checked():
    opt, params, state = adam_state(3)
    assert "NAdam's momentum product, in [0, 1]; got 2.0" in raises(
        ValueError, "state.scalars", lambda: setattr(state, "scalars", np.array([2.0, 0.0])))
    assert "AdamP's row count, 0 for shape (3,); got 4.0" in raises(
        ValueError, "state.scalars", lambda: setattr(state, "scalars", np.array([1.0, 4.0])))
    raises(ValueError, "state.scalars", lambda: setattr(state, "scalars", np.array([np.nan, 0.0])))
    raises(ValueError, "state.scalars", lambda: setattr(state, "scalars", np.ones(3)))


def test_what_a_state_belongs_to_is_fixed():
    opt, params, state = adam_state(3)
    for name, value in (("optimizer", "GD"), ("shape", (4,)), ("dtype", np.float32), ("slot_names", ())):
        with pytest.raises(AttributeError, match=f"State.{name} is fixed"):
            setattr(state, name, value)


# --- load_state / State.from_dict -----------------------------------------------------------------

@pytest.mark.parametrize("change, error, name, requirement", [
    (dict(slots=np.full((2, 3), np.nan)), ValueError, "data['slots']", "slot 'm' must be finite"),
    (dict(slots=np.array([[0.0] * 3, [-1e-3] * 3])), ValueError, "data['slots']",
     "slot 'v' must be finite and >= 0"),
    (dict(step=np.uint64(2**64 - 1)), ValueError, "data['step']", "must be an integer in [0, 2**53)"),
    (dict(step=np.array(3.0)), TypeError, "data['step']", "must be an integer"),
    (dict(step=np.array(True)), TypeError, "data['step']", "must be an integer"),
    (dict(step=np.array([1, 2])), TypeError, "data['step']", "must be an integer"),
    (dict(optimizer=np.array(7)), TypeError, "data['optimizer']", "must be a string"),
    (dict(shape=np.array([1.5])), TypeError, "data['shape']", "must be a 1-d integer array"),
    (dict(scalars=np.array([1.5, 0.0])), ValueError, "data['scalars']", "scalars[0] is NAdam's momentum product"),
    (dict(slots=np.ma.zeros((2, 3))), TypeError, "data['slots']", "a masked array"),
])
def test_load_state_checks_the_values(change, error, name, requirement):
    """Issue: load_state accepted NaN slots, negative second moments and a uint64-max step."""
    opt, params, state = adam_state(3)
    saved = {**state.to_dict(), **change}
    message = raises(error, name, lambda: opt.load_state(saved, params))
    assert f"({requirement}" in message, message


def test_load_state_of_none_or_a_list_names_data():
    """Issue: ``load_state(None, p)``: "argument of type 'NoneType' is not iterable"."""
    opt, params, state = adam_state(3)
    for bad in (None, [("step", 1)], "state.npz"):
        message = raises(TypeError, "data", lambda: opt.load_state(bad, params))
        assert "must be a mapping from State.to_dict()" in message
    raises(TypeError, "optimizer", lambda: State.from_dict(state.to_dict(), "Adam", params))


def test_load_state_reads_an_npz_and_copies_a_non_contiguous_slot_array(tmp_path):
    opt, params, state = adam_state(3, steps=2)
    np.savez(tmp_path / "state.npz", **state.to_dict())
    with np.load(tmp_path / "state.npz", allow_pickle=False) as stored:
        loaded = opt.load_state(stored, params)
    assert loaded.step == 2 and np.array_equal(loaded.slots, state.slots)
    strided = {**state.to_dict(), "slots": np.asfortranarray(state.slots)}
    assert opt.load_state(strided, params).slots.flags.c_contiguous


# --- a hand-built State ---------------------------------------------------------------------------

def state_arguments(**changes):
    arguments = dict(optimizer="Adam", step=0, slots=np.zeros((2, 3)), scalars=np.array([1.0, 0.0]),
                     shape=(3,), dtype=np.float64, slot_names=("m", "v"))
    return {**arguments, **changes}


@pytest.mark.parametrize("change, error, name", [
    (dict(optimizer="Adamm"), ValueError, "optimizer"),
    (dict(optimizer=None), ValueError, "optimizer"),
    (dict(slot_names=("v", "m")), ValueError, "slot_names"),
    (dict(shape=(3.0,)), TypeError, "shape"),
    (dict(shape=(-3,)), ValueError, "shape"),
    (dict(dtype=np.int32), TypeError, "dtype"),
    (dict(dtype="float16"), TypeError, "dtype"),
    (dict(step=-1), ValueError, "step"),
    (dict(step=0.0), TypeError, "step"),
    (dict(slots=np.zeros((2, 4))), ValueError, "slots"),
    (dict(slots=np.zeros((1, 3))), ValueError, "slots"),
    (dict(slots=np.full((2, 3), -1.0)), ValueError, "slots"),
    (dict(scalars=np.array([1.0, 3.0])), ValueError, "scalars"),
    (dict(scalars=np.array([1, 0])), TypeError, "scalars"),
])
def test_a_hand_built_state_is_checked_the_same_way(change, error, name):
    raises(error, name, lambda: State(**state_arguments(**change)))


def test_a_hand_built_state_that_is_right_steps_like_init():
    params, grads = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, -0.3])
    built = State(**state_arguments(shape=[3], dtype="float64"))
    made = Adam(lr=0.1).init(params)
    p1, p2 = params.copy(), params.copy()
    Adam(lr=0.1).step(p1, grads, built)
    Adam(lr=0.1).step(p2, grads, made)
    assert np.array_equal(p1, p2) and np.array_equal(built.slots, made.slots) and built.step == 1


# --- ndarray subclasses as params -----------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("opt", [Adam(lr=0.1), AdamP(lr=0.1), Momentum(lr=0.1), GD(lr=0.1),
                                 AMSGrad(lr=0.1), NAdam(lr=0.1, momentum_decay=4e-3), AdaMax(lr=0.1)],
                         ids=lambda opt: opt.name)
def test_np_matrix_params_are_updated_in_place_like_an_array(opt):
    """Issue: ``np.matrix`` params (and other subclasses) must get a clear error or work: they
    work, through a base-class view of the same memory (a matrix is 2-D, shape (1, n))."""
    values, gradient = np.array([[0.5, -1.0, 2.0]]), np.array([[0.1, 0.2, -0.3]])
    matrix, array = np.matrix(values), values.copy()
    matrix_state, array_state = opt.init(matrix), opt.init(array)
    for _ in range(3):
        opt.step(matrix, np.matrix(gradient), matrix_state)
        opt.step(array, gradient, array_state)
    assert type(matrix) is np.matrix and np.array_equal(np.asarray(matrix), array)
    assert matrix_state.shape == (1, 3) and np.array_equal(matrix_state.slots, array_state.slots)


def test_memmap_params_work_and_masked_params_are_refused(tmp_path):
    mapped = np.memmap(tmp_path / "params.bin", dtype=np.float64, mode="w+", shape=(4,))
    opt = Adam(lr=0.1)
    state = opt.init(mapped)
    opt.step(mapped, np.ones(4), state)
    assert np.allclose(mapped, -0.1)
    masked = np.ma.array(np.zeros(4), mask=[0, 1, 0, 0])
    assert "a masked array" in raises(TypeError, "params", lambda: opt.init(masked))
    assert "a masked array" in raises(TypeError, "grads", lambda: opt.step(np.zeros(4), masked, opt.init(np.zeros(4))))


def test_train_and_resume_still_pass_their_states_through():
    """The training engine assigns ``state.step`` (a numpy integer) and resumes through
    ``load_state(resume.state.to_dict(), θ)``: both go through the checks."""
    data = fo.data.two_points()
    run = fo.train(data, fo.Adam(lr=0.1), epochs=3, init=[-2.0, -2.0], reduction="sum")
    assert run.state.step == 3 and type(run.state.step) is int
    resumed = fo.train(data, fo.Adam(lr=0.1), epochs=2, init=[-2.0, -2.0], reduction="sum", resume=run)
    straight = fo.train(data, fo.Adam(lr=0.1), epochs=5, init=[-2.0, -2.0], reduction="sum")
    assert np.array_equal(resumed.theta, straight.theta)
