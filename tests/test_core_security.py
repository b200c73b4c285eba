"""The pure helpers behind issue 13: spreadsheet cells, MRNs, the client behind a proxy.

No Django: these run with the core's other tests under `make mutation`.
"""

from decimal import Decimal
from ipaddress import ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.core.client_address import _without_port, client_address, trusted_networks
from planner.core.identity import is_canonical, normalise_mrn
from planner.core.spreadsheet import FORMULA_STARTS, safe_cell, safe_row

# --- Spreadsheet cells (OWASP CSV injection) -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("DEMO-0002", "DEMO-0002"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        (" =1", " =1"),  # a leading space is text to every spreadsheet
    ],
)
def test_text_that_could_run_as_a_formula_is_quoted(value: str, written: str) -> None:
    assert safe_cell(value) == written


@pytest.mark.parametrize("number", [0, 2800, -3, 1.5, -0.25, Decimal("-3.6"), Decimal("96")])
def test_numbers_stay_numbers_negative_ones_too(number: object) -> None:
    written = safe_cell(number)
    assert written == number
    assert type(written) is type(number)


def test_empty_and_true_false_cells() -> None:
    assert safe_cell(None) == ""
    assert (safe_cell(True), safe_cell(False)) == ("true", "false")


def test_any_object_is_written_as_its_text_and_checked() -> None:
    class Named:
        def __str__(self) -> str:
            return "=cmd"

    assert safe_cell(Named()) == "'=cmd"


def test_the_characters_are_owasps_six() -> None:
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_a_row_is_each_cell_made_safe_in_order() -> None:
    assert safe_row(["=1", 2, None, "x"]) == ["'=1", 2, "", "x"]


@given(st.text())
def test_no_written_text_starts_a_formula(text: str) -> None:
    written = safe_cell(text)
    assert not written.startswith(FORMULA_STARTS)
    assert written.removeprefix("'") == text or written == text


# --- One canonical MRN -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("DEMO-0002", "DEMO-0002"),
        ("DEMO-０００２", "DEMO-0002"),  # full-width digits (NFKC)
        ("ＤＥＭＯ-0002", "DEMO-0002"),  # full-width letters
        ("DEMO-\u200b0002", "DEMO-0002"),  # zero-width space (Cf)
        ("\ufeffDEMO-0002", "DEMO-0002"),  # byte-order mark (Cf)
        ("DE\u00adMO-0002", "DEMO-0002"),  # soft hyphen (Cf), not a dash
        ("DEMO\u200d-0002", "DEMO-0002"),  # zero-width joiner
        ("DEMO\u20110002", "DEMO-0002"),  # non-breaking hyphen (Pd)
        ("DEMO\u20130002", "DEMO-0002"),  # en dash (Pd)
        ("DEMO\u20140002", "DEMO-0002"),  # em dash (Pd)
        ("DEMO\u22120002", "DEMO-0002"),  # minus sign (Sm)
        ("DEMO\ufe630002", "DEMO-0002"),  # small hyphen-minus
        ("DEMO\uff0d0002", "DEMO-0002"),  # full-width hyphen-minus
        ("DEMO\u30fc0002", "DEMO\u30fc0002"),  # the katakana long vowel mark is a letter, not a dash
        (" demo 0002 ", "DEMO0002"),  # spaces go, letters go up
        ("DEMO\u00a00002", "DEMO0002"),  # a no-break space
        ("DEMO\u30000002", "DEMO0002"),  # an ideographic space
        ("mrn\t2001\n", "MRN2001"),
        ("住院号-12", "住院号-12"),  # kept as typed: is_canonical refuses it, with a message
        ("ß-1", "SS-1"),  # Unicode upper case
        ("DEMO-\u0660\u0660\u0660\u0662", "DEMO-0002"),  # Arabic-Indic digits (Nd)
        ("DEMO-\u0966\u0967", "DEMO-01"),  # Devanagari digits
        ("DEMO-\U0001d7ce\U0001d7cf", "DEMO-01"),  # mathematical digits (NFKC)
        ("DEMO-0002\u3164", "DEMO-0002"),  # a Hangul filler (default-ignorable, not Cf)
        ("DEMO-\u115f\u11600002", "DEMO-0002"),  # Hangul choseong and jungseong fillers
        ("DEMO-0002\ufe0f", "DEMO-0002"),  # a variation selector
        ("DEMO-\u034f0002", "DEMO-0002"),  # the combining grapheme joiner
        ("DEMO-0002\U000e0100", "DEMO-0002"),  # an ideographic variation selector
        ("DEMO-0002\uffa0", "DEMO-0002"),  # the half-width Hangul filler
        ("", ""),
    ],
)
def test_an_mrn_has_one_canonical_form(typed: str, canonical: str) -> None:
    assert normalise_mrn(typed) == canonical


@pytest.mark.parametrize("mrn", ["DEMO-0002", "12345678", "A/1.2_3", "Z-9", "0", "-", "./_"])
def test_an_mrn_of_the_mrn_characters_is_canonical(mrn: str) -> None:
    assert is_canonical(mrn)


@pytest.mark.parametrize(
    "typed",
    [
        "D\u0415MO-0002",  # a Cyrillic capital Ie that looks like E
        "DEMO-0002\u0301",  # a combining accent left on a digit
        "DEMO\u02d70002",  # the modifier letter minus
        "DEMO\u20430002",  # the hyphen bullet
        "DEMO\u25000002",  # a box-drawing line
        "DEMO-0002\u2800",  # the blank Braille pattern
        "DEMO\u30fc0002",  # the katakana long vowel mark
        "住院号-12",
        "DEMO+0002",
        "DEMO:0002",
        "DEMO'0002",
        "=HYPERLINK(1)",
        "DEMO-0002\x00",
        "",
    ],
)
def test_what_only_looks_like_an_mrn_is_not_canonical(typed: str) -> None:
    assert not is_canonical(normalise_mrn(typed))


def test_canonical_means_after_normalising() -> None:
    assert not is_canonical("demo-0002") and not is_canonical(" DEMO-0002") and not is_canonical("DEMO-0002\n")


@given(st.text())
def test_a_canonical_mrn_is_plain_ascii(typed: str) -> None:
    normalised = normalise_mrn(typed)
    if is_canonical(normalised):
        assert normalised.isascii() and normalised == normalised.upper() and normalised
        assert set(normalised) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/._")


@given(st.text())
def test_normalising_twice_changes_nothing(typed: str) -> None:
    once = normalise_mrn(typed)
    assert normalise_mrn(once) == once
    assert not any(character.isspace() for character in once)


# --- The client behind a proxy ------------------------------------------------------------------

PROXY = trusted_networks(["10.0.0.1", "fd00::/8"])


def test_trusted_networks_reads_addresses_and_networks() -> None:
    assert trusted_networks([" 127.0.0.1 ", "", "172.16.0.0/12", "::1"]) == (
        ip_network("127.0.0.1/32"),
        ip_network("172.16.0.0/12"),
        ip_network("::1/128"),
    )
    assert trusted_networks(["10.1.2.3/8"]) == (ip_network("10.0.0.0/8"),)  # host bits allowed


def test_a_typo_in_the_trusted_proxies_is_an_error() -> None:
    with pytest.raises(ValueError):
        trusted_networks(["10.0.0.300"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),  # through the proxy
        ("10.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the client's own header is to the left
        ("10.0.0.1", " 203.0.113.9 ", "203.0.113.9"),
        ("10.0.0.1", "203.0.113.9, 10.0.0.1", "203.0.113.9"),  # two trusted hops
        ("10.0.0.1", "10.0.0.1", "10.0.0.1"),  # only proxies: the proxy itself
        ("10.0.0.1", "", "10.0.0.1"),  # no header
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9:443", "203.0.113.9"),  # a proxy that writes the port too
        ("10.0.0.1", "[2001:db8::1]", "2001:db8::1"),  # a bracketed IPv6 address
        ("10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),  # … with its port
        ("10.0.0.1", "203.0.113.9, [fd00::2]:80", "203.0.113.9"),  # a trusted hop written with a port
        ("10.0.0.1", "203.0.113.9:https", "10.0.0.1"),  # not an address: the proxy, never a guess
        ("10.0.0.1", "203.0.113.9:", "10.0.0.1"),
        ("10.0.0.1", "[2001:db8::1", "10.0.0.1"),
        ("10.0.0.1", "[2001:db8::1]x", "10.0.0.1"),
        ("10.0.0.1", "[]:443", "10.0.0.1"),
        ("10.0.0.1", "2001:db8::1:443", "2001:db8::1:443"),  # unbracketed: an IPv6 address as written
        ("10.0.0.1", "unknown", "10.0.0.1"),
        ("10.0.0.1", "2001:db8::5", "2001:db8::5"),
        ("fd00::7", "203.0.113.9", "203.0.113.9"),  # a trusted IPv6 network
        ("192.0.2.50", "203.0.113.9", "192.0.2.50"),  # not from a trusted proxy: the header is ignored
        ("not-an-ip", "203.0.113.9", "not-an-ip"),
        (None, "203.0.113.9", None),
        ("", "203.0.113.9", ""),
    ],
)
def test_the_client_is_the_right_most_untrusted_address(remote: str | None, forwarded: str | None, client: str) -> None:
    assert client_address(remote, forwarded, PROXY) == client


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("203.0.113.9:443", "203.0.113.9"),
        ("203.0.113.9", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),  # several colons: an IPv6 address, not a port
        ("[]:443", ""),  # brackets around nothing: nothing, which is no address
        ("[1]:2]", "[1]:2]"),  # the first "]" closes the address: what follows is no port
        ("[::1]x443", "[::1]x443"),  # a port needs its colon
        ("[::1]:x43", "[::1]:x43"),  # and only digits after it
        ("[::1]:", "[::1]:"),
        ("203.0.113.9:", "203.0.113.9:"),
        ("203.0.113.9:https", "203.0.113.9:https"),
    ],
)
def test_an_entry_is_read_without_its_port_or_brackets(entry: str, address: str) -> None:
    assert _without_port(entry) == address


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"
