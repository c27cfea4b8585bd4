"""Training: emulate an effect from a pair of recordings (``nnfx train``).

Training wraps the zoo's modules; the models know nothing of training. Modules:

- ``losses``    ESR with pre-emphasis, DC term, multi-resolution STFT distance (torch)
- ``aweight``   the A-weighting FIR approximation used as an optional pre-emphasis (numpy)
- ``pairs``     reading and checking a dry/wet pair: rates, lengths, level, delay (numpy)
- ``dataset``   synthesized source signals and reference effects (numpy, pedalboard)
- ``models``    building a trainable zoo module from ``--arch``/``--preset``
- ``loop``      the training loop (Adam, TBPTT, validation, early stopping)
- ``report``    validation figures and the comparison picture next to the model

This ``__init__`` imports nothing heavy, so that ``nnfx dataset synth`` works
without PyTorch.
"""
