"""Data sets, pictures, user zips and model files: what comes in and goes out."""
