"""The business enterprise roll importer (see jiedao/core/imports.py)."""
