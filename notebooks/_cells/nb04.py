"""04 Following the money: poison, haircut and FIFO side by side, and why the choice matters in court."""

from _build import answer, code, md

CELLS = [
    md("""
    # 04 Following the money

    To follow stolen or criminal money, you start from the coins you know about (a ransom
    payment, a theft) and follow them from transaction to transaction: each step is a **hop**.

    The hard part: criminals mix "dirty" coins with "clean" coins in one transaction. Which
    outputs carry the dirty money then? There is no single true answer. A **taint policy** is
    the rule you choose, and the choice changes how much money you claim at the end. Courts
    ask why you chose it.
    """),
    code("""
    %matplotlib inline
    import re
    import matplotlib.pyplot as plt
    import pandas as pd
    import cryptotrace as ct
    from cryptotrace.tracing import POLICIES, worked_example_chain
    """),
    md("""
    ## The policies in one small example

    A transaction spends **3 BTC stolen** (first input) and **7 BTC clean** (second input) and
    pays **1, 6 and 3 BTC** (no fee). How much of each output is stolen money?
    """),
    code("""
    pd.Series(POLICIES, name="rule").to_frame()
    """),
    md("""
    `ct.trace` follows the stolen 3 BTC one hop, once per policy:
    """),
    code("""
    example = worked_example_chain()
    stolen = example.outputs.txid[0] + ":0"

    side_by_side = {}
    for policy in POLICIES:
        t = ct.trace(example, stolen, policy=policy, max_hops=1, min_value=0)
        hop1 = t.flows.query("hop == 1")
        side_by_side[policy] = hop1.tainted_value.map(lambda v: ct.format_btc(v, unit=False)).tolist()
    pd.DataFrame(side_by_side, index=["output 0 (1 BTC)", "output 1 (6 BTC)", "output 2 (3 BTC)"])
    """),
    md("""
    * **poison** calls every output fully dirty: 10 BTC "dirty" from 3 BTC stolen. It shows
      everything the money *touched*, but overstates the amount.
    * **haircut** gives every output the same share: 30 % of each. Exact, but it spreads thin
      and never ends.
    * **FIFO** (first in, first out, "Clayton's case" in English law) pays the outputs in order
      from the inputs in order: the first 3 BTC out are the stolen ones.

    ## A real-looking case: a ransom

    The *ransomware* case pack: several companies paid a ransom, each to the address in its
    ransom note. Load the case, read the notes, and pick out the addresses.
    """),
    code("""
    case = ct.load_case("ransomware")
    print(case.evidence["ransomware_ransom_notes.md"])
    """),
    code("""
    ransom_addresses = re.findall(r"`(bc1[0-9a-z]+)`", case.evidence["ransomware_ransom_notes.md"])
    ransom_addresses
    """),
    md("""
    The case's chain, its public attribution (known exchange wallets, the mixer ...) and the
    clusters (common-input ownership):
    """),
    code("""
    chain = case.chain
    tags = ct.load_tags(case.tags_path)
    clusters = ct.Clustering().fit(chain)
    tags
    """),
    md("""
    ## Three traces, three answers

    Follow the ransom forward with poison, haircut and FIFO. The trace stops where the money
    reaches a tagged service (an exchange): from there the exchange's own records take over.
    """),
    code("""
    traces = {policy: ct.trace(chain, ransom_addresses, policy=policy, tags=tags, clustering=clusters, max_hops=20)
              for policy in ["poison", "haircut", "fifo"]}
    print(traces["fifo"].describe())
    """),
    md("""
    Side by side: how many transactions each policy follows, and how much "ransom money" it
    says reached the exchanges.
    """),
    code("""
    rows = {}
    for policy, t in traces.items():
        s = t.summary()
        rows[policy] = {"transactions followed": s["txs_followed"],
                        "traced start": ct.format_btc(s["start_value"]),
                        "at exchanges": ct.format_btc(s["by_kind"].get("service", 0))}
    pd.DataFrame(rows).T
    """),
    md("""
    ## A picture: the same ransom, three claims
    """),
    code("""
    at_exchanges = {p: t.summary()["by_kind"].get("service", 0) / 1e8 for p, t in traces.items()}
    followed = {p: t.summary()["txs_followed"] for p, t in traces.items()}

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
    ax1.bar(at_exchanges.keys(), at_exchanges.values(), color=["#D55E00", "#0072B2", "#009E73"])
    ax1.set_yscale("log")
    ax1.set_ylabel("BTC (log scale)")
    ax1.set_title("'Ransom money' at exchanges")
    ax2.bar(followed.keys(), followed.values(), color=["#D55E00", "#0072B2", "#009E73"])
    ax2.set_title("Transactions followed")
    plt.tight_layout()
    plt.show()
    """),
    md("""
    The FIFO trace as a flow picture: coins left to right by hop, arrows as wide as the traced
    value, squares where the trace stops.
    """),
    code("""
    ct.plot.trace_flow(traces["fifo"], tags=tags)
    """),
    md("""
    ## Why the choice matters in court

    * Poison claims far more at the exchanges than the victims ever paid: it sweeps in every
      customer whose coins were mixed with the ransom. Useful to find leads, not to freeze funds.
    * Haircut is fair on paper but follows the money into many small fractions: every exchange
      customer downstream holds "a bit" of ransom.
    * FIFO gives whole, concrete amounts along a short path: easier to explain and to freeze,
      but another expert may argue for another order of inputs.

    Say which policy you used and why, and state the **fee convention**. Each policy uses the
    one its published implementations use: haircut gives the fee its share of the taint; FIFO,
    LIFO and TIHO pay the fee last, after every output. `trace.params` records both.
    """),
    code("""
    traces["fifo"].params
    """),
    md("""
    ## Where to act: seizure candidates

    `ct.seizure_candidates` ranks the end points of a trace: at an exchange (ask it to freeze
    and to produce its records), unspent in the suspect's wallet (seize when the keys are
    found), or lost in a mixer.
    """),
    code("""
    candidates = ct.seizure_candidates(traces["fifo"])
    table = candidates.to_frame()[["rank", "classification", "action", "tainted_value", "service"]].head(10)
    table.assign(tainted_value=table.tainted_value.map(ct.format_btc))
    """),
    code("""
    ct.plot.money_summary(traces["fifo"], candidates)
    """),
    md("""
    ## Exercises

    Exercises 1 and 2 are about the small example; their questions are in the course's own
    pack. Exercise 3 is a question of the ransomware case pack.
    """),
    code("""
    example_questions = ct.load_case("exercises/tracing")
    example_questions
    """),
    md("""
    ### Exercise 1
    Think it through with the rules, then check: under **FIFO**, suppose the inputs came the
    other way round: **7 BTC clean first**, then the 3 BTC stolen. How much of the **3 BTC
    output** (output 2) would be stolen money?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        # The clean 7 BTC pays outputs 0 and 1 (1 + 6 BTC) in full; the stolen 3 BTC pays output 2.
        answer = "3 BTC"
        answer
        """,
    ),
    code("""
    example_questions.check("tracing.fifo_clean_first", answer) if answer is not None else "Type your answer in the cell above first."
    """),
    md("""
    ### Exercise 2
    Under **haircut**, the 3 BTC output moves on: a next transaction spends it alone (no other
    input, no fee) and pays **2 BTC** and **1 BTC**. How much of the **2 BTC** output is stolen money?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        # The 3 BTC output is 30 % tainted (3 of 10 BTC in). Alone in the next transaction it passes
        # the same 30 % on to both outputs: 30 % of 2 BTC.
        share = 3 / 10
        answer = ct.format_btc(round(share * 2 * 100_000_000))
        answer
        """,
    ),
    code("""
    example_questions.check("tracing.haircut_next_hop", answer) if answer is not None else "Type your answer in the cell above first."
    """),
    md("""
    ### Exercise 3
    How much BTC did the victims pay in ransom, in total? (Hint: every trace starts from
    that amount.)
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(traces["fifo"].start_value)
        answer
        """,
    ),
    code("""
    case.check("ransomware.ransom_total", answer) if answer is not None else "Type your answer in the cell above first."
    """),
]
