"""Unknot's custom actions, served by the rasa_sdk action server (`make actions`).

Each action reads the slots into a DialogueState, lets actions/flow.py decide, and
returns the changed slots as events. The knowledge base is opened on first use.
"""
