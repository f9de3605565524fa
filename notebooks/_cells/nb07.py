"""07 A real case: the Colonial Pipeline ransom, from the 75 BTC payment to the 63.7 BTC seizure."""

from _build import answer, code, md


def _check(qid: str) -> str:
    return f'case.check("colonial.{qid}", answer)'


CELLS = [
    md("""
    # 07 A real case: the Colonial Pipeline ransom

    On 7 May 2021 the ransomware group **DarkSide** hit Colonial Pipeline, which supplies fuel to
    the US East Coast. The next day the company paid a ransom of about **75 BTC**. One month
    later, on 7 June 2021, the FBI seized **63.7 BTC** of it: the share that went to the
    DarkSide *affiliate* who ran the attack, sitting at one address whose key the FBI had obtained
    (US Department of Justice, seizure warrant affidavit).

    In this notebook you read the public ledger records of that story, and you see exactly
    where the records we have **end**.
    """),
    code("""
    import cryptotrace as ct

    RANSOM_ADDRESS = "15JFh88FcE4WL6qeMLgX5VEAFCbRXjc9fr"      # named in the affidavit
    SEIZED_ADDRESS = "bc1qq2euq8pw950klpjcawuy4uj39ym43hs6cfsegq"  # the affiliate's address the FBI had the key of
    FBI_ADDRESS = "bc1qpx7vyv5tp7dm0g475ev527krg764t73dh77gls"
    """),
    md("""
    The four transactions of the story, by their txids (read from the records below):
    """),
    code("""
    SEIZURE = "943f2d576ed8d9f388ba75eb82fe35cce29479b84121827ac368a5a94f44cf7a"
    RANSOM_PAYMENT = "6a798026d44af27dbacd28ea21462808df8deca51794cec80c1b59e07ef924a2"  # the 75 BTC
    MOVED = "915fb4f0a030937f2c1d2210996e8eb32b5a41b331965c7ec78961923775bd62"     # the ransom moves on
    GATHERING = "daf38c7b38eb0a587cf843f47000d5c294affb4f56017370ad48c5147f5e69d9"  # the affiliate gathers
    """),
    md("""
    ## The records

    Ten real transactions, recorded from a public block explorer (Blockstream Esplora): the
    history of the three addresses above. Every signature in them verifies against the ledger.
    """),
    code("""
    colonial = ct.load_sample("colonial")
    print(colonial.describe())
    """),
    code("""
    ct.show(colonial.txs, columns=["block_height", "time", "n_in", "n_out", "fee", "txid"])
    """),
    md("""
    ## Step 1: the payment (8 May 2021)

    The ransom address received two payments: first a tiny **test payment** (victims often
    check that the address works), then the ransom.
    """),
    code("""
    ransom = colonial.address(RANSOM_ADDRESS)
    ransom
    """),
    md("""
    ## Step 2: the ransom moves on within the hour

    Half an hour later, the ransom address spends both payments together (common-input
    ownership: one owner) into a new address.
    """),
    code("""
    moved = colonial.tx(MOVED)
    print(moved)
    """),
    md("""
    ## Where our records have a gap

    The 75 BTC sit at `1DToN8...` and are **unspent in these records**. In reality DarkSide split
    the ransom between the affiliate (the larger share) and the group itself, through several
    more transactions. **Those transactions are not in our records.** The affidavit
    describes them; here we can only show the next point we do have.

    This is normal with data from an API: you have the history of the addresses you asked for,
    not everything in between. Say so in a report, and fetch the missing transactions
    (`ct.fetch_neighborhood` with a block explorer, on a machine with internet) before you
    claim a link.

    ## Step 3: the affiliate gathers the coins (28 May 2021)

    A transaction with many inputs pays **69.6 BTC** to the address whose key the FBI obtained.
    Its inputs come from outside our records (the gap).
    """),
    code("""
    gathered = colonial.tx(GATHERING)
    print("inputs:", len(gathered.inputs), " paid out:", ct.format_btc(gathered.output_value))
    ct.show(gathered.inputs, columns=["vin", "address", "value", "is_external"], rows=5)
    """),
    md("""
    ## Step 4: the seizure (7 June 2021)

    With the key, the FBI moved **63.69996546 BTC** to its own address. The rest went back to
    the seized address as change.
    """),
    code("""
    seizure = colonial.tx(SEIZURE)
    seizure
    """),
    md("""
    ## Following the seized coins

    A forward trace from the seized address shows where the coins went after the seizure. The
    records end here too: the FBI moved the coins on in August 2021, and our records stop
    following after that.
    """),
    code("""
    after = ct.trace(colonial, SEIZURE + ":1", policy="fifo", max_hops=3)
    print(after.describe())
    """),
    md("""
    ## A picture: the story in time

    Each bar is one step of the story (BTC moved); the grey band is the gap in our records.
    """),
    code("""
    ct.charts.timeline(colonial, txids=[RANSOM_PAYMENT, GATHERING, SEIZURE],
                       paid_to=[RANSOM_ADDRESS, SEIZED_ADDRESS, FBI_ADDRESS],
                       labels=["ransom paid (8 May)", "gathered by the affiliate", "seized by the FBI"],
                       gap=[MOVED, GATHERING], title="Colonial Pipeline ransom, May to June 2021")
    """),
    md("""
    The balance of the affiliate's seized address over time (`ct.plot.balance_timeline`): up
    with the gathering on 28 May, down with the seizure on 7 June.
    """),
    code("""
    ct.plot.balance_timeline(colonial, SEIZED_ADDRESS)
    """),
    md("""
    ## A lesson in noise

    The records were taken in 2026, so they also hold **later, unrelated payments**: small
    amounts ("dust") sent to the seized and FBI addresses years after the case. They have
    nothing to do with the ransom; a careless reading would count them.
    """),
    code("""
    late = colonial.subset(start="2022-01-01")
    ct.show(late.txs, columns=["time", "n_in", "n_out", "txid"])
    """),
    md("""
    ## Exercises
    """),
    code("""
    case = ct.load_case("exercises/colonial")
    case
    """),
    md("""
    ### Exercise 1
    How much BTC did the ransom address receive in total (test payment and ransom)?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(ransom.stats.received)
        answer
        """,
    ),
    code(_check("ransom_received")),
    md("""
    ### Exercise 2
    How many inputs does the transaction have that gathered the affiliate's coins on 28 May 2021?
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        answer = len(gathered.inputs)
        answer
        """,
    ),
    code(_check("gathering_inputs")),
    md("""
    ### Exercise 3
    What share of the ransom paid (the ransom payment itself, not the test) did the FBI seize?
    Give it in percent, rounded to a whole number.
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number of percent)
        """,
        """
        paid = ct.amount_paid(colonial, RANSOM_PAYMENT, to=RANSOM_ADDRESS)
        seized = ct.amount_paid(colonial, SEIZURE, to=FBI_ADDRESS)
        answer = round(100 * seized / paid)
        answer
        """,
    ),
    code(_check("seized_percent")),
    md("""
    ### Exercise 4
    How much BTC did the seizure transaction leave at the affiliate's address (its change)?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(ct.amount_paid(colonial, SEIZURE, to=SEIZED_ADDRESS))
        answer
        """,
    ),
    code(_check("left_after_seizure")),
    md("""
    ## What to take away

    * The chain showed the payment, the gathering and the seizure, with exact amounts and times
      that anyone can check.
    * The link between the ransom and the affiliate's address runs through transactions we do
      not hold here: **always say where your records end**.
    * The key to the seized address came from outside the blockchain (the affidavit does not
      say how). Tracing tells you *where* the coins are; seizing them needs the key or a service
      that holds them.
    """),
]
