"""Scoring: grids -> parsed returns and findings -> combined scores, ranks and bands.

Pure: no files, no Excel, no terminal.
"""
