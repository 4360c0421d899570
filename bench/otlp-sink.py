#!/usr/bin/env python3
"""An OTLP/HTTP receiver that accepts every export and discards it, for bench/compare --telemetry exported.

An empty body is a valid Export{Trace,Metrics,Logs}ServiceResponse, so an exporter sees each export succeed and pays
what it pays under the AppHost (batching, serializing, sending), without a dashboard's CPU on the two cores.
Counts the exports per signal into the file named by its second argument when it stops (SIGTERM).
  bench/otlp-sink.py <port> [counts-file]
"""
import collections
import http.server
import signal
import sys

counts = collections.Counter()


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        counts[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.writelines(f"{path} {n}\n" for path, n in sorted(counts.items()))
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
