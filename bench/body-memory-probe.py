"""Resident memory of `trent serve` while 300 unauthenticated connections each
send 1 MiB - 1 byte of a 1 MiB body (the issue 27 probe), for a reference
binary and a candidate, in one run."""
import os, socket, subprocess, sys, tempfile, time
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) // 1024
def run(binary, port):
    d = tempfile.mkdtemp()
    env = dict(os.environ, TRENT_LOG="error", TRENT_BOOTSTRAP_ACCOUNT_ID="111122223333",
               TRENT_BOOTSTRAP_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
               TRENT_BOOTSTRAP_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", d + "/data"], env=env, stdout=subprocess.DEVNULL)
    time.sleep(4)
    before = rss(p.pid)
    socks = []
    body = b"x" * (1024 * 1024 - 1)
    head = (b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-amz-json-1.1\r\n"
            b"x-amz-target: TrentService.Encrypt\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261203/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00\r\n"
            b"content-length: 1048576\r\n\r\n")
    for i in range(300):
        s = socket.create_connection(("127.0.0.1", port)); s.setblocking(False)
        s.send(head)
        sent = 0
        t0 = time.time()
        while sent < len(body) and time.time() - t0 < 0.05:
            try: sent += s.send(body[sent:sent+65536])
            except BlockingIOError: time.sleep(0.001)
        socks.append(s)
    time.sleep(3)
    after = rss(p.pid)
    for s in socks: s.close()
    p.terminate(); p.wait()
    return before, after
# Usage: python3 bench/body-memory-probe.py REFERENCE_TRENT CANDIDATE_TRENT
for name, b, port in [("reference", sys.argv[1], 47611), ("candidate", sys.argv[2], 47612)]:
    print(name, "RSS MiB before/after 300 connections each sending 1 MiB - 1 byte of a 1 MiB body:", run(b, port), flush=True)
