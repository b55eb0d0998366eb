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
    rate_limit_per_minute: int = 600

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(Path(self.data_dir) / 'screening.db').resolve()}"

    def open_db(self):
        """(engine, sessionmaker) with every table created."""
        from screening.db import init_db, make_engine

        engine = make_engine(self.database_url())
        return engine, init_db(engine)
