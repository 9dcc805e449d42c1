"""The data sets' titles, descriptions and class names, by data set key, as the pages show them.

The library keeps its own English names for scripts (cnnexplain.io.datasets); a learner's own
zip keeps its folder names. Digits are their own names in every language, so they are not here.
"""

TITLES = {
    "digits": "Handwritten digits (built in)",
    "digits-0-1": "Zeros and ones (built in, two classes)",
    "shapes": "Shapes (built in)",
    "shapes-rgb": "Coloured shapes (built in)",
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "cifar-10": "CIFAR-10",
}

# What the pictures are, under the data set's name ({n}: how many pictures were generated).
DESCRIPTIONS = {
    "digits": (
        "1,797 handwritten digits 0 to 9, scanned at 8x8 pixels and enlarged to 28x28 "
        "like MNIST: white ink on black."
    ),
    "digits-0-1": (
        "Only the 0s and 1s of the built-in digits: a two-class problem, where a single "
        "sigmoid output can give the probability of a 1."
    ),
    "shapes": (
        "{n:,} generated pictures of gray circles, squares, triangles, crosses and rings "
        "of random size, at random places, with noise."
    ),
    "shapes-rgb": (
        "{n:,} generated pictures of coloured circles, squares, triangles, crosses and rings "
        "of random size, at random places, with noise."
    ),
    "mnist": "70,000 handwritten digits 0 to 9, 28x28 pixels, white ink on black.",
    "fashion-mnist": "70,000 small gray photos of clothes and shoes in 10 kinds, 28x28 pixels.",
    "cifar-10": "60,000 tiny colour photos of animals and vehicles in 10 kinds, 32x32 pixels.",
}

SHAPES = ("circle", "square", "triangle", "cross", "ring")
CLASS_NAMES = {
    "shapes": SHAPES,
    "shapes-rgb": SHAPES,
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "cifar-10": (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ),
}
