"""Custom Rasa channels."""
