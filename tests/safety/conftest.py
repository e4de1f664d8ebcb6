"""One detector for the whole safety suite (building the pipeline takes a moment)."""
from __future__ import annotations

import pytest

from safety.detector import SymptomDetector


@pytest.fixture(scope="session")
def detector() -> SymptomDetector:
    return SymptomDetector()
