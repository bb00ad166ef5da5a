#!/usr/bin/env python3
"""What a second site costs a multi-Region key: two `trent serve` sites
(A serves us-east-1 and us-west-2, B serves eu-west-1) on this host, with
TLS, pinned certificates and a shared peer secret, as the README sets them
up. Alternating in one run, boto3 against site A:

- ReplicateKey into us-west-2 (the same site) against ReplicateKey into
  eu-west-1 (site B: a transport key made there, the material wrapped to
  it, the replica stored there);
- RotateKeyOnDemand of a primary with its replica on the same site against
  one with its replica on site B (the new material goes to B before the
  rotation commits).

Prints the median and p90 milliseconds of each and the ratio of the
medians. Usage: TRENT=/path/to/release/trent ROUNDS=40 python3 bench/sites.py
(needs boto3, openssl). Both servers share this host's two cores with the
client: read the ratios, not the milliseconds.
"""

import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import ssl

import boto3
from botocore.config import Config

TRENT = os.environ.get("TRENT", "target/release/trent")
ROUNDS = int(os.environ.get("ROUNDS", "40"))
ACCOUNT, AK, SK = "111122223333", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_files(d):
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    p = lambda n: os.path.join(d, n)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("key.pem"),
        "-out", p("cert.pem"), "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    der = subprocess.run(["openssl", "x509", "-in", p("cert.pem"), "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return p("cert.pem"), p("key.pem"), hashlib.sha256(der).hexdigest()


def start(d, regions, port, tls, peer):
    peer_regions, peer_port, peer_pin = peer
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRENT_")}
    env.update(TRENT_LOG="warn", TRENT_BOOTSTRAP_ACCOUNT_ID=ACCOUNT, TRENT_BOOTSTRAP_ACCESS_KEY_ID=AK,
               TRENT_BOOTSTRAP_SECRET_ACCESS_KEY=SK, TRENT_REGIONS=regions, TRENT_TLS_CERT=tls[0],
               TRENT_TLS_KEY=tls[1], TRENT_PEER_SECRET="a bench peer secret of 32+ characters",
               TRENT_PEERS=f"{peer_regions}=https://127.0.0.1:{peer_port}#{peer_pin}")
    proc = subprocess.Popen([TRENT, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(d, "data")],
                            env=env, stdout=subprocess.DEVNULL)
    ctx = ssl.create_default_context(cafile=tls[0])
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"https://localhost:{port}/health", timeout=1, context=ctx):
                return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("trent did not start")


def timed(fn):
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def report(name, local, remote):
    q = lambda xs: (statistics.median(xs), sorted(xs)[int(len(xs) * 0.9) - 1])
    (lm, l90), (rm, r90) = q(local), q(remote)
    print(f"{name}: same site {lm:.1f} ms (p90 {l90:.1f}), other site {rm:.1f} ms (p90 {r90:.1f}), "
          f"ratio {rm / lm:.2f}")


def main():
    tmp = tempfile.mkdtemp(prefix="trent-sites-")
    a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    os.makedirs(a_dir)
    os.makedirs(b_dir)
    a_tls, b_tls = tls_files(a_dir), tls_files(b_dir)
    a_port, b_port = free_port(), free_port()
    a = start(a_dir, "us-east-1,us-west-2", a_port, a_tls, ("eu-west-1", b_port, b_tls[2]))
    b = start(b_dir, "eu-west-1", b_port, b_tls, ("us-east-1,us-west-2", a_port, a_tls[2]))
    try:
        kms = boto3.client("kms", region_name="us-east-1", endpoint_url=f"https://localhost:{a_port}",
                           aws_access_key_id=AK, aws_secret_access_key=SK, verify=a_tls[0],
                           config=Config(retries={"max_attempts": 1}))
        new = lambda: kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
        replicate = {"us-west-2": [], "eu-west-1": []}
        rotate = {"us-west-2": [], "eu-west-1": []}
        keys = {}
        for i in range(ROUNDS):
            for region in ("us-west-2", "eu-west-1") if i % 2 == 0 else ("eu-west-1", "us-west-2"):
                # At most 25 on-demand rotations per key (AWS's limit).
                if i % 20 == 0:
                    keys[region] = new()
                    kms.replicate_key(KeyId=keys[region], ReplicaRegion=region)
                key = new()
                replicate[region].append(timed(lambda: kms.replicate_key(KeyId=key, ReplicaRegion=region)))
                rotate[region].append(timed(lambda: kms.rotate_key_on_demand(KeyId=keys[region])))
        print(f"{ROUNDS} rounds, alternating")
        report("ReplicateKey", replicate["us-west-2"], replicate["eu-west-1"])
        report("RotateKeyOnDemand", rotate["us-west-2"], rotate["eu-west-1"])
    finally:
        for p in (a, b):
            p.terminate()
            p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
