"""Multi-input clustering of a chain store on Apache Spark (PySpark, local mode), over the same Parquet files.

The job is the one :meth:`ChainStore.cluster` runs with DuckDB, written as Spark DataFrame
operations so that it can run on a cluster:

1. the multi-input transactions: ``inputs`` grouped by ``tx_id``, 2 or more distinct addresses;
2. minus the CoinJoins: the tx_ids the project's detector
   (:data:`cryptotrace.heuristics.coinjoin.coinjoin`) flags, judged batch by batch exactly as the
   DuckDB engine does (:meth:`ChainStore.coinjoin_ids`, in the driver; a CoinJoin is judged from its
   own inputs and outputs only), handed to Spark as a table and removed with an anti-join;
3. one link per extra input address, to the transaction's smallest address id;
4. connected components by the *large-star / small-star* algorithm (Kiveris et al., "Connected
   Components in MapReduce and Beyond", SoCC 2014): alternate the two steps until every link points
   from a node to the smallest node of its component (O(log^2 n) rounds). No GraphFrames.

Needs ``pip install 'cryptotrace[spark]'`` and Java 17.
"""

from __future__ import annotations

import numpy as np

from ..errors import StoreError

__all__ = ["cluster_spark", "spark_session", "connected_components"]


def spark_session(*, cores: int = 2, memory: str = "2g"):
    """The running Spark session if there is one (a job started with ``spark-submit``: its master and
    memory settings are kept), else a local one (no web UI, few shuffle partitions)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the installation
        raise StoreError("engine='spark' needs PySpark: pip install 'cryptotrace[spark]' (and Java 17)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    return (
        SparkSession.builder.master(f"local[{int(cores)}]")
        .appName("cryptotrace-store")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(int(cores)))
        .config("spark.driver.memory", memory)
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _large_star(E):
    from pyspark.sql import functions as F

    both = E.union(E.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    m = both.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("m"))
    return (
        both.join(m, "src")
        .where(F.col("dst") > F.col("src"))
        .select(F.col("dst").alias("src"), F.col("m").alias("dst"))
        .distinct()
    )


def _small_star(E):
    from pyspark.sql import functions as F

    d = E.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst"))
    m = d.groupBy("src").agg(F.min("dst").alias("m"))
    nodes = d.select("src", F.col("dst").alias("v")).union(m.select("src", F.col("src").alias("v")))
    return (
        nodes.join(m, "src")
        .select(F.col("v").alias("src"), F.col("m").alias("dst"))
        .where(F.col("src") != F.col("dst"))
        .distinct()
    )


def connected_components(E, *, max_rounds: int = 64):
    """Link (src, dst) DataFrame -> (src, dst) where dst is the smallest node of src's component.

    Nodes that are the smallest of their component do not appear as ``src``.
    """
    from pyspark.sql import functions as F

    E = E.where(F.col("src") != F.col("dst")).select("src", "dst").distinct().localCheckpoint()
    for _ in range(max_rounds):
        E = _small_star(_large_star(E)).localCheckpoint()
        # done when the links form stars: one link out of each node, and none out of a node a link ends at
        ends = E.select("src", F.lit(1).alias("o"), F.lit(0).alias("i")).union(
            E.select(F.col("dst").alias("src"), F.lit(0).alias("o"), F.lit(1).alias("i"))
        )
        bad = (
            ends.groupBy("src")
            .agg(F.sum("o").alias("o"), F.sum("i").alias("i"))
            .where((F.col("o") > 1) | ((F.col("o") > 0) & (F.col("i") > 0)))
            .limit(1)
            .count()
        )
        if not bad:
            return E
    raise StoreError(
        f"Spark connected components did not settle in {max_rounds} rounds; use engine='duckdb'"
    )  # pragma: no cover - O(log^2 n) rounds in theory


def cluster_spark(store, *, skip_coinjoin: bool = True, progress=None, spark=None) -> tuple[np.ndarray, int]:
    """Component label (smallest address id of the component) of every address id, and CoinJoins skipped."""
    import pandas as pd
    from pyspark.sql import functions as F

    spark = spark or spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    n = int(store.manifest["next_address_id"])
    raw = spark.read.parquet(*store._files("inputs"))
    if any(b.get("n_unresolved", 1) for b in store.manifest["batches"]):
        # inputs imported before the coin they spend: its address, from the outputs
        outs = spark.read.parquet(*store._files("outputs")).select(
            F.col("tx_id").alias("prev_tx_id"), F.col("vout").alias("prev_vout"), F.col("address_id").alias("pa")
        )
        raw = raw.join(outs, ["prev_tx_id", "prev_vout"], "left").withColumn(
            "address_id", F.coalesce("address_id", "pa")
        )
    inputs = raw.select("tx_id", "address_id").where(F.col("address_id").isNotNull()).distinct()
    multi = inputs.groupBy("tx_id").agg(F.count("address_id").alias("k")).where(F.col("k") >= 2).select("tx_id")
    cj = store.coinjoin_ids(progress=progress) if skip_coinjoin else np.zeros(0, np.int64)
    if len(cj):
        cj_df = spark.createDataFrame(pd.DataFrame({"tx_id": cj.astype(np.int64)}))
        multi = multi.join(cj_df, "tx_id", "left_anti")
    kept = inputs.join(multi, "tx_id", "left_semi")
    anchor = kept.groupBy("tx_id").agg(F.min("address_id").alias("a"))
    links = (
        kept.join(anchor, "tx_id")
        .where(F.col("address_id") != F.col("a"))
        .select(F.col("a").alias("src"), F.col("address_id").alias("dst"))
    )
    comp = connected_components(links).toPandas()
    lab = np.arange(n, dtype=np.int64)
    lab[comp.src.to_numpy(np.int64)] = comp.dst.to_numpy(np.int64)
    return lab, int(len(cj))
