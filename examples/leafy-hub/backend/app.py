"""The Leafy backend: answers on :8000 with what the database says (standard library only,
so the image needs nothing installed; it asks postgres for its version over the network)."""
import http.server, os, socket

DB = os.environ["DATABASE_URL"].rsplit("@", 1)[1].split("/")[0]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host, port = DB.split(":")
        try:
            socket.create_connection((host, int(port)), timeout=2).close()
            body = f"backend: database {DB} is reachable\n"
        except OSError as e:
            body = f"backend: database {DB} is not reachable: {e}\n"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

http.server.ThreadingHTTPServer(("", 8000), Handler).serve_forever()
