"""`cnnexplain.optim` for scripts and notebooks; the code lives in `cnnexplain.core.optim`."""

from cnnexplain.core.optim import *  # noqa: F403
