"""What a new server boots with besides its image: user data and injected files (personality).

Limits are Nova's: user data at most 65535 characters of base64 text; at most 5 files, each
path at most 255 bytes and each content at most 10240 bytes once decoded. Over a limit is
``OverLimit`` (the API answers 413 and names the limit); malformed base64 is ``InvalidInput``.
"""
from __future__ import annotations

import base64
import binascii

from synnefo.core.errors import InvalidInput, OverLimit

MAX_USER_DATA = 65535
MAX_FILES = 5
MAX_PATH_BYTES = 255
MAX_CONTENT_BYTES = 10240


def _decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_user_data(text: str | None) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_USER_DATA:
        raise OverLimit(f"User data is {len(text)} characters long; the limit is "
                        f"{MAX_USER_DATA} characters of base64 text.")
    try:
        _decode(text)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidInput("User data needs to be valid base 64.") from None
    return text


def check_personality(files) -> tuple[tuple[str, str], ...]:
    """``(path, base64 contents)`` pairs, checked against the limits."""
    files = tuple(files or ())
    if len(files) > MAX_FILES:
        raise OverLimit(f"Personality file limit exceeded: {len(files)} files; the limit is "
                        f"{MAX_FILES}.")
    return tuple(_check_file(item) for item in files)


def _check_file(item) -> tuple[str, str]:
    path, contents = item
    if not isinstance(path, str) or not path or not isinstance(contents, str):
        raise InvalidInput("Each personality item needs a 'path' and base64 'contents' (strings).")
    if len(path.encode()) > MAX_PATH_BYTES:
        raise OverLimit(f"Personality file path too long: {len(path.encode())} bytes; the limit "
                        f"is {MAX_PATH_BYTES}.")
    try:
        size = len(_decode(contents))
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidInput(f"Personality content for {path} cannot be decoded.") from None
    if size > MAX_CONTENT_BYTES:
        raise OverLimit(f"Personality file content too long: {size} bytes for {path}; the limit "
                        f"is {MAX_CONTENT_BYTES}.")
    return path, contents
