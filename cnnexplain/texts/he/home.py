"""Hebrew twin of cnnexplain.texts.home: the same names, in Hebrew."""

TITLE = "cnnexplain: ראו כל מספר של רשת קונבולוציה"
INTRO = (
    "רשת קונבולוציה (CNN) מסתכלת על תמונה דרך מסננים קטנים, שוב ושוב, ואז מחליטה מה "
    "התמונה מראה. למטה, תמונה אחת עוברת דרך רשת אמיתית ומאומנת, שלב אחר שלב.\n\nכל מספר "
    "שאתם רואים מגיע מהרשת הזו: הצביעו על תא כלשהו במפה כדי לקרוא את הערך שלו."
)
STORY = (
    "הסיפור של כל CNN: **קונבולוציה ו-pooling** (max או average), שוב ושוב; אחר כך "
    "**שיטוח (flatten)**, כשהתווית עוברת יחד איתו; אחר כך **שכבות צפופות (dense)**; אחר "
    "כך **softmax** (בחירת מחלקה) או **sigmoid** (ערך בין 0 ל-1); ולבסוף **ההפסד (loss)**, "
    "שאומר כמה הרשת עוד צריכה ללמוד."
)
MODEL_HEADER = "הרשת"
MODEL_TRAINED = (
    "אומנה על **{dataset}**: {acc:.1%} תשובות נכונות על {n_test} תמונות בדיקה שהיא מעולם לא ראתה."
)
MODEL_UNTRAINED = "לא אומנה: המשקלות הם עדיין משקלות ההתחלה האקראיים, ולכן התשובות שלה הן ניחושים."
SAMPLE_HEADER = "התמונה"
SAMPLE_PICK = "מספר תמונת הבדיקה"
SAMPLE_HELP = "אחת מתמונות הבדיקה, שלא נראו באימון: הרשת מעולם לא ראתה אותה בזמן הלמידה."
TRUE_LABEL = "התווית הנכונה: **{label}**"
PREDICTED = "הרשת אומרת **{label}** בהסתברות {p:.1%}."
LOSS = "ההפסד עבור התווית הנכונה: **{loss}**"
PIPELINE_HEADER = "שלב אחר שלב"
STAGE_LINE = "**{name}**: ממדים {shape}, {params} פרמטרים"
# Above each small map stands its channel number alone (a longer title would not fit beside
# seven others); pointing at a cell names the channel in full.
MAP_TITLE = "{c}"
MAP_NAME = "ערוץ {c}"
MAPS_NUMBERED = "כל מפה קטנה היא ערוץ אחד; המספר שמעליה הוא מספר הערוץ."
SHOWING_MAPS = "מוצגות {shown} המפות הראשונות מתוך {total}."
REPLAY_AGREES = (
    "אותו מעבר קדימה, כשמחשבים אותו מחדש צעד אחר צעד ב-numpy פשוט, מסכים עם PyTorch עד "
    "כדי {diff:.1e} בכל שלב."
)
TOTAL_PARAMS = "{total:,} פרמטרים בסך הכול."
LOADING_DATA = "טוענים את מאגר הנתונים..."
TRAINING_PROGRESS = "מאמנים את הרשת על {dataset}: אפוק {epoch} מתוך {epochs}"
FINAL_LOSS = "**הפסד** = {loss}"
SIMPLE_HIDES = (
    "עברו ל**כל מספר** בסרגל הצד כדי לראות עד כמה חישוב חוזר של המעבר קדימה הזה ב-numpy "
    "פשוט מסכים עם PyTorch."
)
