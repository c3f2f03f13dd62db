#!/usr/bin/env python3
"""HTTP server with injectable faults, for testing fetch against a bad network.

Usage: fault_server.py DIRECTORY [--log FILE] [--tls CERT KEY]

Serves the files in DIRECTORY on 127.0.0.1 at a free port and prints the port
number as the first line of standard output. It exits when standard input
reaches end of file, so a test process that dies takes its server with it.

Files are served with a strong ETag, Last-Modified, Range (one range),
If-Range, If-None-Match and If-Modified-Since, as an ordinary static server
does. Query parameters add faults. Each fault applies to the first `times`
requests (default 1) that carry the same `id` parameter, and later requests
are served normally, so a retry by the client succeeds.

  id=NAME            key for the request counter (default: the whole target)
  times=K            number of requests that get the fault (default 1)
  status=CODE        answer CODE with an empty body
  retry_after=VALUE  send Retry-After: VALUE with the status above
  drop=N             send N body bytes, then reset the connection (RST)
  short=N            send N body bytes, then close the connection cleanly
  stall=S            after the bytes of drop/short (or at once), wait S seconds
  trickle=S          send the body in 16 KiB pieces, S seconds apart
  ignore_range=1     always answer 200 with the whole body
  validators=none    send neither ETag nor Last-Modified
  validators=date    send Last-Modified but no ETag
  validators=weak    send a weak ETag (W/"...") and Last-Modified
  then=FILE          after the faulty requests, serve FILE instead (a new
                     version: other content, other ETag and Last-Modified)
  redirect=K         answer 302 to the same URL with redirect=K-1, until 0
  location=FORM      the form of those Location values: "path" (default,
                     /NAME?QUERY), "relative" (NAME?QUERY) or "absolute"
                     (http://HOST/NAME?QUERY with the request's Host)
  redirect_to=URL    answer 302 with Location: URL
  framing=close      send the body without Content-Length and close the
                     connection after it
  framing=chunked    send the body with Transfer-Encoding: chunked, in
                     chunks of varied sizes, some with a chunk extension,
                     and a trailer field
  odd_headers=1      write header names in odd letter case and add a field
                     folded over two lines
  interim=1          send 100 Continue before the response
  head_padding=N     add about N bytes of header fields to the response
  bad_status=1       answer with a malformed status line

The request target may be in absolute form (GET http://HOST/NAME), as a
client sends it to a proxy, so the server can stand in for a proxy too.

With --log, every request appends one tab-separated line to FILE:
id, status, Range, If-Range, If-None-Match, If-Modified-Since ("-" if
absent), and the request-target form: "origin" or "absolute".
"""

import email.utils
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 16 * 1024
# Chunk sizes that framing=chunked cycles through: tiny, odd and large ones,
# so that chunk boundaries fall everywhere in a client's reads.
CHUNK_SIZES = [1, 7, 4096, 65_539, 300_000, 2, 1 << 20]


class State:
    """Request counters per id and the request log, shared by all threads."""

    def __init__(self, root, log_path):
        self.root = root
        self.log_path = log_path
        self.lock = threading.Lock()
        self.counts = {}

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def log(self, fields):
        if not self.log_path:
            return
        line = "\t".join(field if field else "-" for field in fields) + "\n"
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(line)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault_server/1"

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def do_GET(self):
        self.handle_request(send_body=True)

    def handle_request(self, send_body):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        key = query.get("id", self.path)
        number = state.count(key)
        faulty = number <= int(query.get("times", "1"))

        if query.get("interim") == "1":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        status = self.choose_response(url, query, faulty, send_body)
        state.log([
            key, str(status),
            self.headers.get("Range"), self.headers.get("If-Range"),
            self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"),
            "absolute" if url.scheme else "origin",
        ])

    def choose_response(self, url, query, faulty, send_body):
        redirects = int(query.get("redirect", "0"))
        if redirects > 0:
            query["redirect"] = str(redirects - 1)
            target = url.path + "?" + urllib.parse.urlencode(query)
            form = query.get("location", "path")
            if form == "relative":
                target = target.rsplit("/", 1)[1]
            elif form == "absolute":
                target = "http://" + self.headers.get("Host", "") + target
            self.send_empty(302, {"Location": target})
            return 302

        if faulty and "redirect_to" in query:
            self.send_empty(302, {"Location": query["redirect_to"]})
            return 302

        if faulty and query.get("bad_status") == "1":
            self.wfile.write(b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n")
            self.close_connection = True
            return 200

        if faulty and "status" in query:
            headers = {}
            if "retry_after" in query:
                headers["Retry-After"] = query["retry_after"]
            status = int(query["status"])
            self.send_empty(status, headers)
            return status

        name = url.path.lstrip("/")
        if not faulty and "then" in query:
            name = query["then"]
        path = os.path.join(self.server.state.root, name)
        if "/" in name or not os.path.isfile(path):
            self.send_empty(404, {})
            return 404

        info = os.stat(path)
        size = info.st_size
        validators = query.get("validators", "strong")
        etag = '"%x-%x"' % (size, info.st_mtime_ns)
        if validators == "weak":
            etag = "W/" + etag
        last_modified = email.utils.formatdate(info.st_mtime, usegmt=True)
        headers = {"Accept-Ranges": "bytes"}
        if validators in ("strong", "weak"):
            headers["ETag"] = etag
        if validators != "none":
            headers["Last-Modified"] = last_modified
        else:
            etag = last_modified = None

        if self.is_not_modified(etag, int(info.st_mtime)):
            self.send_empty(304, headers)
            return 304

        start, end = 0, size - 1
        range_header = self.headers.get("Range")
        if range_header and query.get("ignore_range") != "1":
            if self.range_applies(etag, last_modified):
                parsed = parse_range(range_header, size)
                if parsed is None:
                    headers["Content-Range"] = "bytes */%d" % size
                    self.send_empty(416, headers)
                    return 416
                start, end = parsed

        status = 200
        if (start, end) != (0, size - 1):
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
        length = end - start + 1
        self.send_response(status)
        framing = query.get("framing", "length")
        if framing == "chunked":
            headers["Transfer-Encoding"] = "chunked"
        elif framing == "close":
            headers["Connection"] = "close"
            self.close_connection = True
        else:
            headers["Content-Length"] = str(length)
        headers["Content-Type"] = "application/octet-stream"
        if query.get("odd_headers") == "1":
            headers = {odd_case(name): value for name, value in headers.items()}
            headers["X-Folded"] = "first part\r\n \t second part"
        for number in range(int(query.get("head_padding", "0")) // 1000):
            headers["X-Padding-%d" % number] = "p" * 980
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.send_body(path, start, length, query if faulty else {}, framing == "chunked")
        return status

    def is_not_modified(self, etag, mtime):
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [tag.strip() for tag in if_none_match.split(",")]
            weak = etag.removeprefix("W/") if etag else None
            return "*" in tags or (weak is not None and any(
                tag.removeprefix("W/") == weak for tag in tags))
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is not None:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            return mtime <= since.timestamp()
        return False

    def range_applies(self, etag, last_modified):
        if_range = self.headers.get("If-Range")
        if if_range is None:
            return True
        if if_range.startswith('"'):
            return etag is not None and not etag.startswith("W/") and if_range == etag
        return last_modified is not None and if_range == last_modified

    def send_body(self, path, start, length, faults, chunked):
        limit = length
        for mode in ("drop", "short"):
            if mode in faults:
                limit = min(length, int(faults[mode]))
        trickle = float(faults.get("trickle", "0"))

        with open(path, "rb") as body:
            body.seek(start)
            sent = 0
            chunks = 0
            while sent < limit:
                size = PIECE if trickle else 1 << 20
                if chunked:
                    size = CHUNK_SIZES[chunks % len(CHUNK_SIZES)]
                    chunks += 1
                piece = body.read(min(size, limit - sent))
                if not piece:
                    break
                if chunked:
                    extension = ";piece=%d" % chunks if chunks % 2 else ""
                    self.wfile.write(b"%x%s\r\n" % (len(piece), extension.encode()))
                    self.wfile.write(piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
                if trickle:
                    self.wfile.flush()
                    time.sleep(trickle)
            if chunked and sent == length:
                self.wfile.write(b"0\r\nX-Trailer: done\r\n\r\n")
        self.wfile.flush()

        if "stall" in faults:
            time.sleep(float(faults["stall"]))
        if "drop" in faults:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if "drop" in faults or "short" in faults or "stall" in faults:
            self.close_connection = True
            self.connection.close()

    def send_empty(self, status, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", "0")
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gives up mid-body (a stall timeout, Ctrl-C) is expected.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def odd_case(name):
    """Return a header name with its letters in alternating case."""
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))


def parse_range(header, size):
    """Return (start, end) of a single `bytes=` range, or None if unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return (0, size - 1)
    first, _, last = spec.strip().partition("-")
    if first == "":
        count = int(last)
        return (max(0, size - count), size - 1) if count > 0 and size > 0 else None
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return (start, min(end, size - 1))


def main():
    arguments = sys.argv[1:]
    log_path = None
    if "--log" in arguments:
        index = arguments.index("--log")
        log_path = arguments[index + 1]
        del arguments[index:index + 2]
    tls = None
    if "--tls" in arguments:
        index = arguments.index("--tls")
        tls = arguments[index + 1:index + 3]
        del arguments[index:index + 3]
    if len(arguments) != 1 or (tls is not None and len(tls) != 2):
        sys.exit("usage: fault_server.py DIRECTORY [--log FILE] [--tls CERT KEY]")

    server = Server(("127.0.0.1", 0), Handler)
    if tls is not None:
        # HTTPS with the given certificate; the handshake runs on the first
        # read of each connection, in the handler's thread.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[0], tls[1])
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False)
    server.state = State(arguments[0], log_path)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
