"""Words of the language picker at the top of the sidebar."""

LABEL = "Language"
# Each language is offered in its own words, whatever the page's language.
NAMES = {"en": "English", "he": "עברית"}
HELP = (
    "The whole app in English or in Hebrew (right to left). Add ?lang=he to the address to share "
    "a link that opens in Hebrew."
)
# Streamlit's own words on its widgets, which it writes in English only: a page in another
# language shows these in their place.
REQUIRED = "(required)"  # beside the label of a choice that must be made
UPLOAD = "Upload"  # the file uploader's button
