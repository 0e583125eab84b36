"""The fault-injection soak (``make soak``, ``python -m tests.soak``): its own platform and load, faults
at seeded random moments, and an independent history check read from the topics. Not collected by
pytest (no ``test_*`` modules); ``tests/e2e/test_soak.py`` runs one short scenario in ``make test``."""
