"""csprisk's version, in one place (the package, the ranked workbook's Method sheet, Lite's main.py)."""

__version__ = "0.1.0"
