"""The project's error hierarchy. Every message says what is wrong and what to do about it.

`cli` turns any `ExtractorError` into one stderr line and exit code 2; nothing else is
caught there, so a bug still shows its traceback.
"""

from __future__ import annotations


class ExtractorError(Exception):
    """Base class: a problem the user can act on."""


class InputError(ExtractorError):
    """The input file cannot be used (missing, empty, binary, wrong type, not a report)."""


class ConfigError(ExtractorError):
    """The command was given options that cannot work together (e.g. --model without a key)."""


class PromptError(ExtractorError):
    """A prompt file is missing, malformed, or uses a variable that was not supplied."""


class ModelError(ExtractorError):
    """The model call failed for good (after retries and re-asks)."""


class StoreError(ExtractorError):
    """The review queue or a batch directory cannot be used as asked."""
