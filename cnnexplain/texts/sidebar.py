"""Words of the sidebar where the learner picks the data and builds the network.

A control's hover help is the glossary's definition of what it sets, then the *_HELP sentence
here, when there is one.
"""

HEADER = "Your network"
DATASET = "Data set"
DATASET_HELP = "Built-in ones work without internet."
DATASET_UNAVAILABLE = "{message} Keeping **{previous}**."
BLOCKS = "Conv blocks (convolution + activation + pooling)"
BLOCKS_HELP = "How many blocks come one after another before flatten."
BLOCK = "Conv block {i}"
FILTERS = "Filters"
FILTERS_HELP = "How many kernels this convolution has: each makes one feature map."
KERNEL = "Kernel size"
KERNEL_HELP = "The kernel's side: 3 means 3 by 3 weights for each input channel."
STRIDE = "Stride"
PADDING = "Padding"
DILATION = "Dilation"
ACTIVATION = "Activation"
ACTIVATION_HELP = (
    "ReLU is the usual choice; tanh and sigmoid squeeze every number into a range; none leaves "
    "the numbers as they are."
)
# The activations and poolings as the sidebar offers them (the keys are the code's values).
ACTIVATION_OPTIONS = {
    "relu": "ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "none": "none (numbers pass unchanged)",
}
POOL = "Pooling"
POOL_HELP = "Without pooling the maps keep their size."
POOL_OPTIONS = {"max": "max pooling", "avg": "average pooling", None: "no pooling"}
POOL_SIZE = "Pool size"
POOL_SIZE_HELP = "The side of each window: 2 takes windows of 2 by 2 and halves each map's side."
DENSE = "Dense layer widths"
DENSE_HELP = "Neurons in each hidden dense layer after flatten, separated by commas (empty: none)."
DENSE_BAD = "Write whole numbers separated by commas, like 64 or 128, 32."
DENSE_ACTIVATION = "Dense activation"
DENSE_ACTIVATION_HELP = "Used after every hidden dense layer."
HEAD = "Output"
HEAD_OPTIONS = {
    "softmax": "softmax (one probability per class)",
    "sigmoid": "sigmoid (one value between 0 and 1; two classes)",
}
TRAINED = "Weights"
TRAINED_HELP = (
    "Trained weights were learned from the data set's training pictures; random ones only guess."
)
TRAINED_OPTIONS = {
    True: "train it first (a few seconds)",
    False: "show it untrained (random weights)",
}
APPLY = "Build this network"
APPLIED = "Built: {params:,} parameters."
SIGMOID_NEEDS_TWO = (
    "A sigmoid output gives one probability, so it fits two classes, and **{dataset}** has "
    "{classes}. Choose the two-class data set **{two_class}**, or the softmax output."
)
KEPT = "The network you had is kept until this is fixed."
RESET = "Back to the default network"
NOT_BUILT = (
    "**Your new network was not built**, so every page still uses the previous one. {reason}"
)
# The two levels of detail every page offers; the options' keys are the code's values.
DETAIL_LABEL = "How much to show"
DETAIL_SIMPLE = "Simple"
DETAIL_EVERY = "Every number"
DETAIL_HELP = (
    "Simple shows the pictures, the story and the key numbers. Every number adds the full "
    "arithmetic: each product and sum, the formulas, and the checks against PyTorch."
)
DETAIL_OPTIONS = {"simple": DETAIL_SIMPLE, "every": DETAIL_EVERY}
