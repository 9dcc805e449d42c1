"""Every sentence the app shows a learner, one module per page.

Pages take their words from here and never inline them, so the whole app can be translated
(Hebrew, right to left, is planned) by adding one parallel module per page.
"""
