/*
 * gvc_encode_any: encode any video FFmpeg can read into a .gvc stream, through libgvc.
 *
 *   gvc_encode_any INPUT OUTPUT.gvc [--model DIR] [--device cpu|cuda] [--frames N] [--atoms M]
 *                  [--codebook K] [--steps N] [--tail-steps N] [--gop G] [--seed S]
 *
 * libavformat opens INPUT, libavcodec decodes its first video stream, libswscale converts each
 * picture to yuv420p (BT.601 limited range, gvcodec's input format) at the source size, and libgvc
 * codes it. On any error the partial OUTPUT is removed and the exit status is 1.
 *
 * Progress goes to stderr, one line per stage, so a run of many minutes never looks hung:
 *
 *   gvc_encode_any: 176x144 30/1 fps, loading the model
 *   gvc_encode_any: model loaded, 2.1 s
 *   gvc_encode_any: GOP 1 done, 17 frames read, 1234 bytes written, 12.5 s
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "gvc.h"

typedef struct options {
    const char *input;
    const char *output;
    int max_frames; /* -1: all */
    gvc_encoder_config config;
} options;

/* What has been done so far, for the progress lines. */
typedef struct progress {
    struct timespec start;
    long frames_read;
    long chunks_written; /* the stream header, then one per GOP */
    size_t bytes_written;
} progress;

typedef struct source {
    AVFormatContext *format;
    AVCodecContext *codec;
    struct SwsContext *scaler;
    AVPacket *packet;
    AVFrame *decoded;
    AVFrame *converted;
    int stream_index;
} source;

static int fail_gvc(const char *what, int status)
{
    fprintf(stderr, "gvc_encode_any: %s failed: %s (%s)\n", what, gvc_last_error(), gvc_strerror(status));
    return 1;
}

static int fail_av(const char *what, int error)
{
    char text[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(error, text, sizeof text);
    fprintf(stderr, "gvc_encode_any: %s: %s\n", what, text);
    return 1;
}

static double elapsed_seconds(const progress *done)
{
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    return (double)(now.tv_sec - done->start.tv_sec) + (now.tv_nsec - done->start.tv_nsec) / 1e9;
}

static int parse_int(const char *flag, const char *text, long min, long max, long *value)
{
    char *end;
    long parsed = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || parsed < min || parsed > max) {
        fprintf(stderr, "gvc_encode_any: %s takes an integer in [%ld, %ld], got '%s'\n", flag, min, max, text);
        return 0;
    }
    *value = parsed;
    return 1;
}

static int set_option(options *opts, const char *flag, const char *text)
{
    struct { const char *flag; int *target; long min; } ints[] = {
        {"--frames", &opts->max_frames, 1},      {"--atoms", &opts->config.atoms, 1},
        {"--codebook", &opts->config.codebook, 1}, {"--steps", &opts->config.steps, 1},
        {"--tail-steps", &opts->config.tail_steps, 0}, {"--gop", &opts->config.gop, 1},
    };
    long value;
    if (!strcmp(flag, "--model")) {
        opts->config.model = text;
        return 1;
    }
    if (!strcmp(flag, "--device")) {
        opts->config.device = text;
        return 1;
    }
    if (!strcmp(flag, "--seed")) {
        if (!parse_int(flag, text, 0, UINT32_MAX, &value))
            return 0;
        opts->config.seed = (uint32_t)value;
        return 1;
    }
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (!strcmp(flag, ints[i].flag)) {
            if (!parse_int(flag, text, ints[i].min, INT_MAX, &value))
                return 0;
            *ints[i].target = (int)value;
            return 1;
        }
    }
    fprintf(stderr, "gvc_encode_any: unknown option %s\n", flag);
    return 0;
}

static int parse_options(int argc, char **argv, options *opts)
{
    int positional = 0;
    opts->max_frames = -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strncmp(arg, "--", 2)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gvc_encode_any: %s needs a value\n", arg);
                return 0;
            }
            if (!set_option(opts, arg, argv[++i]))
                return 0;
        } else if (positional < 2) {
            *(positional++ == 0 ? &opts->input : &opts->output) = arg;
        } else {
            fprintf(stderr, "gvc_encode_any: unexpected argument %s\n", arg);
            return 0;
        }
    }
    if (positional != 2) {
        fprintf(stderr, "usage: gvc_encode_any INPUT OUTPUT.gvc [--model DIR] [--device cpu|cuda] [--frames N] "
                        "[--atoms M] [--codebook K] [--steps N] [--tail-steps N] [--gop G] [--seed S]\n");
        return 0;
    }
    return 1;
}

static int open_source(const char *path, source *src)
{
    int error = avformat_open_input(&src->format, path, NULL, NULL);
    if (error < 0)
        return fail_av(path, error);
    if ((error = avformat_find_stream_info(src->format, NULL)) < 0)
        return fail_av("reading stream info", error);
    const AVCodec *decoder = NULL;
    src->stream_index = av_find_best_stream(src->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
    if (src->stream_index < 0)
        return fail_av("finding a video stream", src->stream_index);
    src->codec = avcodec_alloc_context3(decoder);
    if (src->codec == NULL)
        return fail_av("allocating the decoder", AVERROR(ENOMEM));
    AVStream *stream = src->format->streams[src->stream_index];
    if ((error = avcodec_parameters_to_context(src->codec, stream->codecpar)) < 0)
        return fail_av("configuring the decoder", error);
    if ((error = avcodec_open2(src->codec, decoder, NULL)) < 0)
        return fail_av("opening the decoder", error);
    src->packet = av_packet_alloc();
    src->decoded = av_frame_alloc();
    src->converted = av_frame_alloc();
    if (src->packet == NULL || src->decoded == NULL || src->converted == NULL)
        return fail_av("allocating frames", AVERROR(ENOMEM));
    return 0;
}

static void close_source(source *src)
{
    sws_freeContext(src->scaler);
    av_frame_free(&src->converted);
    av_frame_free(&src->decoded);
    av_packet_free(&src->packet);
    avcodec_free_context(&src->codec);
    avformat_close_input(&src->format);
}

/* Convert src->decoded to yuv420p in src->converted. */
static int convert(source *src)
{
    AVFrame *in = src->decoded, *out = src->converted;
    src->scaler = sws_getCachedContext(src->scaler, in->width, in->height, in->format, in->width, in->height,
                                       AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL, NULL);
    if (src->scaler == NULL) {
        fprintf(stderr, "gvc_encode_any: cannot convert %s pictures to yuv420p\n",
                av_get_pix_fmt_name(in->format));
        return 1;
    }
    if (out->width != in->width || out->height != in->height) {
        av_frame_unref(out);
        out->format = AV_PIX_FMT_YUV420P;
        out->width = in->width;
        out->height = in->height;
        int error = av_frame_get_buffer(out, 0);
        if (error < 0)
            return fail_av("allocating the converted picture", error);
    }
    int error = av_frame_make_writable(out);
    if (error < 0)
        return fail_av("allocating the converted picture", error);
    sws_scale(src->scaler, (const uint8_t *const *)in->data, in->linesize, 0, in->height, out->data, out->linesize);
    return 0;
}

static int write_ready(gvc_encoder *enc, FILE *out, progress *done)
{
    const uint8_t *data;
    size_t size;
    int status;
    while ((status = gvc_encoder_receive(enc, &data, &size)) == GVC_OK) {
        if (fwrite(data, 1, size, out) != size) {
            perror("gvc_encode_any: writing the output");
            return 1;
        }
        done->bytes_written += size;
        if (done->chunks_written++ > 0)
            fprintf(stderr, "gvc_encode_any: GOP %ld done, %ld frames read, %zu bytes written, %.1f s\n",
                    done->chunks_written - 1, done->frames_read, done->bytes_written, elapsed_seconds(done));
    }
    if (status != GVC_EAGAIN && status != GVC_EOF)
        return fail_gvc("gvc_encoder_receive", status);
    return 0;
}

/* Encode the decoded picture in src->decoded; opens the encoder at the first picture. */
static int encode_picture(source *src, options *opts, gvc_encoder **enc, FILE *out, progress *done)
{
    if (convert(src))
        return 1;
    if (*enc == NULL) {
        AVRational rate = av_guess_frame_rate(src->format, src->format->streams[src->stream_index], NULL);
        if (rate.num <= 0 || rate.den <= 0) {
            fprintf(stderr, "gvc_encode_any: the input states no frame rate\n");
            return 1;
        }
        opts->config.width = src->decoded->width;
        opts->config.height = src->decoded->height;
        opts->config.fps_num = rate.num;
        opts->config.fps_den = rate.den;
        fprintf(stderr, "gvc_encode_any: %dx%d %d/%d fps, loading the model\n", opts->config.width,
                opts->config.height, rate.num, rate.den);
        int status = gvc_encoder_open(&opts->config, enc);
        if (status != GVC_OK)
            return fail_gvc("gvc_encoder_open", status);
        fprintf(stderr, "gvc_encode_any: model loaded, %.1f s\n", elapsed_seconds(done));
    } else if (src->decoded->width != opts->config.width || src->decoded->height != opts->config.height) {
        fprintf(stderr, "gvc_encode_any: the picture size changes mid-stream (%dx%d, then %dx%d)\n",
                opts->config.width, opts->config.height, src->decoded->width, src->decoded->height);
        return 1;
    }
    const uint8_t *planes[3] = {src->converted->data[0], src->converted->data[1], src->converted->data[2]};
    int strides[3] = {src->converted->linesize[0], src->converted->linesize[1], src->converted->linesize[2]};
    done->frames_read++;
    int status = gvc_encoder_encode(*enc, planes, strides);
    if (status != GVC_OK)
        return fail_gvc("gvc_encoder_encode", status);
    return write_ready(*enc, out, done);
}

/* Receive every picture the decoder has ready and encode it; done->frames_read counts them. */
static int drain_decoder(source *src, options *opts, gvc_encoder **enc, FILE *out, progress *done)
{
    for (;;) {
        if (opts->max_frames >= 0 && done->frames_read >= opts->max_frames)
            return 0;
        int error = avcodec_receive_frame(src->codec, src->decoded);
        if (error == AVERROR(EAGAIN) || error == AVERROR_EOF)
            return 0;
        if (error < 0)
            return fail_av("decoding the input", error);
        int failed = encode_picture(src, opts, enc, out, done);
        av_frame_unref(src->decoded);
        if (failed)
            return 1;
    }
}

static int transcode(source *src, options *opts, gvc_encoder **enc, FILE *out, progress *done)
{
    int error;
    while ((opts->max_frames < 0 || done->frames_read < opts->max_frames)
           && (error = av_read_frame(src->format, src->packet)) >= 0) {
        if (src->packet->stream_index == src->stream_index) {
            error = avcodec_send_packet(src->codec, src->packet);
            av_packet_unref(src->packet);
            if (error < 0)
                return fail_av("decoding the input", error);
            if (drain_decoder(src, opts, enc, out, done))
                return 1;
        } else {
            av_packet_unref(src->packet);
        }
    }
    if ((error = avcodec_send_packet(src->codec, NULL)) < 0)
        return fail_av("flushing the decoder", error);
    if (drain_decoder(src, opts, enc, out, done))
        return 1;
    if (*enc == NULL) {
        fprintf(stderr, "gvc_encode_any: %s has no video frames\n", opts->input);
        return 1;
    }
    int status = gvc_encoder_flush(*enc);
    if (status != GVC_OK)
        return fail_gvc("gvc_encoder_flush", status);
    return write_ready(*enc, out, done);
}

int main(int argc, char **argv)
{
    progress done = {0};
    timespec_get(&done.start, TIME_UTC);
    options opts = {0};
    int status = gvc_encoder_config_init(&opts.config);
    if (status != GVC_OK)
        return fail_gvc("gvc_encoder_config_init", status);
    if (!parse_options(argc, argv, &opts))
        return 2;

    source src = {0};
    gvc_encoder *enc = NULL;
    FILE *out = NULL;
    int failed = open_source(opts.input, &src);
    if (!failed) {
        out = fopen(opts.output, "wb");
        if (out == NULL) {
            perror(opts.output);
            failed = 1;
        }
    }
    if (!failed)
        failed = transcode(&src, &opts, &enc, out, &done);
    if (out != NULL && fclose(out) != 0) {
        perror("gvc_encode_any: closing the output");
        failed = 1;
    }
    gvc_encoder_close(enc);
    close_source(&src);
    if (failed) {
        if (out != NULL)
            remove(opts.output);
        return 1;
    }
    fprintf(stderr, "gvc_encode_any: %ld frames %dx%d, %zu bytes, %.1f s\n", done.frames_read, opts.config.width,
            opts.config.height, done.bytes_written, elapsed_seconds(&done));
    return 0;
}
