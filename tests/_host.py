"""A provider process with its clients on a clock ``--clock-scale`` times as fast as real time (see
``_clock.ScaledClock``): ``python tests/_host.py --clock-scale 10 MODULE [ARGS]`` runs ``python -m MODULE [ARGS]``
(``pulumi.dynamic``, the engine's host for dynamic providers, or ``pulumi_vpsorg.native``, the plugin). A test gives
the emulator the same scale, so waits, polls and timeouts keep their proportions while taking a tenth of the time."""

from __future__ import annotations

import runpy
import sys

from _clock import ScaledClock

from pulumi_vpsorg import _base_client

if __name__ == "__main__":
    assert sys.argv[1] == "--clock-scale", sys.argv
    _base_client.MONOTONIC = ScaledClock(float(sys.argv[2]))  # every client the process builds takes it by default
    module = sys.argv[3]
    sys.argv[1:] = sys.argv[4:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
