"""Extract the numbers of Chinese government-information-disclosure annual reports.

Layers, lowest first (enforced by import-linter, see pyproject.toml):
template → schema → normalize → ingest → layout → parse / meta / narrative → verify →
pipeline → llm / reconcile → review / batch → cli.
"""

__version__ = "0.1.0"
