"""Constants the tests share (kept out of conftest.py, which pytest loads as a plugin, not as a module to import)."""

import os

TOKEN = "vps_test_0123456789abcdef"
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared")
