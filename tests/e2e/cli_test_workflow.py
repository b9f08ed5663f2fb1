"""End-to-end: the CLI drives a real server and a local agent from login to
job artifacts, in every output format."""

import json
import os
import stat
import unittest
import urllib.request

from cli_harness import OPENER, Workplace, wait_until

GROUP = "rg"
WORKSPACE = "ws"
EXTENSION_TYPE = "Trainyard.MachineLearning"


def extension_flags(cluster, name="ml"):
    return ["--cluster-type", "connectedClusters", "--cluster-name", cluster, "--name", name]


class CliWorkflowTest(unittest.TestCase):
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
        w.login(GROUP, WORKSPACE)
        w.cli_ok("group", "create", "--name", GROUP, "--location", "local")
        cls.connection_file = os.path.join(w.folder, "c1.connection")
        cls.connect_result = w.cli_ok("connectedk8s", "connect", "-n", "c1", "-l", "local",
                                      "--kind", "local", "--connection-string-file",
                                      cls.connection_file)
        w.cli_ok("k8s-extension", "create", *extension_flags("c1"), "--extension-type",
                 EXTENSION_TYPE, "--scope", "cluster", "--configuration-settings",
                 "enableTraining=True")
        w.start_agent(cls.connection_file, "agent-c1")
        wait_until(lambda: w.cli_json("k8s-extension", "show", *extension_flags("c1"))
                   ["properties"]["installState"] == "Installed",
                   timeout=60, what="extension Installed")
        w.cli_ok("ml", "workspace", "create", "-n", WORKSPACE, "-l", "local")
        w.cli_ok("ml", "compute", "attach", "-n", "local", "--cluster", "c1")

    @classmethod
    def tearDownClass(cls):
        cls.w.close()

    def write_job(self, name, command, code_files=None, extra=""):
        """Writes job.yml, with a code folder ./src holding `code_files` if given."""
        folder = os.path.join(self.w.folder, name)
        os.makedirs(folder, exist_ok=True)
        code = ""
        if code_files:
            os.makedirs(os.path.join(folder, "src"), exist_ok=True)
            for file_name, content in code_files.items():
                with open(os.path.join(folder, "src", file_name), "w") as out:
                    out.write(content)
            code = "code: ./src\n"
        spec = os.path.join(folder, "job.yml")
        with open(spec, "w") as out:
            out.write(f"type: command\n{code}command: {command}\n"
                      f"environment: python3\ncompute: local\n{extra}")
        return spec

    def test_connection_string_file_is_owner_only(self):
        mode = stat.S_IMODE(os.stat(self.connection_file).st_mode)
        self.assertEqual(mode, 0o600)
        with open(self.connection_file) as connection:
            self.assertIn("Credential=", connection.read())
        self.assertNotIn("Credential=", self.connect_result.out)
        self.assertIn(self.connection_file, self.connect_result.out)

    def test_login_config_is_owner_only_and_holds_defaults(self):
        mode = stat.S_IMODE(os.stat(self.w.config_file).st_mode)
        self.assertEqual(mode, 0o600)
        with open(self.w.config_file) as config:
            saved = json.load(config)
        self.assertEqual(saved["resourceGroup"], GROUP)
        self.assertEqual(saved["workspace"], WORKSPACE)

    def test_group_list_table_is_aligned(self):
        out = self.w.cli_ok("group", "list").out
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("Name"), out)
        self.assertTrue(set(lines[1].replace(" ", "")) == {"-"}, out)
        self.assertEqual(lines[0].index("Location"), lines[2].index("local"), out)

    def test_output_formats(self):
        as_json = self.w.cli_json("group", "show", "-n", GROUP)
        as_yaml = self.w.cli_ok("group", "show", "-n", GROUP, "-o", "yaml").out
        self.assertEqual(as_json["name"], GROUP)
        # The test machine has no YAML parser for Python, so the lines are checked.
        self.assertIn(f"name: {GROUP}\n", as_yaml)
        self.assertIn(f"version: {as_json['version']}\n", as_yaml)
        self.assertEqual(self.w.cli_ok("group", "show", "-n", GROUP, "-o", "none").out, "")

    def test_health_needs_no_token(self):
        result = self.w.cli_ok("health", "--server", self.w.url,
                               env={"TRAINYARD_CONFIG": "/nonexistent/config.json"})
        self.assertIn("ok", result.out)

    def test_extension_show_prints_state_components_and_settings(self):
        out = self.w.cli_ok("k8s-extension", "show", *extension_flags("c1")).out
        self.assertRegex(out, r"InstallState:\s+Installed")
        self.assertRegex(out, r"ExtensionType:\s+" + EXTENSION_TYPE)
        self.assertIn("components:", out)
        self.assertIn("provisioned resources:", out)
        self.assertRegex(out, r"enableTraining\s+True")
        self.assertRegex(out, r"installNvidiaDevicePlugin\s+True")

    def test_extension_update_delete_on_second_cluster(self):
        w = self.w
        w.cli_ok("connectedk8s", "connect", "-n", "c9", "-l", "local", "--kind", "local",
                 "--connection-string-file", os.path.join(w.folder, "c9.connection"))
        created = w.cli_json("k8s-extension", "create", *extension_flags("c9"),
                             "--extension-type", EXTENSION_TYPE, "--configuration-settings",
                             "enableTraining=true", "--configuration-protected-settings",
                             "relayConnectionString=Endpoint=sb://relay.example;Key=s3cret")

        updated = w.cli_json("k8s-extension", "update", *extension_flags("c9"),
                             "--configuration-settings", "logAnalyticsWS=TRUE")
        settings = updated["properties"]["configurationSettings"]
        self.assertEqual(settings["enableTraining"], "True")
        self.assertEqual(settings["logAnalyticsWS"], "True")
        self.assertGreater(updated["version"], created["version"])
        shown = w.cli_ok("k8s-extension", "show", *extension_flags("c9"))
        self.assertIn("relayConnectionString", shown.out)
        self.assertNotIn("s3cret", shown.out + json.dumps(updated))

        deleted = w.cli_ok("k8s-extension", "delete", *extension_flags("c9"), "--yes")
        self.assertIn("remaining resources", deleted.out)
        listed = w.cli_json("k8s-extension", "list", "--cluster-type", "connectedClusters",
                            "-c", "c9")
        self.assertEqual(listed, [])
        w.cli_ok("connectedk8s", "delete", "-n", "c9", "--yes")

    def test_instance_type_lifecycle(self):
        w = self.w
        target = ["--compute", "local"]
        w.cli_ok("ml", "compute", "instance-type", "create", *target, "-n", "small",
                 "--cpu-request", "500m", "--cpu-limit", "1", "--memory-request", "512Mi",
                 "--memory-limit", "1Gi")
        listed = w.cli_ok("ml", "compute", "instance-type", "list", *target).out
        self.assertRegex(listed, r"small\s+500m/1\s+512Mi/1Gi")
        shown = w.cli_json("ml", "compute", "instance-type", "show", *target, "-n", "small")
        self.assertEqual(shown["name"], "small")
        w.cli_ok("ml", "compute", "instance-type", "delete", *target, "-n", "small", "--yes")
        names = [item["name"] for item in
                 w.cli_json("ml", "compute", "instance-type", "list", *target)]
        self.assertNotIn("small", names)

    def test_job_stream_logs_show_download(self):
        w = self.w
        spec = self.write_job(
            "hello", "echo hello from trainyard && echo 42 > ${{outputs.result}}/result.txt",
            extra="outputs:\n  result:\n    type: uri_folder\n    mode: upload\n")

        created = w.cli("ml", "job", "create", "--file", spec, "--name", "hello1", "--stream",
                        timeout=300)
        self.assertEqual(created.code, 0, created)
        self.assertIn("hello from trainyard", created.out)
        self.assertIn("finished with status Completed", created.out)

        shown = w.cli_json("ml", "job", "show", "-n", "hello1")
        self.assertEqual(shown["properties"]["status"], "Completed")
        table = w.cli_ok("ml", "job", "show", "-n", "hello1").out
        self.assertIn("history:", table)
        self.assertIn("nodes:", table)
        self.assertIn("metrics:", table)

        logs = w.cli_ok("ml", "job", "logs", "-n", "hello1").out
        self.assertIn("hello from trainyard", logs)

        download = os.path.join(w.folder, "download")
        w.cli_ok("ml", "job", "download", "-n", "hello1", "--download-path", download)
        found = {os.path.relpath(os.path.join(root, name), download): os.path.join(root, name)
                 for root, _, names in os.walk(download) for name in names}
        results = [path for relative, path in found.items() if relative.endswith("result.txt")]
        self.assertEqual(len(results), 1, found)
        with open(results[0]) as result:
            self.assertEqual(result.read(), "42\n")

    def test_job_code_folder_runs(self):
        script = 'import os\nprint("code says", os.getcwd() != "")\n'
        spec = self.write_job("coded", "python3 hello.py", {"hello.py": script})

        created = self.w.cli("ml", "job", "create", "-f", spec, "-n", "coded1", "--stream",
                             timeout=300)
        self.assertEqual(created.code, 0, created)
        self.assertIn("uploaded code folder './src': 1 files", created.err)
        self.assertIn("code says True", created.out)
        shown = self.w.cli_json("ml", "job", "show", "-n", "coded1")
        self.assertTrue(shown["properties"]["codeSnapshot"].startswith("sha256:"))

    def test_failed_job_stream_exits_one(self):
        spec = self.write_job("fail", "python3 -c 'import sys; sys.exit(3)'")
        created = self.w.cli("ml", "job", "create", "-f", spec, "-n", "fail1", "--stream",
                             timeout=300)
        self.assertEqual(created.code, 1, created)
        self.assertIn("Failed", created.err)

    def test_set_overrides_and_cancel(self):
        w = self.w
        spec = self.write_job("sleepy", "sleep 1")
        job = w.cli_json("ml", "job", "create", "-f", spec, "-n", "sleepy1", "--set",
                         "command=sleep 300", "display_name=long nap")
        self.assertEqual(job["properties"]["displayName"], "long nap")
        self.assertIn("sleep 300", json.dumps(job["properties"]["spec"]))
        canceled = w.cli_json("ml", "job", "cancel", "-n", "sleepy1")
        self.assertIn(canceled["properties"]["status"], ("CancelRequested", "Canceled"))
        wait_until(lambda: w.cli_json("ml", "job", "show", "-n", "sleepy1")
                   ["properties"]["status"] == "Canceled", timeout=60, what="job Canceled")
        names = [item["name"] for item in
                 w.cli_json("ml", "job", "list", "--status", "Canceled")]
        self.assertIn("sleepy1", names)
        self.assertEqual(len(w.cli_json("ml", "job", "list", "--max-results", "1")), 1)

    def test_api_and_cli_store_identical_extensions(self):
        """A body posted with JSON booleans and one from the CLI show the same settings."""
        w = self.w
        for cluster in ("api1", "cli1"):
            w.cli_ok("connectedk8s", "connect", "-n", cluster, "-l", "local", "--kind", "local",
                     "--connection-string-file", os.path.join(w.folder, cluster + ".conn"))
        with open(w.token_file) as token_file:
            token = token_file.read().strip()
        body = json.dumps({"name": "ml", "extensionType": EXTENSION_TYPE, "scope": "cluster",
                           "configurationSettings": {"enableTraining": True,
                                                     "logAnalyticsWS": False}}).encode()
        request = urllib.request.Request(
            f"{w.url}/api/v1/resourceGroups/{GROUP}/connectedClusters/api1/extensions",
            data=body, method="POST",
            headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        with OPENER.open(request, timeout=30) as response:
            self.assertEqual(response.status, 201)
        w.cli_ok("k8s-extension", "create", *extension_flags("cli1"), "--extension-type",
                 EXTENSION_TYPE, "--scope", "cluster", "--configuration-settings",
                 "enableTraining=true", "logAnalyticsWS=False")

        from_api = w.cli_json("k8s-extension", "show", *extension_flags("api1"))
        from_cli = w.cli_json("k8s-extension", "show", *extension_flags("cli1"))
        self.assertEqual(from_api["properties"]["configurationSettings"],
                         from_cli["properties"]["configurationSettings"])


if __name__ == "__main__":
    unittest.main()
