"""Drives Signet's console API through the Python client that
openapi-python-client generates from /openapi/console.json, unpatched:
who am I, create a key, list it, verify it, delete it, and read the settings.

Usage: python tests/clients/console.py --base-url URL --api-key CONSOLE_TOKEN
(the token of an owner, as .ci/contract mints with `signet console token`).
Exit status 0 means every step answered as the document says.
"""

import argparse
import sys
import uuid

from signet_console_client import AuthenticatedClient
from signet_console_client.api.fleets import create_fleet, list_fleets, revoke_fleet
from signet_console_client.api.keys import create_key, delete_key, list_keys, verify_key
from signet_console_client.api.session import me
from signet_console_client.api.settings import get_settings
from signet_console_client.models import (
    CreatedFleet,
    FleetList,
    KeyItem,
    KeyPage,
    Me,
    NewFleet,
    NewKey,
    Settings,
)


def expect(value, kind, step):
    """The parsed answer, if it is of the kind the step should give."""
    if not isinstance(value, kind):
        sys.exit(f"{step}: expected {kind.__name__}, got {value!r}")
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True, help="a console token")
    args = parser.parse_args()
    client = AuthenticatedClient(base_url=args.base_url, token=args.api_key)
    domain = f"console-{uuid.uuid4().hex[:12]}.example.com"

    who = expect(me.sync(client=client), Me, "me")
    assert who.role == "owner", who

    key = expect(
        create_key.sync(client=client, body=NewKey(domain=domain, selector="c1", bits=1024)),
        KeyItem,
        "create",
    )
    assert key.domain == domain and key.bits == 1024 and key.algorithm == "rsa", key

    page = expect(list_keys.sync(client=client, domain=domain), KeyPage, "list")
    assert [k.id for k in page.items] == [key.id], page

    checked = expect(verify_key.sync(client=client, id=key.id), KeyItem, "verify")
    assert checked.dns.status in ("invalid", "unknown"), checked.dns

    settings = expect(get_settings.sync(client=client), Settings, "settings")
    assert settings.min_rsa_bits >= 512, settings

    fleet_name = f"client-{uuid.uuid4().hex[:12]}"
    fleet = expect(
        create_fleet.sync(client=client, body=NewFleet(name=fleet_name, domains=[domain])),
        CreatedFleet,
        "create fleet",
    )
    assert fleet.token.startswith("sgf_") and fleet.domains == [domain], fleet
    fleets = expect(list_fleets.sync(client=client), FleetList, "list fleets")
    assert fleet_name in [f.name for f in fleets.items], fleets
    revoked = revoke_fleet.sync_detailed(client=client, name=fleet_name)
    assert revoked.status_code == 204, revoked.status_code

    # Last: a fleet reads only domains its tenant has, the key's among them.
    deleted = delete_key.sync_detailed(client=client, id=key.id)
    assert deleted.status_code == 204, deleted.status_code
    print("console client: ok")


if __name__ == "__main__":
    main()
