"""What each kind of stage does, in plain words. Shared by every page that names a stage."""

# The words for the activations and poolings a network can use, wherever a page names one
# (the keys are the code's values and are never shown).
ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "none": "none"}
POOL_NAMES = {"max": "max pooling", "avg": "average pooling"}

STAGE_KIND = {
    "input": (
        "The picture as the network receives it: a grid of numbers between 0 (black) and 1 "
        "(white), one grid per colour channel."
    ),
    "conv": (
        "Convolution. Each filter is a small grid of weights (a kernel) that slides over the "
        "image. At every position it multiplies the pixels under it by its weights, adds the "
        "products and a bias, and writes one number.\n\nOne filter makes one new map, which lights "
        "up where the image looks like the filter's pattern."
    ),
    "activation": (
        "Activation. Each number passes through a simple bend: ReLU keeps positive numbers and "
        "turns negative ones into 0. Without this bend, stacking layers would be no better than "
        "one layer."
    ),
    "pool": (
        "Pooling. Each map is cut into small windows and each window is replaced by one number: "
        "its largest value (max pooling) or its average. The maps shrink, keeping what was found "
        "and roughly where."
    ),
    "flatten": (
        "Flatten. All the maps are laid out one after another into one long list of numbers "
        "(channel by channel, row by row). The label of the image travels along with this list "
        "to the end, where it is compared with the answer.\n\nThe label is not used on the "
        "way: it would give the answer away."
    ),
    "dense": (
        "Dense (fully connected) layer. Every neuron multiplies every number of the list by its "
        "own weight, adds them up with a bias, and passes the sum on."
    ),
    "logits": (
        "Logits: the last dense layer gives one raw score per class. A higher score means the "
        "network leans more towards that class."
    ),
    "probs_softmax": (
        "Softmax turns the scores into probabilities that add up to 1: it raises e to each score "
        "and divides by the sum. The largest probability is the network's answer."
    ),
    "probs_sigmoid": (
        "Sigmoid squeezes the one score into a number between 0 and 1: the probability of the "
        "second class."
    ),
    "loss": (
        "Loss: how wrong the answer is for the true label. It is small when the network gives "
        "the true class a high probability. Training changes every weight and every kernel to "
        "make this number smaller."
    ),
}
