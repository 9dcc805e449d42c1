"""The backpropagation page's sections."""
