"""libgvc, gvcodec's C library: ``gvc.h``, its cffi embedding build (``build.py``) and the Python half
of each C call (``capi.py`` over ``encoder_session.py`` and ``decoder_session.py``). See README.md."""
