"""Words of the input picker: where the picture comes from, and its true label."""

SOURCE = "Where the picture comes from"
SOURCES = {
    "sample": "a test image from the data set",
    "upload": "upload your own",
    "draw": "draw one",
}
SAMPLE_INDEX = "Test image number"
SAMPLE_HELP = "One of the held-out test images: the network never saw it while learning."
UPLOAD = "Your picture (PNG, JPEG, GIF, BMP or WebP, up to {mb} MB)"
DIGIT_STYLE = "It is a dark drawing on light paper: make it look like the training pictures"
DIGIT_STYLE_HELP = (
    "The built-in digits are white ink on black, centred. This inverts the picture when its "
    "background is light, crops to the ink and centres it."
)
UPLOAD_PROMPT = "Choose a picture above. Until then the test image below is used."
UPLOAD_KEPT = "The picture you had before is kept."
DRAW_PROMPT = "Draw with the mouse in the black square; the drawing goes through the network."
DRAW_EMPTY = "The square is still empty: draw something. Until then the test image is used."
LABEL = "True label"
LABEL_PLACEHOLDER = "What does the picture show? Choose…"
LABEL_HELP = (
    "The answer the network should give for this picture. A test image comes with its own; for "
    "your own picture only you know it. The label travels with the picture to the end of the "
    "network, where the loss compares it with the network's answer."
)
ORIGINAL = "Your picture"
NETWORK_INPUT = "What the network receives ({size}×{size}, {channels})"
CHANNEL_NAMES = {1: "gray", 3: "RGB"}
