"""RFB protocol pieces of snf-vncauthproxy, checked against vncdotool's own implementation."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vncdotool import rfb as vncdotool_rfb

from synnefo.daemons.vncauthproxy import rfb


@given(password=st.text(alphabet=st.characters(max_codepoint=255), min_size=1, max_size=12),
       challenge=st.binary(min_size=16, max_size=16))
def test_vnc_auth_response_matches_an_independent_client(password, challenge):
    key = vncdotool_rfb.reverse_bits(password.encode("latin-1")[:8].ljust(8, b"\0"))

    expected = vncdotool_rfb.des_encrypt(key, challenge)

    assert rfb.vnc_auth_response(password, challenge) == expected
    assert rfb.vnc_auth_matches(password, challenge, expected)
    other = chr((ord(password[0]) + 1) % 256) + password[1:]  # flips a bit DES does not ignore
    assert not rfb.vnc_auth_matches(other, challenge, expected)


@pytest.mark.parametrize("offered, spoken", [
    ((3, 3), (3, 3)), ((3, 5), (3, 3)), ((3, 7), (3, 7)), ((3, 8), (3, 8)),
    ((3, 889), (3, 8)), ((4, 0), (3, 8)),
])
def test_version_negotiation(offered, spoken):
    assert rfb.common_version(rfb.parse_version(rfb.encode_version(offered))) == spoken


@pytest.mark.parametrize("line", [b"HTTP/1.1 200", b"RFB 3.8\n\0\0\0\0", b"RFB 003.008\r"])
def test_garbage_instead_of_a_version_is_an_rfb_error(line):
    with pytest.raises(rfb.RFBError):
        rfb.parse_version(line)


def test_failure_reason_only_in_rfb_3_8():
    assert rfb.security_result((3, 8), False, "no") == b"\0\0\0\1\0\0\0\2no"
    assert rfb.security_result((3, 7), False, "no") == b"\0\0\0\1"
    assert rfb.security_result((3, 3), True) == b"\0\0\0\0"
