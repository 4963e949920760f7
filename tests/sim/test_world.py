"""The simulated province is geolocatable: every address maps back to its city and ISP."""

import numpy as np
import pytest

from minewatch.enrich.geo import GeoDB
from minewatch.enrich.registry import OwnerRegister, write_csv
from minewatch.sim.world import CITIES, build_world, registry_rows


@pytest.fixture(scope="module")
def world():
    return build_world(3000, np.random.default_rng(2024), GeoDB.load())


def test_every_address_geolocates_to_the_city_and_isp_it_was_drawn_from(world):
    got = GeoDB.load().lookup([h.ip for h in world.hosts]).to_pylist()
    assert [(g["city"], g["isp"]) for g in got] == [(h.city, h.isp) for h in world.hosts]
    assert {g["province"] for g in got} == {"江苏省"}


def test_addresses_are_distinct_and_all_cities_are_used(world):
    ips = [h.ip for h in world.hosts]
    assert len(ips) == len(set(ips)) == 3000
    assert {h.city for h in world.hosts} == set(CITIES)


def test_register_covers_every_host_with_its_owner(world, tmp_path):
    write_csv(tmp_path / "registry.csv", registry_rows(world))
    register, errors = OwnerRegister.from_csv(tmp_path / "registry.csv")
    assert errors == []
    owners = register.lookup([h.ip for h in world.hosts]).to_pylist()
    for h, o in zip(world.hosts, owners):
        org = world.orgs[h.org]
        assert (o["owner_org"], o["owner_type"], o["owner_city"]) == (org.name, h.owner_type, h.city)
