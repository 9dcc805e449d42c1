"""The CNN-against-ANN experiment: its design, the run, the result, robustness, data efficiency,
the numbers drawn and the facts stated from them, the CSV, and the jobs a page drives."""
