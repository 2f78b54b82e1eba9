"""Checks Signet's Ed25519 keys with an independent verifier: dkimpy and
PyNaCl (RFC 8463), run by tests/cross_dialect/dkim_signature.rs.

Environment, all taken from Signet over HTTP by the Rust test:
  SIGNET_DNS   ip:port of the loopback DNS server that publishes Signet's
               records, split as Signet's `strings` say
  SIGNET_KEYS  JSON list of {"domain", "selector", "pem", "value"}: each key's
               exported private key (PKCS#8 PEM) and Signet's record value

Prints "N passed, 0 failed" when every check holds; exits 1 otherwise.
"""

import base64
import json
import os
import sys

import dkim
import dns.resolver

# PKCS#8 v1 of an Ed25519 seed, as `openssl genpkey -algorithm ed25519` writes.
PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")

# RFC 8463 Appendix A.3: the message signed with the Appendix A.1 key.
RFC_MESSAGE = b"\r\n".join([
    b"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
    b" d=football.example.com; i=@football.example.com;",
    b" q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
    b" subject : date : message-id : from : subject : date;",
    b" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
    b" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
    b" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
    b"From: Joe SixPack <joe@football.example.com>",
    b"To: Suzie Q <suzie@shopping.example.net>",
    b"Subject: Is dinner ready?",
    b"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
    b"Message-ID: <20030712040037.46341.5F8J@football.example.com>",
    b"",
    b"Hi.",
    b"",
    b"We lost the game.  Are you hungry yet?",
    b"",
    b"Joe.",
    b"",
])


def loopback_dns():
    """A dkimpy `dnsfunc` asking only the test's DNS server."""
    host, port = os.environ["SIGNET_DNS"].rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)

    def txt(name, timeout=5):
        answer = resolver.resolve(name.decode(), "TXT", lifetime=timeout)
        # One record, its character-strings joined, as receivers do.
        return b"".join(next(iter(answer)).strings)

    return txt


def http_record(value):
    """A dkimpy `dnsfunc` answering with Signet's record value over HTTP."""
    return lambda name, timeout=5: value.encode()


def seed_of(pem):
    """The base64 seed inside an exported PKCS#8 v1 PEM, as dkimpy signs with."""
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    der = base64.b64decode("".join(lines))
    assert der[:16] == PKCS8_PREFIX and len(der) == 48, "PKCS#8 v1 of a seed"
    return base64.b64encode(der[16:])


def message(subject):
    return (
        b"From: Joe SixPack <joe@football.example.com>\r\n"
        b"To: Suzie Q <suzie@shopping.example.net>\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"\r\n"
        b"Signed with a key Signet exported.\r\n"
    )


def sign(key, body):
    header = dkim.sign(
        body,
        key["selector"].encode(),
        key["domain"].encode(),
        seed_of(key["pem"]),
        canonicalize=(b"relaxed", b"relaxed"),
        signature_algorithm=b"ed25519-sha256",
    )
    return header + body


def main():
    keys = json.loads(os.environ["SIGNET_KEYS"])
    lookup = loopback_dns()
    checks = []

    rfc = next(k for k in keys if k["selector"] == "brisbane")
    checks.append(("the RFC 8463 message verifies against Signet's record in DNS",
                   dkim.verify(RFC_MESSAGE, dnsfunc=lookup)))
    checks.append(("the RFC 8463 message verifies against Signet's record over HTTP",
                   dkim.verify(RFC_MESSAGE, dnsfunc=http_record(rfc["value"]))))
    tampered = RFC_MESSAGE.replace(b"hungry", b"thirsty")
    checks.append(("a tampered RFC 8463 message does not verify",
                   not dkim.verify(tampered, dnsfunc=lookup)))

    for key in keys:
        signed = sign(key, message(f"signed by {key['selector']}"))
        checks.append((f"{key['selector']}: signs with a=ed25519-sha256",
                       b"a=ed25519-sha256" in signed))
        checks.append((f"{key['selector']}: verifies against Signet's record in DNS",
                       dkim.verify(signed, dnsfunc=lookup)))
        checks.append((f"{key['selector']}: verifies against Signet's record over HTTP",
                       dkim.verify(signed, dnsfunc=http_record(key["value"]))))
        changed = signed.replace(b"Signet exported", b"someone else made")
        checks.append((f"{key['selector']}: a changed body does not verify",
                       not dkim.verify(changed, dnsfunc=lookup)))

    # A signature under one selector does not verify with another key's record.
    first, second = keys[0], keys[1]
    crossed = sign(dict(first, selector=second["selector"]), message("crossed"))
    checks.append(("a signature does not verify against another key's record",
                   not dkim.verify(crossed, dnsfunc=lookup)))

    failed = [name for name, ok in checks if not ok]
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
