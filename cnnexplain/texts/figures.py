"""Words inside the charts: hover text, axis titles and trace names that a figure builder
writes itself when a page passes none of its own."""

# A cell's place and value, in hover text
ROW = "row"
COL = "col"
VALUE = "value"
CHANNEL = "channel"
FILTER = "filter"
NUMBER = "number"  # one entry of a long vector
PADDING = "padding"
RGB = "RGB"

CHANNEL_NAME = "channel {c}"  # a feature map's name over its thumbnail
SUM = "sum {total}"  # one channel's sum of products, under its grids
INPUT_TIMES_WEIGHT = "input × weight"

# Before and after: an activation, a training step
BEFORE = "before"
AFTER = "after"
CHANGE = "change"
BEFORE_STEP = "before the step"
AFTER_STEP = "after the step"

# Axes of training curves
STEP = "step"
EPOCH = "epoch"
LOSS = "loss"
BATCH_LOSS = "loss on the step's batch"
TEST_ACCURACY = "test accuracy"
TEST_LOSS = "test loss"
