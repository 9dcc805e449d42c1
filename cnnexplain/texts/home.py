"""Words on the home page (the whole pipeline at a glance)."""

TITLE = "cnnexplain: see every number of a convolutional network"
INTRO = (
    "A convolutional neural network (CNN) looks at a picture through small filters, again and "
    "again, then decides what the picture shows. Below, one picture goes through a real, trained "
    "network, stage by stage.\n\nEvery number you see comes from that network: point at any cell "
    "of a map to read its value."
)
STORY = (
    "The story of every CNN: **convolution and pooling** (max or average), repeated; then "
    "**flatten**, with the "
    "label travelling along; then **dense layers**; then **softmax** (pick a class) or "
    "**sigmoid** (a value between 0 and 1); and finally the **loss**, which says how much the "
    "network still has to learn."
)
MODEL_HEADER = "The network"
MODEL_TRAINED = "Trained on **{dataset}**: {acc:.1%} correct on {n_test} test images it never saw."
MODEL_UNTRAINED = (
    "Not trained: the weights are still the random starting ones, so its answers are guesses."
)
SAMPLE_HEADER = "The picture"
SAMPLE_PICK = "Test image number"
SAMPLE_HELP = "One of the held-out test images: the network never saw it while learning."
TRUE_LABEL = "True label: **{label}**"
PREDICTED = "The network says **{label}** with probability {p:.1%}."
LOSS = "Loss for the true label: **{loss}**"
PIPELINE_HEADER = "Stage by stage"
STAGE_LINE = "**{name}**: shape {shape}, {params} parameters"
# Above each small map stands its channel number alone (a longer title would not fit beside
# seven others); pointing at a cell names the channel in full.
MAP_TITLE = "{c}"
MAP_NAME = "channel {c}"
MAPS_NUMBERED = "Each small map is one channel; the number above it is the channel's number."
SHOWING_MAPS = "Showing the first {shown} of {total} maps."
REPLAY_AGREES = (
    "The same forward pass recomputed step by step in plain numpy agrees with PyTorch to within "
    "{diff:.1e} at every stage."
)
TOTAL_PARAMS = "{total:,} parameters in all."
LOADING_DATA = "Loading the data set..."
TRAINING_PROGRESS = "Training the network on {dataset}: epoch {epoch} of {epochs}"
FINAL_LOSS = "**Loss** = {loss}"
SIMPLE_HIDES = (
    "Switch to **Every number** in the sidebar to see how closely a plain numpy replay of this "
    "forward pass agrees with PyTorch."
)
