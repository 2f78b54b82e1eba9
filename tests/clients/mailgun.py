"""Drives Signet's Mailgun dialect through the client openapi-python-client
generates from /openapi/mailgun.json, unpatched: create a key, list it with a
filter, fail to activate it (its DNS record is not published), delete it; then
register a domain, rotate its key (settings, a rotation, the refusal of a
second one), read and delete it; register one with Automatic Sender Security
and read its CNAMEs. Asserts the parsed response objects, not
just status codes. Exit status 0 means every step passed.

Usage: python tests/clients/mailgun.py --base-url URL --api-key KEY
"""

import sys

from signet_mailgun_client import Client
from signet_mailgun_client.api.dkim_security import (
    get_v_1_dkim_management_domains_name_rotation,
    post_v_1_dkim_management_domains_name_rotate,
    put_v_1_dkim_management_domains_name_rotation,
)
from signet_mailgun_client.api.domain_keys import (
    delete_v_1_dkim_keys,
    get_v_1_dkim_keys,
    post_v_1_dkim_keys,
    put_v_4_domains_authority_name_keys_selector_activate,
)
from signet_mailgun_client.api.domains import (
    delete_v_3_domains_name,
    get_v_4_domains_name,
    post_v_4_domains,
)
from signet_mailgun_client.models import (
    CreateDomainForm,
    CreateDomainResp,
    CreateKeyForm,
    CreateKeyFormBits,
    DomainKeyListResponse,
    DomainKeyResponse,
    FindDomainByNameResp,
    GenericResponse,
    ManagementReason,
    RotationDomainResponse,
    RotationForm,
)

from common import connect


def expect(response, status, model):
    """The parsed body of a response that must have this status and type."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


def main() -> int:
    client, domain = connect(Client)

    created = expect(
        post_v_1_dkim_keys.sync_detailed(
            client=client,
            body=CreateKeyForm(signing_domain=domain, selector="s1", bits=CreateKeyFormBits.VALUE_1024),
        ),
        200,
        DomainKeyResponse,
    )
    assert created.signing_domain == domain and created.selector == "s1", created
    assert created.dns_record.name == f"s1._domainkey.{domain}", created.dns_record
    assert created.dns_record.value.startswith("k=rsa; p="), created.dns_record.value
    assert created.dns_record.is_active is False

    listed = expect(
        get_v_1_dkim_keys.sync_detailed(client=client, signing_domain=domain, limit=10),
        200,
        DomainKeyListResponse,
    )
    assert listed.total_count == 1, listed
    assert [k.selector for k in listed.items] == ["s1"], listed.items
    assert listed.paging.next_.startswith("http"), listed.paging

    refused = expect(
        put_v_4_domains_authority_name_keys_selector_activate.sync_detailed(
            authority_name=domain, selector="s1", client=client
        ),
        400,
        GenericResponse,
    )
    # No record is published (and .ci/contract's resolver answers nothing), so
    # the refusal names the record that activation needs.
    assert f"s1._domainkey.{domain}" in refused.message, refused.message

    deleted = expect(
        delete_v_1_dkim_keys.sync_detailed(client=client, signing_domain=domain, selector="s1"),
        200,
        GenericResponse,
    )
    assert deleted.message == "success", deleted.message
    empty = expect(
        get_v_1_dkim_keys.sync_detailed(client=client, signing_domain=domain),
        200,
        DomainKeyListResponse,
    )
    assert empty.items == [] and empty.total_count == 0, empty

    registered = expect(
        post_v_4_domains.sync_detailed(
            client=client,
            body=CreateDomainForm(name=f"mg.{domain}", dkim_selector="mx", force_dkim_authority=True),
        ),
        200,
        CreateDomainResp,
    )
    assert registered.domain.name == f"mg.{domain}", registered.domain
    assert registered.sending_dns_records[0].name == f"mx._domainkey.mg.{domain}"
    found = expect(
        get_v_4_domains_name.sync_detailed(name=f"mg.{domain}", client=client),
        200,
        FindDomainByNameResp,
    )
    assert found.domain.state == "unverified", found.domain

    rotation = expect(
        put_v_1_dkim_management_domains_name_rotation.sync_detailed(
            name=f"mg.{domain}", client=client, body=RotationForm(rotation_enabled=True, rotation_interval="5d")
        ),
        200,
        RotationDomainResponse,
    )
    assert (rotation.domain.rotation_enabled, rotation.domain.rotation_interval) == ("true", "5d"), rotation
    refused = expect(
        put_v_1_dkim_management_domains_name_rotation.sync_detailed(
            name=f"mg.{domain}", client=client, body=RotationForm(rotation_enabled=False, rotation_interval="5d")
        ),
        400,
        ManagementReason,
    )
    assert refused.reason == "rotation_interval is not allowed unless also enabling DKIM rotation", refused
    rotated = expect(
        post_v_1_dkim_management_domains_name_rotate.sync_detailed(name=f"mg.{domain}", client=client),
        200,
        GenericResponse,
    )
    assert rotated.message == "ok", rotated
    viewed = expect(
        get_v_1_dkim_management_domains_name_rotation.sync_detailed(name=f"mg.{domain}", client=client),
        200,
        RotationDomainResponse,
    )
    assert [k.stage for k in viewed.domain.keys] == ["active", "pending"], viewed.domain.keys
    assert [r.identifier for r in viewed.domain.records] == ["DKIM", "DKIM"], viewed.domain.records
    waiting = expect(
        post_v_1_dkim_management_domains_name_rotate.sync_detailed(name=f"mg.{domain}", client=client),
        400,
        ManagementReason,
    )
    assert waiting.reason.startswith("a pending key is already waiting"), waiting
    gone = expect(
        delete_v_3_domains_name.sync_detailed(name=f"mg.{domain}", client=client),
        200,
        GenericResponse,
    )
    assert gone.message == "Domain has been deleted", gone.message
    missing = expect(
        get_v_4_domains_name.sync_detailed(name=f"mg.{domain}", client=client),
        404,
        GenericResponse,
    )
    assert missing.message == "Domain not found", missing.message

    # Automatic Sender Security (the contract server has a DNS zone): CNAMEs.
    delegated = expect(
        post_v_4_domains.sync_detailed(
            client=client,
            body=CreateDomainForm(name=f"ass.{domain}", use_automatic_sender_security="true"),
        ),
        200,
        CreateDomainResp,
    )
    assert delegated.domain.use_automatic_sender_security is True, delegated.domain
    cnames = [(r.record_type, r.name) for r in delegated.sending_dns_records]
    assert cnames == [("CNAME", f"pdk1._domainkey.ass.{domain}"), ("CNAME", f"pdk2._domainkey.ass.{domain}")], cnames
    delegated_rotation = expect(
        get_v_1_dkim_management_domains_name_rotation.sync_detailed(name=f"ass.{domain}", client=client),
        200,
        RotationDomainResponse,
    )
    comments = {r.comment for r in delegated_rotation.domain.records}
    assert comments == {"Customer DKIM CNAME Record"}, delegated_rotation.domain.records
    expect(delete_v_3_domains_name.sync_detailed(name=f"ass.{domain}", client=client), 200, GenericResponse)

    print("mailgun generated client: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
