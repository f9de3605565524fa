"""03 Change detection, and how often each heuristic is wrong, measured on ground truth."""

from _build import answer, code, md

CELLS = [
    md("""
    # 03 Which output is the change?

    Most payments have two outputs: the **payment** and the **change** that goes back to the
    payer (notebook 01). If you can tell which is which, you know where the money really went,
    and the change address joins the payer's cluster.

    The blockchain does not say which output is the change. Investigators use *heuristics*:
    rules of thumb that are often, but not always, right. In this notebook you see them at work
    and **measure how often each one is wrong**, so you know how much weight each deserves in a
    report.
    """),
    code("""
    import cryptotrace as ct

    H = ct.heuristics
    """),
    md("""
    ## The change heuristics

    Every heuristic has a name, the reason it works, and where it comes from:
    """),
    code("""
    ct.show(H.describe_all(kind="change"), columns=["name", "rationale"])
    """),
    md("""
    ## On a real transaction: they can disagree

    Back to the Bitfinex consolidation of notebook 02. `explain` runs every heuristic on one
    transaction and says, in words, what each concludes:
    """),
    code("""
    bitfinex = ct.load_sample("bitfinex")
    CONSOLIDATION = "c49ff6bd054fb386cd02fc94ca34b8773229ed8a5538e023ef7bea772d70c17a"
    print(H.explain(bitfinex, CONSOLIDATION))
    """),
    md("""
    Several rules point at output 0 (the odd amount, paid back to one of the input addresses),
    one points at output 1 (the fresh address). When rules disagree, say so in your report and
    rely on the strongest evidence: here an address that both spends and receives in the same
    transaction.

    ## Measuring the heuristics on the teaching chain

    On the teaching chain the answer key knows the true change output of every transaction.
    `ct.evaluate` compares each heuristic's calls with the truth:

    * **calls**: on how many transactions the heuristic named an output;
    * **precision**: the share of those calls that were right;
    * **coverage**: the share of all true change outputs it found.
    """),
    code("""
    chain = ct.load_sample()
    key = ct.load_answer_key("sample")  # the ground truth of the teaching chain
    grade = ct.evaluate(ct.Clustering().fit(chain), key)
    table = grade.change
    ct.show(table, columns=["calls", "correct", "precision", "coverage"])
    """),
    md("""
    ## A picture: how often is each heuristic right?

    The shorter the bar, the more often the heuristic is wrong.
    """),
    code("""
    ct.charts.bars(table, value="precision", horizontal=True, sort=True,
                   title="Change heuristics on the teaching chain: share of right calls")
    """),
    md("""
    ## Exercise 1

    The questions of this notebook:
    """),
    code("""
    case = ct.load_case("exercises/change")
    case
    """),
    md("""
    Using the table and the picture above:
    Which change heuristic is wrong most often on the teaching chain? Type its name.
    """),
    answer(
        """
        answer = None  # <- your answer here (the heuristic's name, in quotes)
        """,
        """
        answer = table.precision.idxmin()
        answer
        """,
    ),
    code("""
    case.check("change.least_reliable", answer)
    """),
    md("""
    ## Adding change to the clusters

    A change call links the change address to the payer's cluster. That finds more of each
    wallet (higher recall), but every wrong call merges two different owners (lower precision).
    Compare common-input ownership alone, then with one change heuristic added at a time: the
    most reliable one, `script_type` (nearly as reliable, in the table above), and the least
    reliable one (the toolkit picks the most and the least reliable by the precision measured
    above):
    """),
    code("""
    compare = ct.compare_clusterings(chain, key,
                                     add_change=["most_reliable", "script_type", "least_reliable"])
    ct.show(compare, columns=["pairwise_precision", "pairwise_recall", "largest_cluster"])
    """),
    code("""
    ct.charts.bars(compare, value=["pairwise_precision", "pairwise_recall"],
                   title="Clustering with and without change heuristics")
    """),
    md("""
    The most reliable heuristic may add nothing at all: when it is `address_reuse`, the change
    goes back to one of the payer's own input addresses, which is in the cluster already. A
    reliable heuristic that names *new* addresses (compare the `script_type` row) raises the
    recall at a small cost in precision.

    Look at the largest cluster: the unreliable heuristic merges thousands of addresses of
    different owners into one "wallet". This is **cluster collapse**, and `cryptotrace` warns
    about it (`ClusterCollapseWarning`).

    **In court.** A cluster built on common-input ownership alone is hard to attack. Every
    change heuristic you add must be named in your report with its measured error rate, and
    a link that rests on one weak heuristic should be checked by other means (a production
    order, a seized device).

    ## Exercise 2
    """),
    md("""
    In the Bitfinex consolidation, which output number (0 or 1) is the change, going by the
    strongest evidence?
    """),
    answer(
        """
        answer = None  # <- your answer here (0 or 1)
        """,
        """
        # H.explain above: address reuse, the strongest evidence, points at the output paid back to an input
        answer = 0
        answer
        """,
    ),
    code("""
    case.check("change.bitfinex_change_output", answer)
    """),
]
