"""A Kubernetes API server for tests, in Python's standard library.

It implements the documented semantics of the endpoints that Trainyard's
agent uses: create, get, list, watch with resourceVersion, merge patch,
delete with propagationPolicy, 409, 410 Gone, pod logs and status
subresources. Behind them run a Job controller, a scheduler, a DaemonSet
controller and a kubelet that runs each pod's containers as local
processes.

    python3 server.py --port-file PATH [--config FILE] [--tls-cert C --tls-key K]
                      [--client-ca CA] [--work-dir DIR]

The config file is JSON: {"token", "user", "nodes": [{"name", "cpu",
"memory", "gpu", "labels", "taints", "unschedulable"}], "namespaces",
"objects", "denials": [{"verb", "resource", "namespace"}], "failingImages",
"images": {IMAGE: {"env": {NAME: VALUE}}}, "daemonSetReadySeconds",
"historyLimit", "maxWatchSeconds"}. Tests change
the cluster through POST /_test/<action> (see Cluster.control).
"""

import argparse
import http.server
import json
import os
import signal
import socketserver
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from api import Handler  # noqa: E402 - after the path is set
from cluster import Cluster  # noqa: E402


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1; 0 picks one")
    parser.add_argument("--port-file", help="file the bound port is written to once listening")
    parser.add_argument("--config", help="JSON file describing the cluster")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    parser.add_argument("--client-ca", help="PEM CA whose client certificates authenticate")
    parser.add_argument("--work-dir", help="folder for pod processes; a temporary one if unset")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()

    config = {}
    if args.config:
        with open(args.config) as source:
            config = json.load(source)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="kube-api-server-")
    cluster = Cluster(config, work_dir, verbose=args.verbose)

    server = Server(("127.0.0.1", args.port), Handler)
    server.cluster = cluster
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_OPTIONAL
        server.socket = context.wrap_socket(server.socket, server_side=True)
    cluster.start()

    def stop(signum, frame):
        cluster.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as out:
            out.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
