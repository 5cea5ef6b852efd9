"""Every text exists in English and French, every key a page asks for exists, and the
plural categories."""

from __future__ import annotations

import re

from app.i18n import KINDS, LANGUAGES, MESSAGES, kind_words, plural
from app.life_events.models import EVENT_STATUSES
from app.portal.web import HERE


def test_every_message_and_kind_is_in_every_language() -> None:
    for table in (MESSAGES, KINDS):
        missing = [key for key, words in table.items() if set(words) != set(LANGUAGES)]
        assert missing == []


def test_every_key_the_pages_use_exists() -> None:
    sources = [*(HERE / "templates").glob("*.html"), *HERE.glob("*.py")]
    used = {
        key
        for source in sources
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]*[a-z_])["']""", source.read_text())
    }
    used |= {f"event.status.{status}" for status in EVENT_STATUSES}
    assert sorted(used - MESSAGES.keys()) == []


def test_a_configured_reason_without_words_shows_its_code() -> None:
    assert kind_words("birth", "fr") == "naissance"
    assert kind_words("sabbatical", "fr") == "sabbatical"


def test_plural_categories() -> None:
    assert [plural(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]
    assert [plural(n, "fr") for n in (0, 1, 2)] == ["one", "one", "other"]
