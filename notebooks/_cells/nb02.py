"""02 Common-input ownership: the Bitfinex 2022 consolidation, then the teaching chain."""

from _build import answer, code, md

CELLS = [
    md("""
    # 02 Common-input ownership: who owns which addresses?

    One person or business usually controls **many** addresses. To see a suspect's whole
    wallet, investigators group addresses into *clusters*. The oldest and strongest rule for
    that is **common-input ownership**: to spend coins, the owner must sign every input of a
    transaction. So the addresses spending together in one transaction are assumed to belong
    to one owner.

    You try it first on a real case: the coins stolen from the **Bitfinex** exchange in 2016,
    which the US Department of Justice seized in February 2022. Then you measure how well the
    rule works on the teaching chain, where the truth is known.
    """),
    code("""
    import cryptotrace as ct

    THEFT = "5c7134d4dd030402a9d1315e2f34f46a7e6ace6bbfb572974a83359e3b8fa700"          # 2016-08-02
    CONSOLIDATION = "c49ff6bd054fb386cd02fc94ca34b8773229ed8a5538e023ef7bea772d70c17a"  # 2022-02-01
    WALLET_1CGA4S = "1CGA4srJbPWhtJb7ezgY6GQf4PKhFuzD9w"  # "Wallet 1CGA4s" in the DOJ affidavit
    BITFINEX_INPUT = "3GJDwN4MrjqoQv6qfH2XH7PuZZWmqHM4Ee"  # an input of the theft: Bitfinex's own wallet
    """),
    md("""
    ## The records

    Two real transactions, recorded from a public block explorer (Blockstream Esplora) and
    checked: every signature in them verifies. Coins that come from outside these two
    transactions are marked *outside this data*.
    """),
    code("""
    bitfinex = ct.load_sample("bitfinex")
    print(bitfinex.describe())
    """),
    md("""
    ## 2016: the theft

    The theft transaction takes coins from Bitfinex's wallet and pays almost all of it,
    about 567 BTC, to one address: `1CGA4s...`.
    """),
    code("""
    theft = bitfinex.tx(THEFT)
    theft
    """),
    md("""
    ## 2022: the consolidation

    Almost six years later, the coins were gathered together again in **one** transaction
    with a very large number of inputs. Every one of those inputs had to be signed with its
    key: whoever made this transaction held the keys of all of them.

    How many inputs, and from how many different addresses? Many addresses were used more than
    once, so the two numbers differ.
    """),
    code("""
    consolidation = bitfinex.tx(CONSOLIDATION)
    inputs = consolidation.inputs
    print("inputs:", len(inputs))
    print("different addresses:", inputs.address.nunique())
    """),
    md("""
    The addresses that brought the most coins (value in BTC):
    """),
    code("""
    by_address = ct.inputs_by_address(bitfinex, CONSOLIDATION)
    ct.show(by_address, rows=10)
    """),
    md("""
    And the two outputs: one huge round amount, and one small odd amount. Which one looks like
    the change? (Notebook 03 comes back to this.)
    """),
    code("""
    ct.show(consolidation.outputs, columns=["vout", "address", "value"])
    """),
    md("""
    ## A picture: how many inputs each address brought
    """),
    code("""
    ct.charts.histogram(by_address, value="inputs", xlabel="inputs from one address", ylabel="addresses",
                        title="Consolidation c49ff6bd...: how many addresses brought 1, 2, 3 ... inputs")
    """),
    md("""
    ## Let the toolkit cluster it

    `ct.Clustering()` applies common-input ownership to every transaction at once. It keeps the
    *evidence* for each link, so it can say why two addresses ended up in one cluster.
    """),
    code("""
    clusters = ct.Clustering().fit(bitfinex)
    clusters
    """),
    code("""
    ct.show(clusters.clusters_)
    """),
    md("""
    Why are `1CGA4s...` and another input address, `1HUTgMXp...`, in the same cluster?
    `explain` gives the chain of evidence, in words you can put in a report:
    """),
    code("""
    print(clusters.explain(WALLET_1CGA4S, "1HUTgMXpG2JhrnNPbzQzWdB39RHqsswU2e"))
    """),
    md("""
    A picture of the evidence: the addresses of the 2016 theft transaction's cluster (Bitfinex's
    own wallet), joined by the transaction that spent them together.
    """),
    code("""
    ct.plot.cluster_picture(clusters, clusters.cluster_of(BITFINEX_INPUT))
    """),
    md("""
    **Caution.** Common-input ownership is a *presumption*, not proof. It fails for CoinJoins,
    where many people sign one transaction together (notebook 05), and for PayJoins, where the
    receiver adds an input. `cryptotrace` skips transactions that look like CoinJoins.

    ## Exercises
    """),
    code("""
    case = ct.load_case("exercises/bitfinex")
    case
    """),
    md("""
    ### Exercise 1
    How many different addresses does the 2022 consolidation join into one cluster?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = len(clusters.members(clusters.cluster_of(WALLET_1CGA4S)))
        answer
        """,
    ),
    code("""
    case.check("bitfinex.addresses", answer)
    """),
    md("""
    ### Exercise 2
    How many of the consolidation's inputs spend from the thief's address `1CGA4s...`?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = int((inputs.address == WALLET_1CGA4S).sum())
        answer
        """,
    ),
    code("""
    case.check("bitfinex.inputs_at_1cga4s", answer)
    """),
    md("""
    ### Exercise 3
    The 2016 theft transaction also has several inputs: they come from Bitfinex's own wallet.
    How many different addresses of that wallet does common-input ownership reveal there?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = theft.inputs.address.nunique()
        answer
        """,
    ),
    code("""
    case.check("bitfinex.theft_wallet_addresses", answer)
    """),
    md("""
    ## The same rule on the teaching chain

    On real data we cannot tell how often the rule is right. On the teaching chain we can: it
    comes with an **answer key**, the true owner of every address (instructors keep it; here we
    use it to grade the method, not to solve a case).
    """),
    code("""
    chain = ct.load_sample()
    key = ct.load_answer_key("sample")  # the ground truth of the teaching chain
    clusters = ct.Clustering().fit(chain)
    clusters
    """),
    md("""
    Most clusters are small: one or two addresses. A few are large: exchanges and busy users
    who spend many coins together.
    """),
    code("""
    ct.charts.histogram(clusters.clusters_, value="size", xlabel="addresses in the cluster", ylabel="clusters",
                        log=True, title="Teaching chain: cluster sizes with common-input ownership")
    """),
    md("""
    Now grade the clusters against the answer key:

    * **precision**: of the address pairs the rule put together, the share that truly have one owner;
    * **recall**: of the pairs that truly have one owner, the share the rule found.
    """),
    code("""
    grade = ct.evaluate(clusters, key)
    ct.show(grade, columns=["pairwise_precision", "pairwise_recall", "purity", "n_clusters", "n_entities"])
    """),
    md("""
    **What this means for your case file.** Precision is very high: when common-input ownership
    joins two addresses, it is almost always right (with CoinJoins skipped). Recall is low: it
    finds only a small part of each owner's addresses, because many addresses never spend
    together. A cluster is a *lower bound* of a wallet, not the whole wallet. Notebook 03 adds
    change detection to find more.
    """),
]
