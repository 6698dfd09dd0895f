"""Constants the tests share (kept out of conftest.py, which pytest loads as a plugin, not as a module to import)."""

import os

TOKEN = "vps_test_0123456789abcdef"
SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared")
# The provider processes of the `host`, `own_host` and `native` fixtures and their emulator run on a clock this many
# times as fast as real time (tests/_host.py): a wait of seconds takes a tenth of that, on the schedule a real one
# keeps.
CLOCK_SCALE = 10.0
