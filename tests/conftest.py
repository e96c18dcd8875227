from pathlib import Path

import pytest

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo" / "data"


@pytest.fixture
def seed_text() -> str:
    return (DEMO_DATA / "avis-conjoint-paca-2018.txt").read_text(encoding="utf-8")
