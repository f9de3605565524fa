"""06 Capstone: the darknet NPS vendor case (Operation Greenleaf)."""

from _build import answer, code, md


def _check(qid: str) -> str:
    return f'case.check("nps_vendor.{qid}", answer)'


CELLS = [
    md("""
    # 06 Capstone: Operation Greenleaf

    A whole case, from the briefing to the seizure decision. You use everything from
    notebooks 01 to 05: read transactions, cluster, put names on clusters with tags, follow
    the money, ask the exchanges, and decide what can be frozen or seized.

    A question at each step, each with a check cell. Take your time: this is the exam.
    """),
    code("""
    import cryptotrace as ct

    case = ct.load_case("nps_vendor")
    case
    """),
    md("""
    ## 1. The briefing
    """),
    code("""
    case.briefing
    """),
    md("""
    ## 2. The evidence

    Two documents: the vendor's page on the darknet market, captured by an undercover officer,
    and a note found on the suspect's phone.
    """),
    code("""
    case.evidence
    """),
    md("""
    The market listing gives the vendor's **refund address**, where the market paid the sales:
    """),
    code("""
    REFUND = case.evidence.address("nps_vendor_market_listing.md")
    chain = case.chain
    chain.address(REFUND)
    """),
    md("""
    ### Question 1
    How much BTC did Nightshade Market pay to the vendor's refund address in total?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(chain.address(REFUND).stats.received)
        answer
        """,
    ),
    code(_check("paid_to_refund_address")),
    md("""
    ## 3. Who is who: clusters and tags

    Cluster the chain (common-input ownership) and load the case's public attribution: known
    exchange hot wallets, the market, a mixer. `ct.cluster_tags` puts the names on clusters.
    """),
    code("""
    clusters = ct.Clustering().fit(chain)
    tags = ct.load_tags(case.tags_path)
    named = ct.cluster_tags(clusters, tags)
    ct.show(named, columns=["label", "category", "jurisdiction", "n_addresses", "next_step"])
    """),
    md("""
    Looking for one name? `tags.search` finds it in the labels, the services and their countries:
    """),
    code("""
    ct.show(tags.search("Seabright"))
    """),
    md("""
    ## 4. Follow the money

    Trace everything paid to the refund address forward, with FIFO (notebook 04). The trace
    stops at tagged services.
    """),
    code("""
    trail = ct.trace(chain, REFUND, policy="fifo", tags=tags, clustering=clusters, max_hops=30)
    print(trail.describe())
    """),
    code("""
    followed = ct.trace_transactions(trail)
    ct.show(followed, columns=["hop", "txid", "tainted_in", "coinjoin"])
    """),
    code("""
    ct.plot.trace_flow(trail, tags=tags, max_nodes=60)
    """),
    md("""
    That picture goes into the report. To look around, open the trail as an interactive graph
    with one shape per **owner** (a cluster of addresses, notebook 02): the vendor's wallet,
    the exchanges, the CoinJoin. Hover for amounts and tags, click to open the next step
    (Shift + click: the step before), double click to close it, and write notes in the panel
    (notebooks 04 and 05 show how).
    """),
    code("""
    explorer = ct.explore(trail, tags=tags, clustering=clusters, view="entities")
    explorer
    """),
    md("""
    ## 5. The peel chain

    A **peel chain** pays a little at each step (here: to exchange deposit addresses) and sends
    the rest on to a fresh address. `ct.peel_chain` finds the peel chain the trail runs through
    (with `ct.heuristics.peel_chains`, which finds them all).
    """),
    code("""
    peel = ct.peel_chain(trail)
    ct.show(peel, columns=["hop", "txid", "tainted_in", "peeled", "remaining", "payment_address"])
    """),
    md("""
    Here `hop` counts the steps of the peel chain itself, from 0 (its first transaction); the
    table of the whole trail above shows the same transactions with their hop counted from the
    refund address.

    A picture of the peel chain: the amount the trail carried into each hop.
    """),
    code("""
    ct.charts.line(peel, value="tainted_in", label="hop", title="Operation Greenleaf: the peel chain")
    """),
    md("""
    The same question asked directly: which exchanges does the money reach, and how many hops
    from the refund address? `ct.find_services` walks forward and stops at each tagged service
    (with the clusters, a deposit address swept into a tagged hot wallet counts as that exchange):
    """),
    code("""
    nearest = ct.find_services(chain, REFUND, tags=tags, clustering=clusters, within=10, categories=["exchange"])
    ct.show(nearest, columns=["hops", "service", "jurisdiction", "value", "address"])
    """),
    md("""
    ### Question 2
    How many hops (transactions) does the peel chain have?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = len(peel)
        answer
        """,
    ),
    code(_check("peel_hops")),
    md("""
    ### Question 3
    List the exchange deposit addresses the peel chain paid (any order). The last hop may need
    a look at its outputs with `chain.tx(...)`: the peel heuristic could not tell its payment
    from its change.
    """),
    answer(
        """
        answer = None  # <- your answer here: a list like ["bc1q...", "bc1q..."]
        """,
        """
        legal = ct.load_tags(case.path / "legal_responses")  # the exchanges' answers (section 8)
        deposits = ct.find_services(chain, REFUND, tags=legal, within=10)  # the deposit addresses reached
        answer = deposits.address.tolist()
        answer
        """,
    ),
    code(_check("peel_deposit_addresses")),
    md("""
    ## 6. The CoinJoin

    Part of the money went through a CoinJoin (the transaction flagged in the trail). In
    Whirlpool, coins first pass through an entry transaction, the *tx0*, that cuts them into
    pool-sized pieces.
    """),
    code("""
    mix = ct.first_coinjoin(trail)
    mix
    """),
    md("""
    Where did the coins entering the CoinJoin come from? `ct.where_from` lists the earlier
    transaction behind each input; `followed` says whether our trail went through it (that one
    is the suspect's tx0):
    """),
    code("""
    ct.show(ct.where_from(chain, mix.txid, trace=trail), columns=["vin", "value", "from_txid", "followed"])
    """),
    md("""
    ### Question 4
    How much BTC did the suspect put into the CoinJoin's entry transaction (tx0)? Give the total
    of its inputs.
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        tx0 = ct.coinjoin_entry(trail)  # the followed transaction that fed the CoinJoin
        answer = ct.format_btc(tx0.input_value)
        answer
        """,
    ),
    code(_check("coinjoin_entry_amount")),
    md("""
    ### Question 5
    Which Whirlpool pool size (in BTC) did the suspect use?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(mix.outputs.value.value_counts().idxmax())
        answer
        """,
    ),
    code(_check("coinjoin_pool")),
    md("""
    ## 7. The seized phone: cold storage

    The note on the phone holds a **zpub**, an account public key. It cannot spend, but it
    shows every address of the wallet. `ct.wallet_addresses` works out the first ones and looks
    them up in the chain.
    """),
    code("""
    zpub = case.evidence.xpub("nps_vendor_seized_phone.md")
    found = ct.wallet_addresses(chain, zpub, count=10)
    ct.show(found, columns=["received", "balance", "first_seen"])
    """),
    md("""
    ### Question 6
    How much BTC lies in the cold-storage wallet (what can be seized with its key)?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(found.balance.sum())
        answer
        """,
    ),
    code(_check("cold_storage_balance")),
    md("""
    ## 8. The legal request to the exchanges

    You sent production orders to the exchanges for the deposit addresses. Their answers are in
    `legal_responses/`: one table per exchange, with the account holder of each address.
    """),
    code("""
    legal = ct.load_tags(case.path / "legal_responses")
    answers = legal.to_frame()
    ct.show(answers, columns=["address", "label", "jurisdiction", "account_holder", "source"], rows=5)
    """),
    md("""
    ### Question 7
    Which exchanges received the suspect's money? Name them (a list).
    """),
    answer(
        """
        answer = None  # <- your answer here: a list like ["Exchange A", "Exchange B"]
        """,
        """
        answer = sorted(deposits.service.str.replace(" deposit address", "").unique())
        answer
        """,
    ),
    code(_check("exchanges_reached")),
    md("""
    ### Question 8
    How much BTC did the suspect deposit at exchanges in total (what the exchanges can be asked
    to freeze)?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(deposits.value.sum())
        answer
        """,
    ),
    code(_check("deposited_total")),
    md("""
    ### Question 9
    According to the exchanges' answers, who holds the accounts the money was paid into?
    """),
    answer(
        """
        answer = None  # <- your answer here (a name, in quotes)
        """,
        """
        answer = ", ".join(deposits.account_holder.unique())  # one name: every deposit is his
        answer
        """,
    ),
    code(_check("account_holder")),
    md("""
    ## 9. The seizure decision

    Rank where the money can be acted upon. Give `seizure_candidates` the zpub from the phone:
    the addresses it derives count as the suspect's, so their coins become **suspect_unspent**
    (seizable with the key from the hardware wallet).
    """),
    code("""
    candidates = ct.seizure_candidates(trail, xpubs=zpub)
    ct.show(candidates, columns=["rank", "classification", "action", "tainted_value", "address"])
    """),
    code("""
    ct.plot.money_summary(trail, candidates, title="Operation Greenleaf: where the market's payments are now")
    """),
    md("""
    ## Your findings, in three sentences

    1. The market paid the vendor's refund address; the coins went on through a peel chain to
       deposit addresses at exchanges, whose records name the account holder.
    2. Part went through a Whirlpool CoinJoin: after it, the trail is uncertain (*mixed*).
    3. The rest sits in the cold-storage wallet whose public key was on the seized phone: seize
       it with the key from the hardware wallet, and ask the exchanges to freeze the deposits.

    State the policy (FIFO), the heuristics (common-input ownership, CoinJoins skipped, the
    peel-chain rule) and the dataset's hash (`chain.content_hash`) in your report.
    """),
    code("""
    print(chain.content_hash)
    """),
    md("""
    ## 10. The report for the prosecutor

    `ct.report` writes everything into one HTML file you can open in any browser and attach to
    the case file: the summary, the parameters, the dataset's hash, the flows, every seizure
    candidate with its evidence path, the pictures, and the method and caveats of each
    heuristic and policy used.
    """),
    code("""
    report_file = ct.report(trail, "greenleaf_report.html", clustering=clusters,
                            candidates=candidates,
                            title="Operation Greenleaf: the vendor GreenChem",
                            notes="Cold-storage addresses derived from the zpub on the seized phone.")
    print("The report is in", report_file)
    """),
    md("""
    Hand the interactive graph to a colleague too: `save_html` writes it, with your notes, into
    one file that opens in any browser, offline, without Python.
    """),
    code("""
    graph_file = explorer.save_html("greenleaf_graph.html")
    print("The graph is in", graph_file)
    """),
    md("""
    ## 11. The whole case in one call

    Everything you did step by step, `ct.investigate` does in one call: it clusters, loads the
    tags, traces, ranks the seizure candidates and writes the findings in words. It is what
    `cryptotrace demo` runs. Use it to check your work: it should tell the same story.
    """),
    code("""
    whole = ct.investigate(case, start=REFUND, policy="fifo", max_hops=30, tags=tags)
    print(whole.describe())
    """),
]
