"""`cnnexplain.models` for scripts and notebooks; the code lives in `cnnexplain.model.spec`."""

from cnnexplain.model.spec import *  # noqa: F403
