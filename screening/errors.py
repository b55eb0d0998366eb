"""Exceptions shared by the shells (CLI/API)."""


class CliError(Exception):
    """An expected CLI failure: a Chinese message for the user and an exit code."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code
