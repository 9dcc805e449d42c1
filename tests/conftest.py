"""Settings shared by the whole test suite."""

import torch

# The app runs torch on one thread per operation (see app.py); the tests do the same, so the
# numbers they check are the numbers the app shows, whatever order the tests run in.
torch.set_num_threads(1)
