"""Service settings (environment variables prefixed ``SCREENING_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from screening.lexicon import DEFAULT_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCREENING_", extra="ignore")

    lexicon_dir: Path = DEFAULT_DIR
    data_dir: Path = Path("var")
    db_url: str | None = None
    max_request_bytes: int = 5 * 1024 * 1024
    max_text_chars: int = 500_000
    max_comment_batch: int = 1000
    max_live_sessions: int = 4
    max_live_seconds: float = 6 * 3600
