"""The numpy reference math: operations, optimizers, checks. Imports nothing above it."""
