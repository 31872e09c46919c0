/*
 * The C half of libgvc (compiled by build.py through cffi): the exported gvc.h functions.
 *
 * gvc_strerror and gvc_last_error are plain C. Every other call first makes sure the embedded
 * Python has started (cffi_start_python), then runs its Python half, gvc_py_* in capi.py. Checking
 * the start here matters: cffi makes a Python function whose module failed to import return 0,
 * which would read as GVC_OK.
 */
#include <stdio.h>

#include "gvc.h"

static int gvc_py_encoder_config_init(gvc_encoder_config *cfg);
static int gvc_py_encoder_open(const gvc_encoder_config *cfg, gvc_encoder **out);
static int gvc_py_encoder_encode(gvc_encoder *enc, const uint8_t *const *planes, const int *strides);
static int gvc_py_encoder_flush(gvc_encoder *enc);
static int gvc_py_encoder_receive(gvc_encoder *enc, const uint8_t **data, size_t *size);
static int gvc_py_encoder_close(gvc_encoder *enc);
static int gvc_py_decoder_open(const char *model, const char *device, gvc_decoder **out);
static int gvc_py_decoder_feed(gvc_decoder *dec, const uint8_t *data, size_t n);
static int gvc_py_decoder_flush(gvc_decoder *dec);
static int gvc_py_decoder_receive_frame(gvc_decoder *dec, gvc_frame *out);
static int gvc_py_decoder_get_info(gvc_decoder *dec, gvc_stream_info *out);
static int gvc_py_decoder_close(gvc_decoder *dec);

/* One message per thread: a handle is used from one thread at a time, but a program may run
 * several handles in several threads. */
static __thread char gvc_error_text[2048];

static void gvc_set_last_error(const char *message)
{
    snprintf(gvc_error_text, sizeof gvc_error_text, "%s", message);
}

CFFI_DLLEXPORT const char *gvc_last_error(void)
{
    return gvc_error_text;
}

CFFI_DLLEXPORT const char *gvc_strerror(int status)
{
    switch (status) {
    case GVC_OK: return "success";
    case GVC_EAGAIN: return "no output yet: give more input";
    case GVC_EOF: return "end of stream";
    case GVC_EINVAL: return "invalid argument, option or call order";
    case GVC_EMODEL: return "model missing, malformed or not the one the stream needs";
    case GVC_ESTREAM: return "not a gvcodec stream, or a damaged or truncated one";
    case GVC_ENOMEM: return "out of memory";
    case GVC_EINTERNAL: return "internal error in libgvc";
    default: return "unknown libgvc status code";
    }
}

static int gvc_python_started(void)
{
    if (cffi_start_python() == 0)
        return 1;
    gvc_set_last_error("libgvc could not start its embedded Python: gvcodec or a library it needs did not "
                       "import (the Python traceback is on stderr); rebuild libgvc.so with "
                       "ffmpeg_bridge/build.py from the Python environment where gvcodec is installed");
    return 0;
}

#define GVC_PYTHON_CALL(call) return gvc_python_started() ? (call) : GVC_EINTERNAL

CFFI_DLLEXPORT int gvc_encoder_config_init(gvc_encoder_config *cfg)
{
    GVC_PYTHON_CALL(gvc_py_encoder_config_init(cfg));
}

CFFI_DLLEXPORT int gvc_encoder_open(const gvc_encoder_config *cfg, gvc_encoder **out)
{
    GVC_PYTHON_CALL(gvc_py_encoder_open(cfg, out));
}

CFFI_DLLEXPORT int gvc_encoder_encode(gvc_encoder *enc, const uint8_t *const planes[3], const int strides[3])
{
    GVC_PYTHON_CALL(gvc_py_encoder_encode(enc, planes, strides));
}

CFFI_DLLEXPORT int gvc_encoder_flush(gvc_encoder *enc)
{
    GVC_PYTHON_CALL(gvc_py_encoder_flush(enc));
}

CFFI_DLLEXPORT int gvc_encoder_receive(gvc_encoder *enc, const uint8_t **data, size_t *size)
{
    GVC_PYTHON_CALL(gvc_py_encoder_receive(enc, data, size));
}

CFFI_DLLEXPORT int gvc_encoder_close(gvc_encoder *enc)
{
    if (enc == NULL)
        return GVC_OK;
    GVC_PYTHON_CALL(gvc_py_encoder_close(enc));
}

CFFI_DLLEXPORT int gvc_decoder_open(const char *model, const char *device, gvc_decoder **out)
{
    GVC_PYTHON_CALL(gvc_py_decoder_open(model, device, out));
}

CFFI_DLLEXPORT int gvc_decoder_feed(gvc_decoder *dec, const uint8_t *data, size_t n)
{
    GVC_PYTHON_CALL(gvc_py_decoder_feed(dec, data, n));
}

CFFI_DLLEXPORT int gvc_decoder_flush(gvc_decoder *dec)
{
    GVC_PYTHON_CALL(gvc_py_decoder_flush(dec));
}

CFFI_DLLEXPORT int gvc_decoder_receive_frame(gvc_decoder *dec, gvc_frame *out)
{
    GVC_PYTHON_CALL(gvc_py_decoder_receive_frame(dec, out));
}

CFFI_DLLEXPORT int gvc_decoder_get_info(gvc_decoder *dec, gvc_stream_info *out)
{
    GVC_PYTHON_CALL(gvc_py_decoder_get_info(dec, out));
}

CFFI_DLLEXPORT int gvc_decoder_close(gvc_decoder *dec)
{
    if (dec == NULL)
        return GVC_OK;
    GVC_PYTHON_CALL(gvc_py_decoder_close(dec));
}
