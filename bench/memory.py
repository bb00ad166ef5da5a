"""Resident memory of `trent serve` per idle connection and per request in
flight (issue 24, item 8).

Starts the server (SQLite, a fresh data directory), then measures VmRSS:
  1. idle, after one warm-up request on each of a few connections;
  2. with N more keep-alive connections open and idle, each having been
     answered one `GET /health` (the state a pooled SDK connection is in);
  3. with N requests in flight: each connection sends the headers of an
     Encrypt request and half of its body, and waits (the server holds the
     request, with its part-read body, until the body timeout);
  4. after closing them all.
Prints the deltas as KiB per connection and per request. The allocator
keeps freed memory, so step 4 shows what is not returned to the system, not
a leak.

Usage: python3 bench/memory.py [BINARY] [N]   (default
target/release/trent, 800; N stays under the 1024 file descriptors of a
default shell). BINARY may be target/release/examples/http_ceiling, the
bare-HTTP reference, measured the same way.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/trent"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 800
# The bare-HTTP ceiling (crates/cli/examples/http_ceiling.rs) as the
# reference: the same HTTP stack with nothing behind it.
CEILING = "http_ceiling" in os.path.basename(BINARY)


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def health(s):
    """One `GET /health` answered, the connection kept open."""
    s.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += recv(s)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += recv(s)


def recv(s):
    chunk = s.recv(65536)
    if not chunk:
        raise RuntimeError("closed")
    return chunk


def main():
    port = free_port()
    d = tempfile.mkdtemp()
    env = dict(os.environ, TRENT_LOG="error", TRENT_BOOTSTRAP_ACCOUNT_ID="111122223333",
               TRENT_BOOTSTRAP_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
               TRENT_BOOTSTRAP_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               TRENT_BODY_READ_TIMEOUT_SECS="60", TRENT_IDLE_TIMEOUT_SECS="120")
    args = [BINARY, f"127.0.0.1:{port}"] if CEILING else [
        BINARY, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", d + "/data"]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
                break
            except OSError:
                time.sleep(0.1)
        for s in warm:
            health(s)
        time.sleep(1)
        idle = rss_kib(p.pid)

        conns = []
        for _ in range(N):
            s = socket.create_connection(("127.0.0.1", port))
            health(s)
            conns.append(s)
        time.sleep(1)
        with_idle = rss_kib(p.pid)

        body = b'{"KeyId":"alias/none","Plaintext":"' + b"A" * 120 + b'"}'
        head = (b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-amz-json-1.1\r\n"
                b"x-amz-target: TrentService.Encrypt\r\n"
                b"content-length: " + str(len(body)).encode() + b"\r\n\r\n")
        for s in conns:
            s.sendall(head + body[: len(body) // 2])
        time.sleep(1)
        in_flight = rss_kib(p.pid)

        for s in conns + warm:
            s.close()
        time.sleep(2)
        after = rss_kib(p.pid)
    finally:
        p.terminate()
        p.wait()
    per_conn = (with_idle - idle) / N
    per_req = (in_flight - with_idle) / N
    print(f"VmRSS KiB: idle {idle}, with {N} idle connections {with_idle}, "
          f"with {N} requests in flight {in_flight}, after closing {after}")
    print(f"per idle connection: {per_conn:.1f} KiB; per request in flight (on its connection): {per_req:.1f} KiB")


if __name__ == "__main__":
    main()
