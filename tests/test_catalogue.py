"""Every string the code marks for translation has a real Spanish and French translation."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "admin_app" / "translations"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list:
    """The catalogue as the code stands now (templates and Python, `_`, `_l`, `ngettext`)."""
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    subprocess.run([sys.executable, "-c", "from babel.messages.frontend import main; main()",
                    "--quiet", "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(pot),
                    str(ROOT / "admin_app"), str(ROOT / "wsgi.py")], check=True, cwd=ROOT)
    with pot.open("rb") as handle:
        return [message for message in read_po(handle) if message.id]


def _texts(string) -> tuple:
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def _key(message_id):
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


@pytest.mark.parametrize("language", ["es", "fr"])
def test_every_marked_string_is_translated_and_none_is_fuzzy(extracted, language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    problems = []
    for message in extracted:
        entry = catalogue.get(_key(message.id))
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None or not strings or not all(strings):
            problems.append(f"untranslated: {_key(message.id)!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {_key(message.id)!r}")
    assert not problems, f"{len(problems)} in {language}:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("language", ["es", "fr"])
def test_compiled_catalogue_matches_the_po_file(language):
    """A translation added to the .po but not compiled would not reach the pages."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as handle:
        source = {_key(m.id): _texts(m.string) for m in read_po(handle) if m.id and not m.fuzzy}
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {_key(m.id): _texts(m.string) for m in read_mo(handle) if m.id}
    stale = [key for key, text in source.items() if compiled.get(key) != text]
    assert not stale, f"run pybabel compile -d admin_app/translations: {stale[:10]}"


def test_translations_keep_the_placeholders_of_the_english_text():
    import re
    placeholder = re.compile(r"%\([a-z_]+\)[sdr]|%%")
    wrong = []
    for language in ("es", "fr"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                texts = message.string if isinstance(message.string, tuple) else (message.string,)
                wanted = set(placeholder.findall(ids[-1]))
                for text in texts:
                    if set(placeholder.findall(text)) - wanted - set(placeholder.findall(ids[0])):
                        wrong.append((language, ids[0], text))
    assert not wrong, wrong[:10]
