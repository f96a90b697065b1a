"""Web stage: `serve --cert FILE --key FILE`: the app over TLS, with waitress behind it in the same process.

waitress speaks plain HTTP only, and wrapping its listening socket in ssl does not work: its event loop
selects on the raw socket, so bytes that OpenSSL has already decrypted and buffered wait for more to
arrive. So a small front does the TLS: it accepts each connection on the public address, completes the
handshake on a thread of that connection, and relays the plain bytes to waitress on a loopback socket that
only it connects to. The WSGI wrapper (`TlsFront.only_relayed`) serves only the relayed connections, and
tells the app each one's real address (its rate limits count per client) and that the scheme is https.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import threading
from pathlib import Path

from ..problems import Problems

HANDSHAKE_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 120  # waitress's channel_timeout: a connection idle this long is closed
MAX_CONNECTIONS = 200  # open at once; more wait in the listen backlog
CHUNK = 64 * 1024


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context of TLS 1.2 or later with the certificate chain and its key. BuildFailed naming
    --cert or --key when they cannot be read or do not match."""
    problems = Problems()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for option, path in (("--cert", cert), ("--key", key)):
        if not Path(path).is_file():
            problems.about(option, f"{path} is not a file", code="tls")
    problems.raise_if_any("the app was not started")
    try:
        # An empty passphrase for an encrypted key: a message now, not OpenSSL's prompt on the terminal.
        context.load_cert_chain(str(cert), str(key), password=lambda: b"")
    except (ssl.SSLError, OSError) as error:  # OSError: a file this user may not read
        reason = getattr(error, "reason", None) or error.strerror or error
        problems.about("--cert", f"the certificate and key could not be used together ({reason}): "
                       "give the PEM certificate chain and its unencrypted private key", code="tls")
    problems.raise_if_any("the app was not started")
    return context


class TlsFront:
    """TLS on (host, port), relayed to `inner`, the loopback socket waitress serves."""

    def __init__(self, context: ssl.SSLContext, host: str, port: int):
        self.context = context
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host.strip("[]"), port), family=family, backlog=128)
        self.inner = socket.create_server(("127.0.0.1", 0))
        self.inner_address = self.inner.getsockname()
        self._peers: dict[int, str] = {}  # the relay's local port on the inner socket -> the client's address
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = False

    def start(self) -> None:
        threading.Thread(target=self._accept, name="tls-accept", daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def only_relayed(self, app):
        """WSGI: serve only what came through the TLS front (nobody else on this computer can reach waitress
        around it), as https, from the client's real address."""
        def serve(environ, start_response):
            with self._lock:
                peer = self._peers.get(int(environ.get("REMOTE_PORT") or 0)) \
                    if environ.get("REMOTE_ADDR") == "127.0.0.1" else None
            if peer is None:
                start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"Use the app's https:// address.\n"]
            environ["REMOTE_ADDR"] = peer  # https itself: waitress's url_scheme (server.py)
            return app(environ, start_response)
        return serve

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, address = self.listener.accept()
            except OSError:
                if self._closed:
                    return
                continue
            self._slots.acquire()
            threading.Thread(target=self._serve, args=(connection, address[0]), name="tls-relay",
                             daemon=True).start()

    def _serve(self, connection: socket.socket, address: str) -> None:
        inner = None
        try:
            connection.settimeout(HANDSHAKE_TIMEOUT_S)
            try:
                secure = self.context.wrap_socket(connection, server_side=True)
            except (OSError, ssl.SSLError):  # plain HTTP, a scanner, a client that gave up: nothing to serve
                return
            with secure:
                inner = socket.create_connection(self.inner_address)
                port = inner.getsockname()[1]
                with self._lock:
                    self._peers[port] = address
                try:
                    self._relay(secure, inner)
                finally:
                    with self._lock:
                        self._peers.pop(port, None)
        finally:
            if inner is not None:
                inner.close()
            connection.close()
            self._slots.release()

    @staticmethod
    def _relay(secure: ssl.SSLSocket, inner: socket.socket) -> None:
        """Both directions on this one thread (an SSL socket must not be read and written at once from two),
        neither socket blocking: a TLS record that has only partly arrived, or carried no data, must not
        hold up the other direction. A record OpenSSL has decrypted but not yet handed over is read before
        waiting on the socket."""
        secure.setblocking(False)
        inner.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(secure, selectors.EVENT_READ)
            selector.register(inner, selectors.EVENT_READ)
            while True:
                ready = [secure] if secure.pending() else \
                    [key.fileobj for key, _ in selector.select(IDLE_TIMEOUT_S)]
                if not ready:
                    return  # idle
                for source in ready:
                    try:
                        data = source.recv(CHUNK)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                        continue  # a record still arriving, or one that carried no data
                    except OSError:
                        return
                    if not data or not _send(inner if source is secure else secure, data):
                        return


def _send(target: socket.socket, data: bytes) -> bool:
    """All of `data` to a non-blocking socket, waiting while it cannot take more; False if it closed or
    stayed full for IDLE_TIMEOUT_S."""
    view = memoryview(data)
    while view:
        try:
            view = view[target.send(view):]
            continue
        except (ssl.SSLWantWriteError, BlockingIOError):
            wait = selectors.EVENT_WRITE
        except ssl.SSLWantReadError:  # TLS itself must read first (a key update)
            wait = selectors.EVENT_READ
        except OSError:
            return False
        with selectors.DefaultSelector() as selector:
            selector.register(target, wait)
            if not selector.select(IDLE_TIMEOUT_S):
                return False
    return True
