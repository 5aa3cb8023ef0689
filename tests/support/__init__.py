"""Helpers shared by the test suites: tests import them from here, conftest files hold fixtures."""
