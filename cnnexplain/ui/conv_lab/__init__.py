"""The convolution lab's sections."""
