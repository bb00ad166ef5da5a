#!/usr/bin/env python3
"""Interop: stock AWS clients (boto3 and the `aws` CLI) against a real Trent.

First runs the README's Quickstart blocks as written (see
`run_quickstart`). Then starts the `trent` binary on a free loopback port
with a fresh data directory, exercises every implemented operation with
boto3 and with the
`aws` CLI, restarts the server in the middle, and checks that keys, aliases
and ciphertexts survive. Then starts it over TLS with an openssl-made
certificate: boto3 with `verify=ca.pem`, the aws CLI with `--ca-bundle`, and
`openssl s_client` (old protocol versions and suites refused). Prints `N passed, M failed` and exits non-zero on any
failure.

Usage: interop.py PATH_TO_TRENT_BINARY
"""

import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils
from botocore.exceptions import ClientError

ACCOUNT = "111122223333"
AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HSM_CLUSTER = "cluster-interopsofthsm"
HSM_PIN = "kmsuser-interop"
REGION = "us-east-1"

results = {"passed": 0, "failed": 0}


def check(name):
    """Runs the decorated function at once, as one named check."""

    def deco(fn):
        try:
            fn()
            results["passed"] += 1
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            results["failed"] += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        return fn

    return deco


class Trent:
    """A `trent serve` process. With `fixed_identity` (the default) its
    bootstrap identity is ACCOUNT/AK/SK; without it, it starts as a new user
    starts it (generated identity, `./data` in `cwd`)."""

    def __init__(self, binary, data_dir, fixed_identity=True, cwd=None, tls=None, config=None, port=None,
                 regions="us-east-1,eu-west-1"):
        self.binary = binary
        # port: a port chosen beforehand (a peer site names it); regions: TRENT_REGIONS.
        self.fixed_port = port
        self.regions = regions
        # config: a TOML configuration file (TRENT_CONFIG).
        self.config = config
        self.data_dir = data_dir
        self.fixed_identity = fixed_identity
        self.cwd = cwd
        self.proc = None
        self.endpoint = None
        self.port = None
        # tls: (cert.pem, key.pem, ca.pem) to serve HTTPS.
        self.tls = tls

    def start(self):
        port = self.fixed_port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRENT_")}
        env.update(TRENT_LOG="warn")
        if self.fixed_identity:
            env.update(
                TRENT_BOOTSTRAP_ACCOUNT_ID=ACCOUNT,
                TRENT_BOOTSTRAP_ACCESS_KEY_ID=AK,
                TRENT_BOOTSTRAP_SECRET_ACCESS_KEY=SK,
                # eu-west-1 is a second namespace; any other region is refused.
                TRENT_REGIONS=self.regions,
            )
        if self.config:
            env.update(TRENT_CONFIG=self.config)
        context = None
        if self.tls:
            env.update(TRENT_TLS_CERT=self.tls[0], TRENT_TLS_KEY=self.tls[1])
            context = ssl.create_default_context(cafile=self.tls[2])
        args = [self.binary, "serve", "--listen", f"127.0.0.1:{port}"]
        if self.data_dir is not None:
            args += ["--data-dir", self.data_dir]
        self.proc = subprocess.Popen(args, env=env, cwd=self.cwd, stdout=subprocess.DEVNULL)
        self.port = port
        self.endpoint = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"trent exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.endpoint + "/health", timeout=1, context=context) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("trent did not become healthy")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        assert code == 0, f"clean shutdown expected, got {code}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcIssuer:
    """A Kubernetes-style token issuer: an RSA key, its JWKS in a file, and
    RS256 service-account tokens."""

    ISSUER = "https://oidc.interop.example/cluster"

    def __init__(self, jwks_path):
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        as_bytes = lambda i: i.to_bytes((i.bit_length() + 7) // 8, "big")
        self.jwks_path = jwks_path
        with open(jwks_path, "w") as f:
            json.dump({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                                 "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}]}, f)

    def token(self, sub, aud="sts.amazonaws.com", lifetime=600):
        now = int(time.time())
        header = b64url(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        claims = b64url(json.dumps({"iss": self.ISSUER, "sub": sub, "aud": [aud], "iat": now,
                                    "exp": now + lifetime}).encode())
        sig = self.key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{claims}.{b64url(sig)}"


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
QUICKSTART_MARKER = "<!-- quickstart"


def readme_quickstart():
    """The README's shell blocks marked `<!-- quickstart ... -->`, in order."""
    with open(README) as f:
        lines = f.read().splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        if lines[i].startswith(QUICKSTART_MARKER):
            assert lines[i + 1] == "```sh", f"README line {i + 2}: a ```sh block must follow the marker"
            j = i + 2
            while lines[j] != "```":
                j += 1
            blocks.append("\n".join(lines[i + 2:j]))
            i = j
        i += 1
    return blocks


def run_quickstart(binary):
    """Runs the README's Quickstart as written, as a new user would: `trent
    serve` on its defaults in an empty directory, then the marked blocks in
    bash (`set -euo pipefail`) from that directory, with a clean
    environment (no AWS_* variables, an empty HOME), the aws CLI v1 and
    `trent` on PATH. Only the port differs (4600 may be busy). Returns the
    script's stdout."""
    binary = os.path.abspath(binary)
    blocks = readme_quickstart()
    assert blocks, "no quickstart block found in the README"
    home = tempfile.mkdtemp(prefix="trent-quickstart-")
    server = Trent(binary, None, fixed_identity=False, cwd=home)
    server.start()
    try:
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("127.0.0.1:4600", f"127.0.0.1:{server.port}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRENT_"))}
        env.update(HOME=home, PATH=os.path.dirname(binary) + os.pathsep + env.get("PATH", ""))
        out = subprocess.run(["bash", "-c", script], cwd=home, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"the Quickstart failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
        return out.stdout
    finally:
        server.stop()


def boto(endpoint, region=REGION, validate=True, verify=None):
    # validate=False skips botocore's client-side checks so that the server's
    # own ValidationException is what the test sees. verify: a CA bundle.
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        verify=verify,
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def make_tls_files(d):
    """A CA and a server certificate for localhost / 127.0.0.1, made with
    openssl as the README's Deploying section makes them."""
    p = lambda name: os.path.join(d, name)
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("ca.key"),
        "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=Trent interop CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("key.pem"),
        "-out", p("req.csr"), "-subj", "/CN=localhost")
    with open(p("san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", p("req.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
        "-out", p("cert.pem"), "-days", "2", "-extfile", p("san.ext"))
    return p("cert.pem"), p("key.pem"), p("ca.pem")


def s_client(port, *args):
    """openssl s_client's output (stdout and stderr) for one handshake."""
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                          *args], input="", capture_output=True, text=True, timeout=30)
    return out.returncode, out.stdout + out.stderr


def cli(endpoint, *args):
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
    env.pop("AWS_PROFILE", None)
    out = subprocess.run(
        ["aws", "kms", *args, "--endpoint-url", endpoint, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"aws kms {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout) if out.stdout.strip() else {}


def cli_error(endpoint, *args):
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
    out = subprocess.run(
        ["aws", "kms", *args, "--endpoint-url", endpoint], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0, "expected failure"
    return out.stderr


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("expected a ClientError")


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="trent-interop-")
    data = os.path.join(tmp, "data")

    @check("README Quickstart runs as written (aws CLI v1, bash -euo pipefail)")
    def _():
        out = run_quickstart(binary)
        assert "hello" in out.splitlines(), out

    # An OpenID Connect issuer whose JWKS the server is configured with
    # (Trent does not fetch it), for AssumeRoleWithWebIdentity.
    oidc = OidcIssuer(os.path.join(tmp, "jwks.json"))
    config = os.path.join(tmp, "trent.toml")
    with open(config, "w") as f:
        f.write(f'[oidc_jwks]\n"{OidcIssuer.ISSUER}" = "{oidc.jwks_path}"\n')
    # A SoftHSM2 token for a custom key store (scripts/test sets the module
    # and SOFTHSM2_CONF, a token directory of its own).
    hsm_module = os.environ.get("TRENT_TEST_PKCS11_MODULE")
    hsm_label = f"interop-{os.getpid()}"
    if hsm_module and os.environ.get("SOFTHSM2_CONF"):
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", hsm_label, "--so-pin", "so-pin-1234",
                        "--pin", HSM_PIN], check=True, capture_output=True)
        with open(config, "a") as f:
            f.write(f'[hsm.{HSM_CLUSTER}]\nmodule = "{hsm_module}"\ntoken_label = "{hsm_label}"\n')
    server = Trent(binary, data, config=config)
    server.start()
    kms = boto(server.endpoint)
    state = {}

    @check("boto3 create/describe/list keys")
    def _():
        md = kms.create_key(Description="interop", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]
        assert md["KeySpec"] == "SYMMETRIC_DEFAULT" and md["KeyState"] == "Enabled"
        assert md["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{md['KeyId']}"
        assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
        state["key"], state["arn"] = md["KeyId"], md["Arn"]
        d = kms.describe_key(KeyId=md["Arn"])["KeyMetadata"]
        assert d["KeyId"] == md["KeyId"] and d["CreationDate"] == md["CreationDate"]
        ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
        assert md["KeyId"] in ids

    @check("boto3 encrypt/decrypt with encryption context")
    def _():
        ct = kms.encrypt(KeyId=state["key"], Plaintext=b"hello", EncryptionContext={"app": "interop"})
        assert ct["KeyId"] == state["arn"]
        state["ct"] = ct["CiphertextBlob"]
        pt = kms.decrypt(CiphertextBlob=state["ct"], EncryptionContext={"app": "interop"})
        assert pt["Plaintext"] == b"hello" and pt["KeyId"] == state["arn"]
        assert error_code(lambda: kms.decrypt(CiphertextBlob=state["ct"])) == "InvalidCiphertextException"
        bad = bytearray(state["ct"])
        bad[-1] ^= 1
        assert error_code(lambda: kms.decrypt(CiphertextBlob=bytes(bad), EncryptionContext={"app": "interop"})) == "InvalidCiphertextException"

    @check("boto3 data keys and re-encrypt")
    def _():
        dk = kms.generate_data_key(KeyId=state["key"], KeySpec="AES_128")
        assert len(dk["Plaintext"]) == 16
        assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
        np = kms.generate_data_key_without_plaintext(KeyId=state["key"], NumberOfBytes=48)
        assert "Plaintext" not in np
        assert len(kms.decrypt(CiphertextBlob=np["CiphertextBlob"])["Plaintext"]) == 48
        other = kms.create_key()["KeyMetadata"]["Arn"]
        state["other"] = other
        re = kms.re_encrypt(
            CiphertextBlob=state["ct"],
            SourceEncryptionContext={"app": "interop"},
            DestinationKeyId=other,
            DestinationEncryptionContext={"app": "moved"},
        )
        assert re["SourceKeyId"] == state["arn"] and re["KeyId"] == other
        assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"app": "moved"})["Plaintext"] == b"hello"

    @check("boto3 aliases")
    def _():
        kms.create_alias(AliasName="alias/interop", TargetKeyId=state["key"])
        assert error_code(lambda: kms.create_alias(AliasName="alias/interop", TargetKeyId=state["key"])) == "AlreadyExistsException"
        names = [a["AliasName"] for a in kms.list_aliases(KeyId=state["key"])["Aliases"]]
        assert names == ["alias/interop"], names
        ct = kms.encrypt(KeyId="alias/interop", Plaintext=b"via alias")
        assert ct["KeyId"] == state["arn"]
        state["alias_ct"] = ct["CiphertextBlob"]
        kms.create_alias(AliasName="alias/temp", TargetKeyId=state["key"])
        kms.update_alias(AliasName="alias/temp", TargetKeyId=state["other"])
        assert kms.describe_key(KeyId="alias/temp")["KeyMetadata"]["Arn"] == state["other"]
        kms.delete_alias(AliasName="alias/temp")
        assert error_code(lambda: kms.describe_key(KeyId="alias/temp")) == "NotFoundException"

    @check("boto3 enable/disable and errors")
    def _():
        kms.disable_key(KeyId=state["other"])
        assert kms.describe_key(KeyId=state["other"])["KeyMetadata"]["KeyState"] == "Disabled"
        assert error_code(lambda: kms.encrypt(KeyId=state["other"], Plaintext=b"x")) == "DisabledException"
        kms.enable_key(KeyId=state["other"])
        assert error_code(lambda: kms.encrypt(KeyId=state["key"], Plaintext=b"x" * 4097)) == "ValidationException"
        assert error_code(lambda: kms.describe_key(KeyId="alias/nope")) == "NotFoundException"
        raw = boto(server.endpoint, validate=False)
        assert error_code(lambda: raw.generate_random(NumberOfBytes=0)) == "ValidationException"
        assert error_code(lambda: raw.generate_data_key(KeyId=state["key"])) == "ValidationException"
        assert error_code(lambda: raw.create_alias(AliasName="alias/aws/x", TargetKeyId=state["key"])) == "NotAuthorizedException"
        assert error_code(lambda: boto(server.endpoint, "eu-west-1").describe_key(KeyId=state["arn"])) == "NotFoundException"
        assert error_code(lambda: boto(server.endpoint, "ap-south-1").list_keys()) == "InvalidSignatureException"
        assert len(kms.generate_random(NumberOfBytes=32)["Plaintext"]) == 32

    @check("boto3 + aws CLI: multi-Region keys (replicate, decrypt in the other Region, promote)")
    def _():
        west = boto(server.endpoint, "eu-west-1")
        md = cli(server.endpoint, "create-key", "--multi-region", "--description", "mrk")["KeyMetadata"]
        key = md["KeyId"]
        assert key.startswith("mrk-") and md["MultiRegion"] is True
        assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
        rep = cli(server.endpoint, "replicate-key", "--key-id", key, "--replica-region", "eu-west-1")
        assert rep["ReplicaKeyMetadata"]["Arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key}"
        ct = kms.encrypt(KeyId=key, Plaintext=b"cross-region")["CiphertextBlob"]
        out = west.decrypt(CiphertextBlob=ct)
        assert out["Plaintext"] == b"cross-region" and out["KeyId"].startswith("arn:aws:kms:eu-west-1:")
        assert error_code(lambda: kms.replicate_key(KeyId=key, ReplicaRegion="eu-west-1")) == "AlreadyExistsException"
        assert error_code(lambda: kms.replicate_key(KeyId=state["key"], ReplicaRegion="eu-west-1")) == "UnsupportedOperationException"
        cli(server.endpoint, "update-primary-region", "--key-id", key, "--primary-region", "eu-west-1")
        conf = west.describe_key(KeyId=key)["KeyMetadata"]["MultiRegionConfiguration"]
        assert conf["MultiRegionKeyType"] == "PRIMARY", conf
        assert [r["Region"] for r in conf["ReplicaKeys"]] == ["us-east-1"], conf
        d = cli(server.endpoint, "describe-key", "--key-id", key, "--region", "us-east-1")["KeyMetadata"]
        assert d["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"

    @check("boto3 + aws CLI: key policies are enforced (put/get/list, deny with a condition, lockout check)")
    def _():
        root = f"arn:aws:iam::{ACCOUNT}:root"
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
                {"Sid": "OnlyBlue", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
                 "Condition": {"StringNotEquals": {"kms:EncryptionContext:team": "blue"}}},
            ],
        }
        key = kms.create_key(Policy=json.dumps(doc))["KeyMetadata"]["KeyId"]
        assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
        assert json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]) == doc
        kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"team": "blue"})
        try:
            kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"team": "red"})
            raise AssertionError("a denied Encrypt succeeded")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
            assert "with an explicit deny in a resource-based policy" in e.response["Error"]["Message"], e.response
        lockout = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                             "Action": "kms:Encrypt", "Resource": "*"}]})
        assert error_code(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=lockout)) \
            == "MalformedPolicyDocumentException"
        ep = server.endpoint
        policy_file = os.path.join(tmp, "policy.json")
        doc["Statement"] = doc["Statement"][:1]
        with open(policy_file, "w") as f:
            json.dump(doc, f)
        cli(ep, "put-key-policy", "--key-id", key, "--policy-name", "default", "--policy", f"file://{policy_file}")
        got = cli(ep, "get-key-policy", "--key-id", key, "--policy-name", "default")
        assert json.loads(got["Policy"]) == doc, got
        kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"team": "red"})

    @check("boto3 + aws CLI: grants (create with a constraint, list, revoke, retire)")
    def _():
        root = f"arn:aws:iam::{ACCOUNT}:root"
        key = kms.create_key()["KeyMetadata"]["Arn"]
        g = kms.create_grant(KeyId=key, GranteePrincipal=root, RetiringPrincipal=root,
                             Operations=["Encrypt", "Decrypt"], Name="interop",
                             Constraints={"EncryptionContextSubset": {"app": "interop"}})
        assert len(g["GrantId"]) == 64 and g["GrantToken"], g
        again = kms.create_grant(KeyId=key, GranteePrincipal=root, RetiringPrincipal=root,
                                 Operations=["Decrypt", "Encrypt"], Name="interop",
                                 Constraints={"EncryptionContextSubset": {"app": "interop"}})
        assert again["GrantId"] == g["GrantId"], "a named retry returns the same grant"
        grants = kms.list_grants(KeyId=key)["Grants"]
        assert [x["GrantId"] for x in grants] == [g["GrantId"]], grants
        assert grants[0]["Constraints"] == {"EncryptionContextSubset": {"app": "interop"}}, grants
        retirable = kms.list_retirable_grants(RetiringPrincipal=root)["Grants"]
        assert g["GrantId"] in [x["GrantId"] for x in retirable]
        ep = server.endpoint
        listed = cli(ep, "list-grants", "--key-id", key)["Grants"]
        assert listed[0]["Operations"] == ["Decrypt", "Encrypt"], listed
        cli(ep, "revoke-grant", "--key-id", key, "--grant-id", g["GrantId"])
        assert kms.list_grants(KeyId=key)["Grants"] == []
        g2 = kms.create_grant(KeyId=key, GranteePrincipal=root, RetiringPrincipal=root, Operations=["Encrypt"])
        kms.retire_grant(GrantToken=g2["GrantToken"])
        assert error_code(lambda: kms.retire_grant(GrantToken=g2["GrantToken"])) == "NotFoundException"
        assert error_code(lambda: kms.revoke_grant(KeyId=key, GrantId="x")) == "InvalidGrantIdException"

    @check("trent admin create-account, then boto3 across two accounts (key policy, grant, a role assumed from the other account)")
    def _():
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
        out = subprocess.run([binary, "admin", "create-account", "--endpoint", server.endpoint,
                              "--account-id", "444455556666"], env=env, capture_output=True, text=True, check=True)
        bob_creds = json.loads(out.stdout)
        bob = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                           aws_access_key_id=bob_creds["AccessKeyId"],
                           aws_secret_access_key=bob_creds["SecretAccessKey"],
                           config=Config(retries={"max_attempts": 1}))
        bob_root = bob_creds["Principal"]
        doc = {"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": bob_root}, "Action": "kms:Encrypt", "Resource": "*"},
        ]}
        key = kms.create_key(Policy=json.dumps(doc))["KeyMetadata"]["Arn"]
        ct = bob.encrypt(KeyId=key, Plaintext=b"from bob")["CiphertextBlob"]
        assert error_code(lambda: bob.decrypt(KeyId=key, CiphertextBlob=ct)) == "AccessDeniedException"
        g = kms.create_grant(KeyId=key, GranteePrincipal=bob_root, Operations=["Decrypt"])
        assert bob.decrypt(KeyId=key, CiphertextBlob=ct, GrantTokens=[g["GrantToken"]])["Plaintext"] == b"from bob"
        assert error_code(lambda: bob.describe_key(KeyId=key)) == "AccessDeniedException"
        assert error_code(lambda: bob.get_key_policy(KeyId=key, PolicyName="default")) == "NotFoundException"

        # Cross-account role assumption: a role of this account trusts Bob's
        # account, and a key policy here names the role (not Bob).
        cfg = Config(retries={"max_attempts": 1})
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=AK,
                           aws_secret_access_key=SK, config=cfg)
        bob_sts = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                               aws_access_key_id=bob_creds["AccessKeyId"],
                               aws_secret_access_key=bob_creds["SecretAccessKey"])
        role_arn = iam.create_role(RoleName="partner", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": bob_root}}]}))["Role"]["Arn"]
        shared = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ["kms:Encrypt", "kms:Decrypt"],
             "Resource": "*"}]}))["KeyMetadata"]["Arn"]
        c = bob_sts.assume_role(RoleArn=role_arn, RoleSessionName="bob-job", ExternalId="deal-42")["Credentials"]
        assert bob_sts.get_caller_identity()["Account"] == "444455556666"
        partner = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                               aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                               aws_session_token=c["SessionToken"])
        ct = partner.encrypt(KeyId=shared, Plaintext=b"partner")["CiphertextBlob"]
        assert partner.decrypt(CiphertextBlob=ct)["Plaintext"] == b"partner"
        # Bob's own keys still cannot use the key, and nobody else may assume the role.
        assert error_code(lambda: bob.encrypt(KeyId=shared, Plaintext=b"x")) == "AccessDeniedException"
        other = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                             aws_access_key_id=AK, aws_secret_access_key=SK)
        assert error_code(lambda: other.assume_role(RoleArn=role_arn, RoleSessionName="me")) == "AccessDenied"

    @check("trent admin user: an IAM user acts through boto3 as its identity policy allows")
    def _():
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
        user = lambda *args: json.loads(subprocess.run(
            [binary, "admin", "user", *args, "--endpoint", server.endpoint, "--user-name", "interop"],
            env=env, capture_output=True, text=True, check=True).stdout)
        creds = user("create")
        assert creds["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/interop", creds
        app = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           config=Config(retries={"max_attempts": 1}))
        key = kms.create_key()["KeyMetadata"]["Arn"]  # the default policy delegates to IAM
        assert error_code(lambda: app.encrypt(KeyId=key, Plaintext=b"x")) == "AccessDeniedException"
        doc = os.path.join(tmp, "user-policy.json")
        with open(doc, "w") as f:
            json.dump({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key}]}, f)
        user("put-policy", "--policy-name", "kms", "--policy-document", f"file://{doc}")
        assert user("list-policies")["PolicyNames"] == ["kms"]
        ct = app.encrypt(KeyId=key, Plaintext=b"from a user")["CiphertextBlob"]
        assert app.decrypt(CiphertextBlob=ct)["Plaintext"] == b"from a user"
        assert error_code(lambda: app.create_key()) == "AccessDeniedException"
        # Rotation: a second key, then the first one goes.
        new = user("create-access-key")["AccessKey"]
        rotated = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                               aws_access_key_id=new["AccessKeyId"], aws_secret_access_key=new["SecretAccessKey"],
                               config=Config(retries={"max_attempts": 1}))
        user("delete-access-key", "--key-id", creds["AccessKeyId"])
        assert error_code(lambda: app.decrypt(CiphertextBlob=ct)) == "UnrecognizedClientException"
        assert rotated.decrypt(CiphertextBlob=ct)["Plaintext"] == b"from a user"
        user("delete")
        assert error_code(lambda: rotated.decrypt(CiphertextBlob=ct)) == "UnrecognizedClientException"

    @check("boto3 iam + aws iam: users, policies, tags and access keys over IAM's Query protocol")
    def _():
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=AK,
                           aws_secret_access_key=SK, config=Config(retries={"max_attempts": 1}))
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_PROFILE", None)

        def aws_iam(*args):
            out = subprocess.run(["aws", "iam", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"aws iam {' '.join(args)} failed: {out.stderr.strip()}")
            return json.loads(out.stdout) if out.stdout.strip() else {}

        user = aws_iam("create-user", "--user-name", "iam-cli", "--tags", "Key=team,Value=blue")["User"]
        assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/iam-cli" and user["Path"] == "/", user
        got = iam.get_user(UserName="iam-cli")["User"]
        assert got["UserId"] == user["UserId"] and got["Tags"] == [{"Key": "team", "Value": "blue"}], got
        key = kms.create_key()["KeyMetadata"]["Arn"]
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key}]}
        aws_iam("put-user-policy", "--user-name", "iam-cli", "--policy-name", "kms",
                "--policy-document", json.dumps(doc))
        # botocore decodes IAM's URL-encoded document into a dict.
        assert iam.get_user_policy(UserName="iam-cli", PolicyName="kms")["PolicyDocument"] == doc
        assert iam.list_user_policies(UserName="iam-cli")["PolicyNames"] == ["kms"]
        assert error_code(lambda: iam.put_user_policy(UserName="iam-cli", PolicyName="bad",
                                                      PolicyDocument='{"Statement":"x"}')) == "MalformedPolicyDocument"
        # As IAM's, CreateUser made no access key.
        assert iam.list_access_keys(UserName="iam-cli")["AccessKeyMetadata"] == []
        iam.create_access_key(UserName="iam-cli")
        new = aws_iam("create-access-key", "--user-name", "iam-cli")["AccessKey"]
        assert new["Status"] == "Active" and len(new["SecretAccessKey"]) == 40, new
        assert error_code(lambda: iam.create_access_key(UserName="iam-cli")) == "LimitExceeded"
        app = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                           aws_access_key_id=new["AccessKeyId"], aws_secret_access_key=new["SecretAccessKey"],
                           config=Config(retries={"max_attempts": 1}))
        ct = app.encrypt(KeyId=key, Plaintext=b"iam")["CiphertextBlob"]
        assert app.decrypt(CiphertextBlob=ct)["Plaintext"] == b"iam"
        # UpdateAccessKey: an inactive key is refused as an unknown one; active again, it works.
        aws_iam("update-access-key", "--user-name", "iam-cli", "--access-key-id", new["AccessKeyId"],
                "--status", "Inactive")
        assert error_code(lambda: app.decrypt(CiphertextBlob=ct)) == "UnrecognizedClientException"
        listed = iam.list_access_keys(UserName="iam-cli")["AccessKeyMetadata"]
        assert [k["Status"] for k in listed if k["AccessKeyId"] == new["AccessKeyId"]] == ["Inactive"], listed
        iam.update_access_key(UserName="iam-cli", AccessKeyId=new["AccessKeyId"], Status="Active")
        assert app.decrypt(CiphertextBlob=ct)["Plaintext"] == b"iam"
        names = [u["UserName"] for u in aws_iam("list-users")["Users"]]
        assert "iam-cli" in names, names
        pages = iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1})
        assert [u["UserName"] for p in pages for u in p["Users"]] == names
        keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="iam-cli")["AccessKeyMetadata"]]
        assert len(keys) == 2 and new["AccessKeyId"] in keys, keys
        for k in keys:
            if k != new["AccessKeyId"]:
                aws_iam("delete-access-key", "--user-name", "iam-cli", "--access-key-id", k)
        aws_iam("untag-user", "--user-name", "iam-cli", "--tag-keys", "team")
        assert iam.list_user_tags(UserName="iam-cli")["Tags"] == []
        aws_iam("delete-user-policy", "--user-name", "iam-cli", "--policy-name", "kms")
        assert error_code(lambda: app.decrypt(CiphertextBlob=ct)) == "AccessDeniedException"
        # As IAM, DeleteUser waits for the user's access keys to go.
        assert error_code(lambda: iam.delete_user(UserName="iam-cli")) == "DeleteConflict"
        aws_iam("delete-access-key", "--user-name", "iam-cli", "--access-key-id", new["AccessKeyId"])
        aws_iam("delete-user", "--user-name", "iam-cli")
        assert error_code(lambda: iam.get_user(UserName="iam-cli")) == "NoSuchEntity"
        assert error_code(lambda: app.decrypt(CiphertextBlob=ct)) == "UnrecognizedClientException"
        assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"

    @check("boto3 iam + aws iam: groups, their policies and members")
    def _():
        cfg = Config(retries={"max_attempts": 1})
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=AK,
                           aws_secret_access_key=SK, config=cfg)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_PROFILE", None)
        out = subprocess.run(["aws", "iam", "create-group", "--group-name", "devs", "--endpoint-url",
                              server.endpoint, "--output", "json"], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        group = json.loads(out.stdout)["Group"]
        assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/devs" and group["GroupId"].startswith("AGPA"), group
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}
        iam.put_group_policy(GroupName="devs", PolicyName="kms", PolicyDocument=json.dumps(doc))
        assert iam.get_group_policy(GroupName="devs", PolicyName="kms")["PolicyDocument"] == doc
        iam.create_user(UserName="grouped")
        k = iam.create_access_key(UserName="grouped")["AccessKey"]
        user_kms = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                                aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        assert error_code(lambda: user_kms.encrypt(KeyId=key, Plaintext=b"g")) == "AccessDeniedException"
        iam.add_user_to_group(GroupName="devs", UserName="grouped")
        user_kms.encrypt(KeyId=key, Plaintext=b"g")
        assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["grouped"]
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="grouped")["Groups"]] == ["devs"]
        assert error_code(lambda: iam.delete_group(GroupName="devs")) == "DeleteConflict"
        iam.remove_user_from_group(GroupName="devs", UserName="grouped")
        assert error_code(lambda: user_kms.encrypt(KeyId=key, Plaintext=b"g")) == "AccessDeniedException"
        iam.delete_group_policy(GroupName="devs", PolicyName="kms")
        iam.delete_group(GroupName="devs")
        assert error_code(lambda: iam.get_group(GroupName="devs")) == "NoSuchEntity"

    @check("boto3 iam + aws iam: a user in a group with a managed policy; versions; a permissions boundary caps it")
    def _():
        cfg = Config(retries={"max_attempts": 1})
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=AK,
                           aws_secret_access_key=SK, config=cfg)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_PROFILE", None)

        def aws_iam(*args):
            out = subprocess.run(["aws", "iam", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"aws iam {' '.join(args)} failed: {out.stderr.strip()}")
            return json.loads(out.stdout) if out.stdout.strip() else {}

        def allow(*actions):
            return {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}

        policy = aws_iam("create-policy", "--policy-name", "kms-users", "--path", "/team/",
                         "--policy-document", json.dumps(allow("kms:Encrypt", "kms:Decrypt")),
                         "--description", "encrypt and decrypt")["Policy"]
        arn = policy["Arn"]
        assert arn == f"arn:aws:iam::{ACCOUNT}:policy/team/kms-users" and policy["DefaultVersionId"] == "v1", policy
        assert error_code(lambda: iam.create_policy(PolicyName="KMS-USERS", PolicyDocument=json.dumps(
            allow("kms:Encrypt")))) == "EntityAlreadyExists"
        iam.create_group(GroupName="mp-devs")
        iam.attach_group_policy(GroupName="mp-devs", PolicyArn=arn)
        iam.create_user(UserName="mp-dev")
        k = iam.create_access_key(UserName="mp-dev")["AccessKey"]
        dev = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                           aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        assert error_code(lambda: dev.encrypt(KeyId=key, Plaintext=b"m")) == "AccessDeniedException"
        aws_iam("add-user-to-group", "--group-name", "mp-devs", "--user-name", "mp-dev")
        ct = dev.encrypt(KeyId=key, Plaintext=b"m")["CiphertextBlob"]
        assert dev.decrypt(CiphertextBlob=ct)["Plaintext"] == b"m"
        attached = iam.list_attached_group_policies(GroupName="mp-devs")["AttachedPolicies"]
        assert attached == [{"PolicyName": "kms-users", "PolicyArn": arn}], attached
        got = iam.get_policy(PolicyArn=arn)["Policy"]
        assert got["AttachmentCount"] == 1 and got["Description"] == "encrypt and decrypt", got
        aws_iam("tag-policy", "--policy-arn", arn, "--tags", "Key=team,Value=blue")
        assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "team", "Value": "blue"}]
        entities = iam.list_entities_for_policy(PolicyArn=arn)
        assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["mp-devs"], entities

        # A new default version applies at once; the first can come back.
        v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("kms:Encrypt")),
                                       SetAsDefault=True)["PolicyVersion"]
        assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"], v2
        assert error_code(lambda: dev.decrypt(CiphertextBlob=ct)) == "AccessDeniedException"
        doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
        assert doc == allow("kms:Encrypt", "kms:Decrypt"), doc
        versions = [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]]
        assert versions == ["v2", "v1"], versions
        aws_iam("set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
        dev.decrypt(CiphertextBlob=ct)
        assert error_code(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1")) == "DeleteConflict"

        # A permissions boundary caps the user: Encrypt only.
        boundary = iam.create_policy(PolicyName="encrypt-only",
                                     PolicyDocument=json.dumps(allow("kms:Encrypt")))["Policy"]["Arn"]
        aws_iam("put-user-permissions-boundary", "--user-name", "mp-dev", "--permissions-boundary", boundary)
        got = iam.get_user(UserName="mp-dev")["User"]["PermissionsBoundary"]
        assert got == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary}
        dev.encrypt(KeyId=key, Plaintext=b"m")
        assert error_code(lambda: dev.decrypt(CiphertextBlob=ct)) == "AccessDeniedException"
        names = [p["PolicyName"] for p in iam.list_policies(Scope="Local", OnlyAttached=True,
                                                             PolicyUsageFilter="PermissionsBoundary")["Policies"]]
        assert names == ["encrypt-only"], names
        assert error_code(lambda: iam.delete_policy(PolicyArn=boundary)) == "DeleteConflict"
        iam.delete_user_permissions_boundary(UserName="mp-dev")
        dev.decrypt(CiphertextBlob=ct)
        assert error_code(lambda: iam.attach_user_policy(
            UserName="mp-dev", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")) == "NoSuchEntity"

        # What must go first: the attachment, then the extra version.
        assert error_code(lambda: iam.delete_policy(PolicyArn=arn)) == "DeleteConflict"
        assert error_code(lambda: iam.delete_group(GroupName="mp-devs")) == "DeleteConflict"
        iam.remove_user_from_group(GroupName="mp-devs", UserName="mp-dev")
        aws_iam("detach-group-policy", "--group-name", "mp-devs", "--policy-arn", arn)
        assert error_code(lambda: dev.encrypt(KeyId=key, Plaintext=b"m")) == "AccessDeniedException"
        iam.delete_group(GroupName="mp-devs")
        assert error_code(lambda: iam.delete_policy(PolicyArn=arn)) == "DeleteConflict"
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
        iam.delete_policy(PolicyArn=arn)
        iam.delete_policy(PolicyArn=boundary)
        assert error_code(lambda: iam.get_policy(PolicyArn=arn)) == "NoSuchEntity"

    @check("boto3 sts + aws sts: a user assumes a role; the session encrypts, narrowed by an inline or a managed session policy")
    def _():
        cfg = Config(retries={"max_attempts": 1})

        def client(service, ak, sk, token=None):
            return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=ak,
                                aws_secret_access_key=sk, aws_session_token=token, config=cfg)

        iam = client("iam", AK, SK)
        iam.create_user(UserName="sts-dev")
        dev = iam.create_access_key(UserName="sts-dev")["AccessKey"]
        iam.put_user_policy(UserName="sts-dev", PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"AWS": ACCOUNT}}]}
        role = iam.create_role(RoleName="sts-app", Path="/apps/", AssumeRolePolicyDocument=json.dumps(trust),
                               MaxSessionDuration=7200)["Role"]
        assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/apps/sts-app" and role["RoleId"].startswith("AROA")
        assert iam.get_role(RoleName="sts-app")["Role"]["AssumeRolePolicyDocument"] == trust
        iam.put_role_policy(RoleName="sts-app", PolicyName="kms", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}))
        key = kms.create_key()["KeyMetadata"]["KeyId"]

        # The aws CLI with the user's keys assumes the role.
        env = dict(os.environ, AWS_ACCESS_KEY_ID=dev["AccessKeyId"], AWS_SECRET_ACCESS_KEY=dev["SecretAccessKey"],
                   AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_PROFILE", None)
        out = subprocess.run(["aws", "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                              "--endpoint-url", server.endpoint, "--output", "json"],
                             env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assumed = json.loads(out.stdout)
        c = assumed["Credentials"]
        assert c["AccessKeyId"].startswith("ASIA"), c["AccessKeyId"]
        session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/sts-app/cli"
        assert assumed["AssumedRoleUser"]["Arn"] == session_arn, assumed
        s_sts = client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        assert s_sts.get_caller_identity()["Arn"] == session_arn
        s_kms = client("kms", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        ct = s_kms.encrypt(KeyId=key, Plaintext=b"sts")["CiphertextBlob"]
        assert s_kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"sts"
        assert error_code(lambda: s_kms.create_key()) == "AccessDeniedException"
        # A forged token is refused as AWS refuses one.
        forged = client("kms", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"][:-8] + "AAAAAAAA")
        assert error_code(lambda: forged.list_keys()) == "UnrecognizedClientException"

        # A session policy narrows the role to Encrypt.
        narrow = client("sts", dev["AccessKeyId"], dev["SecretAccessKey"]).assume_role(
            RoleArn=role["Arn"], RoleSessionName="narrow", DurationSeconds=900,
            Policy=json.dumps({"Version": "2012-10-17",
                               "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))
        n = narrow["Credentials"]
        n_kms = client("kms", n["AccessKeyId"], n["SecretAccessKey"], n["SessionToken"])
        n_kms.encrypt(KeyId=key, Plaintext=b"x")
        assert error_code(lambda: n_kms.decrypt(CiphertextBlob=ct)) == "AccessDeniedException"
        assert error_code(lambda: client("sts", AK, SK).assume_role(
            RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7201)) == "ValidationError"
        # A managed session policy (PolicyArns) narrows it the same way.
        enc_only = iam.create_policy(PolicyName="sts-encrypt-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}))["Policy"]["Arn"]
        m = client("sts", dev["AccessKeyId"], dev["SecretAccessKey"]).assume_role(
            RoleArn=role["Arn"], RoleSessionName="managed", PolicyArns=[{"arn": enc_only}])["Credentials"]
        m_kms = client("kms", m["AccessKeyId"], m["SecretAccessKey"], m["SessionToken"])
        m_kms.encrypt(KeyId=key, Plaintext=b"x")
        assert error_code(lambda: m_kms.decrypt(CiphertextBlob=ct)) == "AccessDeniedException"
        assert error_code(lambda: client("sts", AK, SK).assume_role(
            RoleArn=role["Arn"], RoleSessionName="nope",
            PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT}:policy/nothing-here"}])) == "ValidationError"

        # GetSessionToken: the user's own session, never for IAM.
        t = client("sts", dev["AccessKeyId"], dev["SecretAccessKey"]).get_session_token()["Credentials"]
        t_sts = client("sts", t["AccessKeyId"], t["SecretAccessKey"], t["SessionToken"])
        assert t_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/sts-dev"
        t_iam = client("iam", t["AccessKeyId"], t["SecretAccessKey"], t["SessionToken"])
        assert error_code(lambda: t_iam.list_roles()) == "InvalidClientTokenId"

        # DeleteRole waits for its policies; then the sessions end.
        assert error_code(lambda: iam.delete_role(RoleName="sts-app")) == "DeleteConflict"
        iam.delete_role_policy(RoleName="sts-app", PolicyName="kms")
        iam.delete_role(RoleName="sts-app")
        assert error_code(lambda: s_kms.encrypt(KeyId=key, Plaintext=b"x")) == "UnrecognizedClientException"

    if hsm_module:
        @check("aws CLI create/connect/describe-custom-key-stores; boto3 encrypts with a key in the SoftHSM2 token")
        def _():
            anchor = os.path.join(tmp, "anchor.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-days", "2", "-subj", "/CN=hsm-anchor", "-keyout", os.path.join(tmp, "anchor.key"),
                            "-out", anchor], check=True, capture_output=True)
            ks = cli(server.endpoint, "create-custom-key-store", "--custom-key-store-name", "interop-hsm",
                     "--cloud-hsm-cluster-id", HSM_CLUSTER, "--trust-anchor-certificate", f"file://{anchor}",
                     "--key-store-password", HSM_PIN)["CustomKeyStoreId"]
            assert ks.startswith("cks-"), ks
            cli(server.endpoint, "connect-custom-key-store", "--custom-key-store-id", ks)
            stores = cli(server.endpoint, "describe-custom-key-stores", "--custom-key-store-name", "interop-hsm")
            entry = stores["CustomKeyStores"][0]
            assert entry["CustomKeyStoreId"] == ks and entry["ConnectionState"] == "CONNECTED", entry
            assert entry["CloudHsmClusterId"] == HSM_CLUSTER and entry["CustomKeyStoreType"] == "AWS_CLOUDHSM", entry
            md = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=ks)["KeyMetadata"]
            assert md["Origin"] == "AWS_CLOUDHSM" and md["CustomKeyStoreId"] == ks, md
            ct = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"in the hsm", EncryptionContext={"a": "b"})["CiphertextBlob"]
            assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})["Plaintext"] == b"in the hsm"
            cli(server.endpoint, "disconnect-custom-key-store", "--custom-key-store-id", ks)
            assert error_code(lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})) == "KMSInvalidStateException"
            assert "CustomKeyStoreHasCMKsException" in cli_error(server.endpoint, "delete-custom-key-store",
                                                                 "--custom-key-store-id", ks)
            cli(server.endpoint, "connect-custom-key-store", "--custom-key-store-id", ks)
    else:
        print("skip aws CLI custom key stores: TRENT_TEST_PKCS11_MODULE is not set (install softhsm2; CI sets it)")

    @check("boto3 + aws sts: a service-account token (OIDC, RS256) assumes a role with a web identity and decrypts")
    def _():
        cfg = Config(retries={"max_attempts": 1})
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=AK,
                           aws_secret_access_key=SK, config=cfg)
        url = OidcIssuer.ISSUER[len("https://"):]
        arn = iam.create_open_id_connect_provider(Url=OidcIssuer.ISSUER, ClientIDList=["sts.amazonaws.com"])[
            "OpenIDConnectProviderArn"]
        assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{url}", arn
        assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{url}:sub": "system:serviceaccount:shop:api",
                                           f"{url}:aud": "sts.amazonaws.com"}}}]}
        role = iam.create_role(RoleName="shop-api", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_role_policy(RoleName="shop-api", PolicyName="kms", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}))
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        ct = kms.encrypt(KeyId=key, Plaintext=b"web identity")["CiphertextBlob"]

        # boto3's STS client sends AssumeRoleWithWebIdentity unsigned: no credentials needed.
        from botocore import UNSIGNED
        sts = boto3.client("sts", endpoint_url=server.endpoint, region_name=REGION,
                           config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
        out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="pod",
                                                WebIdentityToken=oidc.token("system:serviceaccount:shop:api"))
        assert out["SubjectFromWebIdentityToken"] == "system:serviceaccount:shop:api", out
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/shop-api/pod"
        c = out["Credentials"]
        s_kms = boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION, config=cfg,
                             aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                             aws_session_token=c["SessionToken"])
        assert s_kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"web identity"
        # Another service account is refused; so is an expired token.
        assert error_code(lambda: sts.assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName="pod",
            WebIdentityToken=oidc.token("system:serviceaccount:shop:other"))) == "AccessDenied"
        assert error_code(lambda: sts.assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName="pod",
            WebIdentityToken=oidc.token("system:serviceaccount:shop:api", lifetime=-5))) == "ExpiredTokenException"

        # The aws CLI, as a pod's tooling would call it (no credentials configured).
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        out = subprocess.run(["aws", "sts", "assume-role-with-web-identity", "--role-arn", role["Arn"],
                              "--role-session-name", "cli", "--web-identity-token",
                              oidc.token("system:serviceaccount:shop:api"),
                              "--endpoint-url", server.endpoint, "--output", "json"],
                             env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["Credentials"]["AccessKeyId"].startswith("ASIA")

    @check("aws CLI: every operation")
    def _():
        ep = server.endpoint
        md = cli(ep, "create-key", "--description", "from the cli")["KeyMetadata"]
        key = md["KeyId"]
        assert cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]["Description"] == "from the cli"
        assert key in [k["KeyId"] for k in cli(ep, "list-keys")["Keys"]]
        cli(ep, "create-alias", "--alias-name", "alias/cli", "--target-key-id", key)
        pt_file = os.path.join(tmp, "pt.bin")
        with open(pt_file, "wb") as f:
            f.write(b"cli secret")
        ct = cli(ep, "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{pt_file}",
                 "--encryption-context", "purpose=cli")
        ct_file = os.path.join(tmp, "ct.bin")
        with open(ct_file, "wb") as f:
            f.write(base64.b64decode(ct["CiphertextBlob"]))
        state["cli_ct"] = ct_file
        out = cli(ep, "decrypt", "--ciphertext-blob", f"fileb://{ct_file}", "--encryption-context", "purpose=cli")
        assert base64.b64decode(out["Plaintext"]) == b"cli secret"
        dk = cli(ep, "generate-data-key", "--key-id", key, "--key-spec", "AES_256")
        assert len(base64.b64decode(dk["Plaintext"])) == 32
        dkn = cli(ep, "generate-data-key-without-plaintext", "--key-id", key, "--number-of-bytes", "16")
        assert "Plaintext" not in dkn
        re = cli(ep, "re-encrypt", "--ciphertext-blob", f"fileb://{ct_file}", "--source-encryption-context",
                 "purpose=cli", "--destination-key-id", state["key"])
        assert re["KeyId"] == state["arn"]
        cli(ep, "disable-key", "--key-id", key)
        err = cli_error(ep, "encrypt", "--key-id", key, "--plaintext", f"fileb://{pt_file}")
        assert "DisabledException" in err, err
        cli(ep, "enable-key", "--key-id", key)
        cli(ep, "update-alias", "--alias-name", "alias/cli", "--target-key-id", key)
        assert any(a["AliasName"] == "alias/cli" for a in cli(ep, "list-aliases")["Aliases"])
        assert len(base64.b64decode(cli(ep, "generate-random", "--number-of-bytes", "64")["Plaintext"])) == 64
        err = cli_error(ep, "describe-key", "--key-id", "alias/missing")
        assert "NotFoundException" in err, err

    @check("boto3 lifecycle: tags, description, rotation, scheduled deletion")
    def _():
        key = kms.create_key(Tags=[{"TagKey": "env", "TagValue": "dev"}])["KeyMetadata"]["Arn"]
        state["rotated"] = key
        kms.update_key_description(KeyId=key, Description="rotating")
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["Description"] == "rotating"
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "a"}])
        kms.untag_resource(KeyId=key, TagKeys=["team"])
        assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
        assert error_code(lambda: kms.tag_resource(KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])) == "TagException"
        state["before_rotation"] = kms.encrypt(KeyId=key, Plaintext=b"old material")["CiphertextBlob"]
        assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
        st = kms.get_key_rotation_status(KeyId=key)
        assert st["KeyRotationEnabled"] is True and st["RotationPeriodInDays"] == 180, st
        assert "NextRotationDate" in st
        kms.rotate_key_on_demand(KeyId=key)
        rot = kms.list_key_rotations(KeyId=key)["Rotations"]
        assert [r["RotationType"] for r in rot] == ["ON_DEMAND"], rot
        allm = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
        assert [r["KeyMaterialState"] for r in allm] == ["NON_CURRENT", "CURRENT"], allm
        out = kms.decrypt(CiphertextBlob=state["before_rotation"])
        assert out["Plaintext"] == b"old material" and out["KeyMaterialId"] == allm[0]["KeyMaterialId"]
        kms.disable_key_rotation(KeyId=key)
        raw = boto(server.endpoint, validate=False)
        assert error_code(lambda: raw.schedule_key_deletion(KeyId=key, PendingWindowInDays=3)) == "ValidationException"
        doomed = kms.create_key()["KeyMetadata"]["Arn"]
        r = kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
        assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7 and "DeletionDate" in r, r
        assert error_code(lambda: kms.encrypt(KeyId=doomed, Plaintext=b"x")) == "KMSInvalidStateException"
        assert kms.cancel_key_deletion(KeyId=doomed)["KeyId"] == doomed
        assert kms.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "Disabled"
        assert error_code(lambda: kms.cancel_key_deletion(KeyId=doomed)) == "KMSInvalidStateException"

    @check("aws CLI lifecycle")
    def _():
        ep = server.endpoint
        key = cli(ep, "create-key", "--tags", "TagKey=a,TagValue=1")["KeyMetadata"]["KeyId"]
        cli(ep, "tag-resource", "--key-id", key, "--tags", "TagKey=b,TagValue=2")
        tags = cli(ep, "list-resource-tags", "--key-id", key)["Tags"]
        assert tags == [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}], tags
        cli(ep, "untag-resource", "--key-id", key, "--tag-keys", "a")
        cli(ep, "update-key-description", "--key-id", key, "--description", "cli lifecycle")
        cli(ep, "enable-key-rotation", "--key-id", key, "--rotation-period-in-days", "90")
        assert cli(ep, "get-key-rotation-status", "--key-id", key)["RotationPeriodInDays"] == 90
        assert cli(ep, "rotate-key-on-demand", "--key-id", key)["KeyId"].endswith(key)
        assert len(cli(ep, "list-key-rotations", "--key-id", key)["Rotations"]) == 1
        cli(ep, "disable-key-rotation", "--key-id", key)
        r = cli(ep, "schedule-key-deletion", "--key-id", key, "--pending-window-in-days", "7")
        assert r["KeyState"] == "PendingDeletion", r
        cli(ep, "cancel-key-deletion", "--key-id", key)
        assert cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "Disabled"

    @check("aws CLI + openssl: import key material (BYOK), the README flow")
    def _():
        ep = server.endpoint
        work = os.path.join(tmp, "byok")
        os.makedirs(work, exist_ok=True)
        p = lambda name: os.path.join(work, name)  # noqa: E731
        key = cli(ep, "create-key", "--origin", "EXTERNAL")["KeyMetadata"]
        assert key["KeyState"] == "PendingImport" and key["Origin"] == "EXTERNAL", key
        key = key["KeyId"]
        state["byok"] = key
        subprocess.run(["openssl", "rand", "-out", p("material.bin"), "32"], check=True)

        def import_material(material, *extra):
            params = cli(ep, "get-parameters-for-import", "--key-id", key,
                         "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
            with open(p("pub.der"), "wb") as f:
                f.write(base64.b64decode(params["PublicKey"]))
            with open(p("token.bin"), "wb") as f:
                f.write(base64.b64decode(params["ImportToken"]))
            subprocess.run(["openssl", "pkeyutl", "-encrypt", "-in", material, "-out", p("wrapped.bin"),
                            "-inkey", p("pub.der"), "-keyform", "DER", "-pubin",
                            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                            "-pkeyopt", "rsa_mgf1_md:sha256"], check=True)
            return ("import-key-material", "--key-id", key, "--encrypted-key-material",
                    f"fileb://{p('wrapped.bin')}", "--import-token", f"fileb://{p('token.bin')}", *extra)

        out = cli(ep, *import_material(p("material.bin"), "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE"))
        material_id = out["KeyMaterialId"]
        md = cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]
        assert md["KeyState"] == "Enabled" and md["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE", md
        with open(p("msg.txt"), "wb") as f:
            f.write(b"bring your own key")
        ct = cli(ep, "encrypt", "--key-id", key, "--plaintext", f"fileb://{p('msg.txt')}")
        with open(p("msg.enc"), "wb") as f:
            f.write(base64.b64decode(ct["CiphertextBlob"]))
        state["byok_ct"] = p("msg.enc")
        cli(ep, "delete-imported-key-material", "--key-id", key)
        assert cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "PendingImport"
        err = cli_error(ep, "decrypt", "--ciphertext-blob", f"fileb://{p('msg.enc')}")
        assert "KMSInvalidStateException" in err, err
        subprocess.run(["openssl", "rand", "-out", p("other.bin"), "32"], check=True)
        args = import_material(p("other.bin"), "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
        err = cli_error(ep, *args)
        assert "IncorrectKeyMaterialException" in err, err
        out = cli(ep, *import_material(p("material.bin"), "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE"))
        assert out["KeyMaterialId"] == material_id
        out = cli(ep, "decrypt", "--ciphertext-blob", f"fileb://{p('msg.enc')}")
        assert base64.b64decode(out["Plaintext"]) == b"bring your own key"

    @check("aws CLI + openssl: import an RSA private key (RSA_AES_KEY_WRAP_SHA_256, the AWS guide's flow) "
           "and an ECC one (RSAES_OAEP_SHA_256); Trent's signatures verify with openssl")
    def _():
        ep = server.endpoint
        work = os.path.join(tmp, "byok-rsa")
        os.makedirs(work, exist_ok=True)
        p = lambda name: os.path.join(work, name)  # noqa: E731
        run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)  # noqa: E731
        # The key pair, made outside Trent; the private key as PKCS#8 DER.
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", p("priv.pem"))
        run("openssl", "pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-nocrypt",
            "-in", p("priv.pem"), "-out", p("PrivateKey.der"))
        run("openssl", "pkey", "-in", p("priv.pem"), "-pubout", "-out", p("pub.pem"))
        key = cli(ep, "create-key", "--origin", "EXTERNAL", "--key-spec", "RSA_2048",
                  "--key-usage", "SIGN_VERIFY")["KeyMetadata"]
        assert key["KeyState"] == "PendingImport", key
        key = key["KeyId"]
        # An RSA private key does not fit in an OAEP block: plain OAEP is refused for it.
        err = cli_error(ep, "get-parameters-for-import", "--key-id", key,
                        "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_4096")
        assert "ValidationException" in err, err
        params = cli(ep, "get-parameters-for-import", "--key-id", key,
                     "--wrapping-algorithm", "RSA_AES_KEY_WRAP_SHA_256", "--wrapping-key-spec", "RSA_4096")
        with open(p("WrappingPublicKey.der"), "wb") as f:
            f.write(base64.b64decode(params["PublicKey"]))
        with open(p("ImportToken.bin"), "wb") as f:
            f.write(base64.b64decode(params["ImportToken"]))
        # The developer guide's RSA_AES_KEY_WRAP_SHA_256 steps: a random AES key wraps the
        # material (AES key wrap with padding), and RSA-OAEP-SHA-256 wraps the AES key.
        run("openssl", "rand", "-out", p("aes-key.bin"), "32")
        with open(p("aes-key.bin"), "rb") as f:
            aes_hex = f.read().hex()
        run("openssl", "enc", "-id-aes256-wrap-pad", "-K", aes_hex, "-iv", "A65959A6",
            "-in", p("PrivateKey.der"), "-out", p("key-material-wrapped.bin"))
        run("openssl", "pkeyutl", "-encrypt", "-in", p("aes-key.bin"), "-out", p("aes-key-wrapped.bin"),
            "-inkey", p("WrappingPublicKey.der"), "-keyform", "DER", "-pubin",
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
        with open(p("EncryptedKeyMaterial.bin"), "wb") as out:
            for part in ("aes-key-wrapped.bin", "key-material-wrapped.bin"):
                with open(p(part), "rb") as f:
                    out.write(f.read())
        cli(ep, "import-key-material", "--key-id", key,
            "--encrypted-key-material", f"fileb://{p('EncryptedKeyMaterial.bin')}",
            "--import-token", f"fileb://{p('ImportToken.bin')}",
            "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
        md = cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]
        assert md["KeyState"] == "Enabled" and "CurrentKeyMaterialId" not in md, md
        # GetPublicKey gives the public half of the key openssl made.
        pub = cli(ep, "get-public-key", "--key-id", key)["PublicKey"]
        with open(p("pub.pem"), "rb") as f:
            pem = f.read()
        ours = serialization.load_pem_public_key(pem).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert base64.b64decode(pub) == ours
        # Trent signs; openssl verifies against the original public key.
        with open(p("msg.bin"), "wb") as f:
            f.write(b"signed by an imported RSA key")
        for alg, opts in (("RSASSA_PKCS1_V1_5_SHA_256", []),
                          ("RSASSA_PSS_SHA_256", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"])):
            sig = cli(ep, "sign", "--key-id", key, "--message", f"fileb://{p('msg.bin')}",
                      "--message-type", "RAW", "--signing-algorithm", alg)["Signature"]
            with open(p("sig.bin"), "wb") as f:
                f.write(base64.b64decode(sig))
            out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", p("pub.pem"), *opts,
                                  "-signature", p("sig.bin"), p("msg.bin")], capture_output=True, text=True)
            assert out.returncode == 0 and "Verified OK" in out.stdout, (alg, out.stdout, out.stderr)
        # DeleteImportedKeyMaterial: the key waits for its material again.
        cli(ep, "delete-imported-key-material", "--key-id", key)
        assert cli(ep, "describe-key", "--key-id", key)["KeyMetadata"]["KeyState"] == "PendingImport"

        # An ECC key from openssl (its PKCS#8 carries the curve and the public key), small
        # enough for plain RSAES_OAEP_SHA_256; Trent's ECDSA signature verifies with openssl.
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p("ec.pem"))
        run("openssl", "pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-nocrypt",
            "-in", p("ec.pem"), "-out", p("ec.der"))
        run("openssl", "pkey", "-in", p("ec.pem"), "-pubout", "-out", p("ec-pub.pem"))
        ec = cli(ep, "create-key", "--origin", "EXTERNAL", "--key-spec", "ECC_NIST_P256",
                 "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        params = cli(ep, "get-parameters-for-import", "--key-id", ec,
                     "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
        with open(p("ec-wrap.der"), "wb") as f:
            f.write(base64.b64decode(params["PublicKey"]))
        with open(p("ec-token.bin"), "wb") as f:
            f.write(base64.b64decode(params["ImportToken"]))
        run("openssl", "pkeyutl", "-encrypt", "-in", p("ec.der"), "-out", p("ec-wrapped.bin"),
            "-inkey", p("ec-wrap.der"), "-keyform", "DER", "-pubin",
            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
        cli(ep, "import-key-material", "--key-id", ec,
            "--encrypted-key-material", f"fileb://{p('ec-wrapped.bin')}",
            "--import-token", f"fileb://{p('ec-token.bin')}",
            "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
        sig = cli(ep, "sign", "--key-id", ec, "--message", f"fileb://{p('msg.bin')}",
                  "--message-type", "RAW", "--signing-algorithm", "ECDSA_SHA_256")["Signature"]
        with open(p("ec-sig.bin"), "wb") as f:
            f.write(base64.b64decode(sig))
        out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", p("ec-pub.pem"),
                              "-signature", p("ec-sig.bin"), p("msg.bin")], capture_output=True, text=True)
        assert out.returncode == 0 and "Verified OK" in out.stdout, (out.stdout, out.stderr)

    @check("boto3 + openssl + cryptography: signatures verify outside Trent")
    def _():
        work = os.path.join(tmp, "sign")
        os.makedirs(work, exist_ok=True)
        p = lambda name: os.path.join(work, name)  # noqa: E731
        msg = b"a release manifest signed by Trent"
        with open(p("msg.bin"), "wb") as f:
            f.write(msg)

        def public(key):
            der = kms.get_public_key(KeyId=key)["PublicKey"]
            with open(p("pub.der"), "wb") as f:
                f.write(der)
            subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", p("pub.der"), "-out", p("pub.pem")],
                           check=True, capture_output=True)
            return serialization.load_der_public_key(der)

        def sign(key, alg, message=msg, mtype="RAW"):
            sig = kms.sign(KeyId=key, Message=message, MessageType=mtype, SigningAlgorithm=alg)["Signature"]
            with open(p("sig.bin"), "wb") as f:
                f.write(sig)
            return sig

        def openssl_verify(*args):
            out = subprocess.run(["openssl", *args], capture_output=True, text=True)
            assert out.returncode == 0 and "Verified OK" in out.stdout + out.stderr, out

        for spec, alg, h in [("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256()),
                             ("ECC_NIST_P384", "ECDSA_SHA_384", hashes.SHA384()),
                             ("ECC_NIST_P521", "ECDSA_SHA_512", hashes.SHA512()),
                             ("ECC_SECG_P256K1", "ECDSA_SHA_256", hashes.SHA256())]:
            key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            pub = public(key)
            sig = sign(key, alg)
            pub.verify(sig, msg, ec.ECDSA(h))
            openssl_verify("dgst", "-" + h.name, "-verify", p("pub.pem"), "-signature", p("sig.bin"), p("msg.bin"))
            digest = hashes.Hash(h)
            digest.update(msg)
            pub.verify(sign(key, alg, digest.finalize(), "DIGEST"), msg, ec.ECDSA(h))
            assert kms.verify(KeyId=key, Message=msg, Signature=sig, SigningAlgorithm=alg)["SignatureValid"] is True

        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        pub = public(rsa)
        sig = sign(rsa, "RSASSA_PSS_SHA_256")
        pub.verify(sig, msg, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        openssl_verify("dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
                       "-verify", p("pub.pem"), "-signature", p("sig.bin"), p("msg.bin"))
        raw = sign(rsa, "RSASSA_PKCS1_V1_5_SHA_384")
        pub.verify(raw, msg, padding.PKCS1v15(), hashes.SHA384())
        openssl_verify("dgst", "-sha384", "-verify", p("pub.pem"), "-signature", p("sig.bin"), p("msg.bin"))
        digest = hashes.Hash(hashes.SHA384())
        digest.update(msg)
        assert sign(rsa, "RSASSA_PKCS1_V1_5_SHA_384", digest.finalize(), "DIGEST") == raw, "DIGEST equals RAW"

        ed = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        pub = public(ed)
        assert isinstance(pub, ed25519.Ed25519PublicKey)
        pub.verify(sign(ed, "ED25519_SHA_512"), msg)
        out = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", p("pub.pem"), "-rawin",
                              "-in", p("msg.bin"), "-sigfile", p("sig.bin")], capture_output=True, text=True)
        assert out.returncode == 0 and "Successfully" in out.stdout, out
        digest = hashes.Hash(hashes.SHA512())
        digest.update(msg)
        ph = sign(ed, "ED25519_PH_SHA_512", digest.finalize(), "DIGEST")
        assert ph == sign(ed, "ED25519_PH_SHA_512"), "Ed25519ph: DIGEST equals RAW"

        state["signed"] = (rsa, msg, sig)
        bad = bytearray(sig)
        bad[5] ^= 1
        assert error_code(lambda: kms.verify(KeyId=rsa, Message=msg, Signature=bytes(bad),
                                             SigningAlgorithm="RSASSA_PSS_SHA_256")) == "KMSInvalidSignatureException"

    @check("boto3: ML-DSA EXTERNAL_MU computed outside (FIPS 204 mu) signs what RAW verifies")
    def _():
        import hashlib
        msg = b"post-quantum release manifest"
        for spec, pk_len in [("ML_DSA_44", 1312), ("ML_DSA_65", 1952), ("ML_DSA_87", 2592)]:
            key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            pk = kms.get_public_key(KeyId=key)["PublicKey"][-pk_len:]
            tr = hashlib.shake_256(pk).digest(64)
            # Pure ML-DSA with an empty context: M' = 0x00 || len(ctx)=0x00 || M.
            mu = hashlib.shake_256(tr + b"\x00\x00" + msg).digest(64)
            sig = kms.sign(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
            assert kms.verify(KeyId=key, Message=msg, Signature=sig, SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
            raw = kms.sign(KeyId=key, Message=msg, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
            assert kms.verify(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", Signature=raw,
                              SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
            assert error_code(lambda: kms.sign(KeyId=key, Message=mu[:32], MessageType="EXTERNAL_MU",
                                               SigningAlgorithm="ML_DSA_SHAKE_256")) == "ValidationException"

    @check("openssl pkeyutl RSA-OAEP ciphertext decrypts in Trent; data key pairs work outside")
    def _():
        work = os.path.join(tmp, "oaep")
        os.makedirs(work, exist_ok=True)
        p = lambda name: os.path.join(work, name)  # noqa: E731
        key = kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        with open(p("pub.der"), "wb") as f:
            f.write(kms.get_public_key(KeyId=key)["PublicKey"])
        with open(p("pt.bin"), "wb") as f:
            f.write(b"sealed by openssl")
        for md, alg in [("sha256", "RSAES_OAEP_SHA_256"), ("sha1", "RSAES_OAEP_SHA_1")]:
            subprocess.run(["openssl", "pkeyutl", "-encrypt", "-in", p("pt.bin"), "-out", p("ct.bin"),
                            "-inkey", p("pub.der"), "-keyform", "DER", "-pubin",
                            "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}",
                            "-pkeyopt", f"rsa_mgf1_md:{md}"], check=True)
            with open(p("ct.bin"), "rb") as f:
                out = kms.decrypt(KeyId=key, CiphertextBlob=f.read(), EncryptionAlgorithm=alg)
            assert out["Plaintext"] == b"sealed by openssl" and out["EncryptionAlgorithm"] == alg, out

        sym = kms.create_key()["KeyMetadata"]["KeyId"]
        for spec in ["ECC_NIST_P384", "RSA_2048", "ECC_NIST_EDWARDS25519"]:
            pair = kms.generate_data_key_pair(KeyId=sym, KeyPairSpec=spec)
            priv = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
            pub = serialization.load_der_public_key(pair["PublicKey"])
            m = b"signed with a data key pair"
            if spec.startswith("ECC_NIST_P"):
                pub.verify(priv.sign(m, ec.ECDSA(hashes.SHA384())), m, ec.ECDSA(hashes.SHA384()))
            elif spec.startswith("RSA"):
                pub.verify(priv.sign(m, padding.PKCS1v15(), hashes.SHA256()), m, padding.PKCS1v15(), hashes.SHA256())
            else:
                pub.verify(priv.sign(m), m)
            back = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
            assert back == pair["PrivateKeyPlaintext"]
        np = kms.generate_data_key_pair_without_plaintext(KeyId=sym, KeyPairSpec="ECC_SECG_P256K1")
        assert "PrivateKeyPlaintext" not in np
        priv = serialization.load_der_private_key(kms.decrypt(CiphertextBlob=np["PrivateKeyCiphertextBlob"])["Plaintext"], None)
        assert priv.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo) == np["PublicKey"]

    @check("aws CLI: sign/verify, MACs, ECDH, ML-DSA; ML-KEM with boto3")
    def _():
        ep = server.endpoint
        work = os.path.join(tmp, "cli-asym")
        os.makedirs(work, exist_ok=True)
        p = lambda name: os.path.join(work, name)  # noqa: E731
        with open(p("msg.bin"), "wb") as f:
            f.write(b"cli message")
        msg = f"fileb://{p('msg.bin')}"

        def save(name, b64):
            with open(p(name), "wb") as f:
                f.write(base64.b64decode(b64))
            return f"fileb://{p(name)}"

        for spec, alg in [("ML_DSA_65", "ML_DSA_SHAKE_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")]:
            key = cli(ep, "create-key", "--key-spec", spec, "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            sig = cli(ep, "sign", "--key-id", key, "--message", msg, "--signing-algorithm", alg)["Signature"]
            out = cli(ep, "verify", "--key-id", key, "--message", msg, "--signature", save("sig.bin", sig),
                      "--signing-algorithm", alg)
            assert out["SignatureValid"] is True, out
            pk = cli(ep, "get-public-key", "--key-id", key)
            assert pk["KeySpec"] == spec and pk["SigningAlgorithms"] == [alg], pk

        hmac = cli(ep, "create-key", "--key-spec", "HMAC_384", "--key-usage", "GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = cli(ep, "generate-mac", "--key-id", hmac, "--message", msg, "--mac-algorithm", "HMAC_SHA_384")["Mac"]
        assert len(base64.b64decode(mac)) == 48
        out = cli(ep, "verify-mac", "--key-id", hmac, "--message", msg, "--mac", save("mac.bin", mac),
                  "--mac-algorithm", "HMAC_SHA_384")
        assert out["MacValid"] is True, out
        bad = base64.b64encode(bytes([base64.b64decode(mac)[0] ^ 1]) + base64.b64decode(mac)[1:]).decode()
        err = cli_error(ep, "verify-mac", "--key-id", hmac, "--message", msg, "--mac", save("bad.bin", bad),
                        "--mac-algorithm", "HMAC_SHA_384")
        assert "KMSInvalidMacException" in err, err

        ka = cli(ep, "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
        mine = ec.generate_private_key(ec.SECP256R1())
        with open(p("peer.der"), "wb") as f:
            f.write(mine.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
        out = cli(ep, "derive-shared-secret", "--key-id", ka, "--key-agreement-algorithm", "ECDH",
                  "--public-key", f"fileb://{p('peer.der')}")
        theirs = serialization.load_der_public_key(base64.b64decode(cli(ep, "get-public-key", "--key-id", ka)["PublicKey"]))
        assert base64.b64decode(out["SharedSecret"]) == mine.exchange(ec.ECDH(), theirs)

        # awscli 1.46 carries its own botocore (1.43), whose KMS model has no
        # ML-KEM yet; boto3's botocore has it, so ML-KEM goes through boto3.
        kms = boto(ep)
        kem = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
        assert kem["EncapsulationAlgorithms"] == ["ML_KEM"], kem
        enc = kms.encapsulate(KeyId=kem["KeyId"], EncapsulationAlgorithm="ML_KEM")
        dec = kms.decapsulate(KeyId=kem["KeyId"], EncapsulationAlgorithm="ML_KEM",
                              SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"])
        assert dec["SharedSecret"] == enc["SharedSecret"] and len(dec["SharedSecret"]) == 32

        err = cli_error(ep, "create-key", "--key-spec", "SM2", "--key-usage", "SIGN_VERIFY")
        assert "UnsupportedOperationException" in err, err

    @check("aws cloudtrail lookup-events, boto3 CloudTrail and GetKeyLastUsage read the audit trail")
    def _():
        env = dict(os.environ)
        env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION)
        env.pop("AWS_PROFILE", None)
        out = subprocess.run(
            ["aws", "cloudtrail", "lookup-events", "--endpoint-url", server.endpoint, "--output", "json",
             "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Encrypt", "--max-items", "5"],
            env=env, capture_output=True, text=True,
        )
        assert out.returncode == 0, out.stderr
        events = json.loads(out.stdout)["Events"]
        assert len(events) == 5, events
        for e in events:
            assert e["EventName"] == "Encrypt" and e["EventSource"] == "kms.amazonaws.com"
            record = json.loads(e["CloudTrailEvent"])
            assert record["eventName"] == "Encrypt" and record["userIdentity"]["accountId"] == ACCOUNT
            assert "plaintext" not in record["requestParameters"], record
        ct = boto3.client("cloudtrail", endpoint_url=server.endpoint, region_name=REGION,
                          aws_access_key_id=AK, aws_secret_access_key=SK)
        pages = ct.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": state["key"]}],
            PaginationConfig={"PageSize": 2},
        )
        names = [e["EventName"] for page in pages for e in page["Events"]]
        assert names[-1] == "CreateKey" and "Encrypt" in names and "Decrypt" in names, names
        usage = kms.get_key_last_usage(KeyId=state["key"])
        assert usage["KeyLastUsage"]["Operation"] in ("Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey",
                                                      "GenerateDataKeyWithoutPlaintext"), usage
        event = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventId",
                                                    "AttributeValue": usage["KeyLastUsage"]["CloudTrailEventId"]}])
        assert event["Events"][0]["EventName"] == usage["KeyLastUsage"]["Operation"], event
        try:
            ct.lookup_events(MaxResults=51)
            raise AssertionError("MaxResults 51 accepted")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidMaxResultsException", e.response

    @check("trent admin audit: verify online, export and tail")
    def _():
        env = dict(os.environ)
        env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK)
        run = lambda *args: subprocess.run([binary, "admin", "audit", *args, "--endpoint", server.endpoint],
                                           env=env, capture_output=True, text=True)
        out = run("verify")
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        assert report["Records"] > 20 and "Problem" not in report, report
        # Again, from where the first ended: only what came since is read.
        out = run("verify", "--after", f"{report['LastSeq']}:{report['LastHash']}")
        assert out.returncode == 0, out.stderr
        since = json.loads(out.stdout)
        assert since["FirstSeq"] == report["LastSeq"] + 1 and since["Records"] < report["Records"], since
        assert "Problem" not in since, since
        out = run("export", "--event-name", "CreateKey")
        assert out.returncode == 0, out.stderr
        lines = [json.loads(l) for l in out.stdout.splitlines()]
        assert lines and all(e["eventName"] == "CreateKey" for e in lines)
        out = run("tail", "-n", "3")
        assert out.returncode == 0 and len(out.stdout.splitlines()) == 3, out

    @check("restart: keys, aliases and ciphertexts survive")
    def _():
        server.stop()
        server.start()
        k = boto(server.endpoint)
        assert k.describe_key(KeyId="alias/interop")["KeyMetadata"]["KeyId"] == state["key"]
        assert k.decrypt(CiphertextBlob=state["ct"], EncryptionContext={"app": "interop"})["Plaintext"] == b"hello"
        assert k.decrypt(CiphertextBlob=state["alias_ct"])["Plaintext"] == b"via alias"
        out = cli(server.endpoint, "decrypt", "--ciphertext-blob", f"fileb://{state['cli_ct']}",
                  "--encryption-context", "purpose=cli")
        assert base64.b64decode(out["Plaintext"]) == b"cli secret"
        assert k.decrypt(CiphertextBlob=state["before_rotation"])["Plaintext"] == b"old material"
        assert len(k.list_key_rotations(KeyId=state["rotated"])["Rotations"]) == 1
        with open(state["byok_ct"], "rb") as f:
            assert k.decrypt(CiphertextBlob=f.read())["Plaintext"] == b"bring your own key"
        key, msg, sig = state["signed"]
        assert k.verify(KeyId=key, Message=msg, Signature=sig, SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"]

    @check("trent admin audit verify offline finds an edited record")
    def _():
        import shutil
        import sqlite3

        server.stop()
        out = subprocess.run([binary, "admin", "audit", "verify", "--data-dir", data], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        head = json.loads(out.stdout)
        copy = os.path.join(tmp, "tampered")
        shutil.copytree(data, copy)
        db = sqlite3.connect(os.path.join(copy, "trent.db"))
        db.execute("UPDATE audit_events SET record = replace(record, 'interop', 'intErop') WHERE seq = "
                   "(SELECT MIN(seq) FROM audit_events WHERE record LIKE '%interop%')")
        db.commit()
        db.close()
        out = subprocess.run([binary, "admin", "audit", "verify", "--data-dir", copy], capture_output=True, text=True)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "was edited" in json.loads(out.stdout)["Problem"], out.stdout
        # Verifying from the last record verified before: that record must
        # still have its hash.
        db = sqlite3.connect(os.path.join(copy, "trent.db"))
        db.execute("UPDATE audit_events SET record = replace(record, '\"eventVersion\"', '\"eventVersioN\"') "
                   "WHERE seq = ?", (head["LastSeq"],))
        db.commit()
        db.close()
        out = subprocess.run([binary, "admin", "audit", "verify", "--data-dir", copy, "--after",
                              f"{head['LastSeq']}:{head['LastHash']}"], capture_output=True, text=True)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "no longer has the hash" in json.loads(out.stdout)["Problem"], out.stdout

    if server.proc.poll() is None:
        server.stop()

    tls_dir = os.path.join(tmp, "tls")
    os.makedirs(tls_dir)
    cert, key, ca = make_tls_files(tls_dir)
    secure = Trent(binary, os.path.join(tmp, "data-tls"), tls=(cert, key, ca))
    secure.start()
    tls_state = {}

    @check("boto3 over TLS with verify=ca.pem; aws:SecureTransport is true")
    def _():
        k = boto(secure.endpoint, verify=ca)
        policy = json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
        key_id = k.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
        ct = k.encrypt(KeyId=key_id, Plaintext=b"over TLS")["CiphertextBlob"]
        assert k.decrypt(CiphertextBlob=ct)["Plaintext"] == b"over TLS"
        tls_state["key"] = key_id
        # Without the CA, boto3 does not trust the server.
        try:
            boto(secure.endpoint).list_keys()
            raise AssertionError("the test CA should not be trusted by default")
        except Exception as e:  # noqa: BLE001 - botocore's SSLError
            assert "SSL" in type(e).__name__ or "certificate" in str(e).lower(), repr(e)

    @check("aws CLI over TLS with --ca-bundle")
    def _():
        out = cli(secure.endpoint, "encrypt", "--key-id", tls_state["key"], "--plaintext", "aGVsbG8=",
                  "--ca-bundle", ca)
        assert out["KeyId"].endswith(tls_state["key"]), out
        err = cli_error(secure.endpoint, "list-keys")
        assert "SSL" in err or "certificate" in err.lower(), err

    @check("openssl s_client: TLS 1.2 and 1.3 accepted; TLS 1.0 / 1.1 and a non-forward-secret suite refused")
    def _():
        code, out = s_client(secure.port, "-CAfile", ca, "-tls1_3")
        assert code == 0 and "TLSv1.3" in out, out
        code, out = s_client(secure.port, "-CAfile", ca, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        assert code == 0 and "ECDHE-ECDSA-AES128-GCM-SHA256" in out, out
        # SECLEVEL=0 so that OpenSSL itself offers the old protocol: the
        # refusal seen is the server's alert (rustls answers an old hello
        # with protocol_version or, when none of its suites is offered,
        # handshake_failure) and no cipher is agreed.
        refused = lambda out: "Cipher is (NONE)" in out and (
            "alert protocol version" in out or "alert handshake failure" in out)
        for flag in ("-tls1_1", "-tls1"):
            code, out = s_client(secure.port, flag, "-cipher", "DEFAULT:@SECLEVEL=0")
            assert code != 0 and refused(out), out
        code, out = s_client(secure.port, "-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-SHA")
        assert code != 0 and refused(out), out

    secure.stop()

    @check("aws CLI: two sites (separate deployments and stores) replicate a multi-Region key, the README flow")
    def _():
        sites = {}
        for name in ("a", "b"):
            d = os.path.join(tmp, f"site-{name}")
            os.makedirs(d)
            cert, key, ca = make_tls_files(d)
            der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                                 capture_output=True).stdout
            sites[name] = dict(dir=d, tls=(cert, key, ca), pin=hashlib.sha256(der).hexdigest(), port=free_port())
        with open(os.path.join(tmp, "peer.secret"), "w") as f:
            f.write("the trust both interop sites share, 32+ characters\n")
        own = {"a": "us-east-1", "b": "eu-west-1"}
        servers = {}
        for name, other in (("a", "b"), ("b", "a")):
            conf = os.path.join(sites[name]["dir"], "trent.toml")
            with open(conf, "w") as f:
                f.write(f'peer_secret_file = "{os.path.join(tmp, "peer.secret")}"\n\n[[peers]]\n'
                        f'regions = ["{own[other]}"]\nurl = "https://127.0.0.1:{sites[other]["port"]}"\n'
                        f'certificate_sha256 = "{sites[other]["pin"]}"\n')
            servers[name] = Trent(binary, os.path.join(sites[name]["dir"], "data"), tls=sites[name]["tls"],
                                  config=conf, port=sites[name]["port"], regions=own[name])
            servers[name].start()
        try:
            def aws(name, *args):
                return cli(servers[name].endpoint, *args, "--region", own[name], "--ca-bundle", sites[name]["tls"][2])
            def plaintext(text):
                path = os.path.join(tmp, "site-plaintext.txt")
                with open(path, "wb") as f:
                    f.write(text)
                return f"fileb://{path}"
            key = aws("a", "create-key", "--multi-region")["KeyMetadata"]["KeyId"]
            ct = aws("a", "encrypt", "--key-id", key, "--plaintext", plaintext(b"site a"))["CiphertextBlob"]
            out = aws("a", "replicate-key", "--key-id", key, "--replica-region", "eu-west-1")
            assert out["ReplicaKeyMetadata"]["Arn"].split(":")[3] == "eu-west-1", out
            blob = os.path.join(tmp, "site-a.enc")
            with open(blob, "wb") as f:
                f.write(base64.b64decode(ct))
            out = aws("b", "decrypt", "--ciphertext-blob", f"fileb://{blob}")
            assert base64.b64decode(out["Plaintext"]) == b"site a", out
            meta = aws("b", "describe-key", "--key-id", key)["KeyMetadata"]["MultiRegionConfiguration"]
            assert meta["MultiRegionKeyType"] == "REPLICA" and meta["PrimaryKey"]["Region"] == "us-east-1", meta
            aws("a", "rotate-key-on-demand", "--key-id", key)
            ct = aws("a", "encrypt", "--key-id", key, "--plaintext", plaintext(b"rotated"))["CiphertextBlob"]
            with open(blob, "wb") as f:
                f.write(base64.b64decode(ct))
            assert base64.b64decode(aws("b", "decrypt", "--ciphertext-blob", f"fileb://{blob}")["Plaintext"]) == b"rotated"
            aws("a", "update-primary-region", "--key-id", key, "--primary-region", "eu-west-1")
            meta = aws("b", "describe-key", "--key-id", key)["KeyMetadata"]["MultiRegionConfiguration"]
            assert meta["MultiRegionKeyType"] == "PRIMARY", meta
            # A single-Region key of site A is not visible from site B.
            single = aws("a", "create-key")["KeyMetadata"]["KeyId"]
            out = subprocess.run(["aws", "kms", "describe-key", "--key-id", single, "--region", "eu-west-1",
                                  "--endpoint-url", servers["b"].endpoint, "--ca-bundle", sites["b"]["tls"][2]],
                                 env={**os.environ, "AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK},
                                 capture_output=True, text=True)
            assert out.returncode != 0 and "NotFoundException" in out.stderr, out.stderr
        finally:
            for server in servers.values():
                server.stop()

    print(f"interop: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
