"""One compose topology for the module (starting it takes minutes): built images, free ports, torn down after.

Run by `make containers` (which builds the images first); `make test` runs that target too (README "Containers").
"""
import pytest

from tests.containers.topology import ComposeTopology


def pytest_configure(config):
    config.addinivalue_line("markers", "containers: the compose topology in podman containers (make containers)")


@pytest.fixture(scope="module")
def topology():
    # the load runs 40 turns per conversation within a minute: the per-sender limit is for people, not this test
    t = ComposeTopology(env={"RATE_LIMIT_PER_MINUTE": "100000", "HEGUI_RETENTION_EVERY_SECONDS": "3600"})
    try:
        t.up()
        yield t
    finally:
        t.down()


@pytest.fixture
def whole_topology(topology):
    """Every service running and healthy again (a test before may have killed one)."""
    for service in topology.services:
        if topology.state(service)["Status"] != "running":
            topology.start(service)
        topology.wait_healthy(service)
    return topology
