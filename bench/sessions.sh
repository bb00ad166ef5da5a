#!/usr/bin/env bash
# Long-term access keys against STS session credentials, on one server in
# one run: alternating rounds of `trent bench` (server on core 0, client on
# core 1), signed with the bootstrap (root) access key, with an IAM user's
# key (its identity policy allows kms:*), and with the credentials of an
# AssumeRole session of a role with the same policy (`X-Amz-Security-Token`:
# the token is opened, AES-GCM under the domain key, on every request), and
# with the key of a user who has no policy of its own but is in a group
# with an attached managed policy allowing kms:*, under a permissions
# boundary allowing kms:* ("managed": every part of the identity side),
# and a second session of the role narrowed by that managed policy as a
# managed session policy ("narrowed": PolicyArns, resolved on every
# request). session/user isolates what the session token costs; user/root
# what identity policies cost; managed/user what groups, managed policies
# and a boundary add; narrowed/session what a managed session policy adds.
# Prints medians and the ratios.
#
# Usage: bench/sessions.sh [TRENT BENCH ARGS...]
#        (ROUNDS=3, PYTHON=.venv/bin/python with boto3 (scripts/test makes
#        it); default bench args: --op encrypt --size 100 --concurrency 32
#        --duration 6 --warmup 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
PY=${PYTHON:-.venv/bin/python}
POINT=("$@")
[ ${#POINT[@]} -gt 0 ] || POINT=(--op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

start_server -- "$TRENT" --data-dir "$work/data"
# A role the bootstrap account trusts, allowed kms:*, and a session of it.
eval "$("$PY" - "$endpoint" <<'PY'
import json, shlex, sys
import boto3
ep = sys.argv[1]
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1")
trust = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.put_role_policy(RoleName="bench", PolicyName="kms", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
c = boto3.client("sts", endpoint_url=ep, region_name="us-east-1").assume_role(
    RoleArn=role["Arn"], RoleSessionName="bench", DurationSeconds=3600)["Credentials"]
iam.create_user(UserName="bench")
iam.put_user_policy(UserName="bench", PolicyName="kms", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
u = iam.create_access_key(UserName="bench")["AccessKey"]
everything = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
p = iam.create_policy(PolicyName="bench-kms", PolicyDocument=everything)["Policy"]["Arn"]
iam.create_group(GroupName="bench")
iam.attach_group_policy(GroupName="bench", PolicyArn=p)
iam.create_user(UserName="bench-managed")
iam.add_user_to_group(GroupName="bench", UserName="bench-managed")
iam.put_user_permissions_boundary(UserName="bench-managed", PermissionsBoundary=p)
m = iam.create_access_key(UserName="bench-managed")["AccessKey"]
n = boto3.client("sts", endpoint_url=ep, region_name="us-east-1").assume_role(
    RoleArn=role["Arn"], RoleSessionName="bench-narrowed", DurationSeconds=3600,
    PolicyArns=[{"arn": p}])["Credentials"]
print(f"N_AK={shlex.quote(n['AccessKeyId'])} N_SK={shlex.quote(n['SecretAccessKey'])} "
      f"N_TOKEN={shlex.quote(n['SessionToken'])} "
      f"S_AK={shlex.quote(c['AccessKeyId'])} S_SK={shlex.quote(c['SecretAccessKey'])} "
      f"S_TOKEN={shlex.quote(c['SessionToken'])} "
      f"U_AK={shlex.quote(u['AccessKeyId'])} U_SK={shlex.quote(u['SecretAccessKey'])} "
      f"M_AK={shlex.quote(m['AccessKeyId'])} M_SK={shlex.quote(m['SecretAccessKey'])}")
PY
)"

user_point() {
    AWS_ACCESS_KEY_ID=$U_AK AWS_SECRET_ACCESS_KEY=$U_SK bench_point "$@"
}

managed_point() {
    AWS_ACCESS_KEY_ID=$M_AK AWS_SECRET_ACCESS_KEY=$M_SK bench_point "$@"
}

session_point() {
    AWS_ACCESS_KEY_ID=$S_AK AWS_SECRET_ACCESS_KEY=$S_SK AWS_SESSION_TOKEN=$S_TOKEN bench_point "$@"
}

narrowed_point() {
    AWS_ACCESS_KEY_ID=$N_AK AWS_SECRET_ACCESS_KEY=$N_SK AWS_SESSION_TOKEN=$N_TOKEN bench_point "$@"
}

for _ in $(seq "$ROUNDS"); do
    echo "root $(server_cpu bench_point "${POINT[@]}")" | tee -a "$work/rows"
    echo "user $(server_cpu user_point "${POINT[@]}")" | tee -a "$work/rows"
    echo "session $(server_cpu session_point "${POINT[@]}")" | tee -a "$work/rows"
    echo "managed $(server_cpu managed_point "${POINT[@]}")" | tee -a "$work/rows"
    echo "narrowed $(server_cpu narrowed_point "${POINT[@]}")" | tee -a "$work/rows"
done
medians "$work/rows" session user
medians "$work/rows" user root
medians "$work/rows" managed user
medians "$work/rows" narrowed session
