"""Read-only HTTP access to the Kubernetes API through the official client, decoding raw JSON ourselves.

Requests go through `ApiClient.param_serialize` / `call_api` (the client's own auth, TLS, proxy and token
refresh), always GET, always with a bounded (connect, read) timeout, and with urllib3 retries off. The
body is decoded with `json.loads` instead of the client's model classes, which cost ~10x more for large
lists. Failures become two exception types: `ApiStatusError` (the server answered with an error status)
and `TransportError` (no usable answer: refused, DNS, TLS, timeout, dropped), each with a short reason.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from kubenet_tui.sources.kubeconfig import Connection
from kubenet_tui.sources.slim import as_dict

PAGE_SIZE = 500  # kubectl's chunk size: large lists arrive in bounded pieces


class ApiStatusError(Exception):
    """The server answered with an error status. `message` is the Status body's message if any."""

    def __init__(self, code: int, reason: str, message: str, path: str) -> None:
        super().__init__(f"{code} {reason}: {message}" if message else f"{code} {reason}")
        self.code = code
        self.reason = reason
        self.message = message
        self.path = path


class TransportError(Exception):
    """No usable answer. `kind` is one of refused, dns, tls, timeout, connect, dropped."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass
class ListResult:
    items: list[dict[str, Any]]
    resource_version: str
    kind: str


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None)
        if isinstance(inner, BaseException):
            exc = inner
            continue
        if exc.__cause__ is not None:
            exc = exc.__cause__
            continue
        if exc.__context__ is not None and not isinstance(exc, (socket.gaierror, ConnectionError, ssl.SSLError)):
            exc = exc.__context__
            continue
        break
    return exc


def classify(exc: BaseException, timeout: float) -> TransportError:
    """A transport-level exception as one short, specific reason."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, ApiException) and exc.status == 0:
        # The client turns urllib3's SSLError into ApiException(status=0, reason="SSLError\n<text>").
        text = str(exc.reason or "").split("\n", 1)[-1]
        return TransportError("tls", _tls_reason(text))
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return TransportError("dns", "the host name could not be resolved (DNS)")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return TransportError("tls", _tls_reason(str(exc)))
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        root = _root_cause(exc)
        if isinstance(root, socket.gaierror):
            return TransportError("dns", "the host name could not be resolved (DNS)")
        if isinstance(root, ConnectionRefusedError) or "refused" in str(exc).lower():
            return TransportError("refused", "connection refused (nothing listens at that address)")
        return TransportError("connect", f"cannot connect: {_short(root)}")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return TransportError("timeout", f"no connection within {timeout:g} s")
    if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout)):
        return TransportError("timeout", f"the server accepted the connection but sent no answer within {timeout:g} s")
    if isinstance(exc, ssl.SSLError):
        return TransportError("tls", _tls_reason(str(exc)))
    if isinstance(exc, (urllib3.exceptions.ProtocolError, ConnectionError, urllib3.exceptions.HTTPError, OSError)):
        root = _root_cause(exc)
        if isinstance(root, (TimeoutError, socket.timeout)):
            return TransportError("timeout", f"the server accepted the connection but sent no answer within {timeout:g} s")
        if isinstance(root, ssl.SSLError):
            return TransportError("tls", _tls_reason(str(root)))
        return TransportError("dropped", f"the connection was dropped: {_short(root)}")
    return TransportError("connect", _short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _tls_reason(text: str) -> str:
    lowered = text.lower()
    if "certificate verify failed" in lowered:
        detail = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip(" )'\"")
        return f"the server's TLS certificate is not trusted ({detail or 'verify failed'})"
    if "hostname" in lowered or "ip address mismatch" in lowered:
        return "the server's TLS certificate does not match its address"
    return f"TLS handshake failed: {text.strip().splitlines()[0][:160] if text.strip() else 'unknown error'}"


def _status_from_body(code: int, reason: str, data: bytes, path: str) -> ApiStatusError:
    message = ""
    try:
        body = json.loads(data)
        if isinstance(body, dict):
            message = str(body.get("message") or "")
            reason = str(body.get("reason") or reason)
    except (ValueError, UnicodeDecodeError):
        message = data[:200].decode("utf-8", "replace").strip()
    return ApiStatusError(code, reason, message, path)


CONNECT_BOUND = 30.0  # seconds to connect when requests themselves are unbounded (--request-timeout 0)


class KubeApi:
    """GET-only access: JSON documents, paginated lists, watch streams."""

    def __init__(self, connection: Connection, timeout: float) -> None:
        self.connection = connection
        # `timeout` 0 is kubectl's --request-timeout=0: no bound on waiting for an answer. Connecting
        # stays bounded (client-go's dialer does the same), and so does a watch, whose silence past
        # its own timeoutSeconds is how a dead link shows.
        self.timeout = timeout if timeout > 0 else CONNECT_BOUND
        self.read_timeout: float | None = timeout if timeout > 0 else None
        self.client = ApiClient(connection.configuration)
        self.client.user_agent = "kubenet-tui (read-only)"
        if not connection.configuration.verify_ssl:
            # The kubeconfig asked for it (insecure-skip-tls-verify); the live source says so once, in
            # its problems, instead of urllib3 printing a warning on every request over the screen.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def close(self) -> None:
        self.client.rest_client.close()

    def _open(self, path: str, query: Sequence[tuple[str, str]], read_timeout: float | None) -> urllib3.BaseHTTPResponse:
        request = self.client.param_serialize(
            method="GET",
            resource_path=path,
            query_params=list(query),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = self.client.call_api(*request, _request_timeout=(self.timeout, read_timeout))
        except Exception as exc:  # urllib3 and ssl raise a wide family; classify() names the cause
            raise classify(exc, self.timeout) from None
        raw: urllib3.BaseHTTPResponse = response.response
        if not 200 <= raw.status <= 299:
            try:
                data = raw.data
            except Exception:  # the error body is a courtesy; its status alone is enough
                data = b""
            finally:
                raw.release_conn()
            raise _status_from_body(raw.status, raw.reason or "", data, path)
        return raw

    def get_json(self, path: str, query: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        raw = self._open(path, query, self.read_timeout)
        try:
            data = raw.data
        except Exception as exc:
            raise classify(exc, self.timeout) from None
        finally:
            raw.release_conn()
        try:
            body = json.loads(data)
        except ValueError:
            raise ApiStatusError(raw.status, "BadResponse", "the answer is not JSON: is this a Kubernetes API server?",
                                 path) from None
        if not isinstance(body, dict):
            raise ApiStatusError(raw.status, "BadResponse", "the answer is not a JSON object", path)
        return body

    def list(self, path: str, on_page: Callable[[list[dict[str, Any]]], None] | None = None,
             label_selector: str | None = None, page_size: int = PAGE_SIZE) -> ListResult:
        """Every item, page by page (`limit`/`continue`). With `on_page`, each page is handed over as it
        arrives and not kept (a 50,000-pod list never sits in memory whole). A 410 on a continue token
        (the list took longer than the server keeps its snapshot) propagates: the caller starts over."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = [("limit", str(page_size))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            body = self.get_json(path, query)
            page = body.get("items")
            if isinstance(page, list):
                if on_page is not None:
                    on_page(page)
                else:
                    items.extend(page)
            meta = as_dict(body.get("metadata"))
            token = str(meta.get("continue") or "")
            if not token:
                return ListResult(items, str(meta.get("resourceVersion") or ""), str(body.get("kind") or ""))

    def watch(self, path: str, resource_version: str, timeout_seconds: int,
              label_selector: str | None = None) -> WatchStream:
        query = [("watch", "1"), ("resourceVersion", resource_version), ("allowWatchBookmarks", "true"),
                 ("timeoutSeconds", str(timeout_seconds))]
        if label_selector:
            query.append(("labelSelector", label_selector))
        # The server ends the watch after timeoutSeconds; a read that waits much longer means a dead link.
        raw = self._open(path, query, timeout_seconds + self.timeout)
        return WatchStream(raw, self.timeout)


class WatchStream:
    """The events of one watch, as decoded dicts. `close()` from another thread ends the iteration."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, timeout: float) -> None:
        self.raw = raw
        self.timeout = timeout
        self.closed = False

    def close(self) -> None:
        self.closed = True
        try:
            # shutdown() interrupts a read blocked in another thread; close() alone would not.
            shutdown = getattr(self.raw, "shutdown", None)
            if shutdown is not None:
                shutdown()
            self.raw.close()
        except Exception:  # closing a half-dead connection may fail; it is being abandoned anyway
            pass

    def __iter__(self) -> Iterator[dict[str, Any]]:
        buffer = b""
        try:
            for chunk in self.raw.stream(64 * 1024, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
            if buffer.strip():
                yield json.loads(buffer)
        except ValueError as exc:
            raise TransportError("dropped", f"garbled watch event: {exc}") from None
        except Exception as exc:
            if self.closed:
                return
            raise classify(exc, self.timeout) from None
        finally:
            # Already closed by close(): nothing to give back.
            with contextlib.suppress(Exception):
                self.raw.release_conn()
