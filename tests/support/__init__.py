"""Seeded generators of hostile pictures and zips for the fuzz tests and the bench."""
