#!/usr/bin/env python3
"""Dev-only preview server: serves ui/ with tests/ui/mock-tauri.js injected.

    python3 tests/ui/serve.py [--port 8765]
    open http://127.0.0.1:8765/?lang=en&theme=dark#/reminders

The page gets the same Content-Security-Policy as the Tauri window, read from
tauri.conf.json, so CSP violations show up in the browser console here too.
"""
import argparse
import functools
import http.server
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
UI = ROOT / "ui"
MOCK_PREFIX = "/__mock__/"
MOCK_TAG = '<script src="/__mock__/mock-tauri.js"></script>\n  '
FALLBACK_CSP = ("default-src 'self' ipc: http://ipc.localhost; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:")


def window_csp():
    for conf in (ROOT / "tauri.conf.json", ROOT / "src-tauri" / "tauri.conf.json"):
        try:
            return json.loads(conf.read_text())["app"]["security"]["csp"]
        except (OSError, KeyError, ValueError):
            continue
    return FALLBACK_CSP


class Handler(http.server.SimpleHTTPRequestHandler):
    csp = FALLBACK_CSP

    def end_headers(self):
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path in ("/", "/index.html"):
            html = (UI / "index.html").read_text(encoding="utf-8")
            # The mock must exist before any app script runs.
            html = html.replace("<script", MOCK_TAG + "<script", 1)
            body = html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith(MOCK_PREFIX):
            name = pathlib.PurePosixPath(clean[len(MOCK_PREFIX):]).name
            return str(HERE / name)
        return super().translate_path(path)

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    Handler.csp = window_csp()
    handler = functools.partial(Handler, directory=str(UI))
    server = http.server.ThreadingHTTPServer((args.host, args.port), handler)
    print(f"Molten UI preview: http://{args.host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
