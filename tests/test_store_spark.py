"""engine="spark": the same multi-input clustering on PySpark (local mode) gives the same partition as DuckDB.

Slow (a JVM starts, and each large-star/small-star round is a few Spark jobs: about 2 minutes for both tests on
two busy cores); PySpark comes with the test extra (``pip install -e '.[test]'``; for users ``'cryptotrace[spark]'``).
"""

from __future__ import annotations

import pytest

import cryptotrace as ct

import pyspark  # noqa: F401,E402  (the test extra installs it; a missing PySpark is a failure, not a skip)

pytestmark = pytest.mark.slow


def test_spark_clustering_equals_duckdb_on_the_sample(tmp_path):
    chain = ct.load_sample()
    store = ct.ChainStore(tmp_path / "s")
    store.import_chain(chain, batch_txs=12_000, progress=False)
    assert store.n_batches == 3
    duck = store.cluster(engine="duckdb", progress=False).to_frame()
    res = store.cluster(engine="spark", progress=False)
    assert res.params_["engine"] == "spark" and res.n_clusters_ == ct.Clustering().fit(chain).n_clusters_
    spark = res.to_frame()
    m = duck.merge(spark, on="address", validate="one_to_one")
    assert len(m) == chain.index.n_addresses
    # the same partition; and since both number clusters by size then lowest address id, the same ids
    assert (m.cluster_id_x == m.cluster_id_y).all()


def test_spark_connected_components_on_a_path_and_a_star():
    from cryptotrace.store.spark import connected_components, spark_session

    spark = spark_session()
    # a long path 10-9-...-0 (many rounds for naive label propagation), a star around 100, and 200-201
    edges = [(i + 1, i) for i in range(10)] + [(100, 100 + k) for k in range(1, 6)] + [(201, 200)]
    df = spark.createDataFrame(edges, ["src", "dst"])
    got = dict(connected_components(df).toPandas().itertuples(index=False, name=None))
    want = {**{i: 0 for i in range(1, 11)}, **{100 + k: 100 for k in range(1, 6)}, 201: 200}
    assert got == want
