"""The forward-pass page's sections."""
