"""00 Welcome: how to use a notebook, how to check an answer, the glossary."""

from _build import answer, code, md

CELLS = [
    md("""
    # 00 Welcome to the Bitcoin tracing course

    This course teaches you to follow Bitcoin payments the way an investigator does: read a
    transaction, group addresses into wallets, follow the money hop by hop, and find what can be
    frozen or seized. You do it on the `cryptotrace` toolkit, with real cases and training cases.

    **You do not need to be a programmer.** Each step is a short grey *code cell*. You read the
    text above it, run the cell, and look at the table or picture it makes. Now and then you
    change one value and run it again, or type an answer.
    """),
    md("""
    ## How to run a cell

    * Click into a grey cell and press **Shift + Enter**: the cell runs and the next one is selected.
    * Run the cells **from top to bottom**: later cells use what earlier cells loaded.
    * If something looks wrong, use the menu *Kernel -> Restart & Run All* to start again cleanly.

    The first cell loads the toolkit. We call it `ct` for short.
    """),
    code("""
    import cryptotrace as ct

    print("cryptotrace version", ct.__version__)
    """),
    md("""
    ## Amounts: bitcoin and satoshis

    One bitcoin (BTC) is 100,000,000 *satoshis*. `cryptotrace` counts every amount in whole
    satoshis, so sums in an evidence table are exact, and shows BTC with all 8 decimals.
    `ct.format_btc` turns satoshis into readable BTC text. (The underscores in
    `6_369_996_546` only group the digits, like the commas in 6,369,996,546 satoshis: Python
    ignores them.)
    """),
    code("""
    print(ct.format_btc(6_369_996_546))
    """),
    md("""
    The other way round, `ct.btc_to_sats` turns a BTC amount into satoshis.
    """),
    code("""
    print(ct.btc_to_sats("0.05"), "satoshis")
    """),
    md("""
    ## The glossary

    Every word this course uses is in one glossary. `ct.glossary()` shows all of it;
    give it a word to see only the matching terms.
    """),
    code("""
    ct.glossary("taint")
    """),
    code("""
    ct.glossary()
    """),
    md("""
    ## The teaching chain

    Besides real cases, the course uses a *synthetic* piece of the Bitcoin ledger: a busy
    make-believe economy of tens of thousands of transactions with criminal cases hidden inside. Because
    it is made up, we know the truth about every address, so we can measure how often each
    method is right. `ct.load_sample()` loads it (this takes a few seconds).
    """),
    code("""
    chain = ct.load_sample()
    chain
    """),
    md("""
    The same summary in plain sentences:
    """),
    code("""
    print(chain.describe())
    """),
    md("""
    ## Your first picture

    How busy is the economy? This picture counts the transactions of each day.
    """),
    code("""
    ct.charts.per_day(chain, title="Transactions per day in the teaching chain")
    """),
    md("""
    ## How to check an answer

    Exercises look like this: a question, a cell with `answer = None  # <- your answer here`,
    and a cell that checks it. Replace `None` with your answer, run the answer cell, then run the
    check cell. The check says **Right** or **Not yet** (for amounts, also how far off you are);
    run before you answer, it asks you for an answer. The checks never show the answer itself:
    the course keeps only a scrambled fingerprint of it.

    Each notebook loads its questions with `ct.load_case(...)`:
    """),
    code("""
    case = ct.load_case("exercises/welcome")
    case
    """),
    md("""
    ### Exercise 1

    How many BTC are **25,000,000 satoshis**? Amounts can be typed as a number of BTC (`0.5`),
    or as text with the unit (`"0.5 BTC"`, `"50,000,000 sats"`).
    """),
    answer(
        """
        answer = None  # <- your answer here (a number of BTC)
        """,
        """
        answer = ct.format_btc(25_000_000)  # '0.25000000 BTC'
        answer
        """,
    ),
    code("""
    case.check("welcome.sats_to_btc", answer)
    """),
    md("""
    A wrong answer is not a problem: the check tells you so, and you try again. Here is what
    a wrong amount looks like:
    """),
    code("""
    case.check("welcome.sats_to_btc", 2.5)
    """),
    md("""
    ### Exercise 2

    Look up the term *UTXO* in the glossary (change the word in `ct.glossary("...")` above, or
    run the cell below). What do the letters **UTXO** stand for? Type the words.
    """),
    code("""
    ct.glossary("UTXO")
    """),
    answer(
        """
        answer = None  # <- your answer here (words in quotes, e.g. "big red box")
        """,
        """
        answer = "unspent transaction output"
        answer
        """,
    ),
    code("""
    case.check("welcome.utxo", answer)
    """),
    md("""
    ## What comes next

    | notebook | what you learn |
    |---|---|
    | 01 | transactions, outputs and addresses, on the first Bitcoin payment ever (Satoshi to Hal Finney) |
    | 02 | grouping addresses into wallets (common-input ownership), on the Bitfinex seizure |
    | 03 | spotting the change output, and how often each rule is wrong |
    | 04 | following the money: three ways to count tainted coins, and why it matters in court |
    | 05 | mixers and CoinJoins: how to recognise them, and what they break |
    | 06 | the capstone: a darknet drug vendor, from the market to the seizure |
    | 07 | a real case: the Colonial Pipeline ransom, from 75 BTC paid to 63.7 BTC seized |
    | 08 | for instructors: write a case, make one per trainee, grade the answers |
    """),
]
