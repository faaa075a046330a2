"""The fuzz suite's worker process (see tests/fuzz_support.py): reads pickled ``(entry, recipe)``
pairs on stdin, runs each with ``fuzz_support.execute`` and writes the pickled outcome on stdout.
The calls' own output goes to stderr, so that it cannot mix with the answers.

    python tests/fuzz_worker.py --replay FILE    # one saved call, in this process, traceback shown
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzz_support  # noqa: E402


def serve():
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() in a call lands on stderr
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    while True:
        request = fuzz_support._receive(requests)
        if request is None:
            return
        entry, recipe = request
        fuzz_support._send(answers, fuzz_support.execute(entry, recipe))


def replay(path):
    import pickle

    with open(path, "rb") as file:
        entry, recipe = pickle.load(file)
    print(f"{entry}: {recipe!r}", flush=True)
    print(fuzz_support.CALLS[entry](recipe))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--replay":
        replay(sys.argv[2])
    else:
        serve()
