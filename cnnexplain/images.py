"""`cnnexplain.images` for scripts and notebooks; the code lives in `cnnexplain.io.images`."""

from cnnexplain.io.images import *  # noqa: F403
