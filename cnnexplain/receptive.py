"""`cnnexplain.receptive` for scripts and notebooks; the code is in `cnnexplain.model.receptive`."""

from cnnexplain.model.receptive import *  # noqa: F403
