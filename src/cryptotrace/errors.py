"""Errors raised by cryptotrace.

Every error is a :class:`CryptotraceError`. Each message names the bad value
and says what to do next, because the person reading it is often an
investigator in a training room, not a programmer.

Catch ``CryptotraceError`` to handle any of them; catch a subclass to handle
one kind of problem.
"""

from __future__ import annotations


class CryptotraceError(Exception):
    """Base class of every error cryptotrace raises on purpose.

    Every message names the value, the place and the fix; catch this class to handle any of them.

    Examples
    --------
    >>> import cryptotrace as ct
    >>> ct.btc_to_sats("twelve")
    Traceback (most recent call last):
    ...
    cryptotrace.errors.ValueRangeError: amount 'twelve' is not a number of BTC; write it like 0.05
    """


# --- chain validation -------------------------------------------------------
class ChainValidationError(CryptotraceError, ValueError):
    """The transaction tables break a rule every Bitcoin ledger keeps."""


class InvalidTxidError(ChainValidationError):
    """A transaction id is not 64 hexadecimal characters."""


class DuplicateTxidError(ChainValidationError):
    """The same transaction appears twice."""


class DoubleSpendError(ChainValidationError):
    """One output is spent by two inputs."""


class ValueRangeError(ChainValidationError):
    """An amount is negative or larger than the 21 million BTC that can ever exist."""


class OverspendError(ChainValidationError):
    """A (non-coinbase) transaction pays out more than its inputs bring in."""


class PrevoutMismatchError(ChainValidationError):
    """An input's value or address disagrees with the output it spends."""


class InvalidAddressError(ChainValidationError):
    """An address does not decode as a Bitcoin address."""


class BlockTimeError(ChainValidationError):
    """Block times go backwards across heights."""


class TableSchemaError(ChainValidationError):
    """A table lacks a column, or a column holds the wrong kind of value."""


# --- lookups -----------------------------------------------------------------
class NotInChainError(CryptotraceError, KeyError):
    """A transaction, output or address asked for is not in the loaded data."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0]) if self.args else ""


# --- files -------------------------------------------------------------------
class DatasetError(CryptotraceError):
    """A dataset folder is missing, incomplete or not a cryptotrace dataset."""


class DatasetIntegrityError(DatasetError):
    """A dataset file's content no longer matches the hash in its manifest."""


class InputFormatError(CryptotraceError, ValueError):
    """A data file (JSON, raw block, CSV, YAML ...) could not be read."""


class MerkleRootError(InputFormatError):
    """A block's transactions do not hash to the merkle root in its header."""


class ProofOfWorkError(InputFormatError):
    """A block header's hash is above the target its ``bits`` encode: the header was edited or made up."""


class WitnessCommitmentError(InputFormatError):
    """A block's witness data does not match the commitment in its coinbase (BIP 141)."""


class BlockLinkError(InputFormatError):
    """Consecutive blocks do not link: a block's ``prev_hash`` is not the hash of the block before it."""


class SkippedDataWarning(UserWarning):
    """Part of a file could not be read and was skipped (``strict=True`` refuses instead)."""


class FieldTypeError(InputFormatError):
    """A field of a node or API answer has the wrong type or an impossible value.

    For example ``"is_coinbase": "false"`` (text, not true/false), an amount
    given as text, a negative amount, or a txid that is not 64 hex characters.
    """


class SourceMismatchError(InputFormatError):
    """An answer disagrees with itself: its JSON fields say one thing, its raw bytes another."""


class TxidMismatchError(SourceMismatchError):
    """A transaction's raw bytes do not hash to the txid the answer gives."""


# --- network -----------------------------------------------------------------
class FetchError(CryptotraceError):
    """A request to a blockchain API or node failed."""


class NotFoundError(FetchError, NotInChainError):
    """The API says the transaction, address or block does not exist."""


class OfflineCacheMissError(FetchError):
    """Offline mode was asked for, and the cache lacks a response."""


# --- analysis ----------------------------------------------------------------
class HeuristicError(CryptotraceError):
    """A heuristic was used the wrong way."""


class ClusteringError(CryptotraceError):
    """Clustering could not be done as asked."""


class TagError(CryptotraceError, ValueError):
    """A tag file or tag is invalid."""


class TraceError(CryptotraceError, ValueError):
    """A trace could not be started or run as asked."""


# --- cases -------------------------------------------------------------------
class ScenarioError(CryptotraceError, ValueError):
    """A scenario file or scenario description is invalid."""


class CaseError(CryptotraceError):
    """A case pack is missing something, or a question id is unknown."""


# --- network limits (issue 15) ---------------------------------------------
class FetchTimeoutError(FetchError):
    """A server did not finish its answer within the time allowed (``timeout=``, answer included)."""


class ResponseTooLargeError(FetchError):
    """A server's answer is larger than the limit (``max_bytes=``, counted after decompression)."""


# --- chain store -------------------------------------------------------------
class StoreError(CryptotraceError):
    """A chain store (Parquet + DuckDB) is missing, damaged, or was asked for something it does not hold."""


class NotFittedError(ClusteringError, AttributeError):
    """A result of a Clustering was asked for before ``.fit(chain)``.

    Also an ``AttributeError``, as scikit-learn's ``NotFittedError`` is: ``hasattr(c, "labels_")``
    is False until the clustering is fitted.
    """


# --- prices (issue 17) -------------------------------------------------------
class PriceTableError(CryptotraceError, ValueError):
    """A BTC/EUR or BTC/USD price table is unreadable or breaks a rule (sorted days, prices above 0, small gaps)."""


# --- explorer ----------------------------------------------------------------
class ExploreError(CryptotraceError, ValueError):
    """The explorer was given something it cannot show, or asked about a node it does not show."""
