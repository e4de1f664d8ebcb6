"""Clients of the Unknot server (the terminal chat)."""
