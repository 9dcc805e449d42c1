"""The glossary: every word the app uses for a part of a network or of training, defined once.

Each definition is one or two plain sentences that use no notation; the controls that set a
term show its definition as their hover help, and the glossary panel lists them all. The keys
are the app's own names for the terms and are never shown; NAMES holds the words a learner reads.
"""

HEADER = "Glossary"
INTRO = "Every word the app uses for a part of a network or of training, in plain words."
ENTRY = "**{name}**: {definition}"

NAMES = {
    "kernel": "Kernel (filter)",
    "feature map": "Feature map",
    "channel": "Channel",
    "convolution": "Convolution",
    "stride": "Stride",
    "padding": "Padding",
    "dilation": "Dilation",
    "activation": "Activation",
    "relu": "ReLU",
    "pooling": "Pooling",
    "conv block": "Conv block",
    "flatten": "Flatten",
    "dense": "Dense layer",
    "weight": "Weight",
    "bias": "Bias",
    "parameter": "Parameter",
    "logit": "Logit",
    "softmax": "Softmax",
    "sigmoid": "Sigmoid",
    "label": "Label",
    "loss": "Loss",
    "cross-entropy": "Cross-entropy",
    "gradient": "Gradient",
    "chain rule": "Chain rule",
    "learning rate": "Learning rate",
    "batch": "Batch",
    "epoch": "Epoch",
    "optimizer": "Optimizer",
    "momentum": "Momentum",
    "adam": "Adam",
    "data set": "Data set",
    "overfitting": "Overfitting",
    "receptive field": "Receptive field",
    "saliency": "Saliency",
    "grad-cam": "Grad-CAM",
}

DEFINITIONS = {
    "kernel": (
        "A small grid of weights, for example 3 by 3, that slides over a picture or a map. At "
        "each place it multiplies the numbers under it by its weights and adds them up."
    ),
    "feature map": (
        "The grid of numbers one kernel makes as it slides over its input. It is large where "
        "the input looks like the kernel's pattern."
    ),
    "channel": (
        "One of several grids stacked together: a colour picture has three (red, green, blue), "
        "and a convolution with 8 kernels makes 8 channels, one feature map each."
    ),
    "convolution": (
        "Sliding a kernel over a picture or a map and writing, at every place, the sum of the "
        "numbers under it times the kernel's weights, plus a bias."
    ),
    "stride": (
        "How many pixels the kernel or the pooling window jumps from one place to the next. "
        "Stride 2 skips every other place, so the output is about half as wide."
    ),
    "padding": (
        "A border of zeros added around the input before the kernel slides, so that the kernel "
        "can also sit on the edge pixels and the output shrinks less."
    ),
    "dilation": (
        "The spacing between the pixels a kernel reads. With dilation 2 a 3 by 3 kernel reads "
        "every other pixel and reaches over 5 by 5 pixels with the same 9 weights."
    ),
    "activation": (
        "A simple bend applied to every number after a convolution or a dense layer, such as "
        "ReLU. Without it, many layers would do no more than one."
    ),
    "relu": (
        "The most common activation: a positive number passes unchanged and a negative one "
        "becomes 0."
    ),
    "pooling": (
        "Shrinks each feature map by replacing each small window, for example 2 by 2, with one "
        "number: its largest value (max pooling) or its average (average pooling)."
    ),
    "conv block": (
        "A convolution, its activation and a pooling layer, one after another. A CNN repeats "
        "such blocks, so that later kernels see larger parts of the picture."
    ),
    "flatten": (
        "Lays all the feature maps out, one after another, as one long list of numbers, so "
        "that dense layers can read them."
    ),
    "dense": (
        "A fully connected layer: each of its neurons multiplies every number it receives by "
        "its own weight, adds them up with a bias, and passes the sum on."
    ),
    "weight": (
        "A number in a kernel or a dense layer that multiplies an input. Training changes the "
        "weights little by little."
    ),
    "bias": (
        "A number added to a weighted sum, one for each kernel or neuron. It shifts the result "
        "up or down, and training changes it like a weight."
    ),
    "parameter": (
        "A number the network learns: every weight and every bias. More parameters can store "
        "more, but need more pictures to learn well."
    ),
    "logit": (
        "The raw score the last layer gives a class, before softmax or sigmoid. A higher score "
        "means the network leans more towards that class."
    ),
    "softmax": (
        "Turns the class scores into probabilities that add up to 1; the highest score gets "
        "the highest probability."
    ),
    "sigmoid": (
        "Squeezes any number into a probability between 0 and 1. As an output it fits two "
        "classes; it can also be an activation."
    ),
    "label": (
        "The right answer for a picture, such as the digit it shows. The loss compares the "
        "network's answer with it."
    ),
    "loss": (
        "One number that says how wrong the network's answer is for the true label: 0 when it "
        "is sure and right, larger the less it believes the true class. Training makes it smaller."
    ),
    "cross-entropy": (
        "The usual loss for choosing a class: the natural logarithm of the probability given "
        "to the true class, with its sign turned. Probability 1 gives 0, probability 0.1 gives "
        "about 2.3."
    ),
    "gradient": (
        "For each weight, how much the loss would change if that weight grew a little, and in "
        "which direction. Training moves each weight against its gradient, downhill."
    ),
    "chain rule": (
        "How backpropagation finds every gradient: going back stage by stage, each stage "
        "multiplies the gradient it receives by its own local slope and passes it on."
    ),
    "learning rate": (
        "How big a step training takes. In plain SGD each weight moves by the learning rate "
        "times its gradient: too small learns slowly, too large overshoots."
    ),
    "batch": (
        "The group of pictures one training step learns from. Their gradients are averaged, so "
        "one step follows all of them at once."
    ),
    "epoch": "One pass over every training picture. Training usually takes several epochs.",
    "optimizer": (
        "The rule that turns the gradients into changes of the weights, step after step: "
        "SGD, SGD with momentum, or Adam."
    ),
    "momentum": (
        "A memory of past steps: each step keeps part of the previous one's direction, like a "
        "ball rolling downhill that builds up speed."
    ),
    "adam": (
        "An optimizer that keeps, for each weight, an average of its recent gradients and of "
        "their sizes, and divides one by the other: every weight takes a step of at most about "
        "the learning rate."
    ),
    "data set": (
        "The pictures the network learns from, each with its label, and the held-out pictures "
        "it is tested on, which it never learns from."
    ),
    "overfitting": (
        "Learning the training pictures by heart instead of what they have in common: the loss "
        "on them keeps falling while the loss on held-out pictures stops falling or rises."
    ),
    "receptive field": (
        "The part of the input picture that can change one number of a feature map. It grows "
        "with every convolution and pooling, so later layers see larger parts."
    ),
    "saliency": (
        "A picture of how much the answer's score would change if each pixel changed a little: "
        "the brightest pixels mattered most."
    ),
    "grad-cam": (
        "A heat map of the areas that pushed the network towards its answer, made from the last "
        "convolution's feature maps and their gradients."
    ),
}
