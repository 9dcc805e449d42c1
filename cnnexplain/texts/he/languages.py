"""Hebrew twin of cnnexplain.texts.languages: the same names, in Hebrew."""

LABEL = "שפה"
NAMES = {"en": "English", "he": "עברית"}
HELP = (
    "האפליקציה כולה באנגלית או בעברית (מימין לשמאל). הוסיפו ?lang=he לכתובת כדי לשתף קישור "
    "שנפתח בעברית."
)
REQUIRED = "(חובה)"
UPLOAD = "העלאה"
