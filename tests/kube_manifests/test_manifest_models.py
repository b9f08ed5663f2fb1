"""Checks every manifest Trainyard's Kubernetes executor produces against
the official Kubernetes API models (Debian's python3-kubernetes).

Each manifest must deserialise into its model with client-side validation
on, so every required field is present, and serialise back to the same
JSON, so no field is unknown to the API and none is lost.

    python3 test_manifest_models.py PATH/TO/kubernetes_manifest_dump
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

try:
    import kubernetes.client
except ImportError:  # pragma: no cover - reported by the test below
    kubernetes = None

DUMP_TOOL = None

MODELS = {
    ("batch/v1", "Job"): "V1Job",
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "V1ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "V1ClusterRoleBinding",
}

AGENT_MANIFEST = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "deploy", "kubernetes", "agent.yaml")


class _Response:
    """The shape ApiClient.deserialize reads: the body as `data`."""

    def __init__(self, text):
        self.data = text


def differences(expected, actual, path=""):
    """Lists the paths where `actual` differs from `expected`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                found.append(f"{path}.{key}: lost")
            elif key not in expected:
                found.append(f"{path}.{key}: added")
            else:
                found.extend(differences(expected[key], actual[key], f"{path}.{key}"))
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items became {len(actual)}"]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual)):
            found.extend(differences(left, right, f"{path}[{index}]"))
        return found
    return [] if expected == actual else [f"{path}: {expected!r} became {actual!r}"]


class ManifestModelTest(unittest.TestCase):
    def setUp(self):
        if kubernetes is None:
            self.fail("python3-kubernetes is missing; install it with scripts/setup.sh "
                      f"(this is {sys.executable})")
        self.folder = tempfile.mkdtemp(prefix="trainyard-manifests-")
        subprocess.run([DUMP_TOOL, self.folder], check=True, capture_output=True)
        configuration = kubernetes.client.Configuration()
        configuration.client_side_validation = True
        self.api = kubernetes.client.ApiClient(configuration)

    def check_round_trip(self, manifest):
        model = MODELS.get((manifest["apiVersion"], manifest["kind"]))
        self.assertIsNotNone(model, f"no model for {manifest['kind']}")
        # Client-side validation raises ValueError for a missing required
        # field.
        obj = self.api.deserialize(_Response(json.dumps(manifest)), model)
        again = self.api.sanitize_for_serialization(obj)
        self.assertEqual(differences(manifest, again), [])

    def test_every_manifest_round_trips(self):
        files = sorted(glob.glob(os.path.join(self.folder, "*.json")))
        self.assertGreaterEqual(len(files), 15)
        for path in files:
            with self.subTest(manifest=os.path.basename(path)):
                with open(path) as source:
                    self.check_round_trip(json.load(source))

    def test_agent_deployment_round_trips(self):
        with open(AGENT_MANIFEST) as source:
            documents = [d for d in yaml.safe_load_all(source) if d]
        self.assertGreaterEqual(len(documents), 10)
        for document in documents:
            with self.subTest(kind=document["kind"], name=document["metadata"]["name"]):
                self.check_round_trip(document)

    def test_job_pods_carry_linux_selector(self):
        for path in glob.glob(os.path.join(self.folder, "job-*.json")):
            with open(path) as source:
                job = json.load(source)
            selector = job["spec"]["template"]["spec"]["nodeSelector"]
            self.assertEqual(selector.get("kubernetes.io/os"), "linux", path)


if __name__ == "__main__":
    DUMP_TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)
