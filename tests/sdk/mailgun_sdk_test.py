"""Signet's Mailgun dialect driven by Mailgun's official Python SDK (`mailgun` on PyPI).

Run by tests/mailgun/sdk.rs against a freshly started server, with:
  SIGNET_API_URL     http://127.0.0.1:PORT
  SIGNET_API_KEY     an API key of the server's test tenant
  SIGNET_PEM_FILE    a 1024-bit PKCS #1 private key, to import as a file part
  SIGNET_PEM_RECORD  the TXT value published for it at pem._domainkey.sdk.example.com

Runs as a script (`python mailgun_sdk_test.py`) or under pytest.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from mailgun.client import Client
from mailgun.endpoints import Endpoint

API_URL = os.environ["SIGNET_API_URL"].rstrip("/")
API_KEY = os.environ["SIGNET_API_KEY"]
PEM_FILE = Path(os.environ["SIGNET_PEM_FILE"])
PEM_RECORD = os.environ["SIGNET_PEM_RECORD"]

DOMAIN = "sdk.example.com"


def client(key: str = API_KEY) -> Client:
    return Client(auth=("api", key), api_url=API_URL)


def check(response, status: int, body: dict | None = None) -> dict:
    """Asserts the status (and the exact body, if given); returns the JSON body."""
    data = response.json()
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {data}"
    if body is not None:
        assert data == body, f"{response.request.method} {response.url}: {data} != {body}"
    return data


def key_action(mg: Client, authority: str, selector: str, action: str):
    """PUT /v4/domains/{authority}/keys/{selector}/{action} through the SDK.

    The SDK's own route for this (`client.domains_keys_activate`) leaves its
    `{authority_name}` and `{selector}` placeholders unfilled in mailgun 1.10.0,
    so the request goes through the SDK's Endpoint (same session, auth, headers
    and encoding) with the path Mailgun documents.
    """
    sdk_route = getattr(mg, f"domains_keys_{action}")
    documented = f"{API_URL}/v4/domains/{authority}/keys/{selector}/{action}"
    built = sdk_route.build_url(sdk_route._url, domain=authority, method="put")
    if built != documented:
        print(f"note: the SDK routes {action} to {built}; using {documented}")
    endpoint = Endpoint(
        url={"base": f"{API_URL}/v4/domains/", "keys": ["domains", "keys", selector, action]},
        headers=sdk_route.headers,
        auth=mg.auth,
        session=mg._session,
    )
    return endpoint.put(domain=authority)


def selectors(mg: Client, domain: str) -> list[str]:
    data = check(mg.dkim_keys.get(filters={"signing_domain": domain, "limit": 100}), 200)
    return [item["selector"] for item in data["items"]]


def test_key_lifecycle() -> None:
    with client() as mg:
        data = check(mg.dkim_keys.get(filters={"signing_domain": DOMAIN}), 200)
        assert data["items"] == [], data
        assert set(data["paging"]) == {"first", "last", "next", "previous"}, data

        # Create by size (urlencoded form).
        made = check(
            mg.dkim_keys.create(data={"signing_domain": DOMAIN, "selector": "gen", "bits": "1024"}),
            200,
        )
        assert made["signing_domain"] == DOMAIN and made["selector"] == "gen", made
        record = made["dns_record"]
        assert record["name"] == f"gen._domainkey.{DOMAIN}", record
        assert record["record_type"] == "TXT" and record["valid"] == "unknown", record
        assert record["is_active"] is False and record["cached"] == [], record
        assert record["value"].startswith("k=rsa; p="), record

        # Create by PEM file (multipart with a `pem` file part), as the SDK's example does.
        files = [("pem", ("server.key", PEM_FILE.read_bytes()))]
        data = {"signing_domain": DOMAIN, "selector": "pem", "bits": "1024"}
        imported = check(mg.dkim_keys.create(data=data, files=files), 200)
        assert imported["dns_record"]["value"] == PEM_RECORD, imported
        assert "PRIVATE" not in str(imported), imported

        check(
            mg.dkim_keys.create(data=data, files=[("pem", ("server.key", PEM_FILE.read_bytes()))]),
            400,
            {"message": "failed to create domain key: duplicate key"},
        )

        # List, then walk the pages as the SDK's stream() does.
        assert selectors(mg, DOMAIN) == ["gen", "pem"]
        walked = [item["selector"] for item in mg.dkim_keys.stream(filters={"signing_domain": DOMAIN, "limit": 1})]
        assert walked == ["gen", "pem"], walked

        # Activation needs a published record: only `pem` has one.
        refused = check(key_action(mg, DOMAIN, "gen", "activate"), 400)
        assert refused["message"].startswith(f"DNS record gen._domainkey.{DOMAIN} is not valid"), refused
        check(
            key_action(mg, DOMAIN, "pem", "activate"),
            200,
            {"message": "domain key activated", "authority": DOMAIN, "selector": "pem", "active": True},
        )
        listed = check(mg.dkim_keys.get(filters={"signing_domain": DOMAIN, "selector": "pem"}), 200)
        assert listed["items"][0]["dns_record"]["is_active"] is True, listed
        assert listed["items"][0]["dns_record"]["valid"] == "valid", listed

        query = {"signing_domain": DOMAIN, "selector": "pem"}
        check(
            mg.dkim_keys.delete(filters=query),
            400,
            {"message": "cannot delete domain key: must have at least one active domain key"},
        )
        check(
            key_action(mg, DOMAIN, "pem", "deactivate"),
            200,
            {"message": "domain key deactivated", "authority": DOMAIN, "selector": "pem", "active": False},
        )
        check(mg.dkim_keys.delete(filters=query), 200, {"message": "success"})
        check(mg.dkim_keys.delete(filters=query), 404, {"message": "domain key not found"})
        check(mg.dkim_keys.delete(filters={"signing_domain": DOMAIN, "selector": "gen"}), 200, {"message": "success"})
        assert selectors(mg, DOMAIN) == []


def test_domain_authority_and_selector() -> None:
    root, sub = "example.org", "mail.example.org"
    with client() as mg:
        created = check(
            mg.domains.create(data={"name": root, "dkim_key_size": "1024", "dkim_selector": "root"}),
            200,
        )
        assert created["message"] == "Domain DNS records have been created", created
        assert created["sending_dns_records"][0]["name"] == f"root._domainkey.{root}", created
        data = {"name": sub, "dkim_key_size": "1024", "dkim_selector": "sub", "force_dkim_authority": "true"}
        check(mg.domains.create(data=data), 200)
        listed = check(mg.domainlist.get(), 200)
        assert sorted(d["name"] for d in listed["items"]) == [root, sub], listed
        assert listed["total_count"] == 2, listed

        moved = check(mg.domains_dkimauthority.put(domain=sub, data={"self": "false"}), 200)
        assert moved["changed"] is True, moved
        assert [r["name"] for r in moved["sending_dns_records"]] == [f"root._domainkey.{root}"], moved
        back = check(mg.domains_dkimauthority.put(domain=sub, data={"self": "true"}), 200)
        assert back["changed"] is True, back
        assert [r["name"] for r in back["sending_dns_records"]] == [f"sub._domainkey.{sub}"], back

        check(
            mg.domains_dkimselector.put(domain=sub, data={"dkim_selector": "renamed"}),
            200,
            {"message": "DKIM selector changed"},
        )
        shown = check(mg.domains.get(domain=sub), 200)
        assert shown["domain"]["name"] == sub, shown
        assert [r["name"] for r in shown["sending_dns_records"]] == [f"renamed._domainkey.{sub}"], shown
        assert selectors(mg, sub) == ["renamed"]

        verified = check(mg.domains.put(domain=sub, verify=True), 200)
        assert verified["sending_dns_records"][0]["valid"] == "invalid", verified

        check(mg.domains.delete(domain=sub), 200, {"message": "Domain has been deleted"})
        check(mg.domains.get(domain=sub), 404, {"message": "Domain not found"})
        check(mg.domains_dkimauthority.put(domain=sub, data={"self": "true"}), 404, {"message": "Domain not found"})


def test_wrong_key_is_refused() -> None:
    with client("sgn_wrong") as mg:
        response = mg.dkim_keys.get()
        check(response, 401, {"message": "Invalid private key"})
        assert response.headers["WWW-Authenticate"].startswith("Basic"), response.headers


def main() -> int:
    tests = [test_key_lifecycle, test_domain_authority_and_selector, test_wrong_key_is_refused]
    failed = 0
    for test in tests:
        try:
            test()
            print(f"ok      {test.__name__}")
        except Exception:  # report every failure, then fail the run
            failed += 1
            print(f"FAILED  {test.__name__}")
            traceback.print_exc()
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
