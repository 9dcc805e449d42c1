"""`cnnexplain.ops` for scripts and notebooks; the code lives in `cnnexplain.core.ops`."""

from cnnexplain.core.ops import *  # noqa: F403
