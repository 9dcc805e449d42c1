"""The CNN-against-ANN experiment: runs, robustness, data efficiency."""
