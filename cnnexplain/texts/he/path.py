"""Hebrew twin of cnnexplain.texts.path: the same names, in Hebrew."""

# The pages in teaching order, gentlest first: one kernel on a toy picture, then a whole
# network going forward, then learning, then why a CNN at all.
ORDER = ("home", "conv_lab", "forward", "backprop", "compare")

# The navigation's titles (app.py) and the path's names for the pages.
TITLES = {
    "home": "הרשת כולה",
    "conv_lab": "מעבדת קונבולוציה",
    "forward": "המעבר קדימה, שלב אחר שלב",
    "backprop": "התפשטות לאחור, שלב אחר שלב",
    "compare": "רשת CNN מול רשת רגילה",
}

# What the learner will see and do on each page, said first on the page.
SEE_AND_DO = {
    "home": (
        "כאן תראו תמונה אחת עוברת דרך רשת אמיתית ומאומנת, שלב אחר שלב. בחרו תמונה למטה, ואז "
        "עקבו אחרי המסלול: חמישה עמודים, ובכל אחד כמה דברים לנסות."
    ),
    "conv_lab": (
        "כאן תחליקו מסנן קטן אחד על תמונה קטנה. שנו את המסנן, את הריפוד, את הצעד (stride) ואת "
        "הריווח, וצפו איך הגודל של הפלט והמספרים שבו משתנים."
    ),
    "forward": (
        "כאן תעבירו תמונה דרך רשת אמיתית ותתקדמו משלב לשלב. בחרו כל מספר שתרצו וראו בדיוק "
        "איך הוא חושב."
    ),
    "backprop": (
        'כאן תעשו צעדי למידה על עותק משלכם של הרשת. לחצו על "צעד" וצפו איך ההפסד, כל '
        "גרדיאנט וכל מסנן משתנים."
    ),
    "compare": (
        "כאן תאמנו רשת CNN ורשת רגילה על אותן תמונות, זו לצד זו, ואז תבדקו את שתיהן על "
        "תמונות מוזזות, מסובבות ועם רעש."
    ),
}

# The link at the bottom of each page to the next one, and why to go there.
# Link words never contain a navigation title: a link is found by its words, and the sidebar
# has one of each title already.
NEXT_LABEL = {
    "home": "הבא: החליקו מסנן אחד בעצמכם",
    "conv_lab": "הבא: עקבו אחרי תמונה קדימה דרך רשת אמיתית",
    "forward": "הבא: צפו ברשת לומדת, צעד אחד אחורה בכל פעם",
    "backprop": "הבא: רשת CNN ורשת רגילה, זו לצד זו",
}
NEXT_WHY = {
    "home": (
        "כל שלב למעלה מתחיל בקונבולוציה: ראו מה מסנן אחד עושה, על תמונה קטנה מספיק כדי "
        "לבדוק אותה ביד."
    ),
    "conv_lab": (
        "רשת אמיתית מערימה הרבה מסננים כאלה: עקבו אחרי התמונה שלכם דרך כולם, מספר אחר מספר."
    ),
    "forward": "ראיתם איך הרשת עונה; עכשיו ראו איך היא לומדת מתשובה שגויה.",
    "backprop": ("ראיתם רשת אחת לומדת; עכשיו ראו למה המסננים שלה מנצחים רשת רגילה על אותן תמונות."),
}
BACK_HOME = "חזרה לתחילת המסלול"
PATH_END = "זה העמוד האחרון במסלול. חזרו לכל עמוד שתרצו מסרגל הצד, או למסלול כולו בעמוד הראשון."

# The tasks of each page: ids (the pages tick them) and their words.
TASKS = {
    "conv_lab": {
        "same_size": "עם מסנן 5×5, גרמו לפלט להיות בדיוק באותו גודל כמו הקלט.",
        "vertical_edges": "מצאו מסנן שבפלט שלו קצוות אנכיים בולטים יותר מקצוות אופקיים.",
        "stride_two": "השתמשו בצעד (stride) 2 וצפו איך הפלט מתכווץ לבערך חצי מהגודל.",
    },
    "forward": {
        "flatten": "התקדמו לשלב השיטוח (flatten).",
        "wrong_label": "תנו לתמונה שלכם תווית שהרשת לא בוחרת, וצפו איך ההפסד גדל.",
    },
    "backprop": {
        "more_likely": "עשו צעד שמגדיל את ההסתברות של המחלקה הנכונה.",
        "explode_undo": (
            "על אצווה של תמונות, גרמו להפסד לזנק עם קצב למידה ענק, ואז בטלו את הצעד הזה."
        ),
    },
    "compare": {
        "trained": "אמנו את שתי הרשתות.",
        "shift_half": "מצאו הזזה שבה הרשת הרגילה צודקת בפחות מחצי מהתמונות.",
    },
}
TRY_THIS = "נסו את זה ({done} מתוך {total} בוצעו)"
TASK_DONE = ":green[:material/check_circle:] {task} :green[**בוצע**]"
TASK_OPEN = ":material/radio_button_unchecked: {task}"

PATH_HEADER = "המסלול שלכם באפליקציה"
PATH_INTRO = (
    "חמישה עמודים, מהפשוט ביותר והלאה. כל עמוד מציג כמה דברים לנסות ומסמן אותם אחרי "
    "שעשיתם אותם; הסימונים נשמרים כל עוד הלשונית הזו פתוחה."
)
PATH_LINK = "{number}. {name}"
# The path's name for each page: what the learner does there.
PATH_NAMES = {
    "home": "התחלה: תמונה אחת, כל השלבים",
    "conv_lab": "מסנן אחד, ביד",
    "forward": "קדימה, מספר אחר מספר",
    "backprop": "למידה, צעד אחד בכל פעם",
    "compare": "למה להשתמש בקונבולוציות?",
}
PATH_PAGE = "{done} מתוך {total} נוסו"
PATH_NO_TASKS = "התחילו כאן"

# What the first step with the default settings did, said after every kept step.
STEP_CHANGED = (
    "ההפסד השתנה מ-{before} ל-{after}; ההסתברות של המחלקה הנכונה השתנתה מ-{p_before} ל-{p_after}."
)
STEP_CHANGED_BATCH = (
    "ההפסד השתנה מ-{before} ל-{after}; ההסתברות הממוצעת של המחלקות הנכונות השתנתה "
    "מ-{p_before} ל-{p_after}."
)
UNSURE_START = (
    "העמוד הזה מתחיל מתמונת הבדיקה {index}, זו שהרשת הכי פחות בטוחה בה (היא נותנת למחלקה "
    "הנכונה {p}), כדי שצעד אחד ישנה משהו שאפשר לראות."
)
