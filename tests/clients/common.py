"""What both client scripts share: the command line, and a fresh domain."""

import argparse
import base64
import uuid


def connect(client_class):
    """A generated `Client` for --base-url that sends --api-key as Basic
    credentials, and a domain name fresh for this run (so a script can run
    against a used server)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    basic = base64.b64encode(f"api:{args.api_key}".encode()).decode()
    client = client_class(base_url=args.base_url, headers={"Authorization": f"Basic {basic}"})
    domain = f"client-{uuid.uuid4().hex[:12]}.example.com"
    return client, domain
