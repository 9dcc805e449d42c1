"""The errors the library raises, as a learner reads them, keyed by their codes.

The library keeps the English of each code beside the code that raises it
(cnnexplain.core.errors.TEMPLATES); these are the same sentences, for the Hebrew twin to mirror
and for the pages to show. A test checks that every code has its sentence here, in every
language, with the same fields.
"""

MESSAGES = {
    "setting.not_a_number": "{name} must be a number, got {value}.",
    "setting.not_finite": "{name} must be a finite number, got {value}.",
    "setting.whole_range": "{name} must be a whole number from {low} to {high}, got {value}.",
    "setting.whole_min": "{name} must be a whole number of at least {low}, got {value}.",
    "setting.unknown": "Unknown {name} {value}: choose one of {options}.",
    "setting.unknown_or_none": "Unknown {name} {value}: choose one of {options}, or none.",
    "setting.not_a_pair": "{name} must be a pair ({first}, {second}), got {value}.",
    "setting.range.above.below": "{name} must be above {low} and below {high}, got {value}.",
    "setting.range.above.at_most": "{name} must be above {low} and at most {high}, got {value}.",
    "setting.range.above.none": "{name} must be above {low}, got {value}.",
    "setting.range.at_least.below": "{name} must be at least {low} and below {high}, got {value}.",
    "setting.range.at_least.at_most": "{name} must be at least {low} and at most {high}, got "
    "{value}.",
    "setting.range.at_least.none": "{name} must be at least {low}, got {value}.",
    "setting.range.none.below": "{name} must be below {high}, got {value}.",
    "setting.range.none.at_most": "{name} must be at most {high}, got {value}.",
    "arch.not_available": "{what} {value} is not available: choose one of {options}.",
    "arch.widths_not_a_list": "The {what} layers must be given as a list of widths, got {value}.",
    "arch.too_many_dense": "At most {most} hidden layers are allowed, not {count}: remove some.",
    "arch.blocks_not_a_list": "Expected a list of ConvBlock, got {value}.",
    "arch.no_blocks": "A CNN needs from 1 to {most} conv blocks, got {count}: add one.",
    "arch.too_many_blocks": "A CNN needs from 1 to {most} conv blocks, got {count}: remove some.",
    "arch.not_a_block": "Expected a ConvBlock, got {value}.",
    "arch.sigmoid_classes": "A sigmoid head gives one probability, so it fits two classes, not "
    "{classes}: use the softmax head, or data with two classes (num_classes=2).",
    "arch.dense_too_big": "With {inputs} inputs, {width} neurons need {params} parameters, more "
    "than the {most} one layer may have: use fewer neurons.",
    "arch.dense_too_big_or_shrink": "With {inputs} inputs, {width} neurons need {params} "
    "parameters, more than the {most} one layer may have: use fewer neurons, or shrink the "
    "feature maps with more pooling or a larger stride.",
    "arch.output_too_big": "With {inputs} inputs, {outputs} outputs need {params} parameters, "
    "more than the {most} one layer may have: add a smaller hidden dense layer before it.",
    "arch.output_too_big_or_shrink": "With {inputs} inputs, {outputs} outputs need {params} "
    "parameters, more than the {most} one layer may have: add a smaller hidden dense layer "
    "before it, or shrink the feature maps with more pooling or a larger stride.",
    "arch.kernel_too_big": "The map reaching block {block} is {side} with its padding, too "
    "small for its kernel, which spans {kernel}.",
    "arch.pool_too_big": "After block {block}'s convolution the map is {side}, too small for "
    "its {pool} pooling window.",
    "data.unavailable": "{title} could not be downloaded (no internet connection?). The "
    "built-in data sets still work.",
    "data.unexpected": "{title} was downloaded but is not in the expected form ({n} x "
    "{expected} values from 0 to 255); got {shape}.",
    "image.not_an_image": "This file is not an image we can read (PNG, JPEG, GIF, BMP or WebP).",
    "image.damaged": "This image file is damaged or incomplete, so it cannot be read. Try "
    "saving or exporting it again.",
    "image.empty": "The file is empty. Please choose a picture ({formats}).",
    "image.svg": "This looks like an SVG drawing. Please save it as a PNG or JPEG picture first.",
    "image.no_pixels": "This picture has no pixels.",
    "image.too_large": "This picture is too large. The limit is {limit} megapixels; please make "
    "it smaller first.",
    "image.unusual": "This {kind} file is built in an unusual way (more than {most} pieces), so "
    "it is not read. Try saving it again.",
    "zip.not_a_zip": "This file is not a zip archive we can read. Make one with your system's "
    '"Compress" or "Send to > Compressed folder", with one folder of pictures per class.',
    "zip.memory": "{count} pictures of {shape} would take {needed} of memory, "
    "more than the {most} we allow: choose a smaller picture size or upload fewer pictures.",
    "zip.too_much": "The archive unpacks to more than {most}, the most we take. Upload fewer or "
    "smaller pictures.",
    "zip.too_many": "The archive has {count} entries; the most we take is {most} files and "
    "folders. Upload fewer pictures.",
    "zip.too_many_listed": "The archive lists too many entries; the most we take is {most} "
    "files and folders. Upload fewer pictures.",
    "zip.too_few": "Too few readable pictures in {classes} classes. Each class needs at least "
    "{least}, so that some can train the network and some can test it.",
    "zip.too_big": "The zip file is {size}; the most we take is {most}.",
    "zip.zero_byte": 'The archive is refused: the entry "{entry}" has a zero byte in its name, '
    "so it points outside the archive.",
    "zip.absolute": 'The archive is refused: the entry "{entry}" has an absolute path, so it '
    "points outside the archive.",
    "zip.climbs": 'The archive is refused: the entry "{entry}" climbs out of the archive with '
    '"..", so it points outside the archive.',
    "zip.link": 'The archive is refused: the entry "{entry}" is a link to another file. Put the '
    "pictures themselves in the archive.",
    "zip.not_a_file": 'The archive is refused: the entry "{entry}" is not a file.',
    "zip.password": "The archive is protected by a password; upload one without a password.",
    "zip.method": 'The entry "{entry}" is compressed in a way we cannot unpack; make the zip '
    "file again with your system's standard compression.",
    "zip.bomb": 'The archive is refused as a possible "zip bomb": the entry "{entry}" would '
    "unpack from {packed} to {unpacked}, {ratio} times its size (pictures never shrink that "
    "much).",
    "zip.no_classes": "The archive holds no class folders with pictures: put each class's "
    "pictures in a folder named after the class, and zip the folders together.",
    "zip.one_class_nested": 'The archive has only one class folder ("{name}"), and all its '
    "pictures are in folders inside it. Put the class folders at the top of the archive, or "
    "inside a single folder.",
    "zip.one_class": 'The archive has only one class folder ("{name}"); a classifier needs at '
    "least two. Put each class's pictures in a folder of its own and zip the folders together.",
    "zip.too_many_classes": "The archive has {count} class folders; the most we take is {most}.",
    "train.no_samples": "There are no training samples.",
    "train.batch_too_big": "The batch size is {batch} but there are only {n:,} training "
    "samples: choose a batch size of at most {n:,}.",
    "compare.data_mismatch": "The data set has {shape} images in {classes} "
    "classes but the networks expect {need_shape} images in "
    "{need_classes} classes: change the networks' input or number of classes to match the data.",
    "compare.no_test": "The data set has no test examples to compare the networks on.",
    "model.not_a_model": "This file is not a cnnexplain model.",
    "model.damaged": "This model file is damaged: its contents changed after it was saved. "
    "Export the model again.",
    "model.too_big": "This file is {size} MB; a model file may be at most {most} MB.",
    "model.version": "This model file has format version {version}, and this version of "
    "cnnexplain reads version {reads} only.",
    "model.too_few_numbers": "The weights do not fit the architecture: it needs {needed} "
    "numbers, more than this {size}-byte file can hold.",
    "model.architecture": "The architecture in this file cannot be built: {problem}",
    "model.missing": "The weights do not fit the architecture: {names} missing from the file.",
    "model.extra": "The weights do not fit the architecture: the file has {names}, which the "
    "architecture does not have.",
    "model.not_numbers": "The weights do not fit the architecture: {name} is not an array of "
    "numbers.",
    "model.shape": "The weights do not fit the architecture: {name} has shape {got} but the "
    "architecture needs {need}.",
    "model.dtype": "The weights do not fit the architecture: {name} holds {got} numbers but the "
    "architecture needs {need}.",
    "model.not_finite": "The weights in {name} include values that are not finite numbers (NaN "
    "or infinity), so the model cannot be used.",
    "conv.no_output": "conv2d: output size would be {out}: a {kernel} kernel with dilation "
    "{dilation} spans {span} pixels, more than the {size} input plus padding {padding} on each "
    "side; use a smaller kernel or more padding",
    "skip.too_large": "larger than {most} unpacked",
    "skip.damaged": "damaged inside the archive, so it cannot be unpacked",
    "skip.method": "compressed in a way we cannot unpack",
    "skip.twice": "appears twice in the archive",
    "skip.no_class": "not inside a class folder",
    "image.no_ink": "No digit was found in this picture: it looks empty, or the ink is too "
    "faint to tell from the paper. Write or draw the digit with more contrast.",
}

# The English words the library puts into a message's fields (a setting's name, a layer's
# kind): each is shown in the learner's language on its own.
WORDS = {
    "Activation": "Activation",
    "Adam's betas": "Adam's betas",
    "augmentation": "augmentation",
    "Batch size": "Batch size",
    "Channels": "Channels",
    "Dense activation": "Dense activation",
    "Epochs": "Epochs",
    "Head": "Head",
    "Learning rate": "Learning rate",
    "Momentum": "Momentum",
    "Pooling": "Pooling",
    "The depth": "The depth",
    "The dilation": "The dilation",
    "The kernel size": "The kernel size",
    "The learning rate": "The learning rate",
    "The number of classes": "The number of classes",
    "The number of filters": "The number of filters",
    "The padding": "The padding",
    "The parameter budget": "The parameter budget",
    "The pool size": "The pool size",
    "The pool stride": "The pool stride",
    "The seed": "The seed",
    "The size": "The size",
    "The stride": "The stride",
    "The width": "The width",
    "Weight decay": "Weight decay",
    "dense": "dense",
    "hidden": "hidden",
    "learning-rate schedule": "learning-rate schedule",
    "optimizer": "optimizer",
}

# Where in a network an architecture error is, by the error's place: "block:2" is read as
# "block:" with n=2.
PLACES = {
    "input": "Input",
    "head": "Output",
    "blocks": "Conv blocks",
    "block": "Conv block",
    "block:": "Conv block {n}",
    "dense": "Dense layers",
    "dense:": "Dense layer {n}",
    "hidden": "Hidden layers",
}
# A message with its place in front, as the library writes it.
PLACED = "{place}: {problem}"
