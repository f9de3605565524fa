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
    import cryptotrace as ct
    from cryptotrace.tracing import POLICIES, worked_example_chain
    """),
    md("""
    ## The policies in one small example

    A transaction spends **3 BTC stolen** (first input) and **7 BTC clean** (second input) and
    pays **1, 6 and 3 BTC** (no fee). How much of each output is stolen money?
    """),
    code("""
    ct.show(POLICIES, columns=["policy", "rule"])
    """),
    md("""
    `ct.compare_policies` follows the stolen 3 BTC (output 0 of the first transaction) one hop,
    once per policy, and shows how much of each output every policy calls stolen:
    """),
    code("""
    example = worked_example_chain()
    STOLEN = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0:0"  # txid:output
    side_by_side = ct.compare_policies(example, STOLEN, policies=POLICIES, max_hops=1, min_value=0)
    ct.show(side_by_side.by_output(hop=1))
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
    ransom note. Load the case and read the notes:
    """),
    code("""
    case = ct.load_case("ransomware")
    case.evidence
    """),
    md("""
    `case.evidence.addresses(...)` picks out every Bitcoin address written in a file (each one
    checked: a string that only looks like an address is left out):
    """),
    code("""
    ransom_addresses = case.evidence.addresses("ransomware_ransom_notes.md")
    ct.show(ransom_addresses, columns=["ransom address"])
    """),
    md("""
    The case's chain, its public attribution (known exchange wallets, the mixer ...) and the
    clusters (common-input ownership):
    """),
    code("""
    chain = case.chain
    tags = ct.load_tags(case.tags_path)
    clusters = ct.Clustering().fit(chain)
    ct.show(tags, columns=["address", "label", "category", "source"])
    """),
    md("""
    ## Three traces, three answers

    Follow the ransom forward with poison, haircut and FIFO. The trace stops where the money
    reaches a tagged service (an exchange): from there the exchange's own records take over.
    """),
    code("""
    claims = ct.compare_policies(chain, ransom_addresses, policies=["poison", "haircut", "fifo"],
                                 tags=tags, clustering=clusters, max_hops=20)
    fifo = claims.trace("fifo")
    print(fifo.describe())
    """),
    md("""
    Side by side: how many transactions each policy follows, and how much "ransom money" it
    says reached the exchanges (`at_services`: the value whose trace stopped at a tagged service),
    and where the rest ended.
    """),
    code("""
    claims
    """),
    md("""
    ## A picture: the same ransom, three claims
    """),
    code("""
    claims.chart(title="The same ransom, three claims")
    """),
    md("""
    The FIFO trace as a flow picture: coins left to right by hop, arrows as wide as the traced
    value, squares where the trace stops.
    """),
    code("""
    ct.plot.trace_flow(fifo, tags=tags)
    """),
    md("""
    ## Explore the trace yourself

    The picture above is for the report: it is fixed, and it leaves out the small coins. To
    *investigate*, open the same trace as an interactive graph. Each shape is one address,
    each line a payment, and time runs from left to right. The legend under the graph says
    what the colours and shapes mean: blue is an exchange, orange a CoinJoin, green coins
    still unspent; a box is where the trace stopped, a hexagon an address that holds several
    of the coins.

    * **Hover** over a shape (rest the mouse on it): its address, the amount in BTC, how much
      of it is traced ransom money, and its tag (an exchange, a mixer ...) with the source of the tag.
    * **Click** a shape to select it: the panel beside the graph shows its details, and the
      graph opens one more step, *where those coins went next*. Hold **Shift** while clicking
      (or choose *backward* in the menu "a click opens" above the graph) to open the step
      before, *where they came from*.
    * **Double click** a shape to close what your clicks opened from it.
    * Scroll to zoom, drag the background to move around.
    """),
    code("""
    explorer = ct.explore(fifo, tags=tags, clustering=clusters, view="addresses")
    explorer
    """),
    md("""
    What you select in the graph (click a shape, or hold Shift and drag a box around several)
    comes back here as a table. Click a few of the blue shapes above (exchanges where the
    ransom arrived), then run this cell again:
    """),
    code("""
    ct.show(explorer.selected, columns=["address", "value_btc", "traced_btc", "tag"])
    """),
    md("""
    The panel has a box for a **note** ("ransom reached this exchange: ask for the account
    holder") and a *save note* button. Your notes come back as a table too, ready for your
    case file. The *add to case* button keeps the selected address as an evidence item
    (`explorer.case_items`: its coins, amounts, tag and the time you added it).
    """),
    code("""
    ct.show(explorer.notes)
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
    ct.show(fifo.params, columns=["setting", "value"])
    """),
    md("""
    ## Where to act: seizure candidates

    `ct.seizure_candidates` ranks the end points of a trace: at an exchange (ask it to freeze
    and to produce its records), unspent in the suspect's wallet (seize when the keys are
    found), or lost in a mixer.
    """),
    code("""
    candidates = ct.seizure_candidates(fifo)
    ct.show(candidates, columns=["rank", "classification", "action", "tainted_value", "service"], rows=10)
    """),
    md("""
    **Two numbers, one definition.** The table of the three policies above says how much of the
    FIFO trace *reached* a tagged service. The candidates split that same amount in two: what
    reached an exchange straight from the ransom is **at_service** (ask the exchange to freeze it);
    what reached an exchange only *after passing through a CoinJoin* is **mixed** (the exchange
    holds it, but whose coins they were is uncertain, see notebook 05). The mixed rows with a
    service, added to the at_service rows, give the "at_services" figure of the FIFO row above.
    The totals per classification:
    """),
    code("""
    ct.show(candidates.totals(), title="FIFO: traced value per classification")
    """),
    code("""
    ct.plot.money_summary(fifo, candidates)
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
    example_questions.check("tracing.fifo_clean_first", answer)
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
    example_questions.check("tracing.haircut_next_hop", answer)
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
        answer = ct.format_btc(fifo.start_value)
        answer
        """,
    ),
    code("""
    case.check("ransomware.ransom_total", answer)
    """),
]
