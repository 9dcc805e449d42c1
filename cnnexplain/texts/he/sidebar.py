"""Hebrew twin of cnnexplain.texts.sidebar: the same names, in Hebrew."""

HEADER = "הרשת שלכם"
DATASET = "מאגר נתונים"
DATASET_HELP = "המאגרים המובנים עובדים גם בלי אינטרנט."
DATASET_UNAVAILABLE = "{message} נשארים עם **{previous}**."
BLOCKS = "בלוקי קונבולוציה (קונבולוציה + פונקציית הפעלה + pooling)"
BLOCKS_HELP = "כמה בלוקים באים זה אחרי זה לפני השיטוח (flatten)."
BLOCK = "בלוק קונבולוציה {i}"
FILTERS = "מסננים"
FILTERS_HELP = "כמה מסננים יש בקונבולוציה הזו: כל אחד מהם יוצר מפת תכונות אחת."
KERNEL = "גודל המסנן"
KERNEL_HELP = "הצלע של המסנן: 3 פירושו 3 על 3 משקלות לכל ערוץ קלט."
STRIDE = "צעד (stride)"
PADDING = "ריפוד (padding)"
DILATION = "ריווח (dilation)"
ACTIVATION = "פונקציית הפעלה"
ACTIVATION_HELP = (
    'ReLU היא הבחירה הרגילה; tanh ו-sigmoid דוחסות כל מספר לתוך טווח; "ללא" משאירה את '
    "המספרים כמו שהם."
)
# The activations and poolings as the sidebar offers them (the keys are the code's values).
ACTIVATION_OPTIONS = {
    "relu": "ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "none": "ללא (המספרים עוברים בלי שינוי)",
}
POOL = "pooling"
POOL_HELP = "בלי pooling המפות שומרות על הגודל שלהן."
POOL_OPTIONS = {"max": "max pooling", "avg": "average pooling", None: "בלי pooling"}
POOL_SIZE = "גודל חלון ה-pooling"
POOL_SIZE_HELP = "הצלע של כל חלון: 2 פירושו חלונות של 2 על 2, והצלע של כל מפה קטנה פי 2."
DENSE = "רוחב השכבות הצפופות"
DENSE_HELP = "מספר הנוירונים בכל שכבה צפופה נסתרת אחרי השיטוח, מופרדים בפסיקים (ריק: אין כאלה)."
DENSE_BAD = "כתבו מספרים שלמים מופרדים בפסיקים, למשל 64 או 128, 32."
DENSE_ACTIVATION = "פונקציית הפעלה בשכבות הצפופות"
DENSE_ACTIVATION_HELP = "משמשת אחרי כל שכבה צפופה נסתרת."
HEAD = "פלט"
HEAD_OPTIONS = {
    "softmax": "softmax (הסתברות אחת לכל מחלקה)",
    "sigmoid": "sigmoid (ערך אחד בין 0 ל-1; שתי מחלקות)",
}
TRAINED = "משקלות"
TRAINED_HELP = "משקלות מאומנים נלמדו מתמונות האימון של מאגר הנתונים; משקלות אקראיים רק מנחשים."
TRAINED_OPTIONS = {
    True: "לאמן אותה קודם (כמה שניות)",
    False: "להציג אותה בלי אימון (משקלות אקראיים)",
}
APPLY = "בנו את הרשת הזו"
APPLIED = "נבנתה: {params:,} פרמטרים."
SIGMOID_NEEDS_TWO = (
    "פלט sigmoid נותן הסתברות אחת, ולכן הוא מתאים לשתי מחלקות, ול-**{dataset}** יש "
    "{classes} מחלקות. בחרו את מאגר הנתונים עם שתי המחלקות, **{two_class}**, או את פלט "
    "ה-softmax."
)
KEPT = "הרשת שהייתה לכם נשמרת עד שזה יתוקן."
RESET = "חזרה לרשת ברירת המחדל"
NOT_BUILT = "**הרשת החדשה שלכם לא נבנתה**, ולכן כל העמודים עדיין משתמשים ברשת הקודמת. {reason}"
# The two levels of detail every page offers; the options' keys are the code's values.
DETAIL_LABEL = "כמה להציג"
DETAIL_SIMPLE = "פשוט"
DETAIL_EVERY = "כל מספר"
DETAIL_HELP = (
    '"פשוט" מציג את התמונות, את הסיפור ואת המספרים החשובים. "כל מספר" מוסיף את כל החשבון: '
    "כל מכפלה וכל סכום, הנוסחאות, והבדיקות מול PyTorch."
)
DETAIL_OPTIONS = {"simple": DETAIL_SIMPLE, "every": DETAIL_EVERY}
