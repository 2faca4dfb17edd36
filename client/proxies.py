"""The HTTP proxy the environment names for the server, looked up once per client session.

aiohttp's ``trust_env=True`` asks the environment again for every request, in a worker thread:
the ``*_PROXY``/``NO_PROXY`` variables, then ``~/.netrc``, twice per request. On loopback that
cost more than the request itself (2.8 times raw aiohttp's latency). A client talks to one
server, so the answer never changes while its session lives: the session takes it once, from
aiohttp's own lookup (the same rules: ``NO_PROXY`` bypasses, credentials from the proxy URL or
``~/.netrc``, HTTPS proxies ignored with a warning), and sends each request with it.

Unlike ``trust_env``, the server's own host is not looked up in ``~/.netrc``: the client sends
its API key as a Bearer token, and aiohttp refuses a request that has both (every request
failed with ``ValueError`` when ``~/.netrc`` named the LiteLLM host).
"""

from __future__ import annotations

import yarl
from aiohttp.helpers import get_env_proxy_for_url

__all__ = ["proxy_from_environment"]


def proxy_from_environment(url: str) -> yarl.URL | None:
    """The proxy to reach ``url`` through, its credentials in the URL; None to go direct.

    aiohttp turns credentials in a proxy URL into ``Proxy-Authorization`` for plain HTTP and
    for a ``CONNECT`` tunnel alike (its ``proxy_auth`` argument is deprecated, and
    ``proxy_headers`` reach only a tunnel).
    """
    try:
        proxy, auth = get_env_proxy_for_url(yarl.URL(url))
    except (LookupError, ValueError):  # no proxy for it, or a URL aiohttp cannot read
        return None
    if auth is not None:
        proxy = proxy.with_user(auth.login).with_password(auth.password)
    return proxy
