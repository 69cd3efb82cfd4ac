#!/usr/bin/env python3
"""Prints a list cursor signed the way the server signs it.

    sign_cursor.py <THUNDERPHONE_SECRET_KEY> <list> <org id> <position>

The benchmark needs the cursor of a page a million rows deep; walking
20,000 pages to get one would take longer than the case it measures. The
format is that of `crates/http/src/dto/page.rs` (`CursorSigner`): the
key is SHA-256 of "thunderphone/cursor-key/v1\\0" and the secret's text,
the tag the first 16 bytes of HMAC-SHA-256 over the scope (list, org,
each NUL-terminated; no filters) and the position. Should the format
change, the benchmark's sanity check of the deep page fails with the
server's 422, not with a silently different case.
"""

import base64
import hashlib
import hmac
import sys


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def main() -> None:
    secret, list_name, org, position = sys.argv[1:5]
    key = hashlib.sha256(b"thunderphone/cursor-key/v1\0" + secret.encode()).digest()
    scope = list_name.encode() + b"\0" + org.encode() + b"\0"
    tag = hmac.new(key, scope + position.encode(), hashlib.sha256).digest()[:16]
    print(f"{b64(position.encode())}.{b64(tag)}")


if __name__ == "__main__":
    main()
