"""Words on the backpropagation page: one training step, taken by the learner, every number shown.

Placeholders in braces are filled by the page; formulas in LaTeX (the *_TEX strings) keep their
symbols when translated, only the words inside \\text{...} change.
"""

TITLE = "Backpropagation, one step at a time"
INTRO = (
    "A network learns by changing its weights a little, over and over, so that the loss gets "
    "smaller. Backpropagation works out, for every single weight, which way to change it: it "
    "starts from the loss and carries a gradient backwards through every stage by the chain "
    "rule.\n\nHere you take those steps yourself, on your own network, and see every number."
)
STORY = (
    "In a CNN this is more than in a plain network: the step changes the **kernels** as well as "
    "the **dense weights**. The gradient goes back through the dense layers, through "
    "**flatten** (reshaped into maps again), through **pooling**, through the **activation**, "
    "and through each **convolution**, layer after layer.\n\nThen an **optimizer** (SGD, SGD "
    "with momentum, or Adam) uses it to change every weight: far enough to improve, but not so "
    "far that it overshoots."
)
MODEL_TRAINED = (
    "Starting from the shared network trained on **{dataset}**. You step your own copy: "
    "nobody else's network changes, and the shared one stays as it is."
)
MODEL_UNTRAINED = (
    "Starting from the untrained network (random weights). You step your own copy: nobody "
    "else's network changes."
)
RESTARTED = (
    "You changed the network or the data set in the sidebar, so your steps start over from the "
    "new network."
)

# --- what the network learns from
DATA_HEADER = "What the network learns from"
SOURCE = "Learn from"
SOURCES = {
    "picture": "this picture",
    "batch": "a batch of pictures from the training set",
}
BATCH_SIZE = "Pictures in the batch (N)"
BATCH_SIZE_HELP = (
    "The step averages the loss over these N pictures, so each gradient is the average of N "
    "pictures' gradients."
)
BATCH_SEED = "Which batch (a seed)"
BATCH_SEED_HELP = "The same number always picks the same pictures. Change it for another batch."
BATCH_CAPTION = "{n} pictures drawn from the {total} training pictures, with their labels:"

# --- the optimizer
OPTIMIZER_HEADER = "The optimizer"
OPTIMIZER = "Optimizer"
OPTIMIZER_NAMES = {
    "sgd": "SGD",
    "momentum": "SGD with momentum",
    "adam": "Adam",
}
# Said where the optimizer is chosen: what no optimizer can promise.
OPTIMIZER_STALL = (
    "No optimizer is sure to find the best weights. In networks of this size, training mostly "
    "slows down on flat stretches and saddles (downhill one way, uphill another), seldom in a "
    "true dip; momentum and Adam help to cross them."
)
OPTIMIZER_HELP = {
    "sgd": (
        "Plain stochastic gradient descent: every weight moves against its gradient, by the "
        "learning rate times the gradient."
    ),
    "momentum": (
        "SGD with momentum {momentum:g}: each step also keeps {momentum:g} of the previous "
        "step's direction, like a ball rolling downhill that builds up speed."
    ),
    "adam": (
        "Adam keeps a running average of each weight's gradient (m, decay {beta1:g}) and of its "
        "square (v, decay {beta2:g}). It moves each weight against m, divided by the square root "
        "of v: a step of at most about the learning rate, whatever the size of the gradient."
    ),
}
LR = "Learning rate (how big a step)"
# Follows the glossary's "learning rate" in the slider's hover help.
LR_HELP = (
    "Momentum also adds part of the earlier steps, and Adam moves each weight by at most about "
    "the learning rate, whatever its gradient.\n\nA step that makes the loss explode is kept, so "
    "that you can see it, and stops a run; one that makes it infinite is refused."
)
SWITCHED = (
    "Your last steps used {previous}. {current} starts with an empty memory (no running "
    "averages yet); your weights and your steps so far are kept."
)

# --- stepping
STEP_HEADER = "Take a step"
STEP = "Step"
STEP_HELP = "One update of every weight, from one forward and one backward pass."
RUN = "Run N steps"
RUN_HELP = "N steps one after another on the same pictures; every one is kept in the history."
RUN_N = "N (steps to run)"
UNDO = "Undo"
UNDO_HELP = "Back to the exact weights and optimizer memory before the last step."
RESET = "Reset"
RESET_HELP = "Back to the weights you started from; forgets every step."
RUNNING = "Step {done} of {total}"
STATUS = "Steps taken: **{steps}**. Undo can take back {undo} of them."
STATUS_NONE = "No steps taken yet: the network has the weights it started with."
DROPPED = (
    "To save memory, undo keeps only the last {kept} steps ({mb:.1f} MB of weights). The "
    "{dropped} steps before them can no longer be undone; their losses stay on the curve."
)
CURVE_DROPPED = (
    "To save memory, the loss curve keeps the last {kept:,} steps; the {dropped:,} before them "
    "are no longer drawn."
)
UNDONE = (
    "Step {number} undone: every weight and the optimizer's memory are back to what they were "
    "before it."
)
RESET_DONE = "Back to the starting weights. Every step is forgotten."
# A step the history refused, by the kind backprop.step_outcome gives it ("nan", "inf" or
# "weights"); DIVERGED puts that in {what}, with the learning rate {lr}.
DIVERGED_WHAT = {
    "nan": "The loss became undefined (not a number)",
    "inf": "The loss became infinite",
    "weights": "Some weights became infinite or undefined",
}
DIVERGED = (
    "{what}: the learning rate {lr:g} is so large that the step overshot, and the weights grew "
    "past the largest numbers the computer can hold. The model went back to its last good "
    "weights; try a smaller learning rate."
)
DIVERGED_DETAIL = "Step {number} would have taken the loss from {before} to {after}."
RUN_STOPPED = "The run stopped after {done} of {total} steps."
RUN_STOPPED_EXPLODED = (
    "The run stopped after {done} of {total} steps: the last one made the loss explode (see below)."
)
UNDO_EXPLODED = "Undo this step"
SETTINGS_REFUSED = "These optimizer settings cannot be used:"
STEP_REFUSED = "The step could not be taken, and the weights stay as they were:"

# --- the loss
LOSS_HEADER = "The loss"
LOSS_BEFORE = "Loss before step {number}"
LOSS_AFTER = "Loss after step {number}"
LOSS_ON = "On the step's {n} picture(s), with {optimizer} at learning rate {lr:g}."
CURVE_CAPTION = (
    "The loss on each step's pictures, before and after that step. When the values span a "
    "thousandfold the scale becomes logarithmic, so that both small and huge losses show."
)
CURVE_NAMES = ("before the step", "after the step")
CURVE_X = "step"
CURVE_Y = "loss"
# What the last step did, chosen by backprop.step_outcome; placeholders: {before}, {after} (the
# loss), {change} (the largest change of any weight), {lr}, and for "exploded" {bound}, the loss
# above which a step that more than doubles it counts as exploding: {multiple} times {chance}.
OUTCOME = {
    "fell": "The loss went down: the step went downhill.",
    "rose": (
        "The loss went up, from {before} to {after}. The gradient only says which way is "
        "downhill where the weights are now; a step too long jumps across the valley and lands "
        "higher up the other side. Undo, and try a smaller learning rate."
    ),
    "exploded": (
        "The loss exploded, from {before} to {after} in one step: the step overshot so far "
        "that the loss is now above {bound:.3g}, {multiple:g} times the loss of a network that "
        "only guesses ({chance:.3g}).\n\nFrom weights thrown this far, training seldom finds its "
        "way back (ReLUs can switch off for good, and then every gradient is 0). The step is kept "
        "so that you can see what it did; undo it, and try a learning rate smaller than {lr:g}."
    ),
    "sure": (
        "The network is already sure of the right answer here, so the loss is almost 0, every "
        "gradient is tiny and the step changed almost nothing: no weight moved by more than "
        "{change}. Choose another true label, another picture, or the untrained network in the "
        "sidebar to watch it learn."
    ),
    "tiny": (
        "The step changed almost nothing: no weight moved by more than {change}, a tiny part of "
        "its size, and the loss stayed at about {after}. The gradients times the learning rate "
        "{lr:g} are too small here: try a larger learning rate."
    ),
    "steady": (
        "The loss stayed at {after}, although a weight moved by as much as {change}: the "
        "network's answers on these pictures did not change."
    ),
}
# After OUTCOME["rose"] when the optimizer remembers earlier steps (momentum, Adam).
ROSE_REMEMBERED = (
    "{optimizer} also follows the direction of earlier steps, which may no longer point "
    "downhill here: that too can make the loss rise, even with a small learning rate."
)
NO_STEP = (
    "Press **Step**: the page then shows the gradient at every stage, going backwards from the "
    "loss to the first kernels, and how every kernel changed."
)
AFTER_UNDO = "Press **Step** to see the gradients of a new step from these weights."

# --- going backwards
BACKWARD_HEADER = "Going backwards, stage by stage"
BACKWARD_INTRO = (
    "The gradient of the loss with respect to a number says how much the loss would change if "
    "that number grew a little. It starts at the loss (a gradient of 1) and travels back stage "
    "by stage: each stage multiplies it by its own local slope (the chain rule)."
    "\n\nWhere one number fed several outputs, its gradient is the sum of what comes back from "
    "all of them. In dense and convolution stages every number feeds many outputs: in a "
    "convolution, every window that covered it. This sum is what makes a CNN's backward pass "
    "hard work.\n\nRed is negative, blue positive, white zero; point at any cell or bar to read "
    "its exact value."
)
EXAMPLE = "Picture of the batch to look at"
EXAMPLE_HELP = (
    "The maps below belong to one picture. The gradients of the weights add up over all the "
    "pictures of the batch."
)
EXAMPLE_LABEL = "Showing picture {n} of the batch, true label **{label}**."
CHECKED = (
    "Every gradient here is computed stage by stage in plain numpy and checked against PyTorch's "
    "own (autograd): in every layer they agree to {grad_digits} significant digits, measured "
    "against that layer's largest gradient. The change the optimizer makes agrees with "
    "torch.optim's to {update_digits} digits."
)

LOSS_STAGE = "The loss → the logits"
STAGE_PICK = "Stage of the backward pass"
STAGE_PICK_HELP = (
    "One stage at a time, in the order the gradient travels: from the loss back to the first "
    "convolution. The stage you look at stays chosen while you step."
)
STAGE_PREV = "◀ Previous"
STAGE_NEXT = "Next ▶"
SOFTMAX_GRADIENT = (
    "With softmax and cross-entropy the gradient at each logit is simply the probability minus "
    "the true answer (1 for the true class, 0 for the others), divided by N, the number of "
    "pictures.\n\nClasses the network believes in too much get a positive gradient (their score "
    "will go down); the true class gets a negative one (its score will go up)."
)
SOFTMAX_TEX = r"\frac{\partial L}{\partial z_k} = \frac{p_k - y_k}{N}"
SOFTMAX_TRUE_TEX = (
    r"\frac{{\partial L}}{{\partial z_{{{k}}}}} = \frac{{{p} - 1}}{{{n}}} = {grad}"
    r"\quad\text{{(true class {label})}}"
)
SIGMOID_GRADIENT = (
    "With a sigmoid output and binary cross-entropy the gradient at the one logit is the "
    "probability of the second class minus the true answer (1 or 0), divided by N."
)
SIGMOID_TEX = (
    r"\frac{{\partial L}}{{\partial z}} = \frac{{\sigma(z) - y}}{{N}} = "
    r"\frac{{{p} - {y}}}{{{n}}} = {grad}"
)
PROBS_TITLE = "The network's probabilities and the true answer"
PROBS_SERIES = ("probability p", "true answer y (one-hot)")
LOGIT_GRADIENT_TITLE = "Gradient at each logit"

STAGE_TITLE = "{name}: {what}"
STAGE_WHAT = {
    "logits": "the output layer",
    "dense": "a dense layer",
    "activation": "the activation ({activation})",
    "flatten": "flatten",
    "pool": "{pool}, {size}×{size}",
    "conv": "a convolution",
}
DENSE_EXPLAIN = (
    "A dense layer computes out = W · in + b. So the gradient of weight W[m, d] is the "
    "gradient arriving at output m times the input d it multiplied, added over the pictures."
    "\n\nThe gradient of bias b[m] is just the gradient arriving at output m; and the gradient "
    "passed back to input d adds up every weight that used it, times its output's gradient."
)
DENSE_TEX = (
    r"\begin{aligned} "
    r"\frac{\partial L}{\partial W_{md}} &= \sum_n \delta_{n,m}\, x_{n,d} \\ "
    r"\frac{\partial L}{\partial b_m} &= \sum_n \delta_{n,m} \\ "
    r"\frac{\partial L}{\partial x_{n,d}} &= \sum_m W_{md}\, \delta_{n,m} "
    r"\end{aligned}"
)
DENSE_W_TITLE = "Gradient of the weights of {name} ({rows} outputs × {cols} inputs)"
DENSE_B_TITLE = "Gradient of the biases of {name}"
ARRIVING_TITLE = "Arriving gradient"
LOCAL_ACTIVATION_TITLE = "Local slope of {activation}"
LEAVING_TITLE = "Gradient passed back"
ACTIVATION_EXPLAIN = {
    "relu": (
        "ReLU let positive numbers through and turned negative ones into 0. Going back, it "
        "does the same with the gradient: where its input was positive the gradient passes "
        "unchanged (slope 1), elsewhere it is stopped (slope 0). This on/off pattern is the "
        "mask in the middle."
    ),
    "tanh": (
        "tanh squeezed every number into −1..1. Going back, the gradient is multiplied by its "
        "slope 1 − tanh², which is 1 near zero and almost 0 where tanh was saturated (flat, "
        "close to −1 or 1)."
    ),
    "sigmoid": (
        "sigmoid squeezed every number into 0..1. Going back, the gradient is multiplied by "
        "its slope σ(1 − σ), at most 0.25, and almost 0 where sigmoid was saturated (flat, "
        "close to 0 or 1)."
    ),
}
FLATTEN_EXPLAIN = (
    "Flatten only laid the maps out as one list (channel, then row, then column), so going "
    "back it does nothing to the numbers: it puts each one back in its place in the maps."
)
FLATTEN_VECTOR_TITLE = "Arriving gradient, as a list of {size} numbers"
FLATTEN_MAPS_TITLE = "The same numbers as {channels} maps of {rows}×{cols}"
POOL_EXPLAIN = {
    "max": (
        "Max pooling kept only the largest number of each window. Only that winner affected "
        "the loss, so each window's gradient goes back to its winner, and every other position "
        "gets 0. The middle picture marks the winners (1) that receive the gradient."
    ),
    "avg": (
        "Average pooling took the mean of each window of {area} numbers, so each of them "
        "counted 1/{area}. Going back, each window's gradient is shared out evenly: every "
        "position gets 1/{area} of it."
    ),
}
LOCAL_POOL_TITLE = "Share of the gradient each position receives"
CONV_EXPLAIN = (
    "A convolution slid each kernel over its input. A kernel weight was used at every "
    "position, so its gradient adds up, over those positions, the input value it multiplied "
    "times the gradient arriving at that output. The bias's gradient is the sum of all the "
    "arriving gradients.\n\nBelow: the gradient of every weight of every kernel (a section "
    "further down writes one out in full), then the gradient passed back to the input."
)
CONV_W_TITLE = "Gradient of the kernels of {name}: {filters} kernels of {channels}×{kh}×{kw}"
CONV_B_TITLE = "Gradient of the biases of {name}"
# The gradient a convolution passes back to its input, one input number written out.
CONV_DX_HEADER = "**The gradient passed back to the input of {name}**"
CONV_DX_EXPLAIN = (
    "Each input number was read by many kernel weights: by every kernel, at every position "
    "whose window covered it. So its gradient adds up, over all those readings, the weight "
    "times the gradient arriving at the output it went into."
)
CONV_DX_FULL = (
    "For every input number at once this is again a convolution, called “full”: the arriving "
    "gradients, with a border of zeros, slide under each kernel turned upside down and left to "
    "right (flipped). Below, one input number's sum, written out."
)
CONV_DX_STRIDE = (
    "With stride {stride} the kernel skipped positions, so the arriving gradients also get "
    "zeros between them, one for each position skipped."
)
CONV_DX_TEX = (
    r"\frac{\partial L}{\partial x} = \sum_{\text{kernels}}\ \sum_{\text{weights that read } x}"
    r"(\text{weight}) \times (\text{arriving gradient there})"
)
CONV_DX_CHANNEL = "Input channel"
CONV_DX_ROW = "Input row"
CONV_DX_COL = "Input column"
CONV_DX_LARGEST = "Pick the input number with the largest gradient"
CONV_DX_KERNEL = "Kernel to draw"
CONV_DX_ARRIVING_TITLE = "Arriving gradient under kernel {f}, flipped"
CONV_DX_WEIGHTS_TITLE = "Kernel {f}, channel {c}, flipped"
CONV_DX_PRODUCTS_TITLE = "Their products"
CONV_DX_MAPS_CAPTION = (
    "Kernel {f} adds {part} to this gradient. The arriving gradient is 0 where a weight never "
    "read this input number (the kernel skipped it, or that output lies outside the map), and "
    "where the activation or the pooling after it let no gradient through."
)
CONV_DX_TOP = "The {k} largest terms by size, positive or negative (of {count}):"
CONV_DX_COLUMNS = {
    "f": "kernel",
    "row": "kernel row",
    "col": "kernel col",
    "i": "output row",
    "j": "output col",
    "weight": "weight",
    "upstream": "arriving gradient",
    "product": "product (term)",
}
# The sum one term a line, then its total; {more} is CONV_DX_MORE when terms are left out.
CONV_DX_SUM_TEX = (
    r"\begin{{aligned}} \frac{{\partial L}}{{\partial x_{{{c},{r},{s}}}}} &= {terms}{more} \\ "
    r"&= {total} \end{{aligned}}"
)
CONV_DX_MORE = r" + \dots"
CONV_DX_NONE_TEX = r"\frac{{\partial L}}{{\partial x_{{{c},{r},{s}}}}} = 0"
CONV_DX_UNREAD = (
    "No kernel position read this input number (the stride skipped it), so its gradient is 0."
)
CONV_DX_CHECK = (
    "All {count} terms add up to {total}: the gradient the backward pass gives this input "
    "number, {dx}, worked out again one term at a time."
)
INPUT_GRADIENT_TITLE = "Gradient at the picture itself"
INPUT_GRADIENT = (
    "The gradient reaches the picture. Pictures are not learned, so it stops here; it still "
    "shows which pixels would change the loss most."
)

# --- one kernel weight
WEIGHT_HEADER = "One kernel weight, number by number"
WEIGHT_INTRO = (
    "Pick one weight of one kernel. Its gradient is a sum with one term for every position the "
    "kernel visited: the input value this weight multiplied there, times the gradient arriving "
    "at that output."
)
WEIGHT_LAYER = "Convolution"
WEIGHT_FILTER = "Kernel (filter)"
WEIGHT_CHANNEL = "Input channel"
WEIGHT_ROW = "Row in the kernel"
WEIGHT_COL = "Column in the kernel"
WEIGHT_LARGEST = "Pick the weight with the largest gradient"
WEIGHT_SUM_TEX = (
    r"\frac{\partial L}{\partial w} = \sum_{\text{positions}} "
    r"(\text{input value}) \times (\text{arriving gradient})"
)
WEIGHT_INPUTS_TITLE = "Input value under w at each position"
WEIGHT_UPSTREAM_TITLE = "Arriving gradient at each position"
WEIGHT_PRODUCTS_TITLE = "Their product: one term each"
WEIGHT_MAPS_CAPTION = (
    "For picture {n} of the batch, one cell per position of the kernel on its input (output "
    "row and column). Positions in the padding read 0."
)
TERMS_COLUMNS = {
    "n": "picture",
    "i": "output row",
    "j": "output col",
    "row": "input row",
    "col": "input col",
    "input": "input value",
    "upstream": "arriving gradient",
    "product": "product (term)",
}
PADDING = "padding"
TERMS_TOP = "The {k} largest terms by size, positive or negative (of {count}):"
# The sum is written one term a line (each a product of two numbers), then its total, so that
# it fits the page; TERMS_SUM_JOIN goes between two terms.
TERMS_SUM_TEX = (
    r"\begin{{aligned}} \frac{{\partial L}}{{\partial w}} &= {terms} + \dots \\ "
    r"&= {total} \end{{aligned}}"
)
TERMS_SUM_JOIN = r" \\ &\quad + "
TERMS_REST = (
    "These {k} terms add up to {top}; the other {rest} terms add up to {others}; {zero} "
    "of all the terms are exactly 0, where the activation or the pooling let no gradient "
    "through, or the input was 0. PyTorch's autograd gives this weight the gradient {torch}."
)
UPDATE_HEADER = "The optimizer's arithmetic for this weight"
# The optimizers' arithmetic is written as aligned lines, the formula first and then its
# numbers, so that it fits a page 1024 pixels wide even when the numbers need powers of ten.
SGD_TEX = (
    r"\begin{{aligned}} w_{{\text{{new}}}} &= w - \eta\, g = {w} - {lr} \times {g} \\ "
    r"&= {new} \end{{aligned}}"
)
MOMENTUM_TEX = (
    r"\begin{{aligned}} b_t &= \mu\, b_{{t-1}} + g = {mu} \times {b_prev} + {g} \\ "
    r"&= {b} \\[1ex] "
    r"w_{{\text{{new}}}} &= w - \eta\, b_t = {w} - {lr} \times {b} \\ "
    r"&= {new} \end{{aligned}}"
)
MOMENTUM_FIRST = "On its first step momentum has no previous direction yet, so b is just g."
MOMENTUM_FIRST_TEX = (
    r"\begin{{aligned}} b_1 &= g = {g} \\[1ex] "
    r"w_{{\text{{new}}}} &= w - \eta\, b_1 = {w} - {lr} \times {b} \\ "
    r"&= {new} \end{{aligned}}"
)
ADAM_TEX = (
    r"\begin{{aligned}} "
    r"m_t &= \beta_1 m_{{t-1}} + (1 - \beta_1)\, g \\ "
    r"&= {beta1} \times {m_prev} + {one_b1} \times {g} \\ "
    r"&= {m} \\[1ex] "
    r"v_t &= \beta_2 v_{{t-1}} + (1 - \beta_2)\, g^2 \\ "
    r"&= {beta2} \times {v_prev} + {one_b2} \times {g}^2 \\ "
    r"&= {v} \\[1ex] "
    r"\hat m &= \frac{{m_t}}{{1 - \beta_1^{{\,t}}}} = \frac{{{m}}}{{1 - {beta1}^{{{t}}}}} = "
    r"{m_hat} \\[1ex] "
    r"\hat v &= \frac{{v_t}}{{1 - \beta_2^{{\,t}}}} = \frac{{{v}}}{{1 - {beta2}^{{{t}}}}} = "
    r"{v_hat} \\[1ex] "
    r"\Delta w &= -\eta \frac{{\hat m}}{{\sqrt{{\hat v}} + \varepsilon}} \\ "
    r"&= -{lr} \times \frac{{{m_hat}}}{{\sqrt{{{v_hat}}} + {eps}}} \\ "
    r"&= {update} \\[1ex] "
    r"w_{{\text{{new}}}} &= w + \Delta w = {w} + {update_term} \\ "
    r"&= {new} "
    r"\end{{aligned}}"
)
# Above ADAM_TEX: what its lines do.
ADAM_WORDS = (
    "m and v start at 0, so in the first steps their averages are too small. Dividing them by "
    "1 − β₁ᵗ and 1 − β₂ᵗ (t is the step number, {t} here) makes up for that, less and less as t "
    "grows.\n\nε = {eps:g} only keeps the division safe where v is 0."
)
# Below ADAM_TEX, on Adam's first step and on the later ones.
ADAM_NOTE_FIRST = (
    "On the first step m̂ is the gradient itself and v̂ its square, so every weight moves by the "
    "learning rate, however small its gradient (unless it is as small as ε), and not at all if "
    "it is 0. Compare with the SGD step for the same weight."
)
ADAM_NOTE = (
    "Adam divides by the size of the recent gradients, so a step is at most about the learning "
    "rate: smaller where the gradient's sign keeps flipping, and 0 for a weight whose gradient "
    "has always been 0."
)
WEIGHT_BEFORE = "This weight before the step"
WEIGHT_AFTER = "This weight after the step"

# --- every kernel
KERNELS_HEADER = "Every kernel before and after the step"
KERNELS_INTRO = (
    "Each column of small squares is one kernel (one filter) of the convolution shown, with "
    "one square per input channel. Before and after share one colour scale; the change, "
    "much smaller, has its own so that it shows. Point at a cell to read the exact weight."
)
KERNELS_PICK = "Convolution"
KERNELS_LAYER = "{name}: {filters} kernels of {channels}×{kh}×{kw}"
KERNEL_PANELS = ("before", "after", "change")
LARGEST_CHANGE = "The largest change of any kernel weight in this step: {change}."

# --- hover labels
HOVER_MAP = ("channel", "row", "col", "value")
HOVER_KERNEL = ("filter", "channel", "row", "col", "value")
HOVER_POSITION = (None, "output row", "output col", "value")
HOVER_MATRIX = ("output", "input", "value")
HOVER_GRADIENT = "gradient"
HOVER_FLIPPED = (None, "row of the flipped kernel", "col", "value")

# --- why the step shown is computed in float64
WHY_FLOAT64 = (
    "Training itself computes with float32 numbers (about 7 significant digits), because that is "
    "twice as fast and takes half the memory, and such small rounding does not matter for "
    "learning.\n\nThe step shown here is computed again in float64 (about 16 digits), so that "
    "every digit you read is true, even where the network is so sure of a picture that float32 "
    "would lose them all."
)

# --- the learner's own picture, before its label is chosen
PICTURE_NEEDS_LABEL = (
    "What does your picture show? Choose its **True label** above. A step learns from the "
    "picture and its label, so Step and everything below wait for it."
)

# Every number adds each chart's symbol to its title (Simple keeps the words alone).
TITLE_SYMBOL = "{title}, {symbol}"
SYMBOLS = {
    "logits": "∂L/∂z",
    "dense_w": "∂L/∂W",
    "bias": "∂L/∂b",
    "arriving": "∂L/∂out",
    "leaving": "∂L/∂in",
    "kernels": "∂L/∂kernels",
}

# What the Simple level leaves out, said where it would be.
SIMPLE_BACKWARD = (
    "Switch to **Every number** in the sidebar to see each stage's gradient formula, one "
    "input's gradient written out term by term, and the check against PyTorch."
)
SIMPLE_WEIGHT = (
    "Switch to **Every number** in the sidebar to see one kernel weight's gradient as a sum "
    "of products, and the optimizer's update worked out."
)

# --- watch it learn: the kept steps on a timeline
TIMELINE_HEADER = "Watch it learn"
TIMELINE_INTRO = (
    "Every step you keep is remembered here. Switch on **Show the timeline**, then move the "
    "slider to go back to any of them and see the network as it was then: its kernels, what "
    "one kernel makes of your picture, and where the loss and the test accuracy stood."
    "\n\nPress **Play** to watch every kept step in turn, from the start to the last one."
)
TIMELINE_SHOW = "Show the timeline"
TIMELINE_SHOW_HELP = (
    "Draws the kernels, a feature map and the curves as they were at any kept step. Left off, "
    "each Step has fewer charts to draw and answers sooner."
)
TIMELINE_NONE = "Take a few steps: each one you keep appears here, so that you can go back to it."
TIMELINE_DROPPED = (
    "To save memory the timeline keeps the start and the last {kept} steps: the {dropped} "
    "steps before them are no longer on it."
)
TIMELINE_SLIDER = "Show the network after"
TIMELINE_START = "the start"
TIMELINE_STEP = "step {number}"
TIMELINE_PLAY = "Play"
TIMELINE_PLAY_HELP = "Show the kept steps one after the other, from the start to the last one."
TIMELINE_PLAYING = "Playing: {step}"
TIMELINE_LAYER = "Convolution"
TIMELINE_CHANNEL = "Feature map"
TIMELINE_LOSS = "Batch loss after {step}"
TIMELINE_NO_LOSS = "none: no step yet"
TIMELINE_TEST_LOSS = "Loss on the first {n} test pictures"
TIMELINE_ACCURACY = "Accuracy on the first {n} test pictures"
TIMELINE_NO_ACCURACY = "none: this data set has no test pictures"
TIMELINE_KERNELS = "The kernels of {layer} after {step}"
TIMELINE_MAP = "Feature map {channel} of {layer}"
TIMELINE_CAPTION = (
    "The feature map is computed for the first picture the steps learn from, with the weights "
    "of that step. The kernels keep one colour scale at every step, so a change of colour is a "
    "change of weight."
)
TIMELINE_CURVES_CAPTION = (
    "Left, two losses after each step: on the step's own batch, and on the same {n} test "
    "pictures every time, drawn in the accuracy's colour. Right: the share of those test "
    "pictures the whole network got right. The dot marks the step shown."
)
TIMELINE_CURVE_TITLES = ("loss on its batch", "test accuracy", "loss on the test pictures")
TIMELINE_CURVE_X = "step"
EDGES_ROSE = (
    "Measured: the kernels of **{layer}** now look more like edge detectors than after "
    "{first_step}. Their edge score rose from {first} to {latest}."
)
EDGES_NUMBERS = (
    "Edge score of the kernels of {layer}: {first} after {first_step}, {latest} after "
    "{latest_step}. A rise of {rise} or more would be called clear."
)
EDGES_MEANING = (
    "The edge score says how closely each 3×3 kernel matches an edge detector of the lab "
    "(Sobel x, Sobel y or the Laplacian), averaged over the kernels: 0 not at all, 1 exactly."
)
