"""Tests that loopback traffic bypasses HTTP(S)_PROXY even without NO_PROXY."""

import os
import unittest
import urllib.error
import urllib.request
from unittest import mock

from fake_server import FakeTrackingServer

from trainyard_client import Client
from trainyard_client.transport import is_loopback_host, opener_for

RUN_ID = "0123456789abcdef0123456789abcdef"


def proxy_environment(proxy_url):
    """Return os.environ with both proxy variables set and every NO_PROXY removed."""
    environ = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        environ[name] = proxy_url
    return environ


class ProxyBypassTest(unittest.TestCase):
    def setUp(self):
        self.server = FakeTrackingServer()
        self.proxy = FakeTrackingServer()  # records whatever a proxy would receive
        self.addCleanup(self.server.stop)
        self.addCleanup(self.proxy.stop)

    def test_plain_urllib_would_use_proxy(self):
        # Control: without the bypass, urllib sends loopback requests to the proxy.
        with mock.patch.dict(os.environ, proxy_environment(self.proxy.url), clear=True):
            opener = urllib.request.build_opener(urllib.request.ProxyHandler())
            request = urllib.request.Request(self.server.url + "/api/v1/blobs", data=b"x")
            # The fake proxy responds with 404 to the absolute-form request it receives.
            with self.assertRaises(urllib.error.HTTPError):
                opener.open(request, timeout=5)
        self.assertEqual(len(self.proxy.requests), 1)
        self.assertEqual(len(self.server.requests), 0)

    def test_loopback_requests_skip_proxy(self):
        for host in ("127.0.0.1", "localhost"):
            with self.subTest(host=host):
                url = self.server.url.replace("127.0.0.1", host)
                with mock.patch.dict(os.environ, proxy_environment(self.proxy.url), clear=True):
                    client = Client(url, RUN_ID, environ={}, flush_interval=0.01)
                    client.log_metric("loss", 1.0)
                    self.assertTrue(client.flush(10))
                    client.close()
        self.assertEqual(len(self.server.batches), 2)
        self.assertEqual(self.proxy.requests, [])

    def test_other_hosts_keep_proxy(self):
        with mock.patch.dict(os.environ, proxy_environment("http://proxy.example:3128"),
                             clear=True):
            opener = opener_for("http://tracking.example:8080")
        handlers = [h for h in opener.handlers if isinstance(h, urllib.request.ProxyHandler)]
        self.assertEqual(handlers[0].proxies.get("http"), "http://proxy.example:3128")

    def test_loopback_hosts(self):
        for host in ("localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.1.2.3",
                     "::1", "[::1]"):
            with self.subTest(host=host):
                self.assertTrue(is_loopback_host(host))
        for host in ("10.0.0.1", "example.com", "localhost.example.com", "::2"):
            with self.subTest(host=host):
                self.assertFalse(is_loopback_host(host))


if __name__ == "__main__":
    unittest.main()
