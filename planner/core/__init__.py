"""The pure clinical core: volumes, fluids, device numbers, kinetics, scheduling arithmetic, words.

Nothing under this package imports Django (tests/test_exchange_rules.py holds it to that), so each
formula can be read, typed and tested alone. The Django side (models, forms, views, the PDF) calls
it; the dependency runs one way.
"""
