"""``python -m fastoptim``: the ``fastoptim`` command (``fastoptim.cli``).

With no arguments it runs ``fastoptim demo``, the main job: the lecture's story on built-in
data, printed as tables and drawn into ``fastoptim-demo/``.
"""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["demo"]))
