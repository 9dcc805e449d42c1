"""cnnexplain: see every number of a convolutional neural network, on your own images.

Layers, each importing only from the ones below it (docs/architecture.md draws them):
    ui                  the only place that imports Streamlit: a kit, then one folder per page
    figures, texts      plotly builders; every sentence a learner reads
    experiment          the CNN-against-ANN experiment
    training            training loops as generators of records, the shared model store
    io                  data sets, pictures, zips of pictures, model files
    model               specs and builders, the traced forward pass, the inspected backprop step
    core                numpy reference math and optimizers, checked against PyTorch in the tests
"""

__version__ = "0.1.0"
