"""nnfx.exporter: the model zoo, training and export to the nnfx model file (needs PyTorch)."""
