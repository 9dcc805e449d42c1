"""Words of the sidebar where the learner picks the data and builds the network."""

HEADER = "Your network"
DATASET = "Data set"
DATASET_HELP = "The pictures the network learns from. Built-in ones work without internet."
DATASET_UNAVAILABLE = "{message} Keeping **{previous}**."
BLOCKS = "Conv blocks (convolution + activation + pooling)"
BLOCKS_HELP = "How many times convolution and pooling repeat before flatten."
BLOCK = "Conv block {i}"
FILTERS = "Filters"
FILTERS_HELP = "How many kernels this convolution has, so how many maps it makes."
KERNEL = "Kernel size"
STRIDE = "Stride"
STRIDE_HELP = "How many pixels the kernel jumps between positions."
PADDING = "Padding"
PADDING_HELP = "Rows and columns of zeros added around the input, so the border is seen too."
DILATION = "Dilation"
DILATION_HELP = "Spacing between the kernel's taps: 2 spreads a 3×3 kernel over 5×5 pixels."
ACTIVATION = "Activation"
POOL = "Pooling"
POOL_NONE = "none"
POOL_SIZE = "Pool size"
DENSE = "Dense layer widths"
DENSE_HELP = "Neurons in each hidden dense layer after flatten, separated by commas (empty: none)."
DENSE_BAD = "Write whole numbers separated by commas, like 64 or 128, 32."
DENSE_ACTIVATION = "Dense activation"
HEAD = "Output"
HEAD_OPTIONS = {
    "softmax": "softmax (one probability per class)",
    "sigmoid": "sigmoid (one value between 0 and 1; two classes)",
}
TRAINED = "Weights"
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
