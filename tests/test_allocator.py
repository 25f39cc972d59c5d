"""The glibc malloc tuning applied at import, and its opt-out."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from descentlab import allocator

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or allocator._glibc() is None, reason="glibc only"
)


def _tuned_in_subprocess(**env: str) -> str:
    code = "import descentlab.allocator as a; print(a.MALLOC_TUNED)"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    full_env.pop("DESCENTLAB_MALLOC_TUNING", None)
    full_env.update(env)
    result = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                            text=True, check=True)  # fmt: skip
    return result.stdout.strip()


def test_import_tunes_malloc_by_default():
    assert _tuned_in_subprocess() == "True"


def test_tuning_can_be_switched_off():
    assert _tuned_in_subprocess(DESCENTLAB_MALLOC_TUNING="0") == "False"


def test_users_own_glibc_settings_win():
    assert _tuned_in_subprocess(MALLOC_TRIM_THRESHOLD_="1000000") == "False"


def _resident_kib() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.skipif(not allocator.MALLOC_TUNED, reason="the tuning is switched off here")
def test_freed_heap_memory_stays_until_released_for_measurements():
    # 16 MiB is under the tuned mmap threshold, so it comes from the heap, and under the
    # trim threshold, so freeing it leaves it resident: only malloc_trim hands it back.
    block = np.ones(4 * 2**20, dtype=np.float32)
    del block
    before = _resident_kib()
    assert allocator.release_free_memory() is True
    assert before - _resident_kib() >= 12 * 1024
