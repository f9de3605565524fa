"""The shipped real-case datasets: facts, and that make_real_slices.py rebuilds them exactly."""

from __future__ import annotations

import importlib.util

import pytest

import cryptotrace as ct

NAMES = ["hal_finney", "colonial", "bitfinex", "whirlpool", "hydra"]


@pytest.fixture(scope="module")
def maker(project_root):
    path = project_root / "sample_data" / "make_real_slices.py"
    spec = importlib.util.spec_from_file_location("make_real_slices", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", NAMES)
def test_shipped_slice_is_what_the_script_builds_from_the_records(maker, real_data, name):
    shipped = ct.load_sample(name)
    rebuilt = maker.build(name, real_data)
    assert shipped.content_hash == rebuilt.content_hash


def test_slice_facts():
    hal = ct.load_sample("hal_finney").tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    assert hal.block_height == 170 and hal.outputs.value.tolist() == [1_000_000_000, 4_000_000_000]
    col = ct.load_sample("colonial")
    seized = col.tx("943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a").outputs
    assert seized.set_index("address").value["bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"] == 6_369_996_546
    bfx = ct.load_sample("bitfinex")
    c49 = bfx.txs.txid[bfx.txs.txid.str.startswith("c49ff6bd")].iloc[0]
    assert bfx.tx(c49).inputs.address.nunique() == 166 and len(bfx.tx(c49).inputs) == 562
    wp = ct.load_sample("whirlpool")
    assert sorted(wp.txs.n_out.tolist()) == [5, 19]
    hy = ct.load_sample("hydra")
    assert "16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T" in hy.addresses.index
