"""Verifies a message's DKIM-Signature with dkimpy, an independent verifier.

Usage: verify_dkim.py RECORD_NAME RECORD_VALUE < message
The DNS is a single TXT record, RECORD_NAME with RECORD_VALUE; any other name
is absent. Prints `pass` and exits 0 when every signature verifies, else
prints why and exits 1.
"""

import sys

import dkim


def main():
    name, value = sys.argv[1], sys.argv[2]
    message = sys.stdin.buffer.read()

    def dnsfunc(qname, timeout=5):
        wanted = qname.decode() if isinstance(qname, bytes) else qname
        if wanted.rstrip(".").lower() == name.rstrip(".").lower():
            return value.encode()
        return None

    verifier = dkim.DKIM(message)
    signatures = [h for h in verifier.headers if h[0].lower() == b"dkim-signature"]
    if not signatures:
        print("fail: no DKIM-Signature")
        return 1
    for index in range(len(signatures)):
        try:
            verified = verifier.verify(idx=index, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print(f"fail: signature {index}: {e}")
            return 1
        if not verified:
            print(f"fail: signature {index} does not verify")
            return 1
    print("pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
