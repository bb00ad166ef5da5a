"""Probe for bench/lookup-visibility.sh: how long after its answer a call's
event is visible to LookupEvents.

Each probe encrypts under a key of its own (no other load touches it), takes
the time the answer arrived, then polls LookupEvents by that key's ARN until
the newest event is a new one. Prints the polls needed and the answer-to-
visible latency (median, p99, max), as JSON.

Usage: python lookup_visibility.py ENDPOINT PROBES
"""
import json
import statistics
import sys
import time

import boto3
from botocore.config import Config

endpoint, probes = sys.argv[1], int(sys.argv[2])
cfg = Config(retries={"max_attempts": 1})
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", config=cfg)
trail = boto3.client("cloudtrail", endpoint_url=endpoint, region_name="us-east-1", config=cfg)
arn = kms.create_key()["KeyMetadata"]["Arn"]


def newest():
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}], MaxResults=1
    )["Events"]
    return events[0]["EventId"] if events else None


seen = newest()
latencies, polls = [], []
for _ in range(probes):
    kms.encrypt(KeyId=arn, Plaintext=b"visibility probe")
    answered = time.monotonic()
    n = 0
    while True:
        n += 1
        got = newest()
        if got != seen:
            break
        if time.monotonic() - answered > 30:
            sys.exit("an event stayed invisible for 30 s")
    latencies.append((time.monotonic() - answered) * 1000)
    polls.append(n)
    seen = got
latencies.sort()
print(json.dumps({
    "probes": probes,
    "visible_at_first_poll": sum(1 for p in polls if p == 1),
    "max_polls": max(polls),
    "ms_median": round(statistics.median(latencies), 2),
    "ms_p99": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
    "ms_max": round(latencies[-1], 2),
}))
