"""Shared Streamlit widgets and caches: the only part of the package that imports Streamlit."""
