"""The path through the app: page order, the link to the next page, and the tasks of each page."""

# The pages in teaching order, gentlest first: one kernel on a toy picture, then a whole
# network going forward, then learning, then why a CNN at all.
ORDER = ("home", "conv_lab", "forward", "backprop", "compare")

# The navigation's titles (app.py) and the path's names for the pages.
TITLES = {
    "home": "The whole network",
    "conv_lab": "Convolution lab",
    "forward": "Forward pass, step by step",
    "backprop": "Backpropagation, step by step",
    "compare": "CNN against a plain network",
}

# What the learner will see and do on each page, said first on the page.
SEE_AND_DO = {
    "home": (
        "You will see one picture go through a real, trained network, stage by stage. Pick a "
        "picture below, then follow the path: five pages, each with a few things to try."
    ),
    "conv_lab": (
        "You will slide one small kernel over a small picture. Change the kernel, padding, "
        "stride and dilation, and watch the output's size and numbers change."
    ),
    "forward": (
        "You will put a picture through a real network and step from stage to stage. Pick any "
        "number and see exactly how it was computed."
    ),
    "backprop": (
        "You will take learning steps on your own copy of the network. Press Step and watch "
        "the loss, every gradient and every kernel change."
    ),
    "compare": (
        "You will train a CNN and a plain network on the same pictures, side by side, then "
        "test both on moved, turned and noisy pictures."
    ),
}

# The link at the bottom of each page to the next one, and why to go there.
# Link words never contain a navigation title: a link is found by its words, and the sidebar
# has one of each title already.
NEXT_LABEL = {
    "home": "Next: slide one kernel by hand",
    "conv_lab": "Next: follow a picture forward through a real network",
    "forward": "Next: watch the network learn, one step back at a time",
    "backprop": "Next: a CNN and a plain network, side by side",
}
NEXT_WHY = {
    "home": (
        "Every stage above starts with a convolution: see what one kernel does, on a picture "
        "small enough to check by hand."
    ),
    "conv_lab": (
        "A real network stacks many such kernels: follow your picture through all of them, "
        "number by number."
    ),
    "forward": (
        "You have seen how the network answers; now see how it learns from a wrong answer."
    ),
    "backprop": (
        "You have seen one network learn; now see why its kernels beat a plain network on "
        "the same pictures."
    ),
}
BACK_HOME = "Back to the start of the path"
PATH_END = (
    "This is the last page of the path. Go back to any page from the sidebar, or to the whole "
    "path on the first page."
)

# The tasks of each page: ids (the pages tick them) and their words.
TASKS = {
    "conv_lab": {
        "same_size": "With a 5×5 kernel, make the output exactly as big as the input.",
        "vertical_edges": "Find a kernel that lights up vertical edges more than horizontal ones.",
        "stride_two": "Use a stride of 2 and watch the output shrink to about half the size.",
    },
    "forward": {
        "flatten": "Step to the flatten stage.",
        "wrong_label": (
            "Give your picture a label the network does not choose, and watch the loss grow."
        ),
    },
    "backprop": {
        "more_likely": "Take a step that makes the true class more likely.",
        "explode_undo": (
            "On a batch of pictures, make the loss jump with a huge learning rate, then undo "
            "that step."
        ),
    },
    "compare": {
        "trained": "Train both networks.",
        "shift_half": (
            "Find a shift where the plain network gets less than half of the pictures right."
        ),
    },
}
TRY_THIS = "Try this ({done} of {total} done)"
TASK_DONE = ":green[:material/check_circle:] {task} :green[**done**]"
TASK_OPEN = ":material/radio_button_unchecked: {task}"

PATH_HEADER = "Your path through the app"
PATH_INTRO = (
    "Five pages, gentlest first. Each page lists a few things to try and ticks them when you "
    "have done them; the ticks stay while this tab is open."
)
PATH_LINK = "{number}. {name}"
# The path's name for each page: what the learner does there.
PATH_NAMES = {
    "home": "Start: one picture, every stage",
    "conv_lab": "One kernel, by hand",
    "forward": "Forward, number by number",
    "backprop": "Learning, one step at a time",
    "compare": "Why use convolutions?",
}
PATH_PAGE = "{done} of {total} tried"
PATH_NO_TASKS = "start here"

# What the first step with the default settings did, said after every kept step.
STEP_CHANGED = (
    "The loss went from {before} to {after}; the true class's probability from {p_before} to "
    "{p_after}."
)
STEP_CHANGED_BATCH = (
    "The loss went from {before} to {after}; the true classes' average probability from "
    "{p_before} to {p_after}."
)
UNSURE_START = (
    "This page starts from test picture {index}, the one the network is least sure of (it "
    "gives the true class {p}), so that a single step changes something you can see."
)
