"""Words of the language picker at the top of the sidebar."""

LABEL = "Language"
# Each language is offered in its own words, whatever the page's language.
NAMES = {"en": "English", "he": "עברית"}
HELP = (
    "The whole app in English or in Hebrew (right to left). Add ?lang=he to the address to share "
    "a link that opens in Hebrew."
)
