"""Test helpers as plain modules (STYLE.md, Tests): servers, ports, event files, the daemon.

conftest files hold only fixtures, each a thin wrapper over what is here; tests import the
helpers' types and builders from these modules, never from a conftest.
"""
