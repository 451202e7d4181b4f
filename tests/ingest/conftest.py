"""Ingest tests: jobs run inline (no thread), and a stand-in layout while the real base
templates are not in the tree yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

FALLBACK = Path(__file__).parent / "fallback_templates"


@pytest.fixture(autouse=True)
def _ingest_settings(settings: Any, tmp_path: Path) -> None:
    settings.HONGXIA_INGEST_INLINE = True
    settings.DATA_DIR = tmp_path
    try:
        get_template("includes/pager.html")
        get_template("base.html")
    except TemplateDoesNotExist:
        settings.TEMPLATES = [
            {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], FALLBACK]}
        ]
