"""Importers refuse hostile or malformed XML with "file: reason" and write nothing (XPlanGML, CityGML):
a DTD, external entities (a local file, a network address, a parameter entity), entity expansion
("billion laughs"), a truncated file. Nothing is read from outside the file, nothing is fetched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from layers.citygml import read_citygml
from layers.xplanung.gml import XPlanError
from layers.xplanung.reader import read_document

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bgis-secret-content-that-must-not-be-read"

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">' for k in range(1, 10))
    + "]>"
)


def _prologs(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name -> (prolog placed before the root element, entity reference placed in a text)."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    return {
        "external-file": (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>', "&xxe;"),
        "external-network": ('<!DOCTYPE r [<!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>', "&net;"),
        "parameter-entity": (f'<!DOCTYPE r [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>', ""),
        "external-dtd": ('<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd">', ""),
        "billion-laughs": (LAUGHS, "&lol9;"),
    }


def _with_prolog(source: Path, prolog: str, reference: str, target: Path) -> Path:
    text = source.read_text(encoding="utf-8")
    declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    body = text[declaration_end:]
    if reference:  # as text of the root element, before its end tag (well-formed: mixed content)
        end_tag = body.rindex("</")
        body = body[:end_tag] + reference + body[end_tag:]
    target.write_text(text[:declaration_end] + "\n" + prolog + "\n" + body, encoding="utf-8")
    return target


@pytest.mark.parametrize(
    "case", ["external-file", "external-network", "parameter-entity", "external-dtd", "billion-laughs"]
)
def test_xplangml_with_a_dtd_is_refused_naming_the_file(shared_data, tmp_path, case):
    prolog, reference = _prologs(tmp_path)[case]
    path = _with_prolog(shared_data / "xplan" / "LA67_5-2" / "xplan.gml", prolog, reference, tmp_path / f"{case}.gml")
    with pytest.raises(XPlanError) as refused:
        read_document(path)
    message = str(refused.value)
    assert f"{case}.gml:" in message and SECRET not in message
    assert "DOCTYPE" in message or (case == "billion-laughs" and "not well-formed" in message), message


@pytest.mark.parametrize(
    "case", ["external-file", "external-network", "parameter-entity", "external-dtd", "billion-laughs"]
)
def test_citygml_with_a_dtd_is_refused_naming_the_file(shared_data, tmp_path, case):
    prolog, reference = _prologs(tmp_path)[case]
    path = _with_prolog(
        shared_data / "citygml-berlin-mitte" / "Berlin2_3900_5819.gml", prolog, reference, tmp_path / f"{case}.gml"
    )
    with pytest.raises(ValueError) as refused:
        read_citygml(path)
    message = str(refused.value)
    assert message.startswith(f"{case}.gml: ") and SECRET not in message, message
    assert "DOCTYPE" in message or (case == "billion-laughs" and "not well-formed" in message), message


def test_truncated_citygml_is_file_and_reason(shared_data, tmp_path):
    text = (shared_data / "citygml-berlin-mitte" / "Berlin2_3900_5819.gml").read_text(encoding="utf-8")
    path = tmp_path / "abgeschnitten.gml"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ValueError, match=r"^abgeschnitten\.gml: not well-formed XML"):
        read_citygml(path)


def test_the_cli_says_file_and_reason_without_a_traceback(shared_data, tmp_path):
    prolog, reference = _prologs(tmp_path)["external-file"]
    path = _with_prolog(
        shared_data / "citygml-berlin-mitte" / "Berlin2_3900_5819.gml", prolog, reference, tmp_path / "xxe.gml"
    )
    r = subprocess.run(
        [sys.executable, "-m", "commands.cli", "--store", str(tmp_path / "s.gpkg"), "import-citygml", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 1, r.stderr
    assert "error: xxe.gml: " in r.stderr and "Traceback" not in r.stderr and SECRET not in r.stderr + r.stdout
