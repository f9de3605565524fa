"""A real HTTP server on 127.0.0.1 for the io tests (no network needed).

``serve(app)`` runs ``http.server`` in a thread on a free port and yields its
URL. ``app(method, path, headers, body) -> (status, headers, body)`` answers
each request. Two apps replay recorded public data:

* :class:`EsploraReplay` serves Esplora REST answers built from the recorded
  ``esplora-cases`` files (``/tx/:txid``, address histories in pages,
  outspends derived from the recorded transactions, blocks of the recorded txs);
* :class:`CoreReplay` answers Bitcoin Core JSON-RPC (single and batched
  calls) from the recorded ``core-rpc`` result files.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.log.append((self.command, self.path))
        status, headers, out = self.server.app(self.command, self.path, self.headers, body)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args):  # keep test output quiet
        pass


@contextlib.contextmanager
def serve(app):
    """Run ``app`` behind a real HTTP server on 127.0.0.1; yield ``(url, request_log)``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.app = app
    server.log = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.log
    finally:
        server.shutdown()
        server.server_close()


def _json(obj, status=200):
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def _text(text, status=200):
    return status, {"Content-Type": "text/plain"}, str(text).encode()


class EsploraReplay:
    """Esplora REST answers from recorded transaction objects (prefix ``/api`` like Blockstream)."""

    def __init__(self, folder: Path, *, page_size: int = 2, prefix: str = "/api"):
        self.prefix = prefix
        self.page_size = page_size
        self.txs: dict[str, dict] = {}
        self.stats: dict[str, dict] = {}
        for f in sorted(Path(folder).glob("*.json")):
            obj = json.loads(f.read_text())
            if isinstance(obj, dict) and "chain_stats" in obj:
                self.stats[obj["address"]] = obj
                continue
            for t in obj if isinstance(obj, list) else [obj]:
                self.txs.setdefault(t["txid"], t)
        # an address's history: the *_txs.json file beside its *_stats.json (newest first, as recorded)
        self.addr_history: dict[str, list[str]] = {}
        for f in sorted(Path(folder).glob("*_stats.json")):
            st = json.loads(f.read_text())
            txf = f.with_name(f.name.replace("_stats.json", "_txs.json"))
            if txf.exists():
                self.addr_history[st["address"]] = [t["txid"] for t in json.loads(txf.read_text())]
        self.spender: dict[tuple[str, int], tuple[str, int]] = {}
        for t in self.txs.values():
            for i, v in enumerate(t["vin"]):
                if not v.get("is_coinbase"):
                    self.spender[(v["txid"], v["vout"])] = (t["txid"], i)
        self.blocks: dict[str, list[str]] = {}
        for t in self.txs.values():
            st = t["status"]
            if st.get("confirmed"):
                self.blocks.setdefault(st["block_hash"], []).append(t["txid"])

    def __call__(self, method, path, headers, body):
        if not path.startswith(self.prefix + "/"):
            return _text("Not Found", 404)
        parts = path[len(self.prefix) + 1 :].split("/")
        if parts[0] == "tx" and len(parts) >= 2:
            t = self.txs.get(parts[1])
            if t is None:
                return _text("Transaction not found", 404)
            if len(parts) == 2:
                return _json(t)
            outs = []
            for n in range(len(t["vout"])):
                sp = self.spender.get((t["txid"], n))
                outs.append({"spent": True, "txid": sp[0], "vin": sp[1]} if sp else {"spent": False})
            if parts[2] == "outspends":
                return _json(outs)
            if parts[2] == "outspend" and len(parts) == 4:
                return _json(outs[int(parts[3])])
        if parts[0] == "address" and len(parts) >= 2:
            a = parts[1]
            if a not in self.addr_history:
                return _text("Invalid Bitcoin address" if len(a) < 20 else "[]", 400 if len(a) < 20 else 200)
            hist = self.addr_history[a]
            if len(parts) == 2:
                return _json(self.stats[a])
            if parts[2:] == ["txs"]:
                return _json([self.txs[x] for x in hist[: self.page_size]])
            if parts[2] == "txs" and parts[3] == "chain":
                start = hist.index(parts[4]) + 1 if len(parts) > 4 else 0
                return _json([self.txs[x] for x in hist[start : start + self.page_size]])
        if parts[0] == "block" and len(parts) >= 2 and parts[1] in self.blocks:
            ids = self.blocks[parts[1]]
            if len(parts) == 2:
                t = self.txs[ids[0]]["status"]
                return _json(
                    {"id": parts[1], "height": t["block_height"], "timestamp": t["block_time"], "tx_count": len(ids)}
                )
            if parts[2] == "txs":
                start = int(parts[3]) if len(parts) > 3 else 0
                return _json([self.txs[x] for x in ids[start : start + self.page_size]])
        if parts[0] == "block-height":
            for h, ids in self.blocks.items():
                if str(self.txs[ids[0]]["status"]["block_height"]) == parts[1]:
                    return _text(h)
            return _text("Block not found", 404)
        if parts == ["blocks", "tip", "height"]:
            return _text("955918")
        return _text("Not Found", 404)


class CoreReplay:
    """Bitcoin Core JSON-RPC from recorded result files (``rpc_response_<method>_<params>.json``)."""

    def __init__(self, folders, *, user: str = "alice", password: str = "secret"):
        self.results: dict[tuple, object] = {}
        for folder in folders:
            for f in sorted(Path(folder).glob("rpc_response_*.json")):
                stem = f.stem[len("rpc_response_") :]
                value = json.loads(f.read_text())
                if stem.startswith("getblockhash_"):
                    self.results[("getblockhash", int(stem.split("_")[1]))] = value
                elif stem.startswith("getblock_"):
                    self.results[("getblock", stem.split("_")[1])] = value
                elif stem.startswith("getrawtransaction_"):
                    self.results[("getrawtransaction", stem.split("_")[1])] = value
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.calls: list[tuple] = []

    def _one(self, req):
        method, params, rid = req.get("method"), req.get("params") or [], req.get("id")
        self.calls.append((method, tuple(params)))
        if method == "getblockcount":
            return {"result": max(k[1] for k in self.results if k[0] == "getblockhash"), "error": None, "id": rid}
        if method == "getblockhash":
            key = ("getblockhash", int(params[0]))
            if key not in self.results:
                return {"result": None, "error": {"code": -8, "message": "Block height out of range"}, "id": rid}
        elif method == "getblock":
            key = ("getblock", params[0])  # any verbosity >= 2 answers the recorded verbosity-2 object
            if key not in self.results:
                return {"result": None, "error": {"code": -5, "message": "Block not found"}, "id": rid}
        elif method == "getrawtransaction":
            key = ("getrawtransaction", params[0])
            if key not in self.results:
                return {
                    "result": None,
                    "error": {
                        "code": -5,
                        "message": "No such mempool or blockchain "
                        "transaction. Use gettransaction for wallet transactions.",
                    },
                    "id": rid,
                }
        else:
            return {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": rid}
        return {"result": self.results[key], "error": None, "id": rid}

    def __call__(self, method, path, headers, body):
        if headers.get("Authorization") != self.auth:
            return 401, {"WWW-Authenticate": 'Basic realm="jsonrpc"'}, b""
        req = json.loads(body)
        if isinstance(req, list):
            return _json([self._one(r) for r in req])
        ans = self._one(req)
        return _json(ans, 500 if ans["error"] else 200)  # Core answers RPC errors with HTTP 500


class Flaky:
    """Wraps an app: the first ``fails`` requests answer ``status`` with Retry-After."""

    def __init__(self, app, *, fails: int = 1, status: int = 429, retry_after: str | None = "1"):
        self.app, self.fails, self.status, self.retry_after = app, fails, status, retry_after
        self.times: list[float] = []

    def __call__(self, method, path, headers, body):
        self.times.append(time.monotonic())
        if self.fails > 0:
            self.fails -= 1
            h = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return self.status, h, b"slow down"
        return self.app(method, path, headers, body)


def stalling(seconds: float):
    """An app that waits ``seconds`` before answering (to trip the client's timeout)."""

    def app(method, path, headers, body):
        time.sleep(seconds)
        return _text("too late")

    return app


def garbage(method, path, headers, body):
    """An app that answers 200 with something that is not JSON."""
    return 200, {"Content-Type": "application/json"}, b'<html>502 Bad Gateway</html>{"txid": '


# ---------------------------------------------------------------------------
# Servers that misbehave on purpose (issue 15: HTTP clients with real bounds)
# ---------------------------------------------------------------------------
def gzip_bomb(decoded_bytes: int, *, member_bytes: int = 16 * 2**20, tail: bytes = b"[]", status: int = 200):
    """An app answering valid JSON of ``decoded_bytes`` bytes, gzip-compressed (about 1000 times smaller).

    The JSON is ``tail`` after that many spaces (JSON allows any amount of
    white space), so a client without a size limit reads, parses and caches
    all of it. Built from gzip members of ``member_bytes`` each, concatenated
    (RFC 1952 allows it; every gzip reader decodes them as one stream), so a
    512 MiB bomb is made in a fraction of a second.
    """
    import gzip

    whole, rest = divmod(max(0, decoded_bytes - len(tail)), member_bytes)
    packed = gzip.compress(b" " * member_bytes, compresslevel=9, mtime=0) * whole
    packed += gzip.compress(b" " * rest + tail, compresslevel=9, mtime=0)

    def app(method, path, headers, body):
        return status, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, packed

    app.packed_size = len(packed)
    return app


class WarmingUp:
    """Bitcoin Core while it starts: the first ``fails`` requests get RPC error -28, then ``app`` answers.

    A single call gets HTTP 500 (as Core answers RPC errors), a batch HTTP 200
    with the error in every item (as Core does for batches).
    """

    def __init__(self, app, *, fails: int = 2):
        self.app, self.fails = app, fails
        self.times: list[float] = []

    def __call__(self, method, path, headers, body):
        self.times.append(time.monotonic())
        if self.fails > 0:
            self.fails -= 1
            err = {"code": -28, "message": "Loading block index..."}
            req = json.loads(body)
            if isinstance(req, list):
                return _json([{"result": None, "error": err, "id": r.get("id")} for r in req])
            return _json({"result": None, "error": err, "id": req.get("id")}, 500)
        return self.app(method, path, headers, body)


class _RawHandler:
    """Reads one HTTP request off a socket (head and Content-Length body)."""

    @staticmethod
    def read_request(sock) -> tuple[bytes, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                return data, b""
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
        return head, body


@contextlib.contextmanager
def serve_raw(handler, *, tls=None):
    """A TCP server on 127.0.0.1 where ``handler(sock, n)`` writes raw bytes (n: 0-based connection count).

    For misbehaviour ``http.server`` cannot show: dripping bytes, dropping a
    connection without an answer. Every connection is closed after the
    handler returns. ``tls``: an ``ssl.SSLContext`` (server side) to speak
    HTTPS. Yields ``(url, connection_times)``.
    """
    import socket as _socket

    listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    stop = threading.Event()
    times: list[float] = []

    def run_one(conn, n):
        try:
            if tls is not None:
                conn = tls.wrap_socket(conn, server_side=True)
            with conn:
                handler(conn, n)
        except OSError:  # the client gave up: fine
            pass

    def accept_loop():
        n = 0
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, _socket.timeout):
                continue
            except OSError:
                return
            conn.settimeout(None)
            times.append(time.monotonic())
            threading.Thread(target=run_one, args=(conn, n), daemon=True).start()
            n += 1

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls is not None else 'http'}://127.0.0.1:{listener.getsockname()[1]}", times
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def _raw_answer(app, sock) -> None:
    head, body = _RawHandler.read_request(sock)
    if not head:
        return
    method, path = head.split(b" ")[:2]
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip()] = v.strip()
    status, h, out = app(method.decode(), path.decode(), headers, body)
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (h or {}).items()]
    lines += [f"Content-Length: {len(out)}", "Connection: close"]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + out)


def dripping(n_bytes: int = 40, *, every: float = 0.5, in_headers: bool = False):
    """A raw handler that sends an answer one byte every ``every`` seconds.

    ``in_headers=True`` drips the status line and headers too (the client is
    still waiting for headers); otherwise the headers come at once and the
    ``n_bytes`` body bytes drip. Either way no single read ever waits long,
    so a per-read timeout never trips.
    """

    def handler(sock, n):
        _RawHandler.read_request(sock)
        body = b"[" + b" " * max(0, n_bytes - 2) + b"]"
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        ).encode()
        if in_headers:
            head += b"X-Padding: " + b"a" * n_bytes + b"\r\n"
            for i in range(len(head)):
                sock.sendall(head[i : i + 1])
                time.sleep(every)
            sock.sendall(b"\r\n" + body)
            return
        sock.sendall(head + b"\r\n")
        for i in range(len(body)):
            sock.sendall(body[i : i + 1])
            time.sleep(every)

    return handler


def drops_first(app, *, drops: int = 1, midway: bool = False):
    """A raw handler: the first ``drops`` connections are closed without an answer, then ``app`` answers.

    ``midway=True`` sends the headers and half the body before closing
    (the client sees an incomplete answer rather than no answer).
    """

    def handler(sock, n):
        if n >= drops:
            _raw_answer(app, sock)
            return
        _RawHandler.read_request(sock)
        if midway:
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n"
                b'Connection: close\r\n\r\n{"result": '
            )
        # closing here (by returning) drops the connection

    return handler


def self_signed_tls(folder):
    """A server-side ``ssl.SSLContext`` and its certificate file for 127.0.0.1 (made with the openssl tool).

    Returns ``(context, cert_path)``, or None when ``openssl`` is not installed.
    """
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        return None
    folder = Path(folder)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx, cert
