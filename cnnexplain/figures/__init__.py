"""Plotly figure builders: arrays in, figures out."""
