"""Plotly figure builders: arrays in, figures out.

theme      every colour, font size, size and number format, and the one base layout
maps       single charts (heatmap, picture, feature-map grid, bars, curves) and shared helpers
tiles      the tile engine: many small maps on one pair of axes; grids of maps
overview   the whole network at a glance, one column per stage
forward    the forward page's detail figures (conv arithmetic, pooling window, dense terms, ...)
backprop   gradients, kernels before and after a step, the loss curve
compare    the CNN-against-ANN charts
lab        the convolution lab's grids, values written where they fit
"""
