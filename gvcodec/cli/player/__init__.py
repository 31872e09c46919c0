"""gvc-play's parts: the GOPs decoded in the background, the window, ffplay, PNG frames, the display check.

``gvcodec.cli.play`` imports them only once its arguments are read and the display is known to exist:
the decoding parts pull in the codec and torch.
"""
