"""Unknot's knowledge layer: reviewed YAML content, its SQL store and the query API.

Nothing is imported or opened at import time; callers build a KnowledgeBase explicitly.
"""
