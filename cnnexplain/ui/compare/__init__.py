"""The CNN-against-ANN page's sections."""
