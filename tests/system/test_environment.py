"""End-to-end tests of what a job finds around it: proxy variables and data.

A real server, agent and job run on loopback with the environment a user
behind a corporate proxy has.
"""

import json
import shlex
import os
import unittest

from harness import Agent, Cluster, TcpProxy, TempFolder, free_port

# Logs one metric through the Python client (which the agent puts on the
# job's PYTHONPATH), then calls the tracking endpoint with urllib's default
# opener, which follows HTTP_PROXY and NO_PROXY as most libraries do.
PROXY_JOB = r"""
import json, os, urllib.request
import trainyard_client as ty
ty.log_metric("proxied_ok", 1.0, step=0)
ty.close()
url = os.environ["TRAINYARD_TRACKING_URI"].rstrip("/") + "/api/v1/health"
with urllib.request.urlopen(url, timeout=10) as response:
    print("health", response.status)
print("no_proxy", os.environ.get("NO_PROXY", ""))
"""


def proxy_environment(proxy_url):
    """The agent's environment with every proxy variable and no NO_PROXY."""
    env = {name: value for name, value in os.environ.items()
           if name.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = proxy_url
    return env


class EnvironmentTest(unittest.TestCase):
    def setUp(self):
        self.folder = TempFolder()
        self.cluster = None
        self.proxy = None

    def tearDown(self):
        if self.cluster:
            self.cluster.close()
        if self.proxy:
            self.proxy.close()
        failed = any(error for _, error in self._outcome.errors) if hasattr(
            self._outcome, "errors") else False
        self.folder.close(keep=failed)

    def start_behind_proxy(self):
        """A cluster whose agent runs with proxy variables and no NO_PROXY."""
        # A corporate proxy that refuses and counts every connection, so any
        # request that goes through it fails and is seen.
        self.proxy = TcpProxy(target_port=free_port())
        self.proxy.accepting = False
        self.cluster = Cluster(self.folder.path)
        # Restart the agent with the proxy environment. Its state folder
        # keeps the cluster's identity.
        self.cluster.agent.stop()
        self.cluster.agent = Agent(self.folder.path, self.cluster.connection_string).start(
            env=proxy_environment(self.proxy.url))
        return self.cluster

    def test_proxy_without_no_proxy_keeps_loopback_direct(self):
        cluster = self.start_behind_proxy()
        cluster.submit({"name": "proxied", "command": "/usr/bin/python3 -c " +
                        shlex.quote(PROXY_JOB)})

        job = cluster.wait_status("proxied", ["Completed", "Failed"], timeout=90)

        lines = [line["text"] for line in cluster.log_lines("proxied")]
        self.assertEqual(job["properties"]["status"], "Completed", lines)
        self.assertIn("health 200", lines)
        no_proxy = next(line for line in lines if line.startswith("no_proxy "))
        for host in ("127.0.0.1", "localhost", "::1"):
            self.assertIn(host, no_proxy.split(" ", 1)[1].split(","))
        run = cluster.api("GET", cluster.workspace_path + "/jobs/proxied/run")
        history = cluster.api("GET", f"/api/v1/runs/{run['runId']}/metrics/proxied_ok/history")
        self.assertEqual([point["value"] for point in history["items"]], [1.0])
        self.assertEqual(self.proxy.refused, 0)

    def test_every_input_and_output_mode(self):
        cluster = self.cluster = Cluster(self.folder.path)
        data = os.path.join(self.folder.path, "data")
        os.makedirs(data)
        with open(os.path.join(data, "a.txt"), "w") as out:
            out.write("from-data\n")
        folder_input = {"type": "uri_folder", "path": data}
        cluster.submit({
            "name": "modes",
            "command": "cat ${{inputs.mounted}}/a.txt ${{inputs.copied}}/a.txt; "
                       "echo direct=${{inputs.direct}}; "
                       "echo changed > ${{inputs.copied}}/a.txt; "
                       "echo rw > ${{outputs.rw}}/r.txt; echo up > ${{outputs.up}}/u.txt",
            "inputs": {"mounted": {**folder_input, "mode": "ro_mount"},
                       "copied": {**folder_input, "mode": "download"},
                       "direct": {**folder_input, "path": "https://data.invalid/set",
                                  "mode": "direct"}},
            "outputs": {"rw": {"type": "uri_folder", "mode": "rw_mount"},
                        "up": {"type": "uri_folder", "mode": "upload"}},
        })

        job = cluster.wait_status("modes", ["Completed", "Failed"])

        lines = [line["text"] for line in cluster.log_lines("modes")]
        self.assertEqual(job["properties"]["status"], "Completed", lines)
        self.assertEqual(lines.count("from-data"), 2)
        self.assertIn("direct=https://data.invalid/set", lines)
        with open(os.path.join(data, "a.txt")) as source:
            self.assertEqual(source.read(), "from-data\n")  # the job changed only its copy
        artifacts = cluster.api("GET", cluster.workspace_path + "/jobs/modes/artifacts")
        self.assertEqual(sorted(item["path"] for item in artifacts["items"]),
                         ["rw/r.txt", "up/u.txt"])

    def test_missing_input_fails_job_not_agent(self):
        cluster = self.cluster = Cluster(self.folder.path)
        missing = os.path.join(self.folder.path, "no-such-data")
        cluster.submit({"name": "missing", "command": "ls ${{inputs.data}}",
                        "inputs": {"data": {"type": "uri_folder", "path": missing,
                                            "mode": "download"}}})

        job = cluster.wait_status("missing", ["Completed", "Failed"])

        self.assertEqual(job["properties"]["status"], "Failed")
        error = json.dumps(job["properties"])
        self.assertIn("input 'data'", error)
        self.assertIn(missing, error)
        cluster.submit({"name": "after", "command": "true"})
        self.assertEqual(cluster.wait_status("after", ["Completed", "Failed"])["properties"]
                         ["status"], "Completed")


if __name__ == "__main__":
    unittest.main()
