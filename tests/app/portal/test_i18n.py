"""Every portal text exists in English and French, and every key a page asks for exists."""

from __future__ import annotations

import re

from app.life_events.models import EVENT_STATUSES
from app.portal.i18n import KINDS, LANGUAGES, MESSAGES, kind_words
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
