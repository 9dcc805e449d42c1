"""Words beside the learner's picture: the training pictures closest to it, and honest doubt.

Templates in braces are filled with numbers by the view.
"""

NEAREST_HEADER = "**What the network learned from: the {k} closest training pictures**"
NEAREST_CAPTION = (
    "Closest as the network itself sees them: each picture is compared by the {width} numbers "
    "the network computes just before its answer (the input of its output layer), not pixel "
    "by pixel. A distance of 0 means the network sees no difference; 2 is the most different."
)
NEAREST_ONE = "{label} · {distance:.2f}"
AUGMENTED = (
    "Besides these {n:,} training pictures, the network also learned from turned, slanted, "
    "bolder and thinner copies of them and from generated pen digits, so that it reads digits "
    "written in other hands."
)

SURE = (
    "The network answers **{predicted}** with probability {top:.1%}, and its closest training "
    "picture is no further than those of the test pictures it never saw (distance "
    "{nearest:.2f}; for them typically {typical:.2f}, almost never beyond {threshold:.2f})."
)
UNSURE = (
    "**The network is unsure.** Its top answer, **{predicted}**, has probability {top:.1%}, "
    "and the next, **{second}**, {runner:.1%}. Read the answer as a guess between the two."
)
UNLIKE = (
    "**This picture is unlike anything the network was trained on.** Its closest training "
    "picture is at distance {nearest:.2f}, while the test pictures it never saw are typically "
    "{typical:.2f} from theirs (and almost never beyond {threshold:.2f}).\n\n"
    "The network still answers **{predicted}** with probability {top:.1%}. A network always "
    "picks one of its classes: the probability says how much it prefers that class to the "
    "others, not how likely it is to be right. Far from its training pictures, a network can be "
    "wrong and sure at once."
)
