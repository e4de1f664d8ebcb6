"""Rasa storage extensions (tracker store)."""
