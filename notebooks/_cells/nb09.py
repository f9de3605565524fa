"""09 For instructors: build a case from a chain store (larger than memory)."""

from _build import answer, code, md

CELLS = [
    md("""
    # 09 For instructors: build a case from a chain store

    The course notebooks load small chains into memory. To build a case from a **real range of
    the ledger** (months of blocks, or the whole chain), import the blocks once into a
    **chain store**: a folder of Parquet files, queried with DuckDB (embedded, no server). From the
    store you take the small, ordinary `Chain` one question needs, and everything else in
    cryptotrace (clustering, tracing, pictures, reports, case packs) works on it as usual.

    This notebook, for an instructor preparing material:

    1. builds a store from **real blocks** (mainnet 0-255) and from the **teaching ledger**
       (34,006 transactions, standing in for a range of real blocks);
    2. looks up a transaction and an address's history and balance, over the whole store;
    3. extracts a suspect's **neighbourhood** as a `Chain`;
    4. **clusters** the whole store (common-input ownership) and looks a suspect up;
    5. **traces** a ransom over the store;
    6. writes the result as a **case dataset** for trainees.

    Everything is written into a scratch folder. The same steps exist on the command line
    (`cryptotrace store import|info|extract|cluster|trace`, shown at the end); the README section
    "Larger than memory" gives the measured sizes and speeds (tens of millions of transactions
    on a laptop-sized machine) and how to run the clustering on a Spark cluster.
    """),
    code("""
    %matplotlib inline
    import re
    import tempfile
    from pathlib import Path

    import cryptotrace as ct
    from cryptotrace.io.sample import sample_data_dir

    scratch = Path(tempfile.mkdtemp(prefix="cryptotrace-store-"))
    scratch
    """),
    md("""
    ## 1. A store from real blocks

    With a Bitcoin Core node, its block files go straight in, one file at a time (memory holds
    one file, not all of them):

    ```
    cryptotrace store import --format blk ~/.bitcoin/blocks/blk00000.dat ~/.bitcoin/blocks/blk00001.dat my-store
    ```

    In Python that is `store.import_blk_files([...])`. Here, the first 256 blocks of the real
    chain, bundled as a dataset (made from such a block file), go in with `import_dataset`:
    """),
    code("""
    real = ct.ChainStore(scratch / "real-store")
    real.import_dataset(sample_data_dir() / "datasets" / "hal_finney", progress=False)
    real
    """),
    md("""
    Block 170 holds the first payment from one person to another: Satoshi Nakamoto sends
    10 BTC to Hal Finney. `store.tx` shows it with the value and address of the coin it spends,
    which the store found in block 9 (an earlier batch of the import):
    """),
    code("""
    real.tx("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")
    """),
    md("""
    ## 2. A store of a larger ledger

    The teaching ledger (34,006 transactions over four weeks, with three cases hidden in it)
    stands in for a range of real blocks. It is imported in batches of about 10,000
    transactions; each batch is written whole or not at all, so an interrupted import can
    simply be run again.
    """),
    code("""
    case = ct.load_case("sample")   # the ledger's case pack: evidence, tags and questions
    store = ct.ChainStore(scratch / "store")
    store.import_dataset(sample_data_dir() / "datasets" / "sample", batch_txs=10_000, progress=False)
    print(store.describe())
    """),
    md("""
    The ransom notes in the evidence name the addresses the victims paid. An address's
    history and balance come from the whole store:
    """),
    code("""
    ransom_addresses = re.findall(r"`(bc1[0-9a-z]+)`", case.evidence["ransomware_ransom_notes.md"])
    first = store.address(ransom_addresses[0])
    print(first)
    """),
    code("""
    first.transactions
    """),
    md("""
    ## 3. A neighbourhood as an ordinary Chain

    `store.extract` takes the transactions of the seeds (addresses or txids) and steps out
    `hops` times: `forward` to the transactions that spend their outputs (where the money went),
    `backward` to those that made the coins they spend (where it came from), or `both`. The
    result is a checked `Chain`; inputs spending coins outside it keep their address and value
    from the store.
    """),
    code("""
    around = store.extract(ransom_addresses, hops=2, direction="both")
    around
    """),
    md("""
    ## 4. Clustering the whole store

    Common-input ownership over every transaction in the store (CoinJoins skipped by the
    project's detector). The labels are written into the store; memory grows with the number of
    addresses, not transactions. `engine="spark"` runs the same job on Apache Spark.
    """),
    code("""
    clusters = store.cluster(engine="duckdb", progress=False)
    clusters
    """),
    code("""
    clusters.sizes().head()
    """),
    code("""
    suspect_cluster = store.cluster_of(ransom_addresses[0])
    suspect_cluster, len(clusters.members(suspect_cluster))
    """),
    md("""
    ## 5. Tracing over the store

    `store.trace` extracts what the trace can reach and traces it: the same result as tracing
    the whole chain in memory. With the case's tags and the store's clustering it stops where
    the money reaches a known service (an exchange).
    """),
    code("""
    tags = ct.load_tags(case.tags_path)
    t = store.trace(ransom_addresses, policy="haircut", max_hops=20, tags=tags, clustering="store")
    print(t.describe())
    """),
    code("""
    t.plot()
    """),
    md("""
    ### Exercise
    How much BTC did the victims pay in ransom, in total? Answer it from the store (the trace
    above starts from exactly those payments), then check it.
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(store.trace(ransom_addresses, max_hops=0).start_value)
        answer
        """,
    ),
    code("""
    case.check("ransomware.ransom_total", answer) if answer is not None else "Type your answer in the cell above first."
    """),
    md("""
    ## 6. A case dataset for trainees

    Take the transactions the trace followed and every transaction of the ransom addresses
    (the victims' payments), and save them as a dataset: a folder trainees load with
    `ct.load_dataset` (or build a case pack around, notebook 08). The dataset's SHA-256
    identifies exactly this evidence.
    """),
    code("""
    followed = t.transactions.txid.tolist()
    case_chain = store.extract(followed + ransom_addresses, hops=0)
    folder = case_chain.save(scratch / "lockpick-case")
    trainee_chain = ct.load_dataset(folder)
    print(trainee_chain.describe())
    trainee_chain.content_hash
    """),
    md("""
    The same on the command line, for a store on a server:

    ```
    cryptotrace store info my-store
    cryptotrace store extract my-store --from ADDRESS --hops 2 -o lockpick-case
    cryptotrace store cluster my-store --engine duckdb -o clusters.csv
    cryptotrace store trace my-store --from ADDRESS --max-hops 20 --tagpack tags.yaml --clusters
    ```

    A store is only a folder: copy it, or keep it on a shared disk; many readers can query it
    at once, and one import at a time can add new blocks to it.
    """),
]
