"""Checks delegated DKIM records with an independent verifier: dkimpy signs
with RSA keys exported from Signet and verifies through a real recursive
resolver, which follows the tenant's CNAME into Signet's own DNS zone. Run
by tests/dns_zone/hands_off.rs.

Environment, all given by the Rust test:
  SIGNET_RESOLVER  ip:port of the resolver (Unbound) to ask, UDP and TCP
  SIGNET_KEYS      JSON list of {"domain", "selector", "pem"}: each key's
                   exported private key (PEM)

Prints "N passed, 0 failed" when every check holds; exits 1 otherwise.
"""

import json
import os
import sys

import dkim
import dns.resolver


def resolver_dns():
    """A dkimpy `dnsfunc` asking only the test's resolver; the answer is the
    TXT record at the end of the CNAME chain, its strings joined."""
    host, port = os.environ["SIGNET_RESOLVER"].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)

    def txt(name, timeout=5):
        answer = resolver.resolve(name.decode(), "TXT", lifetime=timeout, tcp=True)
        return b"".join(next(iter(answer)).strings)

    return txt


def message(subject):
    return (
        b"From: Joe <joe@example.test>\r\n"
        b"To: Suzie <suzie@shopping.example.net>\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"\r\n"
        b"Signed with a key Signet exported and serves itself.\r\n"
    )


def sign(key, body):
    header = dkim.sign(
        body,
        key["selector"].encode(),
        key["domain"].encode(),
        key["pem"].encode(),
        canonicalize=(b"relaxed", b"relaxed"),
    )
    return header + body


def main():
    keys = json.loads(os.environ["SIGNET_KEYS"])
    lookup = resolver_dns()
    checks = []
    for key in keys:
        name = f"{key['selector']}._domainkey.{key['domain']}"
        signed = sign(key, message(f"signed by {key['selector']}"))
        checks.append((f"{name}: verifies through the resolver and the tenant's CNAME",
                       dkim.verify(signed, dnsfunc=lookup)))
        changed = signed.replace(b"serves itself", b"someone else serves")
        checks.append((f"{name}: a changed body does not verify",
                       not dkim.verify(changed, dnsfunc=lookup)))
    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
