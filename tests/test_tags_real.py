"""Attribution tags on the real GraphSense TagPacks in ../shared/data/real/tagpacks (40 packs, public data)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cryptotrace import tags as T

HYDRA = "16ZSAEfYpPCj3D94fsNt2okYj9Ue8mxy6T"
WANNACRY = "12t9YDPgwueZ9NyMgw519p7AA8isjr6SMw"


@pytest.fixture(scope="module")
def packs_dir(real_data):
    return real_data / "tagpacks"


@pytest.fixture(scope="module")
def store(packs_dir):
    with pytest.warns(T.TagWarning, match="3 tag"):
        return T.load_tags(sorted(packs_dir.glob("*.yaml")))


def name(path) -> str:
    return str(path).rsplit("/", 1)[-1]


def test_all_40_packs_load(store, packs_dir):
    assert len(list(packs_dir.glob("*.yaml"))) == 40
    assert len(store.packs) == 40 and (store.packs.n_tags > 0).all()
    # every address entry is either a Bitcoin tag or listed as left out
    assert len(store) + len(store.problems) == 18_295
    assert len(store) == 17_694
    assert store.problems.kind.value_counts().to_dict() == {"other currency": 598, "invalid address": 3}


def test_why_the_provenance_says_18229(store, packs_dir):
    # PROVENANCE.txt counts 18,229 tags: the lines starting '- address:'. mixing_fc2021.yaml writes its 66
    # tags label first ('- label: ChipMixer' then 'address: ...'), so that count misses them.
    starts = sum(len(re.findall(r"^- address:", p.read_text(), re.M)) for p in packs_dir.glob("*.yaml"))
    assert starts == 18_229
    per_pack = store.packs.assign(name=store.packs.pack.map(name)).set_index("name")
    assert per_pack.loc["mixing_fc2021.yaml", "n_tags"] == 66
    assert per_pack.loc["hydra.yaml", "n_tags"] == 117
    assert per_pack.loc["ransomware.yaml", "n_tags"] == 7_178
    assert per_pack.loc["ofac.yaml", "n_tags"] == 384  # 572 entries: 187 other currencies, 1 Tron address as BTC
    assert per_pack.loc["ofac.yaml", "n_left_out"] == 188


def test_the_invalid_addresses_are_reported_with_lines(store):
    bad = store.problems[store.problems.kind == "invalid address"]
    got = {(name(p), int(line), a) for p, line, a in zip(bad.pack, bad.line, bad.address)}
    assert got == {
        ("ofac.yaml", 1069, "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"),  # a Tron address marked BTC
        ("plustoken.yaml", 11, "1MFgcyJ7ZNSknbTBRaih6zWDE6V1A64tRYs"),  # one character too many
        ("plustoken.yaml", 31, "14bwh6gmvol5ntwbvxqjkjdtzv4y5ebtvm"),
    }  # lower-cased Base58


def test_strict_stops_at_the_first_bad_address(packs_dir):
    with pytest.raises(T.TagError, match=r"plustoken.yaml, line 11: address '1MFgcyJ7ZNSknbTBRaih6zWDE6V1A64tRYs'"):
        T.load_tags(packs_dir / "plustoken.yaml", strict=True)


def test_hydra_carries_market_and_ofac_tags(store):
    tags = store.for_address(HYDRA)
    by_pack = {name(t.pack): t for t in tags}
    assert set(by_pack) == {"hydra.yaml", "ofac.yaml"}
    h = by_pack["hydra.yaml"]
    assert (h.label, h.category, h.actor, h.confidence_name, h.confidence) == (
        "Hydra Market",
        "market",
        "hydramarket",
        "authority_data",
        60,
    )
    assert h.source == "https://home.treasury.gov/policy-issues/financial-sanctions/recent-actions/20220405"
    o = by_pack["ofac.yaml"]
    assert "OFAC Sanctions" in o.label and o.source == "https://www.treasury.gov/ofac/downloads/sdnlist.txt"
    assert o.confidence_name == "unknown"  # ofac.yaml gives no confidence
    assert tags[0] is not None and tags[0].label == "Hydra Market"  # the strongest first
    assert store.best_per_address().loc[HYDRA, "label"] == "Hydra Market"
    assert store.best_per_address().loc[HYDRA, "n_tags"] == 2


def test_wannacry_is_ransomware(store):
    tags = store.for_address(WANNACRY)
    assert {name(t.pack) for t in tags} == {"ransomware.yaml", "ransomwhere.yaml"}
    assert all(t.abuse == "ransomware" and t.label.lower() == "wannacry" for t in tags)


def test_other_known_facts(store):
    ia = store.for_address("1Archive1n2C579dMsAu3iC6tWzuQJz8dN")
    assert [(t.label, t.category) for t in ia] == [("Internet Archive", "organization")]
    tw = store.for_address("bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh")
    assert [(t.label, t.abuse) for t in tw] == [("Twitter Hack Scam", "scam")]
    # hacks.yaml lists Flexcoin's address twice: as the wallet service and as the hack; both kept
    flex = store.for_address("1DssS2srnAra8ghUpgEHsEARswej4SMgd3")
    assert sorted((t.label, t.category, t.abuse) for t in flex) == [
        ("Flexcoin", "wallet_service", None),
        ("Flexcoin hack", None, "service_hack"),
    ]


def test_what_the_real_packs_use(store):
    df = store.to_frame()
    assert set(df.category.dropna()) == {
        "coinjoin",
        "exchange",
        "gambling",
        "market",
        "miner",
        "mixing_service",
        "organization",
        "service",
        "user",
        "wallet_service",
    }
    assert set(df.abuse.dropna()) == {
        "extremism",
        "phishing",
        "ponzi_scheme",
        "ransomware",
        "sanction",
        "scam",
        "service_hack",
        "terrorism",
    }
    assert df.confidence_name.value_counts().to_dict() == {
        "forensic": 15_187,
        "service_data": 896,
        "web_crawl": 626,
        "unknown": 618,
        "authority_data": 356,
        "untrusted_transaction": 11,
    }
    assert (df.currency == "BTC").all() and df.address.notna().all()
    assert df.lastmod.str.match(r"^\d{4}-\d{2}-\d{2}$").fillna(True).all()


def test_esplora_case_hydra_pack(real_data):
    store = T.load_tags(real_data / "esplora-cases" / "hydra_tagpack.yaml")
    assert len(store) == 2 and len(store.problems) == 0
    for t in store:
        assert (t.label, t.category, t.confidence_name, t.actor, t.is_cluster_definer, t.lastmod) == (
            "Hydra Market",
            "market",
            "authority_data",
            "hydramarket",
            True,
            "2023-05-10",
        )
    assert [t.address for t in store] == [HYDRA, "1MQBDeRWsiJBf7K1VGjJ7PWEL6GJXMfmLg"]


def test_real_store_round_trips_through_a_tagpack(packs_dir, tmp_path):
    # every pack but the two large ransomware lists (14,635 tags of one shape), to keep the test quick
    files = [f for f in sorted(packs_dir.glob("*.yaml")) if not f.name.startswith("ransomw")]
    with pytest.warns(T.TagWarning):
        store = T.load_tags(files)
    assert len(store) == 17_694 - 14_635
    path = store.to_tagpack(tmp_path / "all.yaml", title="all", creator="test", lastmod="2000-01-01")
    again = T.load_tags(path)
    cols = [
        "address",
        "label",
        "category",
        "abuse",
        "actor",
        "confidence",
        "confidence_name",
        "source",
        "jurisdiction",
        "is_cluster_definer",
    ]
    before, after = store.to_frame(), again.to_frame()
    pd.testing.assert_frame_equal(after[cols], before[cols])
    # a tag without its own date takes the pack's lastmod (the TagPack rule for header fields)
    dated = before.lastmod.notna()
    assert (after.lastmod[dated] == before.lastmod[dated]).all()
    assert (~dated).sum() > 0 and (after.lastmod[~dated] == "2000-01-01").all()


def test_real_clusters(store):
    # a stand-in clustering: Hydra's two Treasury-listed addresses together, and a false merge of
    # Hydra with a Huobi exchange address
    huobi = store.to_frame().query("label == 'Huobi.com'").address.iloc[0]
    labels = pd.Series({HYDRA: 0, "1MQBDeRWsiJBf7K1VGjJ7PWEL6GJXMfmLg": 0, WANNACRY: 1, huobi: 1})
    out = T.cluster_tags(labels, store)
    n0 = len(store.for_address(HYDRA)) + len(store.for_address("1MQBDeRWsiJBf7K1VGjJ7PWEL6GJXMfmLg"))
    assert out.loc[0, "label"] == "Hydra Market" and out.loc[0, "n_tags"] == n0 >= 3
    assert out.loc[0, "n_tagged_addresses"] == 2 and out.loc[0, "category"] == "market"
    assert not out.loc[0, "likely_false_merge"]  # the OFAC tags are 'user' tags: no conflict
    # a ransom address inside an exchange's cluster is information, not a false merge
    assert not out.loc[1, "likely_false_merge"]
    assert out.loc[1, "label"] == "Huobi.com"  # a tie at 50: the cluster-defining exchange tag wins
    assert "production order" in out.loc[1, "next_step"]


def test_fast_reader_builds_what_yaml_safe_load_builds(packs_dir, real_data):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same result as yaml.safe_load, faster
    files = sorted(packs_dir.glob("*.yaml")) + [real_data / "esplora-cases" / "hydra_tagpack.yaml"]
    for f in files:
        data = f.read_bytes()
        assert T._fast_read(data) is not None, f.name  # every real pack takes the fast path
        header, _, lines, tags, _ = T._read_yaml(f)
        expected = yaml.load(data, Loader=loader)
        assert header == {k: v for k, v in expected.items() if k != "tags"}, f.name
        assert len(tags) == len(expected["tags"]) and len(lines) == len(tags) and lines == sorted(lines)
        for got, want in zip(tags, expected["tags"]):
            # addresses stay text; YAML reads an Ethereum address '0x9a1f...' as a number
            if isinstance(want.get("address"), int):
                assert int(got["address"], 16) == want["address"]
                got = {**got, "address": want["address"]}
            assert got == want, f.name
    # the YAML-node path (used for unusual layouts) gives the same as the fast path
    for f in files[:5] + [packs_dir / "Alt-Right.yaml"]:
        data = f.read_bytes()
        fast = T._fast_read(data)
        loader_ = loader(data)
        try:
            slow = T._construct_pack(loader_, loader_.get_single_node())
        finally:
            loader_.dispose()
        assert {k: v for k, v in slow.items() if k != "tags"} == fast[0] and slow["tags"] == fast[3], f.name


def test_other_currency_addresses_are_reported_as_written(store):
    eth = store.problems[store.problems.kind == "other currency"]
    assert "0x9a1f1e3985bd94c128e065584f66c9f26593f958" in set(eth.address)


# ----------------------------------------------------------------------------------------------
# The whole current collection (../shared/data/real/graphsense-tagpacks, commit 29ff93c): 86 packs
# in today's schema and the ActorPack. The facts below were read from the YAML files themselves.
# ----------------------------------------------------------------------------------------------
BINANCE_RESERVE = "34xp4vRoCGJym3xR7yCVPFHoCNxv4Twseo"
BITCOINBON = "3QyUSB4eRYePHcvpS6k6YDMBUDGXRSSMPc"
BINANCE_JURISDICTIONS = "MT, CA, US, FR, LT, PL, AE, BH, CY, AU, NZ, IT, KY, ES, KZ, ZA"


@pytest.fixture(scope="module")
def current_dir(real_data):
    return real_data / "graphsense-tagpacks"


@pytest.fixture(scope="module")
def current(current_dir):
    # the folder holds packs/ (86 TagPacks, all currencies) and actors/ (the ActorPack): both are found
    with pytest.warns(
        T.TagWarning,
        match=r"10 tag\(s\) left out \(10 invalid address\).*2 problem\(s\) noted on "
        r"tags kept \(2 conflict\)",
    ):
        return T.load_tags(current_dir)


@pytest.mark.slow  # the whole 30 MB collection: 10-40 s on 2 shared cores
def test_current_collection_loads_whole(current, current_dir):
    files = sorted(current_dir.glob("packs/**/*.yaml"))
    assert len(files) == 86 and len(current.packs) == 86
    # every address entry of every pack (counted here with a plain regex) is a Bitcoin tag or left out
    entries = sum(len(re.findall(r"^ *(?:- +)?address:", f.read_text(), re.M)) for f in files)
    assert entries == 524_170
    kinds = current.problems.kind.value_counts().to_dict()
    assert kinds == {"other currency": 24_843, "invalid address": 10, "conflict": 2}
    assert len(current) == 499_317 == entries - kinds["other currency"] - kinds["invalid address"]
    assert (current.to_frame().currency == "BTC").all()
    assert len(current.actors) == 3_813 and current.actors.index.is_unique
    assert set(current.packs.pack.map(name)) >= {"miners.yaml", "samourai.yaml", "exchange-wallets-bitmex_6.yaml"}


@pytest.mark.slow  # the whole 30 MB collection: 10-40 s on 2 shared cores
def test_current_exchange_address_and_its_actor(current):
    # exchange-wallets-binance.yaml line 10 (header: category exchange, actor binance, service_data);
    # chaininfo.yaml line 23 and richest_addresses.yaml line 39 tag it too; the ActorPack gives Binance
    # 16 jurisdictions
    tags = current.for_address(BINANCE_RESERVE)
    got = sorted((name(t.pack), t.line, t.label, t.category, t.actor, t.confidence_name) for t in tags)
    assert got == [
        ("chaininfo.yaml", 23, "Binance.com", "exchange", "binance", "service_data"),
        ("exchange-wallets-binance.yaml", 10, "binance reserve wallets BTC", "exchange", "binance", "service_data"),
        ("richest_addresses.yaml", 39, "Binance.com", "exchange", "binance", "service_data"),
    ]
    assert all(t.jurisdiction == BINANCE_JURISDICTIONS for t in tags)  # from the actor: the tags give none
    assert all(t.category in T.STOP_CATEGORIES and t.is_custodial for t in tags)
    assert "production order" in tags[0].next_step
    b = current.actors.loc["binance"]
    assert (b.label, b.uri, b.jurisdictions) == ("Binance", "binance.com", BINANCE_JURISDICTIONS)
    assert b.categories == "organization, defi_dex, exchange, mining_service" and "binanceus" in b.aliases
    # interpol-real_services.yaml line 9: bitcoinbon.at, an Austrian exchange, INTERPOL's authority data
    (t,) = current.for_address(BITCOINBON)
    assert (name(t.pack), t.line, t.label, t.category, t.actor, t.jurisdiction, t.confidence_name) == (
        "interpol-real_services.yaml",
        9,
        "bitcoinbon.at",
        "exchange",
        "bitcoinbon",
        "AT",
        "authority_data",
    )


@pytest.mark.slow  # the whole 30 MB collection: 10-40 s on 2 shared cores
def test_current_hydra_and_drug_markets(current):
    h = [t for t in current.for_address(HYDRA) if name(t.pack) == "hydra.yaml"]
    assert [(t.category, t.actor, t.jurisdiction) for t in h] == [("market", "hydramarket", "RU")]
    assert current.actors.loc["hydramarket", "categories"] == "dark_web, market"
    # the ActorPack names a drug and weapons market (OMG!OMG!, RU); at this commit no tag names drugs
    omg = current.actors.loc["omgomgmarket"]
    assert (omg.label, omg.categories, omg.jurisdictions) == ("OMG!OMG! Market", "market, drugs, weapons", "RU")
    cats = set(current.actors.categories.dropna().str.split(", ").explode())
    assert {"drugs", "weapons", "dark_web", "social_engineering", "hacking"} <= cats <= set(T.CONCEPTS)
    df = current.to_frame()
    assert not (df.abuse == "drugs").any() and df.concepts.isna().all()


@pytest.mark.slow  # the whole 30 MB collection: 10-40 s on 2 shared cores
def test_current_schema_fields_seen(current, current_dir):
    df = current.to_frame()
    assert set(df.confidence_name) == {
        "service_data",
        "forensic",
        "web_crawl",
        "unknown",
        "authority_data",
        "untrusted_transaction",
    }
    # usdt_blacklist.yaml (the one pack with confidence ledger_immanent, category black_list) is all Ethereum
    usdt = current.problems[current.problems.pack.map(name) == "usdt_blacklist.yaml"]
    assert len(usdt) == 774 and (usdt.kind == "other currency").all()
    # etherscan-wordcloud-exchange.yaml (the one pack using 'concepts:') is all Ethereum too
    assert "concepts:" in (current_dir / "packs" / "etherscan-wordcloud-exchange.yaml").read_text()
    assert (
        (current.packs.set_index(current.packs.pack.map(name)).loc["etherscan-wordcloud-exchange.yaml", "n_tags"]) == 0
    )


@pytest.mark.slow  # the whole 30 MB collection: 10-40 s on 2 shared cores
def test_current_conflicts_are_kept_and_listed(current):
    # miners.yaml gives two addresses to two mining pools, with one source
    conf = current.problems[current.problems.kind == "conflict"]
    got = {(name(p), int(line), a) for p, line, a in zip(conf.pack, conf.line, conf.address)}
    assert got == {
        ("miners.yaml", 24402, "147SwRQdpCfj5p8PnfsXV2SsVVpVcz3aPq"),
        ("miners.yaml", 24434, "1FLH1SoLv4U68yUERhDiWzrJn5TggMqkaZ"),
    }
    assert "(btctop / canoe) (line 24398 and line 24402)" in " ".join(conf.problem)
    pools = {
        t.actor for t in current.for_address("147SwRQdpCfj5p8PnfsXV2SsVVpVcz3aPq") if name(t.pack) == "miners.yaml"
    }
    assert pools == {"btctop", "canoe"}
    with pytest.raises(
        T.TagError,
        match=r"miners.yaml, line 24402: 147SwRQdpCfj5p8PnfsXV2SsVVpVcz3aPq is tagged "
        r"twice by the same source with conflicting actor \(btctop / canoe\)",
    ):
        T.load_tags(current.packs.pack[current.packs.pack.map(name) == "miners.yaml"].iloc[0], strict=True)


def test_old_folder_counts_unchanged_by_the_new_schema(store):
    # measured with main (a5b03a6) before the current schema was added: the same numbers
    assert len(store) == 17_694 and store.to_frame().address.nunique() == 10_374
    assert store.to_frame().concepts.isna().all() and len(store.actors) == 0
