/*
 * gvc.h -- the C interface of gvcodec (libgvc.so).
 *
 * libgvc embeds a Python interpreter that runs gvcodec's own Encoder and Decoder, so a C program
 * codes exactly the streams the gvc-enc / gvc-dec command lines code. The interface follows
 * libavcodec's send/receive shape:
 *
 *   Encoding                                    Decoding
 *   gvc_encoder_config_init(&cfg)               gvc_decoder_open(model, device, &dec)
 *   ... set width, height, fps, options ...     loop: gvc_decoder_feed(dec, bytes, n)   (any chunks)
 *   gvc_encoder_open(&cfg, &enc)                      while gvc_decoder_receive_frame(dec, &f) == GVC_OK
 *   loop: gvc_encoder_encode(enc, planes, strides)         use f (valid until the next call)
 *         while gvc_encoder_receive(enc, &p, &n) == GVC_OK   gvc_decoder_flush(dec)
 *             write n bytes at p                          drain gvc_decoder_receive_frame until GVC_EOF
 *   gvc_encoder_flush(enc)                      gvc_decoder_close(dec)
 *   drain gvc_encoder_receive until GVC_EOF
 *   gvc_encoder_close(enc)
 *
 * Pictures are 8-bit planar 4:2:0 (yuv420p), BT.601 limited range, any width and height >= 1; the
 * chroma planes are ceil(width / 2) x ceil(height / 2). The bytes an encoder hands out, concatenated
 * in order, are a complete .gvc stream (the first chunk is the stream header, each later one a GOP).
 *
 * Every function returns GVC_OK (0) or a negative gvc_status. On an error, gvc_last_error() tells
 * what was wrong in words a user can act on. Handles may be used from one thread at a time.
 * The library finds its Python environment (gvcodec, torch, ...) where it was built from; see
 * ffmpeg_bridge/README.md.
 */
#ifndef GVC_H
#define GVC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GVC-API-BEGIN: build.py hands the text from here to GVC-API-END to cffi as the library's interface. */

typedef enum gvc_status {
    GVC_OK = 0,
    GVC_EAGAIN = -1,    /* no output now: give more input (encoder: frames; decoder: bytes) */
    GVC_EOF = -2,       /* all output has been handed out after a flush */
    GVC_EINVAL = -3,    /* an argument, option or picture is invalid, or a call came out of order */
    GVC_EMODEL = -4,    /* the model folder is missing, malformed, or not the one the stream needs */
    GVC_ESTREAM = -5,   /* the bytes are not a gvcodec stream, are damaged, or were cut short */
    GVC_ENOMEM = -6,    /* out of memory */
    GVC_EINTERNAL = -7  /* the embedded Python failed to start, or an unexpected failure (a bug) */
} gvc_status;

/* Encoder settings. Call gvc_encoder_config_init() first: it fills in gvcodec's defaults, then set
 * the picture fields (and any option to change). Strings may be NULL for their default. */
typedef struct gvc_encoder_config {
    int width;              /* picture width in pixels, >= 1 (no default) */
    int height;             /* picture height in pixels, >= 1 (no default) */
    int fps_num;            /* frame rate numerator, e.g. 30000 (no default) */
    int fps_den;            /* frame rate denominator, e.g. 1001 (no default) */
    int64_t frame_count;    /* frames that will be encoded, for the header; -1 = unknown (default) */
    const char *model;      /* a model folder, or NULL for the built-in "nano" model */
    const char *device;     /* "cpu" (NULL) or "cuda" */
    const char *dtype;      /* "float32" (NULL) or "bfloat16" */
    const char *mode;       /* conditioning mode, "t2v" (NULL) */
    const char *prompt;     /* UTF-8 text prompt for models with a text encoder; NULL = none */
    int atoms;              /* M, atoms kept per (coded step, latent frame): the quality knob */
    int codebook;           /* K, codebook size */
    int steps;              /* N, sampler steps */
    int tail_steps;         /* last steps run as plain ODE steps, costing no bits */
    int gop;                /* frames per GOP, 4k + 1 */
    uint32_t seed;          /* stream seed of the codebook */
    double shift;           /* timestep shift; <= 0 = the mode's default */
    double g_scale;         /* SDE noise scale: g(t) = g_scale t^2 */
    int verbose;            /* 1 = progress bars on stderr, 0 = silent (default) */
} gvc_encoder_config;

/* A decoded picture. The planes belong to the decoder and stay valid until the next
 * gvc_decoder_receive_frame() or gvc_decoder_close() on it. */
typedef struct gvc_frame {
    const uint8_t *data[3]; /* Y, U (Cb), V (Cr) planes */
    int linesize[3];        /* bytes from one row to the next, per plane */
    int width;              /* luma width; chroma planes are (width + 1) / 2 wide */
    int height;             /* luma height; chroma planes are (height + 1) / 2 high */
    int64_t pts;            /* frame index in the stream: time in units of fps_den / fps_num seconds */
} gvc_frame;

/* What a stream's header says, available from a decoder once the header bytes have been fed. */
typedef struct gvc_stream_info {
    int width;
    int height;
    int fps_num;
    int fps_den;
    int64_t frame_count;    /* -1 = unknown (the stream was written to a pipe) */
    int gop_length;         /* frames per GOP */
} gvc_stream_info;

typedef struct gvc_encoder gvc_encoder;
typedef struct gvc_decoder gvc_decoder;

/* A fixed English description of a gvc_status (never NULL). */
const char *gvc_strerror(int status);

/* What went wrong in the calling thread's latest failed call ("" if none); valid until the next
 * failing call in that thread. */
const char *gvc_last_error(void);

/* Fill *cfg with the default options and zero picture fields. */
int gvc_encoder_config_init(gvc_encoder_config *cfg);

/* Load the model and open an encoder; *out is set on success only. */
int gvc_encoder_open(const gvc_encoder_config *cfg, gvc_encoder **out);

/* Queue one yuv420p picture of the configured size: planes[i] points at the first row of plane i,
 * strides[i] (>= that plane's width) is the distance in bytes between its rows. The pixels are
 * copied before the call returns. When the picture completes a GOP, the GOP is coded during this
 * call and its bytes become ready for gvc_encoder_receive(). */
int gvc_encoder_encode(gvc_encoder *enc, const uint8_t *const planes[3], const int strides[3]);

/* Code the last, possibly partial, GOP; after it gvc_encoder_encode() fails with GVC_EINVAL. */
int gvc_encoder_flush(gvc_encoder *enc);

/* Take the next chunk of the stream: GVC_OK with *data / *size set (valid until the next call on
 * enc), GVC_EAGAIN when no chunk is ready (encode more frames), GVC_EOF when flushed and drained. */
int gvc_encoder_receive(gvc_encoder *enc, const uint8_t **data, size_t *size);

/* Free the encoder (NULL is accepted). Bytes not yet received are discarded. */
int gvc_encoder_close(gvc_encoder *enc);

/* Open a decoder. model: the model folder the stream was encoded with, or NULL for "nano";
 * device: "cpu" (NULL) or "cuda". The model is loaded when the stream header arrives, so a model
 * that is missing or does not match the stream is reported by gvc_decoder_receive_frame(). */
int gvc_decoder_open(const char *model, const char *device, gvc_decoder **out);

/* Give the decoder the next n bytes of the stream, split anywhere. Decoding runs in the
 * background as soon as a whole GOP has arrived. */
int gvc_decoder_feed(gvc_decoder *dec, const uint8_t *data, size_t n);

/* Say that the stream has ended: no more gvc_decoder_feed(). */
int gvc_decoder_flush(gvc_decoder *dec);

/* The next decoded frame, in display order: GVC_OK with *out filled, GVC_EAGAIN when every byte
 * fed so far has been decoded (feed more), GVC_EOF after gvc_decoder_flush() once all frames are
 * out, or an error about the stream or the model. Waits while a GOP is being decoded. */
int gvc_decoder_receive_frame(gvc_decoder *dec, gvc_frame *out);

/* The stream header's fields: GVC_OK, GVC_EAGAIN while the header has not been fed whole, or an
 * error if the bytes are not a gvcodec stream. */
int gvc_decoder_get_info(gvc_decoder *dec, gvc_stream_info *out);

/* Free the decoder (NULL is accepted); waits for a GOP being decoded to finish. */
int gvc_decoder_close(gvc_decoder *dec);

/* GVC-API-END */

#ifdef __cplusplus
}
#endif

#endif /* GVC_H */
