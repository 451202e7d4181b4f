"""Chinese is the default language: every catalogue is complete, and the compiled .mo that
Django reads says what the .po says (a stale .mo would show English to the clerks)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "hongxia"
CATALOGUES = sorted(SRC.rglob("locale/zh_Hans/LC_MESSAGES/django.po"))


def test_every_app_with_strings_has_a_catalogue() -> None:
    names = {p.relative_to(SRC).parts[0] for p in CATALOGUES}
    assert {"locale", "party", "care", "ingest", "reports"} <= names


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(SRC)))
def test_catalogue_is_complete_and_compiled(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    mo = polib.mofile(str(po_path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
                for e in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        want = (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        assert got == want, f"{entry.msgid!r}: .mo is stale, run compilemessages"
