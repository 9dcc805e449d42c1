"""Hebrew twin of cnnexplain.texts.predict: the same names, in Hebrew."""

# Every question box
HEADER = "נחשו, ואז בדקו:"
CHOICE_LABEL = "החיזוי שלכם"
CHECK = "בדיקת התשובה שלי"
SKIP = "דילוג"
SKIP_OPTION = "בלי חיזוי"
RIGHT = "נכון!"
WRONG = "לא הפעם."
NOBODY = "אף תשובה לא הייתה נכונה הפעם."
SKIPPED = "דילגתם: הנה התשובה."
YOU_SAID = "אמרתם **{guess}**."
SCORE = "חיזויים: {right} נכונים מתוך {answered}"
SCORE_HELP = (
    "כל עמוד מבקש מכם לנחש לפני שהוא מראה. שאלות שדילגתם עליהן לא נספרות. זה "
    "רק בשבילכם: שום דבר לא מקבל ציון."
)

# Convolution lab
LAB_QUESTION = "עם ההגדרות האלה, מה יהיה גודל הפלט (שורות × עמודות)? כל הגדרה חדשה שואלת שוב."
LAB_SIZE = "{rows}×{cols}"

# Forward pass: the network's answer
CLASS_QUESTION = "איזו מחלקה הרשת תבחר עבור התמונה הזאת?"
CLASS_REVEAL = "הרשת בחרה **{name}**, בהסתברות {p:.1%}."
CLASS_NEXT = "הסבירות ביותר אחריה: {others}."
CLASS_OTHER = "{name} ({percent}%)"

# Forward pass: one max-pool window
POOL_QUESTION = (
    "השכבה **{name}** שומרת מספר אחד מכל חלון בגודל {size}×{size}. הנה החלון של מפה {c} "
    "שהופך לשורה {i}, עמודה {j}: איזה מספר מנצח?"
)
POOL_OPTION = "{value} (שורה {r}, עמודה {col})"
POOL_REVEAL = "**{value}** מנצח: זה המספר שהשכבה {name} שומרת בשורה {i}, עמודה {j}."

# Backpropagation: before a Step
STEP_QUESTIONS = "נחשו, ואז לחצו על **צעד**:"
P_QUESTION = "אחרי הצעד הזה, האם ההסתברות של המחלקה הנכונה תעלה או תרד?"
P_OPTIONS = {"up": "תעלה", "down": "תרד"}
LOSS_QUESTION = "בקצב הלמידה הזה ({lr}), האם ההפסד יעלה?"
LOSS_OPTIONS = {"rises": "כן, הוא יעלה", "falls": "לא, הוא לא יעלה"}
P_RESULT = "ההסתברות של המחלקה הנכונה השתנתה מ-{before} ל-{after}."
LOSS_RESULT = "ההפסד השתנה מ-{before} ל-{after}."
STEP_RESULT_HEADER = "החיזויים שלכם לצעד {number}:"

# Comparison: robustness to a shift
CMP_QUESTION = "לפני התוצאות: איזו רשת תהיה מדויקת יותר על תמונות הבדיקה שהוזזו ב-{shift} פיקסלים?"
CMP_OPTIONS = {"CNN": "רשת הקונבולוציה (CNN)", "ANN": "הרשת הרגילה (ANN)"}
CMP_LOCK = "נעילת הניחוש שלי"
CMP_LOCKED = "הניחוש שלכם: **{guess}**. אמנו את שתי הרשתות כדי לראות מי צדק."
CMP_REVEAL = (
    "בהזזה של {shift} פיקסלים, רשת הקונבולוציה (CNN) זיהתה נכון **{cnn:.1%}** מתמונות הבדיקה, "
    "והרשת הרגילה **{ann:.1%}**."
)
CMP_TIE = "תיקו: שתי הרשתות זיהו נכון את אותו חלק מהתמונות."
