"""End-to-end: a Kubernetes cluster attached through the CLI.

The cluster is the project's test API server, whose kubelet runs each pod's
containers as local processes. The server, the agent (`--executor
kubernetes --kubeconfig ...`) and the CLI are the real `trainyard` binary,
so every step is what a user runs against a real cluster.
"""

import json
import os
import socket
import subprocess
import unittest

from cli_harness import BINARY, ROOT, Workplace, wait_until
from kube_harness import PYTHON_CLIENT, KubeApiServer

GROUP = "rg"
WORKSPACE = "ws"
CLUSTER = "k8s1"
COMPUTE = "k8s"
NAMESPACE = "trainyard"  # the agent's default namespace
TOKEN = "e2e-token-5821"
# An image that has the Trainyard Python client installed: the test
# cluster gives its containers a PYTHONPATH that finds the client.
IMAGE = "trainyard/digits:e2e"
MISSING_IMAGE = "registry.invalid/missing:1"
DIGITS_SKLEARN = os.path.join(ROOT, "examples", "digits-sklearn", "job.yml")
CLUSTER_CONFIG = {
    "nodes": [{"name": "node-1", "cpu": "8", "memory": "32Gi", "gpu": 0,
               "labels": {"pool": "cpu"}},
              {"name": "node-2", "cpu": "4", "memory": "16Gi", "gpu": 0,
               "labels": {"pool": "dedicated"},
               "taints": [{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}]}],
    "images": {IMAGE: {"env": {"PYTHONPATH": PYTHON_CLIENT}}},
    "failingImages": [MISSING_IMAGE],
    # DaemonSet pods become ready this long after they start, so install
    # passes through Installing.
    "daemonSetReadySeconds": 2,
    "denials": [{"verb": "list", "resource": "jobs", "namespace": "locked"}],
}


def extension_flags(cluster, name="ml"):
    return ["--cluster-type", "connectedClusters", "--cluster-name", cluster, "--name", name]


def closed_port():
    """A loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class KubernetesClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = Workplace()
        cls.kube = None
        try:
            cls._attach_cluster()
        except Exception:
            cls._close()
            raise

    @classmethod
    def _attach_cluster(cls):
        w = cls.w
        cls.kube = KubeApiServer(w.folder, CLUSTER_CONFIG, TOKEN)
        cls.kubeconfig = cls.kube.write_kubeconfig("kubeconfig")
        w.login(GROUP, WORKSPACE)
        w.cli_ok("group", "create", "--name", GROUP, "--location", "local")
        cls.connection_file = cls.connect(CLUSTER)
        cls.agent = cls.start_agent(cls.connection_file, "agent-k8s1", cls.kubeconfig)
        w.cli_ok("k8s-extension", "create", *extension_flags(CLUSTER), "--extension-type",
                 "Trainyard.MachineLearning", "--scope", "cluster", "--configuration-settings",
                 "enableTraining=True")
        cls.install_states = []

        def installed():
            state = cls.extension(CLUSTER)["properties"]["installState"]
            if not cls.install_states or cls.install_states[-1] != state:
                cls.install_states.append(state)
            return state in ("Installed", "Failed")

        wait_until(installed, timeout=120, what="extension Installed or Failed")
        w.cli_ok("ml", "workspace", "create", "-n", WORKSPACE, "-l", "local")
        w.cli_ok("ml", "compute", "attach", "-n", COMPUTE, "--cluster", CLUSTER, "--namespace",
                 NAMESPACE)

    @classmethod
    def connect(cls, cluster):
        path = os.path.join(cls.w.folder, cluster + ".connection")
        cls.w.cli_ok("connectedk8s", "connect", "-n", cluster, "-l", "local", "--kind",
                     "kubernetes", "--connection-string-file", path)
        return path

    @classmethod
    def agent_args(cls, connection_file, name, flags):
        state_dir = os.path.join(cls.w.folder, name)
        os.makedirs(state_dir, exist_ok=True)
        return [BINARY, "agent", "--connection-string-file", connection_file, "--state-dir",
                state_dir, "--grace-period", "2"] + flags

    @classmethod
    def start_agent(cls, connection_file, name, kubeconfig):
        args = cls.agent_args(connection_file, name,
                              ["--executor", "kubernetes", "--kubeconfig", kubeconfig])
        return cls.w.spawn(args, name + ".log")

    @classmethod
    def extension(cls, cluster):
        return cls.w.cli_json("k8s-extension", "show", *extension_flags(cluster))

    @classmethod
    def tearDownClass(cls):
        cls._close()

    @classmethod
    def _close(cls):
        cls.w.close()
        if cls.kube:
            cls.kube.stop()

    # Helpers.

    def run_agent(self, name, flags):
        """Runs an agent that is expected to exit at once; returns the result."""
        args = self.agent_args(self.connection_file, name, flags)
        return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env=self.w.environment(), timeout=120)

    def create_job(self, name, *sets, image=IMAGE, flags=()):
        """Submits examples/digits-sklearn to the cluster with `--set` overrides."""
        return self.w.cli("ml", "job", "create", "--file", DIGITS_SKLEARN, "--name", name,
                          *flags, "--set", f"compute={COMPUTE}", f"environment={image}", *sets,
                          timeout=300)

    def write_spec(self, name, text):
        path = os.path.join(self.w.folder, name + ".yml")
        with open(path, "w") as out:
            out.write(text)
        return path

    def wait_final(self, name, timeout=180):
        final = ("Completed", "Failed", "Canceled")
        return wait_until(lambda: (lambda job: job if job["properties"]["status"] in final
                                   else None)(self.w.cli_json("ml", "job", "show", "-n", name)),
                          timeout=timeout, what=f"job {name} to end")

    def pods_of(self, job_name):
        pods = self.kube.get(f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
        return [pod for pod in pods
                if pod["metadata"].get("annotations", {}).get("trainyard.dev/job-id", "")
                .endswith("/" + job_name)]

    # The extension.

    def test_extension_installed_after_daemonsets_ready(self):
        shown = self.extension(CLUSTER)["properties"]
        self.assertEqual(shown["installState"], "Installed", shown)
        self.assertIn("Installing", self.install_states)
        components = {status["component"]: status for status in shown["statuses"]}
        plugin = components["nvidiaDevicePlugin"]
        self.assertEqual(plugin["state"], "Installed", plugin)
        daemonset = self.kube.get(
            f"/apis/apps/v1/namespaces/{NAMESPACE}/daemonsets/trainyard-nvidia-device-plugin")
        self.assertIsNotNone(daemonset)
        status = daemonset["status"]
        self.assertGreater(status["desiredNumberScheduled"], 0)
        self.assertEqual(status["numberReady"], status["desiredNumberScheduled"])
        ready = status["numberReady"]
        self.assertIn(f"{ready} of {ready} pods ready", plugin["message"])
        self.assertIsNotNone(
            self.kube.get(f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/trainyard-training"))

    # Jobs that run.

    def test_digits_sklearn_completes_with_logs_and_model(self):
        created = self.create_job("digits1", flags=["--stream"])
        self.assertEqual(created.code, 0, created)
        self.assertIn("final validation accuracy", created.out)

        job = self.w.cli_json("ml", "job", "show", "-n", "digits1")
        self.assertEqual(job["properties"]["status"], "Completed", job)
        rank0 = self.w.cli_ok("ml", "job", "logs", "-n", "digits1", "--rank", "0").out
        self.assertIn("final validation accuracy", rank0)
        self.assertIn("trainyard: uploaded output 'model' (1 file(s))", rank0)

        download = os.path.join(self.w.folder, "digits1-download")
        self.w.cli_ok("ml", "job", "download", "-n", "digits1", "--download-path", download)
        models = [os.path.join(root, name) for root, _, names in os.walk(download)
                  for name in names if name == "model.pkl"]
        self.assertEqual(len(models), 1, models)
        with open(models[0], "rb") as model:
            self.assertEqual(model.read(1), b"\x80", "model.pkl is not a pickle")

        pods = self.pods_of("digits1")
        self.assertEqual(len(pods), 1)
        main = pods[0]["spec"]["containers"][0]
        self.assertEqual(main["image"], IMAGE)
        self.assertEqual(main["resources"], {"requests": {"cpu": "1", "memory": "2Gi"}})
        self.assertEqual(pods[0]["spec"]["nodeSelector"], {"kubernetes.io/os": "linux"})
        names = [variable["name"] for variable in main["env"]]
        self.assertNotIn("PYTHONPATH", names)

    def test_pod_resources_equal_instance_type(self):
        self.w.cli_ok("ml", "compute", "instance-type", "create", "--compute", COMPUTE, "-n",
                      "pinned", "--cpu-request", "2", "--cpu-limit", "2", "--memory-request",
                      "1Gi", "--memory-limit", "1Gi", "--node-selector", "pool=cpu")
        spec = self.write_spec("pinned", "type: command\ncommand: echo pinned\n"
                               f"environment: {IMAGE}\ncompute: {COMPUTE}\n"
                               "resources:\n  instance_type: pinned\n")
        created = self.w.cli("ml", "job", "create", "--file", spec, "--name", "pinned1")
        self.assertEqual(created.code, 0, created)
        job = self.wait_final("pinned1")
        self.assertEqual(job["properties"]["status"], "Completed", job)
        pod = self.pods_of("pinned1")[0]
        self.assertEqual(pod["spec"]["containers"][0]["resources"],
                         {"requests": {"cpu": "2", "memory": "1Gi"},
                          "limits": {"cpu": "2", "memory": "1Gi"}})
        self.assertEqual(pod["spec"]["nodeSelector"],
                         {"kubernetes.io/os": "linux", "pool": "cpu"})

    def test_instance_type_tolerations_reach_pods(self):
        path = self.write_spec("dedicated-type", "name: dedicated\n"
                               "nodeSelector:\n  pool: dedicated\n"
                               "tolerations:\n- key: dedicated\n  operator: Equal\n"
                               "  value: ml\n  effect: NoSchedule\n"
                               "resources:\n  requests:\n    cpu: '1'\n")
        self.w.cli_ok("ml", "compute", "instance-type", "create", "--compute", COMPUTE,
                      "--file", path)
        spec = self.write_spec("dedicated", "type: command\ncommand: echo tolerated\n"
                               f"environment: {IMAGE}\ncompute: {COMPUTE}\n"
                               "resources:\n  instance_type: dedicated\n")
        created = self.w.cli("ml", "job", "create", "--file", spec, "--name", "dedicated1")
        self.assertEqual(created.code, 0, created)
        job = self.wait_final("dedicated1")
        self.assertEqual(job["properties"]["status"], "Completed", job)
        pod = self.pods_of("dedicated1")[0]
        self.assertEqual(pod["spec"]["nodeName"], "node-2")
        self.assertIn({"key": "dedicated", "operator": "Equal", "value": "ml",
                       "effect": "NoSchedule"}, pod["spec"]["tolerations"])

    def test_distributed_job_logs_per_rank(self):
        spec = self.write_spec(
            "ranks", "type: command\n"
            "command: echo rank $RANK of $WORLD_SIZE node $NODE_RANK master $MASTER_ADDR\n"
            f"environment: {IMAGE}\ncompute: {COMPUTE}\n"
            "resources:\n  instance_count: 2\ndistribution:\n  type: pytorch\n")
        created = self.w.cli("ml", "job", "create", "--file", spec, "--name", "ranks1")
        self.assertEqual(created.code, 0, created)
        job = self.wait_final("ranks1")
        self.assertEqual(job["properties"]["status"], "Completed", job)
        for rank in (0, 1):
            logs = self.w.cli_ok("ml", "job", "logs", "-n", "ranks1", "--rank", str(rank)).out
            self.assertIn(f"rank {rank} of 2 node {rank} master ", logs)
        self.assertEqual(len(self.pods_of("ranks1")), 2)

    # Jobs that cannot run: each fails with the reason, none stays Queued.

    def test_image_that_cannot_be_pulled_fails_job(self):
        created = self.create_job("pull1", image=MISSING_IMAGE)
        self.assertEqual(created.code, 0, created)
        job = self.wait_final("pull1")
        self.assertEqual(job["properties"]["status"], "Failed", job)
        self.assertIn(MISSING_IMAGE, job["properties"]["error"])

    def test_node_selector_matching_no_node_fails_job(self):
        self.w.cli_ok("ml", "compute", "instance-type", "create", "--compute", COMPUTE, "-n",
                      "a100", "--cpu-request", "1", "--node-selector", "accelerator=a100")
        created = self.create_job("selector1", "resources.instance_type=a100")
        self.assertEqual(created.code, 0, created)
        job = self.wait_final("selector1")
        self.assertEqual(job["properties"]["status"], "Failed", job)
        self.assertIn("accelerator=a100", job["properties"]["error"])

    def test_gpus_on_cluster_without_gpus_rejected_at_submit(self):
        self.w.cli_ok("ml", "compute", "instance-type", "create", "--compute", COMPUTE, "-n",
                      "gpu1", "--gpu-limit", "1")
        created = self.create_job("gpu1", "resources.instance_type=gpu1")
        self.assertNotEqual(created.code, 0, created)
        self.assertIn("no schedulable GPUs", created.err)
        self.assertIn("installNvidiaDevicePlugin is True", created.err)

    def test_attach_with_namespace_agent_lacks_rejected(self):
        attached = self.w.cli("ml", "compute", "attach", "-n", "team-a", "--cluster", CLUSTER,
                              "--namespace", "team-a")
        self.assertNotEqual(attached.code, 0, attached)
        self.assertIn("namespace 'team-a'", attached.err)
        self.assertIn("--namespace trainyard", attached.err)
        shown = self.w.cli("ml", "compute", "show", "-n", "team-a")
        self.assertNotEqual(shown.code, 0, shown)

    def test_attach_without_namespace_takes_agents(self):
        self.w.cli_ok("ml", "compute", "attach", "-n", "no-ns", "--cluster", CLUSTER)
        compute = self.w.cli_json("ml", "compute", "show", "-n", "no-ns")
        self.assertEqual(compute["properties"]["namespace"], NAMESPACE)

    # The agent against a cluster it cannot use.

    def test_unreachable_api_server_fails_install_naming_it(self):
        connection = self.connect("down1")
        port = closed_port()
        kubeconfig = self.kube.write_kubeconfig("kubeconfig-down",
                                                server=f"http://127.0.0.1:{port}")
        self.start_agent(connection, "agent-down1", kubeconfig)
        self.w.cli_ok("k8s-extension", "create", *extension_flags("down1"), "--extension-type",
                      "Trainyard.MachineLearning", "--scope", "cluster",
                      "--configuration-settings", "enableTraining=True")
        wait_until(lambda: self.extension("down1")["properties"]["installState"] == "Failed",
                   timeout=120, what="install of down1 to fail")
        shown = json.dumps(self.extension("down1")["properties"]["statuses"])
        self.assertIn(f"127.0.0.1:{port}", shown)

    def test_rejected_token_stops_agent_with_401(self):
        kubeconfig = self.kube.write_kubeconfig("kubeconfig-expired", token="expired-token")
        result = self.run_agent("agent-401",
                                ["--executor", "kubernetes", "--kubeconfig", kubeconfig])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("401 Unauthorized", result.stderr)

    def test_rbac_denial_stops_agent_naming_verb_and_resource(self):
        result = self.run_agent("agent-403", ["--executor", "kubernetes", "--kubeconfig",
                                              self.kubeconfig, "--namespace", "locked"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("cannot list resource \"jobs\"", result.stderr)
        self.assertIn("locked", result.stderr)

    def test_bad_agent_flags_are_rejected(self):
        kube = ["--executor", "kubernetes"]
        cases = [
            (["--executor", "cloud"], 2, "--executor 'cloud' is not known"),
            (kube + ["--namespace", "Team_A"], 2, "--namespace 'Team_A' is not a valid"),
            (kube + ["--kubeconfig", "/nonexistent/kubeconfig"], 1, "/nonexistent/kubeconfig"),
            (["--kubeconfig", self.kubeconfig], 2,
             "--kubeconfig applies to --executor kubernetes only"),
            (["--create-namespace"], 2, "--create-namespace applies to --executor kubernetes"),
        ]
        for flags, code, message in cases:
            with self.subTest(flags=flags):
                result = self.run_agent("agent-flags", flags)
                self.assertEqual(result.returncode, code, result)
                self.assertIn(message, result.stderr)


if __name__ == "__main__":
    unittest.main()
