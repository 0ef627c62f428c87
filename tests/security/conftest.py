"""Fixtures for the security suite: the API fixtures, shared with tests/api."""

from tests.api.conftest import api, events, setup  # noqa: F401  # fixtures, re-exported
