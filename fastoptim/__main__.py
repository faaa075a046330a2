"""``python -m fastoptim``: the main job on built-in data.

Prints the lecture's loss table on the two points (SPEC §8), the brute-force best point of the
error surface (SPEC §6), and the speed of the compiled full-batch gradient against the numpy
reference on 10^6 synthetic points.
"""
import time

import numpy as np

import fastoptim as fo

LECTURE_POINTS = [(0.50, 0.00), (-0.10, 0.00), (0.94, -0.94), (1.42, -1.73), (1.65, -2.08), (1.78, -2.27)]


def median_seconds(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    data = fo.data.two_points()
    print("The lecture's two points: X = [0.5, 2.5], y = [0.2, 0.9]; J = ½ Σ (σ(wx + b) − y)²\n")
    print(f"{'w':>6} {'b':>6} {'J':>8}")
    for w, b in LECTURE_POINTS:
        print(f"{w:6.2f} {b:6.2f} {fo.model.loss(data, [w, b], reduction='sum'):8.4f}")

    start = time.perf_counter()
    grid = fo.surface(data)
    seconds = time.perf_counter() - start
    print(f"\nBrute-force search on [−6, 6]², step 0.1: best (w, b) = ({grid.best_w:.2f}, {grid.best_b:.2f}),"
          f" J = {grid.best_loss:.2e}, {grid.evaluations} loss evaluations in {seconds * 1e3:.1f} ms")

    big = fo.data.synthetic(10**6, seed=0)
    theta = np.array([0.5, -0.2])
    kernel = median_seconds(lambda: fo.model.gradient(big, theta), 20)
    reference = median_seconds(lambda: fo.reference.model.gradient(big, theta), 5)
    print(f"\nFull-batch gradient on 10^6 points (float64): compiled {kernel * 1e3:.2f} ms,"
          f" numpy reference {reference * 1e3:.2f} ms, speed-up {reference / kernel:.1f}x")


if __name__ == "__main__":
    main()
