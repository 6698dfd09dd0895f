"""The client's HTTP: httpx's own client and transport, with a network layer that obeys the thread's deadline.

httpx's timeouts bound each socket read, so a server that drips one byte every few seconds keeps a request alive
for ever, and a host-name look-up is bounded by nothing. Here the connection pools are httpcore's own, built with
httpcore's public ``network_backend=``: every look-up, connect, TLS handshake, read and write is given at most the
time left before the thread's :func:`~pulumi_vpsorg._deadline.deadline`, so a request ends on time whatever the
network or the server does.

Everything else is httpx's: keep-alive (connections idle longer than ``KEEPALIVE_EXPIRY`` are closed), TLS verified
(certifi, or ``SSL_CERT_FILE``), a body shorter than its ``Content-Length`` is an error, and proxies are taken from
the environment as httpx takes them (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``; a ``socks5://``
proxy needs ``socksio``, as in ``pip install httpx[socks]``). Redirects are never followed.
"""

from __future__ import annotations

import importlib.util
import socket
import ssl
import threading
from typing import Any

import httpcore
import httpx

from ._deadline import cut_to_thread_deadline

KEEPALIVE_EXPIRY = 5.0
_LIMITS = httpx.Limits()


def http_client(max_connections: int) -> httpx.Client:
    """An ``httpx.Client`` for the API: bounded transports, proxies from the environment, no redirects."""
    return _Client(
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        follow_redirects=False,
        trust_env=True,
    )


class _Client(httpx.Client):
    """httpx decides which proxy (or none) serves a URL; each route gets a :class:`BoundedTransport`."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return kwargs.get("transport") or BoundedTransport(kwargs.get("limits", _LIMITS))

    def _init_proxy_transport(self, proxy: httpx.Proxy, *args: Any, **kwargs: Any) -> httpx.BaseTransport:
        return BoundedTransport(kwargs.get("limits", _LIMITS), proxy)


class BoundedTransport(httpx.HTTPTransport):
    """httpx's ``HTTPTransport`` (which serves every request from ``_pool``) over a pool built by httpcore's public
    constructors with a :class:`_Backend`: direct, through an HTTP(S) proxy, or through a SOCKS proxy.
    """

    def __init__(self, limits: httpx.Limits, proxy: httpx.Proxy | None = None) -> None:
        pool: dict[str, Any] = {
            "ssl_context": _ssl_context(),
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": KEEPALIVE_EXPIRY,
            "network_backend": _Backend(httpcore.SyncBackend()),
        }
        if proxy is None:
            self._pool: Any = httpcore.ConnectionPool(**pool)
            return
        url = httpcore.URL(
            scheme=proxy.url.raw_scheme, host=proxy.url.raw_host, port=proxy.url.port, target=proxy.url.raw_path
        )
        if proxy.url.scheme in ("http", "https"):
            self._pool = httpcore.HTTPProxy(
                proxy_url=url,
                proxy_auth=proxy.raw_auth,
                proxy_headers=proxy.headers.raw,
                proxy_ssl_context=proxy.ssl_context,
                **pool,
            )
        elif proxy.url.scheme in ("socks5", "socks5h"):
            if importlib.util.find_spec("socksio") is None:
                raise httpx.ProxyError(
                    "a socks5:// proxy is configured (ALL_PROXY or HTTPS_PROXY) but the 'socksio' package is not "
                    "installed: pip install 'httpx[socks]'"
                )
            self._pool = httpcore.SOCKSProxy(proxy_url=url, proxy_auth=proxy.raw_auth, **pool)
        else:
            raise httpx.ProxyError(
                f"the proxy scheme {proxy.url.scheme!r} is not supported (http, https, socks5): check HTTPS_PROXY, "
                "HTTP_PROXY and ALL_PROXY"
            )


_SSL: ssl.SSLContext | None = None
_SSL_LOCK = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """One verifying context for the process (loading the CA bundle costs milliseconds each time)."""
    global _SSL
    with _SSL_LOCK:
        if _SSL is None:
            _SSL = httpx.create_ssl_context()
        return _SSL


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, cut_to_thread_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, cut_to_thread_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(
            self._inner.start_tls(
                ssl_context, server_hostname, cut_to_thread_deadline(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's network layer with every step bounded by the deadline, the host-name look-up included."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in resolve(host, port, cut_to_thread_deadline(timeout, httpcore.ConnectTimeout)):
            try:
                limit = cut_to_thread_deadline(timeout, httpcore.ConnectTimeout)
                return _Stream(self._inner.connect_tcp(address, port, limit, local_address, socket_options))
            except httpcore.ConnectError as e:  # the next address may answer (IPv6 first, then IPv4, say)
                failure = e
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _Stream(
            self._inner.connect_unix_socket(
                path, cut_to_thread_deadline(timeout, httpcore.ConnectTimeout), socket_options
            )
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of ``host``, looked up within ``timeout`` seconds (the system's resolver has no time limit of its
    own, so it runs in a daemon thread that is left behind if it hangs); an address is returned as it is.
    """
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return [host]
    except OSError:
        pass
    found: list[str] = []
    failed: list[OSError] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as e:
            failed.append(e)
        done.set()

    threading.Thread(target=look_up, name=f"vpsorg-resolve-{host}", daemon=True).start()
    if not done.wait(timeout):
        raise httpcore.ConnectTimeout(f"looking up the address of {host} took more than {timeout:.1f}s")
    if failed:
        raise httpcore.ConnectError(f"cannot look up {host}: {failed[0]}")
    return found
