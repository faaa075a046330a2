"""The benchmark report (bench/report.py) on stored pytest-benchmark JSON: a small made-up one
(tests/data/bench_small.json: pairing, ratio arithmetic, the guard's mechanics, the Markdown)
and two real quick-profile runs of the 2-core development machine (tests/data/bench_quick.json
under load, bench_quick_quiet.json on one thread with the machine not starved: the thresholds of
GUARDS, the baseline comparison, the files, the history)."""
import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # bench/ is a folder of the repository, not of the installed package
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402

SMALL = Path(__file__).resolve().parent / "data" / "bench_small.json"


@pytest.fixture
def document():
    return json.loads(SMALL.read_text())


def status_of(markdown, text):
    """The status cell of the guards-and-targets table's line whose check contains ``text``."""
    (line,) = [line for line in markdown.splitlines() if line.startswith("| ") and text in line]
    return line.split(" | ")[0].removeprefix("| ")


def row(rows, family, kernel, impl, size=10**6, dtype="float64"):
    (found,) = [r for r in rows if (r.family, r.kernel, r.impl, r.size, r.dtype) == (family, kernel, impl, size, dtype)]
    return found


# --- formatting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds, text", [
    (1.5, "1.5 s"), (0.00123, "1.23 ms"), (4e-6, "4 µs"), (2.5e-8, "25 ns"), (123.4, "123 s"),
    (0.9996, "1 s"), (0.999, "999 ms"), (9.9996e-4, "1 ms"), (3e-10, "0.3 ns"),
    (None, "—"), (float("nan"), "—")])
def test_format_seconds(seconds, text):
    assert report.format_seconds(seconds) == text


@pytest.mark.parametrize("ratio, text", [(5.0, "5x"), (7.1428, "7.14x"), (0.25, "0.25x"), (1600.4, "1600x"),
                                         (None, "—")])
def test_format_ratio(ratio, text):
    assert report.format_ratio(ratio) == text


@pytest.mark.parametrize("size, text", [(10**6, "1e6"), (10**3, "1e3"), (10**7, "1e7"), (1500, "1,500"), (10, "10")])
def test_format_size(size, text):
    assert report.format_size(size) == text


# --- pairing and arithmetic --------------------------------------------------------------------------

def test_rows_pair_each_implementation_with_its_reference(document):
    rows, compile_rows = report.rows_from_json(document)
    impls = {(r.family, r.kernel, r.impl) for r in rows}
    # references, memory limits and peers are not rows of their own; unlabelled entries are ignored
    assert not any(impl == "reference" or impl.startswith(("memory-limit", "torch")) for _, _, impl in impls)
    assert ("model", "gradient", "kernel-parallel") in impls
    assert len(compile_rows) == 2
    gradient = row(rows, "model", "gradient", "kernel")
    assert gradient.reference == pytest.approx(0.020)
    assert gradient.speedup == pytest.approx(5.0)
    assert gradient.ns_per_unit == pytest.approx(4.0)          # 4 ms / 1e6 points
    assert gradient.limit is None and gradient.limit_fraction is None
    small = row(rows, "model", "gradient", "kernel-parallel", size=1000)
    assert small.speedup == pytest.approx(0.5)                 # paired with the 1e3 reference, not 1e6


def test_memory_limit_bytes_and_peers(document):
    rows, _ = report.rows_from_json(document)
    adam = row(rows, "updates", "adam", "kernel")
    # Adam moves 7 arrays of float64 per parameter (reads θ, g, m, v; writes θ, m, v)
    assert adam.bytes == 7 * 8 * 10**6
    assert adam.gigabytes_per_second == pytest.approx(56e6 / 0.0014 / 1e9)
    # serial kernels are paired with the serial memory limit, parallel ones with the parallel
    assert adam.limit == pytest.approx(0.0012) and adam.limit_impl == "memory-limit"
    assert adam.limit_fraction == pytest.approx(0.0012 / 0.0014)
    parallel = row(rows, "updates", "adam", "kernel-parallel")
    assert parallel.limit_impl == "memory-limit-parallel"
    assert parallel.limit_fraction == pytest.approx(0.0007 / 0.0008)
    assert adam.peers == {"torch-fused": pytest.approx(0.0016)}
    assert row(rows, "updates", "gd", "kernel").bytes == 3 * 8 * 10**6   # GD: read θ, g; write θ


def test_sampled_reference_is_scaled_to_the_size(document):
    rows, _ = report.rows_from_json(document)
    epoch = row(rows, "training", "adam/batch-1", "kernel")
    assert epoch.reference_scaled_from == 10**4
    assert epoch.reference == pytest.approx(0.4 * 100)        # 0.4 s on 1e4 points -> 40 s on 1e6
    assert epoch.speedup == pytest.approx(40 / 0.025)
    assert epoch.ns_per_unit == pytest.approx(25.0)


def test_variants_under_one_kernel_name_keep_their_ids(document):
    rows, _ = report.rows_from_json(document)
    assert sorted(r.kernel for r in rows if r.family == "schedules") == ["cyclic-triangular", "cyclic-triangular2"]
    assert all(r.speedup is None for r in rows if r.family == "schedules")


def with_yardstick(document, median=0.1):
    """The document with a yardstick row in family "schedules" (0.1 s: the stored schedule rows,
    7 ms and 18 ms, are 7% and 18% of it)."""
    changed = copy.deepcopy(document)
    changed["benchmarks"].append({
        "group": "schedules:batch-1 epoch:float64:1e6", "name": "test_yardstick_batch_1_epoch",
        "fullname": "bench/test_bench_schedules.py::test_yardstick_batch_1_epoch", "param": None,
        "extra_info": {"family": "schedules", "kernel": "batch-1 epoch", "impl": "yardstick",
                       "size": 10**6, "dtype": "float64", "unit": "steps"},
        "stats": {"min": median, "max": median, "mean": median, "median": median, "rounds": 5,
                  "iterations": 1}})
    return changed


def test_a_yardstick_measures_its_family(document):
    rows, _ = report.rows_from_json(with_yardstick(document))
    schedules = [r for r in rows if r.family == "schedules"]
    assert sorted(r.kernel for r in schedules) == ["cyclic-triangular", "cyclic-triangular2"]  # not a row
    assert row(rows, "schedules", "cyclic-triangular2", "numpy").of_yardstick == pytest.approx(0.18)
    assert all(r.of_yardstick is None for r in rows if r.family != "schedules")
    assert all(r.of_yardstick is None for r in report.rows_from_json(document)[0])
    target = report.Target("schedules", "*", "numpy", max_of_yardstick=0.1)
    checks = {c.row.kernel: c for c in report.check_targets(rows, [target])}
    assert checks["cyclic-triangular"].ok and not checks["cyclic-triangular2"].ok
    assert "18 ms = 18.0% of the batch-1 epoch (100 ms) (target ≤ 10%)" in checks["cyclic-triangular2"].message
    text = report.build(with_yardstick(document)).markdown
    assert "- **schedules**, slowest of 2: cyclic-triangular2 numpy float64 1e6, 18 ms = 18.0% of the batch-1 epoch" in text
    assert "| schedules | cyclic-triangular | numpy | float64 | 1e6 | — | 7 ms | — | 7 ns/step | — | 7.0% |" in text


# --- the guard and the targets ------------------------------------------------------------------------

#: The guard before thresholds were set from margins: every guarded row must beat its reference
#: (the stored small JSON's figures are made up; the thresholds of report.GUARDS are tested on a
#: real quick-profile result below)
BEAT_REFERENCE = (report.Guard("model", "gradient", ("kernel", "kernel-parallel"), 10**6),
                  report.Guard("updates", "*", ("kernel", "kernel-parallel"), 10**5),
                  report.Guard("training", "*", ("kernel",), 0))


def with_parallel_limit(document, median):
    """The document with a memory-limit-parallel row beside gd's at 1e6 (serial limit: 0.5 ms)."""
    changed = copy.deepcopy(document)
    changed["benchmarks"].append(copy.deepcopy(next(
        b for b in document["benchmarks"] if b["param"] == "gd-memory-limit-1000000-float64")))
    changed["benchmarks"][-1]["extra_info"]["impl"] = "memory-limit-parallel"
    changed["benchmarks"][-1]["fullname"] = "bench/test_bench_updates.py::test_updates[gd-memory-limit-parallel-1000000-float64]"
    changed["benchmarks"][-1]["stats"]["median"] = median
    return changed


def with_medians(document, **medians):
    """The document with the given benchmarks' (by param, dashes as underscores) medians."""
    changed = copy.deepcopy(document)
    for benchmark in changed["benchmarks"]:
        key = (benchmark["param"] or "").replace("-", "_")
        if key in medians:
            benchmark["stats"]["median"] = medians[key]
    return changed


#: gd at 1e6: reference 1.5 ms, serial kernel 1.2 ms (1.25x), parallel kernel 1.6 ms (0.94x):
#: slower than numpy, only 1.33x its serial form's time and the parallel memory limit as fast as
#: the serial one: the threads ran, the parallel kernel is slow
SLOW_PARALLEL = dict(gd_kernel_1000000_float64=0.0012, gd_kernel_parallel_1000000_float64=0.0016)


def test_guard_fails_on_a_kernel_slower_than_its_reference(document):
    built = report.build(with_medians(with_parallel_limit(document, 0.0004), **SLOW_PARALLEL), guards=BEAT_REFERENCE)
    assert not built.passed
    (failure,) = built.failures
    assert (failure.row.kernel, failure.row.impl) == ("gd", "kernel-parallel")
    assert "0.938x" in failure.message
    # re-measured with its reference, its memory limits and its serial form, side by side
    assert set(failure.row.nodes) == {"bench/test_bench_updates.py::test_updates[gd-kernel-parallel-1000000-float64]",
                                      "bench/test_bench_updates.py::test_updates[gd-reference-1000000-float64]",
                                      "bench/test_bench_updates.py::test_updates[gd-memory-limit-1000000-float64]",
                                      "bench/test_bench_updates.py::test_updates[gd-memory-limit-parallel-1000000-float64]",
                                      "bench/test_bench_updates.py::test_updates[gd-kernel-1000000-float64]"}
    # the unguarded size (1e3), where the parallel kernel also loses, does not fail the run
    assert all(check.row is None or check.row.size >= 10**5 or check.row.family == "training" for check in built.guard)


def test_guard_passes_when_every_guarded_kernel_wins(document):
    for benchmark in document["benchmarks"]:
        if benchmark["param"] == "gd-kernel-parallel-1000000-float64":
            benchmark["stats"]["median"] = 0.0004
    assert report.build(document, guards=BEAT_REFERENCE).passed


def test_guard_without_rows_is_a_note_and_a_missing_reference_fails(document):
    guard = report.Guard("surface", "loss_grid", ("kernel",), 10**3)
    (check,) = report.check_guards(report.rows_from_json(document)[0], [guard])
    assert check.ok and check.row is None and "not measured" in check.message
    without_reference = copy.deepcopy(document)
    without_reference["benchmarks"] = [b for b in document["benchmarks"] if b["param"] != "reference-adam-batch-full"]
    built = report.build(without_reference)
    assert any("no reference measured" in check.message for check in built.failures)


def test_starved_parallel_rows_are_not_judged_and_never_counted_as_passed(document):
    # the parallel memory-limit kernel 14x slower than the serial one: the threads did not all run
    built = report.build(with_parallel_limit(document, 0.007), guards=BEAT_REFERENCE)
    assert not built.failures and not built.passed        # nothing failed, and not "passed" either
    (unjudged,) = built.unjudged
    assert (unjudged.row.kernel, unjudged.row.impl) == ("gd", "kernel-parallel") and unjudged.ok is None
    assert "NOT JUDGED" in unjudged.message and "the parallel memory-limit kernel at 14.00x the serial one" in unjudged.message
    top = built.markdown.split("### Guards and targets")[0]
    assert "## Regression guard: NOT JUDGED (1 rows: the machine was busy)" in top
    assert "- NOT JUDGED (re-measured 0 times, still starved; not counted as passed)" in top
    assert "passed, 0 failed, 1 not judged" in top
    # the serial kernel at the same key is judged as usual
    assert not row(built.rows, "updates", "gd", "kernel").starved


def test_starvation_needs_a_clear_margin(document):
    # 1% slower parallel memory limit (the case issue 19 found exempting a 10x slower row): judged
    built = report.build(with_medians(with_parallel_limit(document, 0.000505), **SLOW_PARALLEL), guards=BEAT_REFERENCE)
    assert not built.unjudged and len(built.failures) == 1
    assert row(built.rows, "updates", "gd", "kernel-parallel").starvation == pytest.approx(1.6 / 1.2)
    # either measure over 1.5x says starved: here the row 12x its serial form's time
    built = report.build(with_parallel_limit(document, 0.000505), guards=BEAT_REFERENCE)
    assert row(built.rows, "updates", "gd", "kernel-parallel").starvation == pytest.approx(12)
    assert not built.failures and len(built.unjudged) == 1
    # without a parallel memory limit, the serial twin says: the model's parallel row at 0.5x
    # its serial form's time is not starved
    model = row(built.rows, "model", "gradient", "kernel-parallel")
    assert model.serial_twin == pytest.approx(0.004) and model.starvation == pytest.approx(0.5)


@pytest.mark.parametrize("load, starved", [([3.0, 3.3, 2.0], True), ([2.0, 2.4, 2.0], False)])
def test_a_busy_machine_is_starvation_with_a_clear_margin_for_thread_rows_only(document, load, starved):
    """The 5-minute load average per core over the run (it counts the benchmark's own ~1):
    1.65 per core is starved, 1.2 is not; serial rows are judged at any load."""
    busy = with_medians(document, kernel_adam_batch_full=0.1)   # full batch on threads, 0.8x numpy
    busy["machine_info"]["load_average"] = load
    built = report.build(busy, guards=BEAT_REFERENCE)
    full = row(built.rows, "training", "adam/batch-full", "kernel")
    assert full.threads and full.machine_load == pytest.approx(load[1] / 2)
    # the guard and the training issue's 4x target (which fails the run) alike
    assert [(c.row.kernel, type(c.rule).__name__) for c in (built.unjudged if starved else built.failures)
            if c.row.family == "training"] == [("adam/batch-full", "Guard"), ("adam/batch-full", "Target")]
    assert not row(built.rows, "training", "adam/batch-1", "kernel").threads
    # a re-measurement's own (1-minute) load replaces the run's
    rerun = report.merge_rerun(busy, {"benchmarks": [], "machine_info": {"load_average": [0.4, 2.0, 2.0]}}, [])
    assert row(report.build(rerun).rows, "training", "adam/batch-full", "kernel").machine_load == pytest.approx(0.2)


def test_a_starved_row_is_remeasured_and_judged_on_the_new_measurement(document, monkeypatch, tmp_path, capsys):
    """The command re-measures a starved row (bounded rounds); when the threads ran the second
    time, the row is judged on that measurement; when they never do, it stays NOT JUDGED."""
    starved = with_parallel_limit(document, 0.007)
    stored = tmp_path / "starved.json"
    stored.write_text(json.dumps(starved))
    calls = []

    def fake_run(profile, json_path, extra_args=(), nodes=None):
        calls.append(nodes)
        if nodes is None:
            Path(json_path).write_text(stored.read_text())
            return 0
        fresh = [copy.deepcopy(b) for b in starved["benchmarks"] if b["fullname"] in nodes]
        for b in fresh:
            if b["extra_info"]["impl"] == "memory-limit-parallel" and len(calls) >= 3:
                b["stats"]["median"] = 0.0003          # the third measurement: the threads ran
            if b["extra_info"]["impl"] == "kernel-parallel" and len(calls) >= 3:
                b["stats"]["median"] = 0.0004
        Path(json_path).write_text(json.dumps({"benchmarks": fresh}))
        return 0

    monkeypatch.setattr(report, "run_benchmarks", fake_run)
    monkeypatch.setattr(report, "GUARDS", BEAT_REFERENCE)
    status = report.main(["--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert len(calls) == 3 and "bench/test_bench_updates.py::test_updates[gd-kernel-parallel-1000000-float64]" in calls[1]
    assert status == 0 and "## Regression guard: passed" in out and "again, 2 rounds" in out
    # never judged: still starved after the bounded rounds, reported at the top, not passed
    calls.clear()
    monkeypatch.setattr(report, "REMEASURE_ROUNDS", 1)
    report.main(["--output", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert len(calls) == 2
    top = out.split("### Guards and targets")[0]
    assert "## Regression guard: NOT JUDGED" in top and "re-measured 1 time, still starved" in top


def test_targets(document):
    checks = {check.row.kernel: check for check in report.build(document).targets
              if check.rule.source == report.TRAINING_ISSUE}
    assert checks["adam/batch-1"].ok and checks["adam/batch-full"].ok
    assert "speed-up 1600x (target ≥ 30x)" in checks["adam/batch-1"].message
    assert "ns per point" not in checks["adam/batch-1"].message  # the 40 ns target is GD's and Momentum's
    target = report.Target("training", "adam/batch-1", "kernel", max_ns_per_unit=40)
    (met,) = report.check_targets(report.rows_from_json(document)[0], [target])
    assert met.ok and "25 ns per point (target < 40)" in met.message
    target = report.Target("training", "*/batch-full", "kernel", min_speedup=6)
    (missed,) = report.check_targets(report.rows_from_json(document)[0], [target])
    assert not missed.ok


def with_peers(document, hand_loop=0.020, parallel=None, jax=0.030, sklearn=None, kernel="adam/batch-1"):
    """The document with a hand loop (and optionally its parallel form), JAX and scikit-learn
    beside the training row ``kernel`` (stored: adam/batch-1 25 ms, adam/batch-full 4 ms)."""
    changed = copy.deepcopy(document)
    template = next(b for b in document["benchmarks"]
                    if b["extra_info"].get("kernel") == kernel and b["extra_info"]["impl"] == "kernel")
    for impl, median in (("hand-loop", hand_loop), ("hand-loop-parallel", parallel), ("jax-scan", jax),
                         ("sklearn-sgdregressor", sklearn)):
        if median is None:
            continue
        entry = copy.deepcopy(template)
        entry["name"] = entry["param"] = f"{impl}-{kernel}"
        entry["fullname"] = f"bench/test_bench_peers.py::test_training_peer[{impl}-{kernel}]"
        entry["extra_info"]["impl"] = impl
        entry["stats"] = {**entry["stats"], "median": median}
        changed["benchmarks"].append(entry)
    return changed


def test_the_fastest_hand_loop_is_the_limit_of_a_training_row(document):
    rows, _ = report.rows_from_json(with_peers(document, hand_loop=0.020, parallel=0.022))
    epoch = row(rows, "training", "adam/batch-1", "kernel")
    assert epoch.limit_impl == "hand-loop" and epoch.limit == pytest.approx(0.020)
    assert epoch.limit_fraction == pytest.approx(0.020 / 0.025)
    assert epoch.peers == {"jax-scan": pytest.approx(0.030)}
    assert "bench/test_bench_peers.py::test_training_peer[hand-loop-adam/batch-1]" in epoch.nodes
    # each hand loop is a row of its own, with the peers beside it and no limit
    hand = row(rows, "training", "adam/batch-1", "hand-loop")
    assert hand.limit is None and hand.peers == {"jax-scan": pytest.approx(0.030)}
    assert hand.speedup == pytest.approx(40 / 0.020)
    assert row(rows, "training", "adam/batch-1", "hand-loop-parallel").median == pytest.approx(0.022)
    faster_parallel = report.rows_from_json(with_peers(document, hand_loop=0.020, parallel=0.010))[0]
    assert row(faster_parallel, "training", "adam/batch-1", "kernel").limit_impl == "hand-loop-parallel"
    # the guard judges fastoptim's rows only
    assert all(check.row is None or check.row.impl == "kernel" for check in report.check_guards(rows)
               if check.rule.family == "training")


def test_peer_columns_and_the_hand_loop_in_the_markdown(document):
    text = report.build(with_peers(document)).markdown
    assert ("| training | adam/batch-1 | kernel | float64 | 1e6 | 40 s (from 1e4)† | 25 ms | 1600x | 25 ns/point | "
            "0.80 | 1.2x |") in text
    assert "| training | adam/batch-1 | hand-loop | float64 | 1e6 | 40 s (from 1e4)† | 20 ms | 2000x | 20 ns/point | — | 1.5x |" in text
    assert "\"of limit\" = the fastest hand loop's median" in text
    assert "adam/batch-1 1600x (0.80 of hand-loop)" in text


def test_engine_targets_met_missed_and_not_measured(document):
    def checks(changed):
        return {(c.row.kernel, c.row.impl): c for c in report.build(changed).targets
                if c.rule.source == report.ENGINE_ISSUE and c.rule.kernel == "adam/batch-1"}

    # kernel 25 ms: 1.25x the hand loop's 20 ms (target 1.1x), faster than JAX's 30 ms
    (missed,) = checks(with_peers(document)).values()
    assert missed.ok is False and "1.25x the hand-loop's time (target ≤ 1.1x)" in missed.message
    (met,) = checks(with_peers(document, hand_loop=0.024)).values()
    assert met.ok is True
    # the JAX target over every training row: met at batch 1 (30 vs 25 ms), unmeasured elsewhere
    built = report.build(with_peers(document, jax=0.030))
    jax = [c for c in built.targets if c.rule.source == report.ENGINE_ISSUE and c.rule.kernel == "*"]
    assert {(c.row.kernel, c.ok) for c in jax} == {("adam/batch-1", True), ("adam/batch-full", None)}
    assert "vs jax-scan 1.2x (target ≥ 1x)" in next(c.message for c in jax if c.ok)
    assert "not measured in this run" in built.markdown
    assert status_of(built.markdown, "training:adam/batch-1 kernel float64 1e6: 1.25x the hand-loop") == "MISSED"
    # a missing peer is not a miss; a slower peer is
    gd = report.Target("training", "adam/batch-1", "kernel", max_of_hand_loop=1.3,
                       min_vs_peers=(("sklearn-sgdregressor", 1.0),))
    rows = report.rows_from_json(with_peers(document))[0]
    (partly,) = report.check_targets(rows, [gd])
    assert partly.ok is True and "not measured in this run: no sklearn-sgdregressor" in partly.message
    rows = report.rows_from_json(with_peers(document, sklearn=0.020))[0]
    (slower,) = report.check_targets(rows, [gd])
    assert slower.ok is False and "vs sklearn-sgdregressor 0.8x" in slower.message
    # a training row without any peer: the hand-loop and JAX targets say "not measured"
    assert all(c.ok is None for c in report.build(document).targets if c.rule.source == report.ENGINE_ISSUE)


# --- the Markdown ----------------------------------------------------------------------------------------

def test_markdown(document):
    text = report.build(document).markdown
    assert "Machine: Test CPU, 2 cores" in text and "numpy 2.4.6, numba 0.68.1" in text
    assert "## Regression guard: NOT JUDGED" in text   # a starved thread row; the others pass
    assert ("| updates | adam | kernel | float64 | 1e6 | 10 ms | 1.4 ms | 7.14x | 40 GB/s | 0.86 | 1.14x |"
            in text)
    assert "| model | gradient | kernel | float64 | 1e6 | 20 ms | 4 ms | 5x | 4 ns/point | — |" in text
    assert "| training | adam/batch-1 | kernel | float64 | 1e6 | 40 s (from 1e4)† | 25 ms | 1600x | 25 ns/point | — |" in text
    assert "† the reference was timed on the first N points" in text
    assert "| updates.adam_update | float64 | 320 ms | 3 ms |" in text
    # peer columns only where peers were measured
    model_header = next(line for line in text.splitlines() if line.startswith("| family"))
    assert "torch" not in model_header
    for line in text.splitlines():  # every table row has as many cells as its header
        if line.startswith("| updates |"):
            assert line.count("|") == 12


def test_a_warm_run_not_served_from_the_cache_is_flagged(document):
    assert "not served from the cache" not in report.build(document).markdown
    for benchmark in document["benchmarks"]:
        if benchmark["param"] == "warm-updates.adam_update":
            benchmark["extra_info"]["first_call_seconds"] = 0.3
    assert "The warm run of updates.adam_update was not served from the cache" in report.build(document).markdown


def test_remeasured_rows_replace_the_first_run(document):
    document = with_medians(with_parallel_limit(document, 0.0004), **SLOW_PARALLEL)
    first = report.build(document, guards=BEAT_REFERENCE)
    node = "bench/test_bench_updates.py::test_updates[gd-kernel-parallel-1000000-float64]"
    rerun = {"benchmarks": [copy.deepcopy(b) for b in document["benchmarks"] if b["fullname"] == node]}
    rerun["benchmarks"][0]["stats"]["median"] = 0.0004
    merged = report.merge_rerun(document, rerun, [check.message for check in first.failures])
    again = report.build(merged, guards=BEAT_REFERENCE)
    assert again.passed and merged["remeasured"]["rounds"] == 1
    assert row(again.rows, "updates", "gd", "kernel-parallel").speedup == pytest.approx(3.75)
    assert "measured a second time" in again.markdown and "0.938x" in again.markdown
    assert len(merged["benchmarks"]) == len(document["benchmarks"])


def test_command_from_json(capsys, tmp_path):
    status = report.main(["--from-json", str(SMALL)])
    out = capsys.readouterr().out
    assert status == 0 and "| family | kernel | impl |" in out   # the stored run passes its guards
    failing = tmp_path / "slow.json"   # its model gradient at 5x slowed to 2.5x: below the 3x guard
    failing.write_text(json.dumps(slowed(json.loads(SMALL.read_text()), 2)))
    assert report.main(["--from-json", str(failing)]) != 0


def test_plot_or_a_clear_skip(document, tmp_path):
    built = report.build(document, baseline=document)
    path = tmp_path / "plot.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert report.plot(built, path) is False
    else:
        assert report.plot(built, path) is True and path.stat().st_size > 0


def with_paired_yardsticks(document):
    """The document with family "loss": log-loss rows (impl kernel) at two batch sizes, each with
    its squared-error epoch as a paired yardstick."""
    changed = copy.deepcopy(document)

    def entry(kernel, impl, median, **extra):
        return {"group": f"loss:{kernel}:float64:1e6", "name": f"test_epoch[{impl}-{kernel}]",
                "fullname": f"bench/test_bench_loss.py::test_epoch[{impl}-{kernel}]", "param": f"{impl}-{kernel}",
                "extra_info": {"family": "loss", "kernel": kernel, "impl": impl, "size": 10**6, "dtype": "float64",
                               "unit": "points", **extra},
                "stats": {"min": median, "max": median, "mean": median, "median": median, "rounds": 5,
                          "iterations": 1}}

    changed["benchmarks"] += [
        entry("gd/batch-1", "kernel", 0.024), entry("gd/batch-1", "yardstick", 0.025, paired=True, label="squared error"),
        entry("gd/batch-25", "kernel", 0.005), entry("gd/batch-25", "yardstick", 0.004, paired=True, label="squared error"),
    ]
    return changed


def test_a_paired_yardstick_measures_its_own_kernel_only(document):
    rows, _ = report.rows_from_json(with_paired_yardsticks(document))
    loss = [r for r in rows if r.family == "loss"]
    assert sorted(r.kernel for r in loss) == ["gd/batch-1", "gd/batch-25"]  # the yardsticks are not rows
    assert row(rows, "loss", "gd/batch-1", "kernel").of_yardstick == pytest.approx(0.96)
    assert row(rows, "loss", "gd/batch-25", "kernel").of_yardstick == pytest.approx(1.25)
    assert all(r.of_yardstick is None for r in rows if r.family != "loss")
    checks = {c.row.kernel: c for c in report.check_targets(rows) if c.row.family == "loss"}
    assert checks["gd/batch-1"].ok and not checks["gd/batch-25"].ok
    assert "5 ms = 125.0% of the squared error (4 ms) (target ≤ 100%)" in checks["gd/batch-25"].message
    text = report.build(with_paired_yardsticks(document)).markdown
    assert "| loss | gd/batch-25 | kernel | float64 | 1e6 | — | 5 ms | — | 5 ns/point | — | 125.0% |" in text
    assert "| of squared error (median / it) |" in text


# --- family memory ----------------------------------------------------------------------------------

def with_memory(document, above_train=1 << 20, above_shuffled=None, peak_reset=True):
    """The document with family-memory entries as bench/test_bench_memory.py writes them: a batch-1
    train row on 10^7 float64 points (data 160 MB), a shuffled train row on 10^8 float32 points
    (data 800 MB; by default 4.05 bytes a point above it) and a shuffled sweep of 64 runs on 10^5
    points (4.1 bytes a point and run)."""
    changed = copy.deepcopy(document)
    shuffled = int(4.05 * 10**8) if above_shuffled is None else above_shuffled
    for kernel, dtype, size, runs, data_bytes, above in (
            ("train/batch-1/record-epoch", "float64", 10**7, 1, 16 * 10**7, above_train),
            ("train/shuffled/float32-memmap", "float32", 10**8, 1, 8 * 10**8, shuffled),
            ("sweep-64/shuffled/float32-memmap", "float32", 10**5, 64, 8 * 10**5, int(4.1 * 64 * 10**5))):
        changed["benchmarks"].append({
            "group": f"memory:{kernel}:{dtype}:{report.format_size(size)}", "name": "test_peak_memory",
            "fullname": f"bench/test_bench_memory.py::test_peak_memory[{kernel}]", "param": kernel,
            "extra_info": {"family": "memory", "kernel": kernel, "impl": "fastoptim", "size": size, "dtype": dtype,
                           "unit": "points", "scenario": kernel, "points": size, "runs": runs,
                           "data_bytes": data_bytes, "above_data_bytes": above, "peak_reset": peak_reset,
                           "seconds": 1.5},
            "stats": {"min": 3.0, "max": 3.0, "mean": 3.0, "median": 3.0, "rounds": 1, "iterations": 1}})
    return changed


def test_memory_rows_are_bytes_in_a_table_of_their_own(document):
    changed = with_memory(document)
    rows, _ = report.rows_from_json(changed)
    assert not any(r.family == "memory" for r in rows)  # not a timing row
    memory = report.memory_rows_from_json(changed)
    assert [r.kernel for r in memory] == ["train/batch-1/record-epoch", "train/shuffled/float32-memmap",
                                          "sweep-64/shuffled/float32-memmap"]
    shuffled, sweep = memory[1], memory[2]
    assert shuffled.bytes_per_point == pytest.approx(4.05) and shuffled.bytes_per_run == 4.05e8
    assert sweep.bytes_per_point_and_run == pytest.approx(4.1) and sweep.bytes_per_run == pytest.approx(4.1e5)
    built = report.build(changed)
    assert built.memory_rows == memory
    text = built.markdown
    assert "## memory" in text and "peak − baseline" in text
    assert ("| train/batch-1/record-epoch | float64 | 1e7 | 1 | 153 MiB | 1 MiB | 0.105 B | 1 MiB | ≤ 64 MiB | met "
            "| 1.5 s |") in text
    assert ("| sweep-64/shuffled/float32-memmap | float32 | 1e5 | 64 | 781 KiB | 25 MiB | 4.1 B | 400 KiB "
            "| ≤ 4.5 B a point and run | met | 1.5 s |") in text
    assert "(upper bound)" not in text


def test_memory_targets_met_and_missed(document):
    checks = {c.row.kernel: c for c in report.build(with_memory(document, above_train=65 << 20,
                                                                above_shuffled=int(4.6 * 10**8))).targets
              if c.rule.source == report.MEMORY_ISSUE}
    assert set(checks) == {"train/batch-1/record-epoch", "train/shuffled/float32-memmap",
                           "sweep-64/shuffled/float32-memmap"}
    assert checks["train/batch-1/record-epoch"].ok is False
    assert "65 MiB above the data (target ≤ 64 MiB)" in checks["train/batch-1/record-epoch"].message
    assert checks["train/shuffled/float32-memmap"].ok is False
    assert "4.6 bytes a point above the data (target ≤ 4.5)" in checks["train/shuffled/float32-memmap"].message
    assert checks["sweep-64/shuffled/float32-memmap"].ok
    assert "4.1 bytes a point and run above the data" in checks["sweep-64/shuffled/float32-memmap"].message
    built = report.build(with_memory(document, above_train=65 << 20, peak_reset=False))
    # issue 13's limit on a run's bookkeeping fails the run (bytes: no noise to excuse)
    assert any(c.rule.family == "memory" for c in built.failures)
    assert status_of(built.markdown, "memory:train/batch-1/record-epoch fastoptim float64 1e7: 65 MiB") == "MISSED"
    assert "65 MiB (upper bound)" in built.markdown and "| MISSED |" in built.markdown


@pytest.mark.parametrize("count, text", [(64 * 2**20, "64 MiB"), (1536, "1.5 KiB"), (100, "100 B"),
                                         (3 * 2**30, "3 GiB"), (1020 * 2**10, "0.996 MiB"), (None, "—")])
def test_format_bytes(count, text):
    assert report.format_bytes(count) == text


# --- a real quick-profile result: the thresholds, the baseline comparison, history ---------------------

QUICK = Path(__file__).resolve().parent / "data" / "bench_quick.json"


@pytest.fixture
def quick():
    """A quick-profile run on the 2-core development machine (the raw timings dropped)."""
    return json.loads(QUICK.read_text())


def slowed(document, factor, family="model", kernel="gradient", impl="kernel", dtype="float64", size=10**6,
           to_reference=False):
    """A copy of ``document`` with one row's median times ``factor`` (or, ``to_reference``, set
    to ``factor`` times its reference's median)."""
    changed = copy.deepcopy(document)
    matches = lambda b, i: (b["extra_info"].get("family"), b["extra_info"].get("kernel"), b["extra_info"].get("impl"),
                            b["extra_info"].get("dtype"), b["extra_info"].get("size")) == (family, kernel, i, dtype, size)
    (reference,) = [b for b in changed["benchmarks"] if matches(b, "reference")]
    (target,) = [b for b in changed["benchmarks"] if matches(b, impl)]
    target["stats"]["median"] = (factor * reference["stats"]["median"] if to_reference
                                 else factor * target["stats"]["median"])
    return changed


QUIET = Path(__file__).resolve().parent / "data" / "bench_quick_quiet.json"


@pytest.fixture
def quiet():
    """A quick-profile run with one Numba thread and a load average of 1.2 per core over it: a
    machine not starved, where the comparison is judged (no updates rows: that family's
    benchmarks were broken at that commit)."""
    return json.loads(QUIET.read_text())


def test_the_stored_quick_run_passes_every_guard_with_a_margin(quick):
    built = report.build(quick)
    assert not built.failures, [c.message for c in built.failures]
    # every family measured has a guard, the sweep and the schedules among them
    guarded = {check.rule.family for check in built.guard if check.row is not None}
    measured = {row.family for row in built.rows + built.memory_rows} | {"compile"}
    assert measured <= guarded and {"sweep", "schedules", "training", "updates", "model"} <= guarded
    assert all(guard.margin and not guard.margin.startswith("M_") for guard in report.GUARDS)


@pytest.mark.parametrize("family, kernel, impl, dtype, size, factor", [
    ("model", "gradient", "kernel", "float64", 10**6, 1.5),
    ("updates", "adam", "kernel", "float64", 10**6, 1.5),
    ("updates", "gd", "kernel", "float32", 10**6, 1.5),
    ("training", "gd/batch-1", "kernel", "float64", 10**6, 1.5),
    ("training", "adam/batch-100", "kernel-record-none", "float64", 10**6, 1.5),
    ("loading", "csv", "load", "float64", 10**5, 1.5),
    # the sweep is slower than its loop of train calls on the quick profile (0.4-1.2x): its
    # guard is 0.2x, so 6x the loop's time fails (on the quiet run: on the loaded one the sweep's
    # threads were starved, so it is not judged)
    ("sweep", "16-configs/batch-32/epochs-5/ordered", "kernel", "float64", 10**4, 6)])
def test_a_guarded_kernel_slowed_to_1_5x_its_reference_fails(quick, quiet, tmp_path, capsys, family, kernel, impl, dtype,
                                                             size, factor):
    path = tmp_path / "slow.json"
    document = quiet if family == "sweep" else quick
    path.write_text(json.dumps(slowed(document, factor, family, kernel, impl, dtype, size, to_reference=True)))
    assert report.main(["--from-json", str(path)]) == 2
    out = capsys.readouterr().out
    assert "## Regression guard: FAILED" in out and f"- FAIL {family}:{kernel} {impl}" in out


def test_a_fabricated_40_percent_slowdown_is_flagged_and_fails_above_25(quiet, tmp_path, capsys):
    quick = quiet
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(quick))
    new.write_text(json.dumps(slowed(quick, 1.4)))
    # without --fail-above: flagged, worst first, not failing
    assert report.main(["--from-json", str(new), "--compare", str(old)]) == 0
    out = capsys.readouterr().out
    section = out.split("## Against the baseline")[1]
    first = next(line for line in section.splitlines() if line.startswith("| REGRESSED"))
    assert "model:gradient kernel float64 1e6" in first and "| +40% |" in first
    assert section.index("| REGRESSED") < section.index("| same")
    # with it: the run fails, the comparison names the row at the top
    assert report.main(["--from-json", str(new), "--compare", str(old), "--fail-above", "25"]) == 3
    out = capsys.readouterr().out
    top = out.split("### Guards and targets")[0]
    assert "- FAIL against the baseline: model:gradient kernel float64 1e6: speed-up (reference / median) " in top
    assert "+40% worse (fails above 25%)" in top
    # 20% is not above 25%
    new.write_text(json.dumps(slowed(quick, 1.2)))
    assert report.main(["--from-json", str(new), "--compare", str(old), "--fail-above", "25"]) == 0


def test_the_committed_baseline_and_the_ci_threshold(quick, quiet):
    baseline = json.loads(report.BASELINE.read_text())
    assert baseline["format"] == report.BASELINE_FORMAT and baseline["runs"] >= 3
    assert baseline["refresh"] == report.BASELINE_COMMAND
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--compare bench/baseline.json" in ci and f"--fail-above {report.CI_FAIL_ABOVE:g}" in ci
    # both stored runs against the committed baseline: nothing regressed beyond CI's threshold
    for document in (quick, quiet):
        built = report.build(document, baseline=baseline, fail_above=report.CI_FAIL_ABOVE)
        assert not built.regressions and not built.failures, [c.describe() for c in built.regressions]
    # the loaded run (2.98 per core over it): a figure past the threshold is not judged, never passed
    assert report.machine_load(quick) >= report.STARVED_MARGIN
    # (the mechanism at 150%, CI's threshold until a quiet CI run showed noise beyond it)
    slow = slowed(quick, 5, "updates", "adam", "kernel")   # 17.5x -> 3.5x: above its 2.7x guard
    built = report.build(slow, baseline=baseline, fail_above=150)
    assert not built.regressions and [c.row.kernel for c in built.comparison.unjudged] == ["adam"]
    assert not built.passed and "NOT JUDGED against the baseline" in built.markdown
    # on the quiet machine, a guarded serial row 3x slower (beyond a 150% threshold, still above
    # its guard) fails the comparison; 2x does not
    for factor, regressed in ((3, ["gd/batch-1"]), (2, [])):
        slow = slowed(quiet, factor, "training", "gd/batch-1", "kernel")
        built = report.build(slow, baseline=quiet, fail_above=150)
        assert [c.row.kernel for c in built.regressions] == regressed and not built.failures


def test_write_baseline_takes_the_median_of_the_runs(quick, tmp_path):
    path = tmp_path / "baseline.json"
    runs = [slowed(quick, factor) for factor in (1.0, 2.0, 1.1)]
    baseline = report.write_baseline(runs, path)
    key = "model|gradient|kernel|float64|1000000"
    speedups = [report.ratios(report.build(run))[key]["speedup"] for run in runs]
    assert baseline["rows"][key]["speedup"] == pytest.approx(sorted(speedups)[1])
    assert json.loads(path.read_text())["rows"][key]["speedup"] == pytest.approx(sorted(speedups)[1])
    assert "median" in baseline["rows"][key] and not any("data" in str(v) for v in baseline["rows"].values())


def test_of_limit_is_never_above_one(quick, document):
    for doc in (quick, with_peers(document, hand_loop=0.030)):  # 25 ms kernel, 30 ms "limit"
        built = report.build(doc)
        assert all(row.limit_fraction is None or 0 < row.limit_fraction <= 1 for row in built.rows)
    beaten = row(built.rows, "training", "adam/batch-1", "kernel")
    assert beaten.limit_fraction == 1 and beaten.limit_ratio == pytest.approx(1.2) and beaten.beats_limit
    assert "| 1.00 ‡ (1.20) |" in built.markdown and "‡ the row ran faster than its limit kernel" in built.markdown


def test_two_runs_on_one_day_keep_two_files(quick, tmp_path):
    first, second = copy.deepcopy(quick), copy.deepcopy(quick)
    first["datetime"], second["datetime"] = "2026-12-01T09:00:00.000000+00:00", "2026-12-01T17:30:05.000000+00:00"
    for document in (first, second):
        report.write_results(document, report.build(document), tmp_path)
    stored = sorted(p.name for p in tmp_path.glob("*.json"))
    commit = quick["commit_info"]["id"][:10]
    assert stored == [f"20261201T090000-{commit}{'-dirty' if quick['commit_info'].get('dirty') else ''}-quick.json",
                      f"20261201T173005-{commit}{'-dirty' if quick['commit_info'].get('dirty') else ''}-quick.json"]
    assert len(list(tmp_path.glob("*.md"))) == 2


def test_output_writes_json_markdown_and_png(quick, tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(quick))
    assert report.main(["--from-json", str(path), "--output", str(tmp_path / "out"),
                        "--compare", str(report.BASELINE)]) == 0
    suffixes = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert suffixes == [".json", ".md", ".png"] or suffixes == [".json", ".md"]  # .png with matplotlib
    assert "bench.report: wrote " in capsys.readouterr().out


def test_history_over_three_stored_results_draws_three_points_per_line(quick, tmp_path, capsys):
    for i, factor in enumerate((1.0, 1.3, 0.9)):
        document = slowed(quick, factor)
        document["datetime"] = f"2026-12-0{i + 1}T10:00:00.000000+00:00"
        document["commit_info"] = {"id": f"{i}" * 40, "dirty": False}
        report.write_results(document, report.build(document), tmp_path)
    runs, series = report.history(tmp_path)
    assert [commit for _, commit in runs] == ["0000000", "1111111", "2222222"]
    model = series[("model", "speed-up [kernel]")]
    assert len(model) == 3 and model[1] < model[0] < model[2]
    assert all(len(values) == 3 for values in series.values())
    assert report.main(["--history", str(tmp_path), "--output", str(tmp_path / "h")]) == 0
    table = (tmp_path / "h" / "history.md").read_text()
    assert "| model | speed-up [kernel] |" in table
    assert table.count("\n|---") == 1 and "0000000 2026-12-01" in table
    pytest.importorskip("matplotlib")
    drawn = report.plot_history(runs, series, tmp_path / "h.png")
    assert drawn and set(drawn.values()) == {3}
