"""Drives Signet's fleet key feed through the Python client that
openapi-python-client generates from /openapi/fleet.json, unpatched: read
the feed, poll it again with its ETag (304), and be refused without a live
token.

Usage: python tests/clients/fleet.py --base-url URL --api-key FLEET_TOKEN
(a token from `signet fleet create`, as .ci/contract makes it).
Exit status 0 means every step answered as the document says.
"""

import argparse
import sys

from signet_fleet_client import AuthenticatedClient
from signet_fleet_client.api.feed import keys
from signet_fleet_client.models import FeedBody, ProblemDetails


def expect(value, kind, step):
    """The parsed answer, if it is of the kind the step should give."""
    if not isinstance(value, kind):
        sys.exit(f"{step}: expected {kind.__name__}, got {value!r}")
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True, help="a fleet token")
    args = parser.parse_args()
    client = AuthenticatedClient(base_url=args.base_url, token=args.api_key)

    first = keys.sync_detailed(client=client)
    assert first.status_code == 200, first.status_code
    feed = expect(first.parsed, FeedBody, "read")
    for key in feed.keys:
        assert key.private_key.startswith("-----BEGIN PRIVATE KEY-----"), key.selector
    etag = first.headers["etag"]
    assert etag.startswith('"') and len(etag) == 66, etag

    again = keys.sync_detailed(client=client, if_none_match=etag)
    assert again.status_code == 304, again.status_code
    assert again.headers["etag"] == etag

    stranger = AuthenticatedClient(base_url=args.base_url, token="sgf_" + "A" * 43)
    refused = keys.sync_detailed(client=stranger)
    assert refused.status_code == 401, refused.status_code
    problem = expect(refused.parsed, ProblemDetails, "refused")
    assert problem.status == 401, problem
    assert [k.selector for k in feed.keys] == ["s1"], feed.keys
    print(f"fleet client: ok ({len(feed.keys)} keys)")


if __name__ == "__main__":
    main()
