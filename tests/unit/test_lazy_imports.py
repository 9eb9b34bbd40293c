"""`import aiocognito` and the pytest plugin import nothing heavy until a name is used (PEP 562)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("aiohttp", "yarl", "multidict", "cryptography", "gmpy2", "botocore", "redis", "fastapi")

_PROBE = """
import json, sys
import aiocognito, aiocognito.testing, aiocognito.testing.pytest_plugin
before = sorted(m for m in {heavy} if m in sys.modules)
ours = sorted(m for m in sys.modules if m.startswith("aiocognito."))
aiocognito.UserPool, aiocognito.testing.LocalUserPool
after = sorted(m for m in {heavy} if m in sys.modules)
print(json.dumps({{"before": before, "after": after, "ours": ours}}))
"""


def test_package_root_and_pytest_plugin_import_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["before"] == [], found["before"]
    # The plugin, the testing face, the errors and the module aliases; no pool, server or wire yet.
    assert not [
        m
        for m in found["ours"]
        if m.startswith(("aiocognito.pool", "aiocognito.wire", "aiocognito.testing.server"))
    ]
    # The names still work, and then bring what they need: the probe can fail.
    assert "aiohttp" in found["after"]


def test_every_exported_name_resolves() -> None:
    import aiocognito
    import aiocognito.testing

    for module in (aiocognito, aiocognito.testing):
        for name in module.__all__:
            assert getattr(module, name) is not None, name
        assert set(module.__all__) <= set(dir(module))
