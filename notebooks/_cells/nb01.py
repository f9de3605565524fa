"""01 Transactions, UTXOs and addresses, on real data: Satoshi to Hal Finney (block 170)."""

from _build import answer, code, md

CELLS = [
    md("""
    # 01 Transactions, outputs and addresses

    On 12 January 2009, nine days after Bitcoin started, its inventor *Satoshi Nakamoto* sent
    10 BTC to the programmer **Hal Finney**. It is the first payment from one person to another
    in Bitcoin's history, recorded in **block 170**. Here you read it from the real ledger, and
    follow what Satoshi did next.

    What you learn: what a *transaction*, an *input*, an *output*, an *address* and a *UTXO* are,
    and what *change* is.
    """),
    code("""
    import cryptotrace as ct

    PAYMENT = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"  # the txid of block 170's payment
    SATOSHI = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
    HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
    """),
    md("""
    ## The records

    The course ships the first blocks of the real Bitcoin ledger (from block 0, January 2009).
    They were read from a copy of the Bitcoin Core block files and checked: every block's
    fingerprints (hashes) match. Load them:
    """),
    code("""
    early = ct.load_sample("hal_finney")
    early
    """),
    md("""
    Almost all of these transactions are **coinbase** transactions: the first transaction of
    each block, which creates 50 new BTC as the miner's reward. In January 2009 hardly anyone
    but Satoshi was mining, and hardly anyone paid anyone: 256 blocks, so 256 coinbase
    transactions, and only a handful of payments.
    """),
    code("""
    print(early.describe())
    """),
    md("""
    ## The payment in block 170

    A transaction is named by its **txid**, 64 characters long. Look at the payment:
    """),
    code("""
    payment = early.tx(PAYMENT)
    payment
    """),
    md("""
    **Inputs** say which earlier coins are spent; **outputs** say who gets how much. Here one
    input of 50 BTC is spent, and there are two outputs: 10 BTC to Hal Finney's address and
    40 BTC to an address of Satoshi's own. The inputs and the outputs add up to the same 50 BTC:
    there was no fee.
    """),
    code("""
    ct.show(payment.outputs, columns=["vout", "address", "value"])
    """),
    md("""
    ## Where the 50 BTC came from

    An input points to an earlier output by its txid and output number. Follow the input back:
    it is the coinbase of **block 9**, the reward Satoshi earned by mining that block.
    """),
    code("""
    ct.show(ct.where_from(early, PAYMENT))
    """),
    md("""
    ## Outputs are spent whole: change

    An output is like a banknote: it can only be spent whole. Satoshi had a 50 BTC "note" and
    wanted to pay 10, so the transaction pays 10 to Hal and sends the other 40 back to Satoshi.
    That returned output is the **change**. Finding the change is how an investigator tells
    the real payment from the money the sender kept (notebook 03).
    """),
    md("""
    ## Unspent outputs (UTXOs)

    An output nobody has spent yet is an **unspent transaction output (UTXO)**: coins that can
    still move. Hal's 10 BTC is unspent in these records:
    """),
    code("""
    early.address(HAL)
    """),
    md("""
    ## The change chain

    Satoshi kept paying people from the same address, each time sending the change back to it.
    Reusing an address like this makes the trail easy to follow. Here is every transaction of
    Satoshi's address in the records (received and sent, in BTC):
    """),
    code("""
    history = ct.address_summary(early, SATOSHI)
    ct.show(history)
    """),
    md("""
    And who was paid in each step: every output of those transactions, marked as change when it
    went back to Satoshi's address.
    """),
    code("""
    steps = ct.payments_from(early, SATOSHI)
    ct.show(steps, columns=["block_height", "role", "address", "value"])
    """),
    md("""
    ## A picture: the balance of Satoshi's address

    The picture shows what Satoshi's address held over time: 50 BTC mined in block 9, then a
    step down with every payment. The toolkit draws it for any address (or a whole cluster)
    with `ct.plot.balance_timeline`: green dots are coins coming in, orange dots coins going out.
    """),
    code("""
    ct.plot.balance_timeline(early, SATOSHI)
    """),
    md("""
    ## Exercises

    The questions for this notebook:
    """),
    code("""
    case = ct.load_case("exercises/hal_finney")
    case
    """),
    md("""
    ### Exercise 1
    How much BTC did Satoshi pay Hal Finney in block 170?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(early.address(HAL).stats.received)
        answer
        """,
    ),
    code("""
    case.check("hal_finney.payment", answer)
    """),
    md("""
    ### Exercise 2
    After block 170, how many more transactions spent coins from Satoshi's address in these
    records (the rest of the change chain)? Use the history table above, or ask for only the
    spending transactions after block 170:
    `ct.address_summary(early, SATOSHI, after_block=170, only="sent")`.
    """),
    answer(
        """
        answer = None  # <- your answer here (a whole number)
        """,
        """
        after = ct.address_summary(early, SATOSHI, after_block=170, only="sent")
        answer = len(after)
        answer
        """,
    ),
    code("""
    case.check("hal_finney.change_chain_length", answer)
    """),
    md("""
    ### Exercise 3
    How much BTC is still unspent at Satoshi's address at the end of these records?
    """),
    answer(
        """
        answer = None  # <- your answer here (BTC)
        """,
        """
        answer = ct.format_btc(early.address(SATOSHI).balance)
        answer
        """,
    ),
    code("""
    case.check("hal_finney.remaining", answer)
    """),
    md("""
    ## Where the records end

    These records stop at block 255 (12 January 2009). "Unspent" here means *unspent in these
    records*: whether Hal's 10 BTC moved later needs more of the ledger. Always say where your
    records end when you write a finding.
    """),
]
