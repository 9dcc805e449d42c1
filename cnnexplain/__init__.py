"""cnnexplain: see every number of a convolutional neural network, on your own images.

Layers (each imports only from the ones above it):
    ops, optim          numpy reference math, checked against PyTorch in the tests
    models, trace       architecture specs, torch builders, captured forward passes
    data, images        built-in and online data sets, user images
    train               training loops as generators of metric records
    figures             plotly figure builders
    ui                  the only place that imports Streamlit
"""

__version__ = "0.1.0"
