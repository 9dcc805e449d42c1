"""Benchmarks and the server launcher; not part of the shipped package."""
