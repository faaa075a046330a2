"""Shared test settings.

``SCIPY_ARRAY_API=1`` before SciPy is first imported: scikit-learn's ``check_array_api_input``
(in its estimator checks, tests/test_estimators.py) skips itself without it.
"""
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
