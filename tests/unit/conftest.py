"""Fixtures shared by the unit tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from stevedore import ExtensionManager

from contracts import ENTRY_POINT_GROUP

FAKE_ENTRY_POINTS = {
    "workflow.fake": "tests.unit.gateway.fakes:FakeMemoryComponent",
    "workflow.fakestartonly": "tests.unit.gateway.fakes:FakeStartOnlyComponent",
    "workflow.fakeslowinit": "tests.unit.gateway.fakes:FakeSlowInitComponent",
    "workflow.fakefailinginit": "tests.unit.gateway.fakes:FakeFailingInitComponent",
    "workflow.fakeexploding": "tests.unit.gateway.fakes:FakeExplodingComponent",
    "workflow.fakenotacomponent": "tests.unit.gateway.fakes:NotAComponent",
    "workflow.fakebroken": "flowport_fake_missing_module:Component",
}


@pytest.fixture(scope="session")
def fake_plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Installs a fake distribution whose entry points name the test's fake components."""
    site = tmp_path_factory.mktemp("site")
    dist_info = site / "flowport_fake_plugins-1.2.3.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: flowport-fake-plugins\nVersion: 1.2.3\n"
    )
    lines = "\n".join(f"{name} = {target}" for name, target in FAKE_ENTRY_POINTS.items())
    (dist_info / "entry_points.txt").write_text(f"[flowport.components]\n{lines}\n")
    sys.path.append(str(site))
    # stevedore keeps the entry points it read per process: forget them on both sides.
    ExtensionManager.ENTRY_POINT_CACHE.pop(ENTRY_POINT_GROUP, None)
    yield site
    sys.path.remove(str(site))
    ExtensionManager.ENTRY_POINT_CACHE.pop(ENTRY_POINT_GROUP, None)
