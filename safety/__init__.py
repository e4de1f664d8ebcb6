"""Red-flag and contraindication detection on spaCy + medspaCy ConText.

Pure NLP code with no Rasa and no database: the Rasa component in
components/red_flag_detector.py wraps it, and tests use it directly.
"""
