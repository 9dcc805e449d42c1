"""Words of the "predict, then see" questions: a page asks before it shows, the learner answers
or skips, and the page says whether the guess was right, with the live numbers.

Templates in braces are filled by the views; "×" stands for "by" (rows × columns).
"""

# Every question box
HEADER = "Predict, then see:"
CHOICE_LABEL = "Your prediction"
CHECK = "Check my answer"
SKIP = "Skip"
SKIP_OPTION = "No prediction"
RIGHT = "Right!"
WRONG = "Not this time."
NOBODY = "Neither answer was right this time."
SKIPPED = "Skipped: here is the answer."
YOU_SAID = "You said **{guess}**."
SCORE = "Predictions: {right} of {answered} right"
SCORE_HELP = (
    "Each page asks you to guess before it shows. Skipped questions do not count. This is "
    "for you only: nothing is graded."
)

# Convolution lab
LAB_QUESTION = (
    "With these settings, how big will the output be (rows × columns)? A new setting asks again."
)
LAB_SIZE = "{rows}×{cols}"

# Forward pass: the network's answer
CLASS_QUESTION = "Which class will the network choose for this picture?"
CLASS_REVEAL = "The network chose **{name}**, with probability {p:.1%}."
CLASS_NEXT = "The next most likely: {others}."
CLASS_OTHER = "{name} ({percent}%)"

# Forward pass: one max-pool window
POOL_QUESTION = (
    "**{name}** keeps one number of each {size}×{size} window. Here is the window of map {c} "
    "that becomes row {i}, column {j}: which number wins?"
)
POOL_OPTION = "{value} (row {r}, column {col})"
POOL_REVEAL = "**{value}** wins: it is the number {name} keeps at row {i}, column {j}."

# Backpropagation: before a Step
STEP_QUESTIONS = "Predict, then press **Step**:"
P_QUESTION = "After this step, will the true class's probability go up or down?"
P_OPTIONS = {"up": "Up", "down": "Down"}
LOSS_QUESTION = "At this learning rate ({lr}), will the loss rise?"
LOSS_OPTIONS = {"rises": "Yes, it rises", "falls": "No, it does not"}
P_RESULT = "The true class's probability went from {before} to {after}."
LOSS_RESULT = "The loss went from {before} to {after}."
STEP_RESULT_HEADER = "Your predictions for step {number}:"

# Comparison: robustness to a shift
CMP_QUESTION = (
    "Before the results: which network will be more accurate on the test pictures moved "
    "{shift} pixels?"
)
CMP_OPTIONS = {"CNN": "The CNN", "ANN": "The plain network (ANN)"}
CMP_LOCK = "Lock in my guess"
CMP_LOCKED = "Your guess: **{guess}**. Train both networks to see who was right."
CMP_REVEAL = (
    "Moved {shift} pixels, the CNN got **{cnn:.1%}** of the test pictures right and the plain "
    "network **{ann:.1%}**."
)
CMP_TIE = "A tie: both got the same share right."
