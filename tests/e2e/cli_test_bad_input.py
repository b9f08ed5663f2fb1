"""End-to-end: a table of bad command lines, each checked for its exit code,
its error text and an unchanged store."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from cli_harness import BINARY, Workplace, wait_until

EXTENSION = ["--cluster-type", "connectedClusters", "--extension-type",
             "Trainyard.MachineLearning"]


def extension_create(cluster, *settings, name="ml2"):
    return ["k8s-extension", "create", *EXTENSION, "--cluster-name", cluster, "--name", name,
            "--scope", "cluster", "--configuration-settings", *settings]


# Each row: argv, expected exit code, substrings expected in stderr, extra env.
BAD_INPUT = [
    # A setting typed after `--scope cluster` belongs to no flag.
    (["k8s-extension", "create", *EXTENSION, "--cluster-name", "c3", "--name", "ml2",
      "--configuration-settings", "enableTraining=True", "installNvidiaDevicePlugin=False",
      "logAnalyticsWS=True", "--scope", "cluster",
      "volumePluginDir=/var/lib/kubelet/volumeplugins"],
     2, ["'volumePluginDir=/var/lib/kubelet/volumeplugins'", "after --configuration-settings"],
     None),
    (extension_create("c3", "enableTraining"), 2, ["'enableTraining'", "KEY=VALUE"], None),
    (extension_create("c3", "=True"), 2, ["'=True'"], None),
    (extension_create("c3", "enableTraining=yes"), 1, ["enableTraining", "yes"], None),
    (extension_create("c3", "enableTraining="), 1, ["enableTraining"], None),
    (extension_create("c3", "enableTrainning=True"), 1, ["enableTrainning", "enableTraining"],
     None),
    (extension_create("c3", "relayConnectionString=Endpoint=sb://x;Key=k"), 1,
     ["relayConnectionString"], None),
    (extension_create("nope", "enableTraining=True"), 1, ["nope"], None),
    (["k8s-extension", "create", "--cluster-type", "managedClusters", "--cluster-name", "c3",
      "--name", "ml2", "--extension-type", "Trainyard.MachineLearning"],
     2, ["'managedClusters'", "connectedClusters"], None),
    (["k8s-extension", "create", "--cluster-type", "connectedClusters", "--name", "ml2",
      "--extension-type", "Trainyard.MachineLearning"], 2, ["--cluster-name (-c)"], None),
    (["k8s-extension", "create", *EXTENSION, "-c", "c3", "-n", "ml2", "--configuration-setings",
      "enableTraining=True"], 2, ["'--configuration-setings'", "'--configuration-settings'"],
     None),
    (["k8s-extension", "update", "--cluster-type", "connectedClusters", "-c", "c1", "-n", "ml"],
     2, ["nothing to update"], None),
    # Unsupported locations name the value and list the supported ones.
    (["connectedk8s", "connect", "--name", "c5", "--location", "mars-north"], 1,
     ["mars-north", "eastus"], None),
    (["ml", "workspace", "create", "--name", "ws5", "--location", "mars-north"], 1,
     ["mars-north", "eastus"], None),
    (["group", "create", "--name", "rg5", "--location", "mars-north"], 1, ["mars-north"], None),
    (["connectedk8s", "connect", "--name", "c5", "--location", "local", "--kind", "cloud"], 2,
     ["'cloud'", "kubernetes, local"], None),
    (["group", "create", "--name", "bad name!", "--location", "local"], 1, ["bad name!"], None),
    (["group", "create", "--name", "rg", "--location", "local"], 1, ["rg"], None),
    (["group", "create", "--name", "rg5"], 2, ["--location (-l)"], None),
    (["group", "create", "rg5", "--location", "local"], 2, ["unexpected argument 'rg5'"], None),
    (["group", "list", "extra"], 2, ["unexpected argument 'extra'"], None),
    (["group", "list", "--output", "xml"], 2, ["'xml'", "table, json, yaml, none"], None),
    (["group", "craete", "--name", "rg5"], 2, ["did you mean 'group create'?"], None),
    (["group", "delete", "--name", "rg", "--yes"], 1, ["rg"], None),
    (["group", "delete", "--name", "rg"], 2, ["--yes"], None),
    (["group", "show", "--name", "nope"], 1, ["nope"], None),
    (["group", "list", "--token", "wrong-token"], 1, ["trainyard login"], None),
    (["group", "list", "--server", "http://127.0.0.1:1", "--token", "t"], 1,
     ["cannot reach the server at 'http://127.0.0.1:1'"], None),
    (["group", "list", "--server", "127.0.0.1:1"], 1, ["'127.0.0.1:1'", "http://"], None),
    # Attach refuses a cluster without training, in another location, or unknown.
    (["ml", "compute", "attach", "--name", "k2", "--cluster", "c2"], 1, ["enableTraining"],
     None),
    (["ml", "compute", "attach", "--name", "k3", "--cluster", "c1", "--workspace", "wseu"], 1,
     ["westeurope"], None),
    (["ml", "compute", "attach", "--name", "k4", "--cluster", "nope"], 1, ["nope"], None),
    (["ml", "compute", "attach", "--name", "k4"], 2, ["--cluster"], None),
    (["ml", "compute", "attach", "--name", "k4", "--resource-id", "/bad/id"], 2, ["'/bad/id'"],
     None),
    (["ml", "compute", "detach", "--name", "local", "--workspace", "ws", "--yes",
      "--resource-group", "nope"], 1, ["nope"], None),
    (["ml", "compute", "instance-type", "create", "--compute", "local", "--name", "big",
      "--cpu-request", "8", "--cpu-limit", "4"], 1, ["cpu"], None),
    (["ml", "compute", "instance-type", "create", "--compute", "local", "--name", "sel",
      "--node-selector", "pool"], 2, ["'pool'"], None),
    # Jobs are validated whole before anything is stored or uploaded.
    (["ml", "job", "create", "--file", "{folder}/unknown_field.yml"], 1, ["comand"], None),
    (["ml", "job", "create", "--file", "{folder}/no_compute.yml"], 1, ["missing-compute"],
     None),
    (["ml", "job", "create", "--file", "{folder}/bad_input_ref.yml"], 1, ["inputs.nothing"],
     None),
    (["ml", "job", "create", "--file", "{folder}/big_code.yml"], 1,
     ["over the 1.0 MiB limit"], {"TRAINYARD_MAX_CODE_MIB": "1"}),
    # The default code limit is the server's upload limit; a larger one
    # could only fail at upload.
    (["ml", "job", "create", "--file", "{folder}/huge_code.yml"], 1,
     ["65.0 MiB", "over the 64.0 MiB limit", "job input"], None),
    (["ml", "job", "create", "--file", "{folder}/big_code.yml"], 1,
     ["TRAINYARD_MAX_CODE_MIB '100'", "upload limit of 64 MiB"],
     {"TRAINYARD_MAX_CODE_MIB": "100"}),
    (["ml", "job", "create", "--file", "{folder}/absent.yml"], 1, ["absent.yml"], None),
    (["ml", "job", "create", "--file", "{folder}/ok.yml", "--set", "resources"], 2,
     ["'resources'"], None),
    (["ml", "job", "create"], 2, ["--file (-f)"], None),
    (["ml", "job", "list", "--max-results", "0"], 2, ["'0'"], None),
    (["ml", "job", "show", "--name", "nope"], 1, ["nope"], None),
    (["ml", "job", "download", "--name", "nope"], 1, ["nope"], None),
]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write(text)


class CliBadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.w = Workplace()
        try:
            cls._build_workspace()
        except Exception:
            cls.w.close()
            raise

    @classmethod
    def _build_workspace(cls):
        w = cls.w
        w.login("rg", "ws")
        w.cli_ok("group", "create", "-n", "rg", "-l", "local")
        connection = os.path.join(w.folder, "c1.connection")
        w.cli_ok("connectedk8s", "connect", "-n", "c1", "-l", "local", "--kind", "local",
                 "--connection-string-file", connection)
        w.cli_ok("k8s-extension", "create", *EXTENSION, "-c", "c1", "-n", "ml",
                 "--configuration-settings", "enableTraining=True")
        w.start_agent(connection, "agent-c1")
        wait_until(lambda: w.cli_json("k8s-extension", "show", *EXTENSION[:2], "-c", "c1",
                                      "-n", "ml")["properties"]["installState"] == "Installed",
                   timeout=60, what="extension Installed")
        # c2's extension keeps enableTraining at its default, False.
        w.cli_ok("connectedk8s", "connect", "-n", "c2", "-l", "local", "--kind", "local",
                 "--connection-string-file", os.path.join(w.folder, "c2.connection"))
        w.cli_ok("k8s-extension", "create", *EXTENSION, "-c", "c2", "-n", "ml")
        # c3 has no extension, so extension rows fail only for their own fault.
        w.cli_ok("connectedk8s", "connect", "-n", "c3", "-l", "local", "--kind", "local",
                 "--connection-string-file", os.path.join(w.folder, "c3.connection"))
        w.cli_ok("ml", "workspace", "create", "-n", "ws", "-l", "local")
        w.cli_ok("ml", "workspace", "create", "-n", "wseu", "-l", "westeurope")
        w.cli_ok("ml", "compute", "attach", "-n", "local", "--cluster", "c1")

        folder = w.folder
        job = "type: command\ncommand: echo hi\nenvironment: python3\ncompute: local\n"
        write(f"{folder}/ok.yml", job)
        write(f"{folder}/unknown_field.yml", job + "comand: typo\n")
        write(f"{folder}/no_compute.yml", job.replace("compute: local", "compute: missing-compute"))
        write(f"{folder}/bad_input_ref.yml",
              job.replace("echo hi", "echo ${{inputs.nothing}}"))
        write(f"{folder}/big_code.yml", job + "code: ./big\n")
        write(f"{folder}/big/data.bin", "x" * (2 << 20))
        write(f"{folder}/huge_code.yml", job + "code: ./huge\n")
        # Sparse: the CLI checks sizes before it reads any content.
        write(f"{folder}/huge/data.bin", "")
        os.truncate(f"{folder}/huge/data.bin", 65 << 20)

    @classmethod
    def tearDownClass(cls):
        cls.w.close()

    def snapshot(self):
        """Everything the bad inputs could have changed, without fields that the
        agent's heartbeats move."""
        w = self.w
        state = {"groups": [(g["id"], g["version"]) for g in w.cli_json("group", "list")]}
        clusters = w.cli_json("connectedk8s", "list")
        state["clusters"] = sorted(c["id"] for c in clusters)
        state["extensions"] = sorted(
            (e["id"], json.dumps(e["properties"]["configurationSettings"], sort_keys=True))
            for c in clusters
            for e in w.cli_json("k8s-extension", "list", "--cluster-type", "connectedClusters",
                                "-c", c["name"]))
        workspaces = w.cli_json("ml", "workspace", "list")
        state["workspaces"] = sorted((ws["id"], ws["version"]) for ws in workspaces)
        state["computes"] = sorted((c["id"], c["version"]) for ws in workspaces
                                   for c in w.cli_json("ml", "compute", "list", "-w", ws["name"]))
        state["instance_types"] = sorted(
            it["name"] for it in w.cli_json("ml", "compute", "instance-type", "list",
                                            "--compute", "local"))
        state["jobs"] = sorted(job["name"] for job in w.cli_json("ml", "job", "list"))
        return state

    def test_bad_input_table(self):
        for argv, code, expected, env in BAD_INPUT:
            argv = [arg.replace("{folder}", self.w.folder) for arg in argv]
            with self.subTest(argv=" ".join(argv)):
                before = self.snapshot()
                result = self.w.cli(*argv, env=env)
                self.assertEqual(result.code, code, result)
                self.assertTrue(result.err.startswith("error: "), result)
                for text in expected:
                    self.assertIn(text, result.err, result)
                self.assertEqual(self.snapshot(), before, result)

    def test_unreadable_code_file_is_named(self):
        folder = tempfile.mkdtemp(prefix="trainyard-unreadable-")
        try:
            write(f"{folder}/job.yml", "type: command\ncommand: python3 train.py\n"
                                       "environment: python3\ncompute: local\ncode: ./src\n")
            write(f"{folder}/src/train.py", "print('hi')\n")
            write(f"{folder}/src/secret.key", "key\n")
            os.chmod(f"{folder}/src/secret.key", 0)
            # Root reads files whatever their mode, so the CLI runs without
            # the capabilities that let it.
            prefix = []
            if os.geteuid() == 0:
                prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
            before = self.snapshot()
            result = subprocess.run(
                prefix + [BINARY, "ml", "job", "create", "--file", f"{folder}/job.yml"],
                capture_output=True, text=True, env=self.w.environment(), cwd=folder,
                timeout=120)
            self.assertEqual(result.returncode, 1, result)
            self.assertIn(f"cannot read '{folder}/src/secret.key'", result.stderr)
            self.assertIn("Permission denied", result.stderr)
            self.assertEqual(self.snapshot(), before)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_good_row_passes_the_same_checks(self):
        """Guards the table: the same command with the stray setting moved works."""
        before = self.snapshot()
        self.w.cli_ok("k8s-extension", "create", *EXTENSION, "-c", "c3", "-n", "ml3",
                      "--configuration-settings", "enableTraining=True",
                      "volumePluginDir=/var/lib/kubelet/volumeplugins", "--scope", "cluster")
        self.assertNotEqual(self.snapshot(), before)
        self.w.cli_ok("k8s-extension", "delete", *EXTENSION[:2], "-c", "c3", "-n", "ml3",
                      "--yes", "--delete-created-resources")


if __name__ == "__main__":
    unittest.main()
