"""Words on the forward page: one picture through every stage, every number worked out.

Templates in braces are filled with numbers by the views; "·" and "×" stand for multiplication
(a "*" would turn into italics in Markdown).
"""

TITLE = "Forward pass, step by step"
INTRO = (
    "Put a picture through a real convolutional network and follow it stage by stage. At every "
    "stage you can pick one number and see exactly how it was computed from the numbers before "
    "it. Point at any cell of a map to read its value."
)

# The network in use
MODEL_TRAINED = (
    "The network is trained: it learned from **{dataset}** and gets {acc:.1%} right on "
    "{n_test} test pictures it never saw."
)
MODEL_UNTRAINED = (
    "The network is **not trained**: its weights are still the random starting ones, so its "
    "answers are guesses. Choose “train it first” in the sidebar to see a trained one."
)

# 1. The picture
PICTURE_HEADER = "1. Your picture"
INPUT_REFUSED = "This picture cannot go through the network:"
SUMMARY = (
    "The network says **{predicted}** with probability {p:.1%}. The true label is "
    "**{label}**: {verdict} The loss is **{loss:.4f}**."
)
PREDICTION = "The network says **{predicted}** with probability {p:.1%}."
ASK_LABEL = (
    "What does your picture show? Choose its **True label** above: then the page says whether "
    "the network is right, and works out the loss."
)
RIGHT = "the answer is right."
WRONG = "the answer is wrong."
REPLAY_AGREES = (
    "Every stage below was also recomputed step by step in plain numpy; numpy and PyTorch agree "
    "to within {diff:.1e} everywhere (the tiny difference is rounding)."
)

# 2. Overview
OVERVIEW_HEADER = "2. The whole network at a glance"
SCALE = "Colours of the feature maps"
SCALE_OPTIONS = {
    "local": "each map its own range",
    "layer": "one range per stage",
    "network": "one range for the whole network",
}
SCALE_HELP = (
    "With its own range every map uses all its colours, so weak patterns show. With a shared "
    "range the same colour means the same number in every map, so you can compare how strong "
    "they are."
)
OVERVIEW_SOME = "first {shown} of {total}"
OVERVIEW_CAPTION = (
    "Each column is one stage, from the picture on the left to the probabilities on the right. "
    "Feature maps are small squares; a list of numbers (from flatten on) is a tall strip. Point "
    "at a cell to read its value."
)

# 3. One stage at a time
STEP_HEADER = "3. One stage at a time"
PREV = "◀ Previous"
NEXT = "Next ▶"
STAGE = "Stage"
STEP_OPTION = "{n}. {name}: {kind} ({shape})"
STEP_OPTION_LOSS = "{n}. {name}: {kind}"
KIND_NAMES = {
    "input": "the picture",
    "conv": "convolution",
    "activation": "activation",
    "pool": "pooling",
    "flatten": "flatten",
    "dense": "dense layer",
    "logits": "class scores (logits)",
    "probs": "probabilities",
    "loss": "loss for the label",
}
SHAPE_LINE = "Output shape {shape}; {params} parameters (weights and biases) in this stage."
MAP_NAME = "{stage} · channel {channel}"
SHOWING_MAPS = "Showing the first {shown} of {total} maps."
ROW = "Row"
COL = "Column"
CLICK_TO_PICK = "Click a cell of this map to pick it."
TORCH_AGREES = (
    "PyTorch computed {value} here; the step-by-step numpy arithmetic differs from it by "
    "{diff:.1e}."
)

# The picture as numbers
INPUT_CHANNEL = "input · {colour}"
CHANNEL_COLOURS = {1: ("gray",), 3: ("red", "green", "blue")}
INPUT_NUMBERS = (
    "The network receives {count} numbers, from {lo:.3f} to {hi:.3f}: one per pixel and colour "
    "channel, 0 for black and 1 for full brightness."
)

# Convolution
CONV_FILTER = "Filter"
CONV_FILTER_HELP = (
    "Each filter has its own kernel and makes its own output map (output channel): pick which "
    "one to follow."
)
PLAY = "▶ Play this row"
PLAY_HELP = (
    "Slides the kernel one step at a time along the chosen row, from the first column, and "
    "writes the output map as it goes; the numbers below then show where it stopped. Press any "
    "other control to stop."
)
CONV_INPUT_HEADER = "**What this stage receives ({name})**, the kernel's window in red"
CONV_OUTPUT_HEADER = "**Output map {f} of {name}**: the red square is where the result lands"
PADDING_NOTE = (
    "The dotted frame is the real picture. The ring of zeros around it ({padding} wide) is the "
    "padding: it lets the kernel sit on the border too."
)
CONV_ARITHMETIC_HEADER = "**The arithmetic at this position**"
CONV_ARITHMETIC_CAPTION = (
    "For each input channel: the numbers under the kernel, times the kernel's weights cell by "
    "cell, give the products. Blue is positive, red is negative."
)
# Said once on this page, beside the kernel's arithmetic.
CONV_NO_FLIP = (
    "The kernel is laid on the picture as it is, not flipped first. Strictly this is called "
    "cross-correlation (a true convolution flips the kernel); PyTorch and every other "
    "deep-learning library compute it this way and call it convolution."
)
ARITHMETIC_WORDS = ("input under the kernel", "kernel weights", "products")
ARITHMETIC_SUM = "sum {total}"
CHANNEL = "channel {c}"
CONV_SUM_ONE = "Add up all {count} products: **{total}**."
CONV_SUM_MANY = "Add up all {count} products, channel by channel: {terms} = **{total}**."
CONV_SUM_REST = (
    "Add up all {count} products over the {n_in} input channels: {terms}, and the other "
    "{rest_n} channels add {rest}; in all **{total}**."
)
CONV_RESULT = (
    "Sum {total} + bias {bias} = **{result}**. This number is written at row {i}, column {j} "
    "of map {f} of {name}."
)
CONV_ACTIVATED = (
    "Then the activation: {kind}({result}) = **{value}**, the number at the same place in {name}."
)
PLAY_LINE = "Row {i}, column {j}: sum of products {total} + bias {bias} = **{result}**"
PLAY_DONE = (
    "The kernel slid along row {i} ({frames} positions) and stopped at column {j}: the "
    "numbers below are worked out there. Every position of every row is computed the same way."
)

# Activation
RELU_COUNT = (
    "ReLU keeps positive numbers and turns negative ones into 0: here {zeroed} of the {total} "
    "numbers were negative and became 0."
)
SQUEEZE = {
    "tanh": (
        "tanh squeezes every number into the range −1 to 1: big positive numbers end close to "
        "1, big negative ones close to −1, and 0 stays 0."
    ),
    "sigmoid": (
        "Sigmoid squeezes every number into the range 0 to 1: big positive numbers end close "
        "to 1, big negative ones close to 0, and 0 becomes 0.5."
    ),
}
ACT_EXAMPLES = (
    "For example, the smallest number, {low} ({low_at}), becomes {kind}({low}) = "
    "**{low_after}**; the largest, {high} ({high_at}), becomes **{high_after}**."
)
AT_CELL = "channel {c}, row {r}, column {col}"
AT_NEURON = "neuron {m}"
BEFORE = "before: {name}"
AFTER = "after: {name}"
CURVE_CAPTION = (
    "Each dot is one number of this stage: its value before the activation (across) and after "
    "it (up). Together the dots draw the activation's shape."
)

# Pooling
POOL_CHANNEL = "Channel"
POOL_INPUT_HEADER = "**{name}, channel {c}**: the window in red, its winner marked"
POOL_WINDOW_HEADER = "**The {size}×{size} window**"
POOL_WINDOW_NAME = "window"
POOL_OUTPUT_HEADER = "**{name}, channel {c}**: where the result lands"
POOL_MAX = (
    "The largest of {values} is **{result}** (row {r}, column {col} of the input). It is "
    "written at row {i}, column {j} of channel {c} of {name}."
)
POOL_AVG = (
    "The average: ({terms}) ÷ {n} = {sum} ÷ {n} = **{result}**. It is written at row {i}, "
    "column {j} of channel {c} of {name}."
)
POOL_SHRINK = (
    "Each {h_in}×{w_in} map became {h}×{w}: pooling keeps what was found, and roughly where, "
    "with fewer numbers."
)

# Flatten and the travelling label
FLAT_FROM = "Start from"
FLAT_FROM_OPTIONS = {"cell": "a cell of the maps", "index": "a place in the flat list"}
FLAT_CHANNEL = "Channel"
FLAT_INDEX = "Place in the list"
FLAT_INDEX_HELP = "Places are numbered from 0."
FLAT_FORWARD = (
    "**From the maps to the list.** The maps of {name} are laid out channel after channel, each "
    "one row after row.\n\nThe cell at channel {c}, row {r}, column {col} goes to place "
    "k = channel × ({h}×{w}) + row × {w} + column = {c} × {hw} + {r} × {w} + {col} = **{k}**."
)
FLAT_BACKWARD = (
    "**And back.** {k} ÷ {hw} = {c} remainder {rest}, so the channel is {c}; then "
    "{rest} ÷ {w} = {r} remainder {col}, so the row is {r} and the column is {col}."
)
FLAT_VALUE = (
    "The number itself does not change on the way: {before} at channel {c}, row {r}, column "
    "{col} is {v1}, and place {k} of the list is {v2}."
)
FLAT_MAPS_HEADER = "**The maps of {name}**: the chosen cell in red"
FLAT_LIST_HEADER = "**The list made by {name}**: {n} numbers, the chosen place in orange"
FLAT_CLICK = "Click a cell of the maps or a bar of the list to pick it."
ONEHOT_TITLE = "label"
ONEHOT_WAITING = "label: not chosen yet"
LABEL_TRAVELS = (
    "The label **{label}** travels beside the numbers as its one-hot code ({code}): a 1 for the "
    "true class and 0 for every other. The network does not use it on the way: it would give "
    "the answer away. It meets the network's answer only at the loss."
)
# Under the flat list at the flatten stage.
FLAT_OTHER_INPUTS = (
    "Other numbers known about a picture (say, where it was taken) could join this list here, "
    "for the dense layers to use along with what the kernels found."
)
LABEL_WAITS = (
    "The label would travel beside these numbers as its one-hot code (a 1 for the true class "
    "and 0 for every other), to meet the network's answer at the loss. Your picture has no label "
    "yet: choose what it shows under **True label** in section 1, “Your picture”."
)

# Dense layers
NEURON = "Neuron"
CLASS_SCORE = "Class"
NEURON_HELP = "Pick one output of this layer to see its sum worked out."
SIGMOID_LOGIT_NAME = "score for {second}"
WHAT_CLASS = "the score of class {label}"
WHAT_NEURON = "neuron {m}"
WHAT_SIGMOID = "the one score"
DENSE_OUTPUTS_HEADER = (
    "**The {n} outputs of {name}**: the chosen one in orange (click a bar to pick another)"
)
DENSE_TERMS_HEADER = (
    "**How {neuron} is computed**: each of the {n_in} inputs times its own weight. The {top} "
    "largest products by size, positive or negative:"
)
TERM_COLUMNS = (
    "input (where it comes from)",
    "input value",
    "weight",
    "input × weight",
    "running sum",
)
FROM_CELL = "number {k} of the list ({stage} channel {c}, row {r}, col {col})"
FROM_NEURON = "neuron {k} of {stage}"
DENSE_SUM = (
    "Sum of all {n_in} products: **{total}** (the {top} above add up to {top_sum}; the other "
    "{rest_n} add up to {rest})."
)
DENSE_RESULT = "Sum {total} + bias {bias} = **{result}**: {neuron} in {name}."
DENSE_ACTIVATED = "Then the activation: {kind}({result}) = **{value}**, passed on by {name}."
LOGITS_NEXT = {
    "softmax": (
        "These scores are not probabilities yet: the next stage, softmax, turns them into "
        "probabilities."
    ),
    "sigmoid": ("This score is not a probability yet: the next stage, sigmoid, turns it into one."),
}

# Softmax or sigmoid
SIGMOID_FORMULA = (
    "Sigmoid of the score z = {z}: p({second}) = 1 ÷ (1 + e^(−z)) = 1 ÷ (1 + e^({minus_z})) "
    "= 1 ÷ (1 + {e}) = **{p}**."
)
SIGMOID_OTHER = "The other class gets what is left: p({first}) = 1 − {p} = **{q}**."
SOFTMAX_SHIFT = (
    "Softmax, step by step. First subtract the largest score ({m}, for {top}) from every "
    "score: the probabilities stay the same, and e raised to a score cannot overflow."
)
SOFTMAX_COLUMNS = ("class", "score z", "z − largest", "e^(z − largest)", "probability")
SOFTMAX_SUM = "Add up the exponentials: {terms} = **{total}**."
SOFTMAX_ONE = (
    "Then divide each one by that sum. For **{label}**: e^({shifted}) ÷ {total} = {e} ÷ {total} "
    "= **{p}**."
)
SOFTMAX_AGREES = "PyTorch's softmax gives the same probabilities to within {diff:.1e}."
PREDICTED = "The network's answer is the class with the highest probability: **{label}** ({p:.1%})."

# Loss
CE_FORMULA = (
    "Cross-entropy loss: loss = −(y₀·log p₀ + y₁·log p₁ + …), where y is the one-hot label and "
    "p the probabilities. Every y is 0 except the true class's, so one term is left: "
    "loss = −log p(true class). Here log is the natural logarithm (base e)."
)
CE_FILLED = "True label **{label}**: loss = −log({p}) = **{loss}**."
BCE_FORMULA = (
    "Binary cross-entropy: loss = −[y·log p + (1 − y)·log(1 − p)], where p is the probability "
    "of the second class and y the label (1 for the second class, 0 for the first). Here log "
    "is the natural logarithm (base e)."
)
BCE_FILLED = "Here y = {y} and p = {p}: loss = −[{y}·log({p}) + {ny}·log({q})] = **{loss}**."
LOSS_WAITS = (
    "The loss waits for the label. It measures how far the network's answer is from the true "
    "one, and only you know what your picture shows: choose its **True label** in section 1, "
    "“Your picture”. Until then, here is the network's answer: **{predicted}** ({p:.1%})."
)
LOSS_CHECK = (
    "PyTorch's loss function gives {torch}; the numpy formula gives {numpy} (a difference of "
    "{diff:.1e})."
)
LOSS_RIGHT = (
    "The network gives the true class, {label}, the highest probability, {p}, so its answer is "
    "right. The loss is {loss}."
)
LOSS_WRONG = (
    "The network says {predicted} but the label is {label}, which got probability {p}, so the "
    "answer is wrong. The loss is {loss}."
)
# Under LOSS_RIGHT or LOSS_WRONG: what the number means, whichever the answer.
LOSS_SCALE = (
    "What the loss means: 0 if the true class got probability 1, and the less probability it "
    "gets, the larger the loss. Giving all {k} classes the same probability would cost {chance}."
)
LOSS_NEXT = (
    "Training nudges every weight and every kernel so that this loss gets smaller; the "
    "backprop page shows one such step."
)

# 4. What the network looked at
LOOKED_HEADER = "4. What the network looked at"
LOOKED_INTRO = (
    "Which pixels mattered for the answer **{label}**? Two ways to see it, both computed from "
    "the network's gradients."
)
LOOKED_TITLES = ("your picture", "saliency", "Grad-CAM over the picture")
SALIENCY_EXPLAIN = (
    "**Saliency**: for each pixel, how much the score of the answer would change if that pixel "
    "changed a little (the size of the gradient). Bright pixels matter most."
)
GRADCAM_EXPLAIN = (
    "**Grad-CAM**: the maps of {layer}, each weighted by how much it raises the answer's score, "
    "added up, with negative parts set to 0, and stretched to the picture's size. Red areas "
    "pushed the answer most."
)
LOOKED_CHECK = (
    "The same gradients were also worked out by hand with numpy; they agree with PyTorch's to "
    "within {diff:.1e}."
)

# 5. What one cell sees (receptive fields)
RECEPTIVE_HEADER = "5. How much of the picture one cell sees"
RECEPTIVE_INTRO = (
    "Each number of a feature map is worked out from only a part of your picture: its "
    "**receptive field**. Choose a stage and a cell to see which pixels can change it."
)
RECEPTIVE_STAGE = "Stage of the cell"
RECEPTIVE_STAGE_MORE = (
    "Only stages made of maps are listed: after flatten, every number can be changed by every "
    "pixel the last map sees."
)
RECEPTIVE_CHANNEL = "Map shown"
RECEPTIVE_ROW = "Row of the cell"
RECEPTIVE_COL = "Column of the cell"
RECEPTIVE_CHANNEL_HELP = (
    "Every map of a stage has the same receptive field: the map you choose only changes the "
    "values drawn on the right."
)
RECEPTIVE_PICTURE_HEADER = "The pixels of **your picture** that can change the cell"
RECEPTIVE_MAP_HEADER = "**{stage}**, map {c}, with the chosen cell"
RECEPTIVE_CELL = (
    "Cell (row {row}, column {col}) of **{stage}** can be changed by rows {top} to {bottom} and "
    "columns {left} to {right} of your picture: **{height}×{width}** pixels, outlined on the "
    "left. Every other pixel could change and this number would stay the same."
)
RECEPTIVE_EDGE = (
    "Cells of **{stage}** see up to {height}×{width} pixels. This one sees less: part of its "
    "window falls on padding, and padding is made of zeros, not of pixels."
)
RECEPTIVE_EMPTY = (
    "Cell (row {row}, column {col}) of **{stage}** sees no pixel at all: every tap of its "
    "kernel falls on padding, so its value is the bias alone, whatever the picture."
)
RECEPTIVE_GROWTH_HEADER = "**Why blocks repeat**"
RECEPTIVE_FIRST = (
    "A cell of **{stage}** sees {height}×{width} pixels: room for an edge or a spot, not for a "
    "shape."
)
RECEPTIVE_AFTER_POOL = (
    "After pooling and another convolution, a cell of **{stage}** sees {height}×{width}."
)
RECEPTIVE_AFTER_CONV = "After another convolution, a cell of **{stage}** sees {height}×{width}."
RECEPTIVE_LAST = (
    "The last map, **{stage}**, sees {height}×{width} of the {size}×{size} picture. Each block "
    "widens what the next kernel looks at: edges first, then parts made of edges, then shapes "
    "made of parts."
)
RECEPTIVE_ONE_BLOCK = (
    "With one block, no kernel looks at what another kernel found: add a block to see the "
    "fields grow."
)
RECEPTIVE_TABLE_COLUMNS = ("Stage", "Map size", "A cell sees (pixels)")
RECEPTIVE_TABLE_CAPTION = (
    "The largest receptive field of each stage of the network in use now; cells near the edge "
    "may see less."
)
# What the Simple level leaves out, said where it would be.
SIMPLE_CONV = (
    "Switch to **Every number** in the sidebar to see every product of the window and the "
    "kernel, and their sums."
)
SIMPLE_FLAT = (
    "Switch to **Every number** in the sidebar to see how the place in the list is worked out."
)
SIMPLE_DENSE = (
    "Switch to **Every number** in the sidebar to see the largest products in a table, with "
    "the running sum."
)
SIMPLE_SOFTMAX = (
    "Switch to **Every number** in the sidebar to see softmax worked out, exponential by "
    "exponential."
)
SIMPLE_SIGMOID = "Switch to **Every number** in the sidebar to see the sigmoid worked out."
SIMPLE_LOSS = "Switch to **Every number** in the sidebar to see the loss formula filled in."

# 6. What the network thinks each class looks like
CLASS_PICTURES_HEADER = "6. What the network thinks each class looks like"
CLASS_PICTURES_INTRO = (
    "Start from a plain grey picture and change its pixels, a little at a time, so that the "
    "score of one class rises as high as it can. The picture at the end is the one the network "
    "likes best for that class."
)
CLASS_PICTURES_SHOW = "Draw the picture the network likes best for each class"
CLASS_PICTURES_SHOW_HELP = (
    "Takes a few seconds the first time for each network; after that the pictures are kept."
)
CLASS_PICTURES_PROGRESS = "Drawing the pictures: step {done} of {total}"
CLASS_PICTURE_TITLE = "{name}"
CLASS_PICTURE_TITLE_SCORE = "{name}: {start} → {end}"
CLASS_PICTURES_HOVER = "row %{y}, col %{x}<br>value %{z:.3f}"  # a plotly template, not .format
CLASS_PICTURES_HOVER_RGB = "row %{y}, col %{x}<br>colour %{z}"
CLASS_PICTURES_VERDICT = (
    "The network itself reads {right} of these {total} pictures as the class they were drawn for."
)
CLASS_PICTURES_EXPLAIN = (
    "They seldom look like real pictures of the class. The network never learned what a whole "
    "picture looks like, only which strokes and spots tell the classes apart: the picture it "
    "likes best is full of those, in many places at once."
)
CLASS_PICTURES_NUMBERS = (
    "Each picture took {steps} steps of gradient ascent (Adam, step size {lr}) on its class's "
    "score: the logit, before {head}, minus {smoothness} × the sum of squared differences "
    "between neighbouring pixels, which keeps the picture from turning into noise. Pixels stay "
    "between {low} and {high}, like the data's."
)
CLASS_PICTURES_SCORES = (
    "Above each picture: the class's score at the plain grey picture → at the picture drawn."
)
