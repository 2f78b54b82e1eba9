"""Drives Signet's GreenArrow dialect through the Python client that
openapi-python-client generates from /openapi/greenarrow.json, unpatched:
create, list, get, update and delete a key, asserting the parsed objects.

Usage: python tests/clients/greenarrow.py --base-url URL --api-key KEY
Exit status 0 means every step answered as the document says.
"""

import sys

from signet_greenarrow_client import Client
from signet_greenarrow_client.api.dkim_keys import (
    create_key,
    delete_key,
    get_key,
    list_keys,
    update_key,
)
from signet_greenarrow_client.models import (
    EnvelopeEmpty,
    EnvelopeKeyData,
    EnvelopeListData,
    ErrorEnvelope,
    KeyInput,
    KeyMaterialInput,
    KeyPayload,
    NewKeyInput,
    NewKeyPayload,
)

from common import connect


def expect(value, kind, step):
    """The parsed answer, if it is of the kind the step should give."""
    if not isinstance(value, kind):
        sys.exit(f"{step}: expected {kind.__name__}, got {value!r}")
    return value


def main():
    client, domain = connect(Client)

    created = expect(
        create_key.sync(
            client=client,
            body=NewKeyPayload(
                dkim_key=NewKeyInput(
                    domain=domain, selector="s1", key=KeyMaterialInput(bits=1024)
                )
            ),
        ),
        EnvelopeKeyData,
        "create",
    )
    record = created.data.dkim_key
    assert created.success is True
    assert (record.domain, record.selector, record.key.bits) == (domain, "s1", 1024)
    assert record.dns.public_key.name == f"s1._domainkey.{domain}"
    assert record.dns.public_key.value.startswith("k=rsa; p=")

    listed = expect(list_keys.sync(client=client, domain=domain), EnvelopeListData, "list")
    assert [k.id for k in listed.data.dkim_keys] == [record.id]
    assert listed.data.dkim_keys[0].key_bits == 1024
    assert listed.data.pagination.num_records == 1

    got = expect(get_key.sync(client=client, id=record.id), EnvelopeKeyData, "get")
    assert got.data.dkim_key.id == record.id
    assert got.data.dkim_key.key.public == record.key.public

    updated = expect(
        update_key.sync(
            client=client, id=record.id, body=KeyPayload(dkim_key=KeyInput(selector="s2"))
        ),
        EnvelopeKeyData,
        "update",
    )
    assert updated.data.dkim_key.selector == "s2"
    assert updated.data.dkim_key.dns.public_key.name == f"s2._domainkey.{domain}"

    deleted = expect(delete_key.sync(client=client, id=record.id), EnvelopeEmpty, "delete")
    assert deleted.success is True

    gone = expect(get_key.sync(client=client, id=record.id), ErrorEnvelope, "get after delete")
    assert (gone.success, gone.error_code) == (False, "not_found")

    refused = expect(
        create_key.sync(
            client=client,
            body=NewKeyPayload(
                dkim_key=NewKeyInput(domain=domain, selector="s3", key=KeyMaterialInput(bits=256))
            ),
        ),
        ErrorEnvelope,
        "create with too few bits",
    )
    assert refused.error_code == "validation_failed", refused
    assert any(m.startswith("key.bits") for m in refused.error_messages), refused
    print("greenarrow client: create, list, get, update, delete: ok")


if __name__ == "__main__":
    main()
