"""Keeps the Knowledge Base in sync with the knowledge bucket (see sync.py)."""
