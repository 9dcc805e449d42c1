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
DIGIT_STYLE = "Make it look like the training pictures: find the ink and fit it in the box"
DIGIT_STYLE_HELP = (
    "Keep it ticked for a digit. The ink is found, dark on light paper or light "
    "on a dark ground, cut out and fitted into the box the way the training pictures were "
    "made, white on black. Untick it to give the network the whole picture, only shrunk."
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
