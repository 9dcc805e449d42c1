"""Every sentence the app shows a learner, one module per page.

Pages take their words from here and never inline them. Each English module has a Hebrew twin
with the same names in `he/`; `language` makes every module answer in the current learner's
language, so pages simply read `text.TITLE` while they draw.
"""

import importlib
import pkgutil

from cnnexplain.texts.language import localize

PAGES = tuple(
    found.name
    for found in pkgutil.iter_modules(__path__)
    if not found.ispkg and found.name != "language"
)

for _name in PAGES:
    localize(importlib.import_module(f"{__name__}.{_name}"))
