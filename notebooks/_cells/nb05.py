"""05 Mixers and CoinJoins: detect them, and see what they break."""

from _build import answer, code, md

CELLS = [
    md("""
    # 05 Mixers and CoinJoins

    People who want to hide where their coins came from use **mixers**:

    * a *custodial mixer* is a service: you send coins in, it sends other coins out. Only its
      records link the two (a production order, a seized server).
    * a **CoinJoin** is one transaction that many people sign together. Each brings a coin and
      gets back an output of the **same size** as everyone else's, so nobody can tell which
      output belongs to whom. Wallets such as Samourai (*Whirlpool*) and Wasabi do this.

    In this notebook you recognise CoinJoins by their shape, and you measure what they break:
    common-input ownership (notebook 02) and following the money (notebook 04).
    """),
    code("""
    import cryptotrace as ct

    H = ct.heuristics
    PREMIX = "333f45431e47b9543772013ac83a9b33cc58dc3245ccfd48b972107bb8405c13"  # the tx0
    MIX = "323df21f0b0756f98336437aa3d2fb87e02b59f1946b714a7b09df04d429dec2"     # the CoinJoin
    """),
    md("""
    ## A real Whirlpool CoinJoin

    Two real transactions from May 2019: a *premix* ("tx0") that splits one coin into pieces of
    the pool size, and a CoinJoin in which one of those pieces is mixed with four others.
    """),
    code("""
    whirlpool = ct.load_sample("whirlpool")
    ct.show(whirlpool.txs, columns=["txid", "block_height", "time", "n_in", "n_out"])
    """),
    md("""
    The premix: one input, many outputs of the same value (plus a fee for the coordinator and
    the change).
    """),
    code("""
    premix = whirlpool.tx(PREMIX)
    print(premix)
    """),
    md("""
    The CoinJoin itself: **5 inputs, 5 equal outputs**. This is the Whirlpool fingerprint.
    """),
    code("""
    mix = whirlpool.tx(MIX)
    mix
    """),
    md("""
    `cryptotrace` has a detector for each CoinJoin family. Each one says whether a transaction
    has its shape:
    """),
    code("""
    ct.show(ct.coinjoin_detectors(whirlpool))
    """),
    md("""
    Common-input ownership would join the 5 inputs of the CoinJoin, which belong to 5 different
    people. `explain` shows the detector firing and the warning that goes with it:
    """),
    code("""
    print(H.explain(whirlpool, MIX))
    """),
    md("""
    ## CoinJoins in the teaching chain

    How many transactions does each detector flag in the teaching chain?
    """),
    code("""
    chain = ct.load_sample()
    key = ct.load_answer_key("sample")
    ct.show(ct.coinjoin_detectors(chain, totals=True))
    """),
    md("""
    ## What CoinJoins break: clusters

    Cluster the teaching chain twice: once skipping CoinJoins (the default), once treating
    them like any other transaction. Then grade both against the answer key.
    """),
    code("""
    compare = ct.compare_clusterings(chain, key, skip_coinjoin=[True, False])
    ct.show(compare)
    """),
    code("""
    ct.charts.bars(compare, value=["pairwise_precision", "largest_cluster"],
                   title="Clustering with CoinJoins skipped and used")
    """),
    md("""
    Treating CoinJoins as one owner glues strangers together: precision drops, and the largest
    "wallet" swells. This is why the toolkit skips them, and why you should say so in a report.

    ## What CoinJoins break: the trail

    Back to the ransom of notebook 04. Much of it went through a CoinJoin, and from there
    into more CoinJoins. After a CoinJoin the trace can only say that the ransom is
    *somewhere* among its outputs: the seizure candidates behind it are marked **mixed**.
    """),
    code("""
    case = ct.load_case("ransomware")
    ransom_addresses = case.evidence.addresses("ransomware_ransom_notes.md")
    tags = ct.load_tags(case.tags_path)
    trail = ct.trace(case.chain, ransom_addresses, policy="fifo", tags=tags, max_hops=20)
    candidates = ct.seizure_candidates(trail)
    ct.show(candidates.totals(), title="ransom money per classification")
    """),
    md("""
    The transactions the trace followed, with the ones the CoinJoin detectors flag:
    """),
    code("""
    followed = ct.trace_transactions(trail)
    ct.show(followed, columns=["hop", "txid", "coinjoin"], rows=8)
    """),
    md("""
    Only the CoinJoins:
    """),
    code("""
    ct.show(ct.trace_transactions(trail, coinjoin=True), columns=["hop", "txid", "tainted_in"])
    """),
    md("""
    **What you can still do.** A CoinJoin does not erase the money: the suspect still holds the
    equal outputs. Look for the suspect's later mistakes (spending several mixed outputs
    together, paying to a known address), and ask the exchanges where mixed coins arrive.

    ## Exercises
    """),
    code("""
    questions = ct.load_case("exercises/coinjoin")
    questions
    """),
    md("""
    ### Exercise 1
    How many outputs of the real premix (tx0) are pool-sized coins, ready to be mixed?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = int(premix.outputs.value.value_counts().max())  # the most common value: the pool size
        answer
        """,
    ),
    code("""
    questions.check("coinjoin.premix_coins", answer)
    """),
    md("""
    ### Exercise 2
    Give the txid of the **first** CoinJoin the ransom went through (a question of the
    ransomware case).
    """),
    answer(
        """
        answer = None  # <- your answer here (the txid, in quotes)
        """,
        """
        answer = ct.first_coinjoin(trail).txid
        answer
        """,
    ),
    code("""
    case.check("ransomware.coinjoin_txid", answer)
    """),
    md("""
    ### Exercise 3: click through the CoinJoin

    Where the trace gives up, an investigator *explores*: opens the CoinJoin and follows its
    outputs by hand, looking for the owner's mistakes. `ct.explore` draws the first CoinJoin
    as an interactive graph: on the left the addresses that paid in, on the right the
    addresses paid out (orange: made by the CoinJoin), time from left to right.

    * **Hover** over a shape: its address, the amount in BTC and its tag, if it has one.
    * **Click** a shape: the graph grows one step, *where those coins went next* (hold
      **Shift** while clicking for *where they came from*). The panel beside the graph shows
      the address you clicked; you can copy it from there.
    * **Double click** a shape to close that step again.
    """),
    code("""
    first_mix = ct.first_coinjoin(trail)
    explorer = ct.explore(first_mix.txid, chain=case.chain, tags=tags, view="addresses")
    explorer
    """),
    md("""
    Click the outputs on the right, one by one. Most are still unspent (nothing opens), or go
    into another CoinJoin (a crowd of new shapes: double click to close it again). But **five**
    outputs are spent *together*, in one later transaction: clicking any of them opens the
    same single address, with five lines running into it. Whoever made that transaction
    signed all five: the mixing is undone (common-input ownership, notebook 02).

    Click that address too: one step further, the money lands in an **exchange's hot wallet**
    (hover over it to read the tag). An exchange gives each customer a **deposit address** and
    later sweeps the deposits into its hot wallet. So the address just before the hot wallet
    is the customer's deposit address, two hops after the CoinJoin: the address to name in a
    production order to the exchange.

    Which deposit address received the money of the five outputs? Copy it from the panel.
    """),
    answer(
        """
        answer = None  # <- your answer here (the deposit address, in quotes)
        """,
        """
        # The clicks, done from Python: one of the five outputs spent together, then the address it paid.
        explorer.expand("bc1qpfpvpxvpj94yufp98enuh7l8jrw96u9s652xtp")
        explorer.expand("bc1q6d7mjaz2nt6ntqnwnx2yk56qnvpjwnk3u6qgn3")  # next: the Kryptohaus hot wallet
        answer = "bc1q6d7mjaz2nt6ntqnwnx2yk56qnvpjwnk3u6qgn3"
        answer
        """,
    ),
    code("""
    questions.check("coinjoin.deposit_after_coinjoin", answer)
    """),
    md("""
    The picture you clicked together can go into the case file as a page a colleague opens
    in any browser, without Python (pan, zoom, hover and click work there too):
    """),
    code("""
    saved = explorer.save_html("ransom_after_the_coinjoin.html")
    print("Saved:", saved)
    """),
]
