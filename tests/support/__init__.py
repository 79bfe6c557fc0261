"""Helpers shared by the tests (servers, fixtures), imported as ``support.<module>``.

Test modules import from here, never from ``conftest``.
"""
