"""The glibc malloc tuning: off at import, on by an explicit ``descentlab.tune_malloc()``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from descentlab import allocator

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or allocator._glibc() is None, reason="glibc only"
)


def _run(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    full_env.pop("DESCENTLAB_MALLOC_TUNING", None)
    full_env.update(env)
    result = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                            text=True, check=True)  # fmt: skip
    return result.stdout.strip()


TUNE = "import descentlab as dl, descentlab.allocator as a; print(dl.tune_malloc(), a.MALLOC_TUNED)"


def test_import_changes_nothing_global():
    assert _run("import descentlab, descentlab.allocator as a; print(a.MALLOC_TUNED)") == "False"


def test_tune_malloc_applies_the_settings():
    assert _run(TUNE) == "True True"


def test_tuning_can_be_switched_off():
    assert _run(TUNE, DESCENTLAB_MALLOC_TUNING="0") == "False False"


def test_users_own_glibc_settings_win():
    assert _run(TUNE, MALLOC_TRIM_THRESHOLD_="1000000") == "False False"


# 16 MiB is under the tuned mmap threshold, so it comes from the heap, and under the trim
# threshold, so freeing it leaves it resident: only malloc_trim hands it back. Without the
# tuning glibc maps such a block afresh and unmaps it when freed: nothing stays to release.
FREED = """
import numpy as np, descentlab as dl
from descentlab.allocator import release_free_memory
def resident():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmRSS:")).split()[1])
{tune}
block = np.ones(4 * 2**20, dtype=np.float32)
del block
before = resident()
release_free_memory()
print(before - resident() >= 12 * 1024)
"""


def test_freed_heap_memory_stays_under_the_tuning_until_released():
    assert _run(FREED.format(tune="dl.tune_malloc()")) == "True"
    assert _run(FREED.format(tune="")) == "False"
