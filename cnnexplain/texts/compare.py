"""Words on the page that trains a CNN and a plain network (ANN) on the same data.

Templates take named fields ({acc}, {params}, ...) so that a translation may put them in
another order. Sentences that state what a run found are chosen by `ui.compare.findings` from
the facts `experiment.findings` reads off the run's numbers; none of them names a winner in
advance.
"""

TITLE = "A CNN against a plain network, on the same data"
INTRO = (
    "Two networks learn the same pictures here, side by side: your convolutional network (CNN) "
    "and a plain, fully connected network (an ANN, which flattens the picture first and has "
    "only dense layers).\n\nBoth see the same training pictures in the same order, with the "
    "same optimizer, learning rate, batch size, number of epochs and seed, and both are tested "
    "on the same held-out pictures. The page then says what this run found, from its own numbers."
)
STORY = (
    "How the two differ: a CNN looks at a picture through small **kernels** (convolution), "
    "shrinks each map by keeping the largest or the average value of each small window "
    "(pooling), repeats, and only then **flattens** what it found for its dense layers."
    "\n\nAn ANN flattens the raw picture at once: every neuron of its first layer has one weight "
    "for every pixel. This page measures what that difference changes."
)

# The data
DATA_HEADER = "1. The data"
SOURCE = "Which pictures both networks learn"
SOURCE_OPTIONS = {
    "sidebar": "The data set chosen in the sidebar: {title}",
    "zip": "My own pictures (a zip file with one folder per class)",
}
SIDEBAR_DATA = "{description} {n_train:,} pictures to train on, {n_test:,} held out for testing."
OWN_DATA_TITLE = "your own pictures"
OWN_DATA_KEY = "your pictures"  # the data set's name in the exported numbers
ZIP_HOW = (
    "Put the pictures of each class in a folder named after the class, and zip the folders "
    "together. Each picture is read as {channels} channel(s) of {size}×{size} pixels, what "
    "the network in the sidebar reads."
)
ZIP_LIMITS = (
    "A zip file of at most {archive}, with one folder per class (2 to {classes} classes) and at "
    "least {per_class} pictures (PNG, JPEG, GIF, BMP or WebP) in each. At most {entries:,} files "
    "and folders in all, {total} once unpacked, and {file} for one picture."
)
ZIP_UPLOAD = "Your zip file"
ZIP_READING = "Reading your pictures: {done:,} of {total:,}"
ZIP_WAITING = "Upload a zip file to train both networks on your own pictures."
ZIP_READ = (
    "Read {n:,} pictures in {k} classes: {n_train:,} to train on and {n_test:,} held out for "
    "testing (the same share of every class)."
)
ZIP_REFUSED = "This zip file cannot be used. What was wrong:"
ZIP_CLASSES = "Pictures found in each class folder"
ZIP_SKIPPED = "Files left out ({n}), and why"
ZIP_IGNORED = "{n} system files (such as __MACOSX) were left out without a word."
COL_CLASS = "Class"
COL_PICTURES = "Pictures"
COL_FILE = "File"
COL_REASON = "Why it was left out"

# The two networks
NETWORKS_HEADER = "2. The two networks"
CNN_LINE = (
    "**The CNN** is the network built in the sidebar: {blocks} convolution-and-pooling "
    "block(s) with {filters} kernels, then flatten and dense layers {dense}. "
    "**{params:,} parameters.**"
)
CNN_REFITTED = (
    "For your pictures its last layer has {classes} outputs (one per class) and a softmax: the "
    "rest is the network built in the sidebar."
)
NO_DENSE = "(none)"
MATCH = "Give the ANN about as many parameters as the CNN"
MATCH_HELP = (
    "A fair fight for memory: the ANN's hidden layers are sized so that it has about as many "
    "weights and biases (parameters) as the CNN. The work is not matched: below each network, "
    "see how many multiply-adds it does for one picture."
)
DEPTH = "Hidden layers in the ANN"
DEPTH_HELP = "With two or more, each hidden layer is half as wide as the one before."
WIDTHS = "Widths of the ANN's hidden layers"
WIDTHS_HELP = "Neurons in each hidden layer, separated by commas, like 128, 64."
WIDTHS_BAD = "Write whole numbers separated by commas, like 128 or 256, 64."
ANN_LINE = (
    "**The ANN**: flatten, then hidden layers of {widths} neurons, then the output layer. "
    "**{params:,} parameters** ({ratio:.2f} times the CNN's)."
)
# Under the two networks: parameters are matched, the work one picture costs is not.
WORK_LINE = (
    "**Work for one picture**: the CNN does {cnn_macs:,} multiply-adds, the ANN {ann_macs:,} "
    "({ratio:.2f} times the CNN's)."
)
WORK_WHY = (
    "A dense weight is used once for each picture; a kernel weight at every position of its map. "
    "So a CNN does much more work for its number of parameters."
)
BAD_SETUP = "These two networks cannot be compared yet:"

# Training
TRAINING_HEADER = "3. Training, the same for both"
EPOCHS = "Epochs"
BATCH = "Batch size"
BATCH_HELP = "At most as many as there are training pictures."
TRAINING_REFUSED = "These training settings cannot be used:"
LR = "Learning rate"
LR_HELP = (
    "Momentum also adds part of the earlier steps, and Adam moves each weight by at most about "
    "the learning rate."
)
OPTIMIZER = "Optimizer"
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
# Follows the glossary's "optimizer" in the hover help: what no optimizer can promise.
OPTIMIZER_HELP = (
    "None is sure to find the best weights. In networks of this size, training mostly slows "
    "down on flat stretches and saddles (downhill one way, uphill another), seldom in a true dip."
)
SEED = "Seed"
SEED_HELP = (
    "Sets the starting weights and the order of the pictures. The same seed and settings give "
    "the same numbers every time."
)
RUN = "Train both"
STOP = "Stop"
STOP_HELP = "Stop training and compare the networks as they are now."
RESUME = "Continue training"
RESUME_HELP = "Go on from where training stopped, to the planned number of epochs."
SETTINGS_CHANGED = (
    "The settings above differ from the ones of the run below. Press **Train both** to run them."
)

# The live view
LIVE_HEADER = "4. Learning, live"
PROGRESS = "CNN: epoch {cnn_epoch} of {epochs}, ANN: epoch {ann_epoch} of {epochs} ({done:.0%})"
RUNNING_NOTE = (
    "Both networks take turns, a few steps each, so their curves grow together. **Stop** keeps "
    "what they have learned so far."
)
STOPPED = (
    "Training was stopped part-way, at {done:.0%}: the numbers below are those of networks "
    "that have not finished learning."
)
COMPLETE = "Both networks trained for the planned {epochs} epoch(s)."
MEASURING = "Testing both networks on the held-out pictures..."
WAITING = "Press **Train both** to start."
BUSY = "The previous step is still finishing; this page will catch up in a moment."
LOSS_TITLE = "Loss (error): smaller means it learned more"
ACC_TITLE = "Accuracy: share of pictures right"
EPOCH_AXIS = "epoch"
LOSS_AXIS = "loss"
ACC_AXIS = "accuracy"
TRAIN_PART = "training"
HELD_OUT_PART = "held-out"
CURVES_EXPLAIN = (
    "The **loss** measures how wrong a network's answers are: the smaller it is, the more it "
    "has learned.\n\nThick lines with dots: the held-out pictures, which neither network ever "
    "trains on, measured after each epoch. Thin lines: the training pictures, averaged over the "
    "last few steps. A training loss that keeps falling while the held-out loss stops falling is "
    "a network learning its training pictures by heart (overfitting)."
)

# Results
RESULTS_HEADER = "5. What this run found"
SUMMARY_HEADER = "Side by side"
COL_MODEL = "Network"
COL_PARAMS = "Parameters"
COL_EPOCHS = "Epochs trained"
COL_SECONDS = "Training time (s)"
COL_RATE = "Pictures per second"
COL_ACC = "Held-out accuracy"
COL_LOSS = "Held-out loss"
COL_LAYER = "Layer"
LAYERS_HEADER = "Parameters in each layer"
LAYER_TOTAL = "total"
SPEED_NOTE = (
    "Training time counts only each network's own steps and tests; it changes a little from "
    "run to run with what else the computer is doing. The other numbers do not."
)
CONFUSION_HEADER = "Which classes each network mixes up"
CONFUSION_EXPLAIN = (
    "Row: the true class. Column: the class the network said. The diagonal holds the right "
    "answers; every other cell is one kind of mistake. Point at a cell to read its count."
)
CONFUSION_TITLE = "{model}: {right:,} of {total:,} right"
CONFUSION_TRUE = "true class"
CONFUSION_SAID = "said"
CONFUSION_SHARE = "share of the true class"
WRONG_HEADER = "Pictures one network gets wrong and the other gets right"
WRONG_CAPTION = (
    "{model} wrong, {other} right: {n:,} held-out pictures. Above each: the true class → what "
    "the {model} said."
)
WRONG_SHOWING = "Showing the first {shown} of {n:,}."
WRONG_NONE = "None: every picture the {model} gets wrong, the {other} gets wrong too."
WRONG_HOVER = ("picture {index} of the held-out set", "true class: {true}")  # lines
SAID = "{model} said {label}"
DOWNLOAD_HEADER = "Take the results with you"
DOWNLOAD_MODEL = "Download the {model} (model file)"
DOWNLOAD_CSV = "Download the numbers (CSV)"
DOWNLOAD_HELP = (
    "The architecture and every weight, as this run left them. Load it back below, here or later."
)

# The findings, chosen from the run's numbers by ui.compare.findings
FIND_ACCURACY = (
    "On {data}, the CNN got **{cnn_acc:.1%}** of the {n_test:,} held-out pictures right and "
    "the ANN **{ann_acc:.1%}**, {budget}."
)
FIND_SAME_BUDGET = "with about the same number of parameters ({cnn_params:,} and {ann_params:,})"
FIND_OTHER_BUDGET = "with {cnn_params:,} parameters for the CNN and {ann_params:,} for the ANN"
FIND_TIE = "They got exactly as many pictures right."
FIND_GAP = "That is {n:,} more pictures right for the {winner} ({points:.1f} percentage points)."
FIND_SMALL_GAP = (
    "A gap this small can come and go with the seed: try another seed to see whether it holds."
)
FIND_CHANCE = (
    "Always answering the most common class, without looking at the picture, would get "
    "{chance:.0%} right: the {models} did little better than that."
)
FIND_BOTH = "CNN and the ANN"
FIND_STOPPED = (
    "Training was stopped part-way (the CNN trained {cnn_epochs} and the ANN "
    "{ann_epochs} of {epochs} epochs), so these are half-learned networks."
)
FIND_SHIFT = (
    "Moved by {level:g} pixels, the same pictures: the CNN got {cnn:.1%} right and the ANN "
    "{ann:.1%}."
)
FIND_SPEED = (
    "The CNN learned {cnn_rate:,.0f} pictures per second and the ANN {ann_rate:,.0f} on this "
    "computer."
)

# Why: robustness, data efficiency, what each learned
WHY_HEADER = "6. Why: where the difference comes from"
WHY_INTRO = (
    "The same held-out pictures, changed in three ways. Each chart shows the accuracy of the "
    "two trained networks as the change grows; the dotted line is what always answering the "
    "most common class would get."
)
ROBUST_TITLES = {
    "shift": "Moved sideways or up and down",
    "rotation": "Turned",
    "noise": "With random noise",
}
ROBUST_AXES = {
    "shift": "shift (pixels, each of 4 directions)",
    "rotation": "turn (degrees, both ways)",
    "noise": "noise (standard deviation)",
}
ROBUST_EXPLAIN = {
    "shift": (
        "A CNN's kernel is the same few weights slid over every position of the picture, so "
        "when a pattern moves, its feature map moves with it. A 2×2 pooling absorbs a one-pixel "
        "move only sometimes: when the strongest value stays inside its window.\n\nAfter "
        "flatten, the dense layers read fixed positions again, so a move can still confuse the "
        "CNN. Each neuron of the ANN's first layer has one weight for each pixel: move the "
        "picture and other weights see the ink."
    ),
    "rotation": (
        "Neither network has anything built in for turning: a turned edge is another pattern "
        "for a kernel, and other pixels for a dense neuron. Both cope only as far as their "
        "training pictures were already turned a little."
    ),
    "noise": (
        "Noise changes every pixel a little, at random. A kernel adds up a small patch of "
        "pixels, a dense neuron adds up all of them; which network's weights average the noise "
        "away better is an open question that this chart answers for these two."
    ),
}
ROBUST_LEVEL = {
    "shift": "moved by {level:g} pixels",
    "rotation": "turned by {level:g}°",
    "noise": "with noise of strength {level:g}",
}
FIND_LEVEL = "Here, {change}: the CNN got {cnn:.1%} right and the ANN {ann:.1%}."
FIND_AHEAD_ALL = "The {model} was ahead at every {what}."
FIND_AHEAD_SOME = "The CNN was ahead at {cnn} and the ANN at {ann} of the {n} {whats}."
FIND_EVEN = "The two were level at every {what}."
WHAT_LEVEL = ("strength of this change", "strengths of this change")  # one, several
WHAT_SIZE = ("training-set size", "training-set sizes")
CHANCE = "always the most common class"
ROBUST_MEASURED_ON = "Measured on the {n_test:,} held-out pictures, after training {state}."
ROBUST_STATE_DONE = "finished"
ROBUST_STATE_STOPPED = "was stopped part-way"

EFFICIENCY_HEADER = "How many pictures does each need?"
EFFICIENCY_EXPLAIN = (
    "A CNN uses each kernel at every position, so every training picture teaches each kernel "
    "many times over; an ANN has to learn the weights of every position on its own.\n\nThis trains "
    "fresh copies of both networks, with the settings above, on only the first {sizes} "
    "training pictures, and tests each on all the held-out pictures. Small sets get more epochs, "
    "so that every network takes at least {min_steps} gradient steps."
)
EFFICIENCY_RUN = "Measure this (trains {runs} more networks)"
EFFICIENCY_PROGRESS = "Training on {size:,} pictures: the {model} ({done:.0%} of all)"
EFFICIENCY_STOPPED = "Stopped part-way: the chart shows the training-set sizes finished so far."
EFFICIENCY_AXIS = "training pictures"
FIND_EFFICIENCY = (
    "With {small:,} training pictures the CNN got {cnn_small:.1%} and the ANN {ann_small:.1%}; "
    "with {large:,}, {cnn_large:.1%} and {ann_large:.1%}."
)
FIND_EFFICIENCY_ONE = (
    "With {small:,} training pictures the CNN got {cnn:.1%} and the ANN {ann:.1%}."
)

LEARNED_HEADER = "What each network's first layer looks for"
LEARNED_ANN = "ANN: {shown} of the {units} neurons of its first layer"
LEARNED_CNN = "CNN: {shown} of the {units} kernels of its first convolution"
LEARNED_EXPLAIN = (
    "Each ANN neuron of the first dense layer has {ann_weights:,} weights, one per pixel "
    "({shape}): drawn as a picture, it is a template of the whole image, tied to where things "
    "are.\n\nEach CNN kernel has only {cnn_weights:,} weights ({kernel}), and the same ones are "
    "used at every position of the picture: it looks for a small pattern, like an edge or a "
    "dot, wherever it is. Blue: positive weights, red: negative, white: zero."
)
WEIGHT_HOVER = "row %{y}, col %{x}<br>weight %{z:.4f}"  # a plotly template, not .format
WEIGHT_HOVER_RGB = "row %{y}, col %{x}<br>colour %{z} (middle gray: weight 0)"
UNIT_ANN = "neuron"
UNIT_CNN = "kernel"

CLASS_PICTURES_HEADER = "What each network thinks each class looks like"
CLASS_PICTURES_INTRO = (
    "For each class, start from a plain grey picture and change its pixels, a little at a "
    "time, so that the class's score rises as high as it can: the picture at the end is the "
    "one the network likes best for that class."
)
CLASS_PICTURES_SHOW = "Draw the picture each network likes best for each class"
CLASS_PICTURES_SHOW_HELP = "Takes a few seconds; the pictures are kept until you train again."
CLASS_PICTURES_PROGRESS = "Drawing the {network}'s pictures: step {done} of {total}"
CLASS_PICTURES_OF = "{model}: it reads {right} of these {total} pictures as their own class"
CLASS_PICTURES_HOVER = "row %{y}, col %{x}<br>value %{z:.3f}"  # a plotly template, not .format
CLASS_PICTURES_HOVER_RGB = "row %{y}, col %{x}<br>colour %{z}"
CLASS_PICTURES_EXPLAIN = (
    "Neither network draws a tidy picture of a class: each learned only what tells the classes "
    "apart, so the picture it likes best is full of whatever raises one class's score above "
    "the others'."
)

SNAPSHOTS_HEADER = "How the first layers changed while they learned"
SNAPSHOTS_SENTENCE = (
    "The ANN learns whole-picture templates, each tied to one place; the CNN learns small local "
    "patterns, the same ones looked for everywhere."
)
SNAPSHOT_SLIDER = "Moment of training"
SNAPSHOT_SLIDER_HELP = "Drag along the training to see both first layers at that moment."
SNAPSHOT_START = "start"
SNAPSHOT_EPOCH = "epoch {epoch}"
SNAPSHOT_STEP = "epoch {epoch} (step {step})"
SNAPSHOT_PLAY = "Play"
SNAPSHOT_PLAY_HELP = "Run through every moment kept, from the start to the end of training."
SNAPSHOT_ANN = "ANN: its first {shown} neurons, each as a picture of its weights"
SNAPSHOT_CNN = "CNN: its first {shown} kernels"
SNAPSHOTS_KEPT = (
    "Kept: the start and the end of {kept} epochs. Each picture has its own colour scale, so "
    "watch the patterns, not how strong they are."
)

# Loading a model back
LOAD_HEADER = "Load a model file back"
LOAD_EXPLAIN = (
    "A model file downloaded from this page holds a network's architecture and weights. Load "
    "one to test it on the pictures chosen above."
)
MODEL_UPLOAD = "A model file (.pt) from this page, up to {mb} MB"
MODEL_REFUSED = "This file cannot be loaded. What was wrong:"
MODEL_KIND = {"cnn": "CNN", "mlp": "ANN"}
MODEL_LOADED = (
    "A **{kind}** with {params:,} parameters: it gets **{acc:.1%}** of the {n_test:,} held-out "
    "pictures of {data} right."
)
MODEL_DOES_NOT_FIT = (
    "This {kind} reads {channels}×{size}×{size} pictures into {classes} classes, but the "
    "pictures chosen above are {data_channels}×{data_size}×{data_size} in {data_classes} "
    "classes, so it cannot be tested on them."
)
NO_DATA = "Choose the pictures above first."

# What the Simple level leaves out, said where it would be.
SIMPLE_RESULTS = (
    "Switch to **Every number** in the sidebar to see the epochs, the training time and speed, "
    "and the parameters of each layer."
)
