"""Widgets, session state and shared resources every page uses."""
