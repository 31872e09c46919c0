/*
 * gvc_decode_raw: decode a .gvc stream through libgvc to raw yuv420p on stdout.
 *
 *   gvc_decode_raw INPUT.gvc|- [--model DIR] [--device cpu|cuda] [--chunk BYTES] > out.yuv
 *
 * The stream is read in chunks of BYTES (default 65536) and fed as it comes, so INPUT may be a pipe.
 * Once the header has arrived, one line on stderr gives what a raw reader needs:
 *
 *   gvc_decode_raw: 352x288 30000/1001 fps
 *
 * so that, for example:
 *
 *   gvc_decode_raw clip.gvc | ffmpeg -f rawvideo -pix_fmt yuv420p -s 352x288 -r 30000/1001 -i - out.mp4
 *
 * Then, at most once a second while frames come out, how many have been written, so a run of many
 * minutes never looks hung (a GOP's frames come out together, so this is about a line per GOP):
 *
 *   gvc_decode_raw: 17/32 frames written, 14.2 s
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gvc.h"

typedef struct options {
    const char *input;
    const char *model;
    const char *device;
    long chunk;
} options;

/* What has been done so far, for the progress lines. */
typedef struct progress {
    struct timespec start;
    int announced;        /* the geometry line has been printed */
    int64_t frame_count;  /* from the header; -1 = unknown */
    long frames;          /* frames written */
    long frames_reported; /* frames written at the latest progress line */
    double reported_at;   /* seconds after start of that line */
} progress;

static double elapsed_seconds(const progress *done)
{
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    return (double)(now.tv_sec - done->start.tv_sec) + (now.tv_nsec - done->start.tv_nsec) / 1e9;
}

static void report_frames(progress *done)
{
    done->reported_at = elapsed_seconds(done);
    done->frames_reported = done->frames;
    if (done->frame_count >= 0)
        fprintf(stderr, "gvc_decode_raw: %ld/%lld frames written, %.1f s\n", done->frames, (long long)done->frame_count,
                done->reported_at);
    else
        fprintf(stderr, "gvc_decode_raw: %ld frames written, %.1f s\n", done->frames, done->reported_at);
}

static int fail_gvc(const char *what, int status)
{
    fprintf(stderr, "gvc_decode_raw: %s failed: %s (%s)\n", what, gvc_last_error(), gvc_strerror(status));
    return 1;
}

static int parse_options(int argc, char **argv, options *opts)
{
    opts->chunk = 65536;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strncmp(arg, "--", 2)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gvc_decode_raw: %s needs a value\n", arg);
                return 0;
            }
            const char *text = argv[++i];
            char *end;
            if (!strcmp(arg, "--model")) {
                opts->model = text;
            } else if (!strcmp(arg, "--device")) {
                opts->device = text;
            } else if (!strcmp(arg, "--chunk")) {
                opts->chunk = strtol(text, &end, 10);
                if (*text == '\0' || *end != '\0' || opts->chunk < 1 || opts->chunk > (1L << 30)) {
                    fprintf(stderr, "gvc_decode_raw: --chunk takes a byte count in [1, 2^30], got '%s'\n", text);
                    return 0;
                }
            } else {
                fprintf(stderr, "gvc_decode_raw: unknown option %s\n", arg);
                return 0;
            }
        } else if (opts->input == NULL) {
            opts->input = arg;
        } else {
            fprintf(stderr, "gvc_decode_raw: unexpected argument %s\n", arg);
            return 0;
        }
    }
    if (opts->input == NULL) {
        fprintf(stderr, "usage: gvc_decode_raw INPUT.gvc|- [--model DIR] [--device cpu|cuda] [--chunk BYTES]\n");
        return 0;
    }
    return 1;
}

static int write_plane(const uint8_t *data, int linesize, int width, int height)
{
    for (int row = 0; row < height; row++) {
        if (fwrite(data + (size_t)row * linesize, 1, width, stdout) != (size_t)width) {
            fprintf(stderr, "gvc_decode_raw: writing to stdout failed: %s\n", strerror(errno));
            return 1;
        }
    }
    return 0;
}

static int write_frame(const gvc_frame *frame)
{
    int chroma_width = (frame->width + 1) / 2, chroma_height = (frame->height + 1) / 2;
    return write_plane(frame->data[0], frame->linesize[0], frame->width, frame->height)
        || write_plane(frame->data[1], frame->linesize[1], chroma_width, chroma_height)
        || write_plane(frame->data[2], frame->linesize[2], chroma_width, chroma_height);
}

/* Write every frame the decoder has ready. Announces the stream's geometry once, when known, and
 * reports the frames written at most once a second and when no frame is ready. */
static int drain(gvc_decoder *dec, progress *done)
{
    if (!done->announced) {
        gvc_stream_info info;
        int status = gvc_decoder_get_info(dec, &info);
        if (status == GVC_EAGAIN)
            return 0;
        if (status != GVC_OK)
            return fail_gvc("reading the stream header", status);
        fprintf(stderr, "gvc_decode_raw: %dx%d %d/%d fps\n", info.width, info.height, info.fps_num, info.fps_den);
        done->announced = 1;
        done->frame_count = info.frame_count;
    }
    gvc_frame frame;
    int status;
    while ((status = gvc_decoder_receive_frame(dec, &frame)) == GVC_OK) {
        if (write_frame(&frame))
            return 1;
        done->frames++;
        if (elapsed_seconds(done) >= done->reported_at + 1.0)
            report_frames(done);
    }
    if (done->frames > done->frames_reported)
        report_frames(done);
    if (status != GVC_EAGAIN && status != GVC_EOF)
        return fail_gvc("decoding", status);
    return 0;
}

static int decode(FILE *in, gvc_decoder *dec, long chunk, progress *done)
{
    uint8_t *buffer = malloc((size_t)chunk);
    if (buffer == NULL) {
        fprintf(stderr, "gvc_decode_raw: out of memory\n");
        return 1;
    }
    int failed = 0;
    size_t got;
    while (!failed && (got = fread(buffer, 1, (size_t)chunk, in)) > 0) {
        int status = gvc_decoder_feed(dec, buffer, got);
        failed = status != GVC_OK ? fail_gvc("gvc_decoder_feed", status) : drain(dec, done);
    }
    free(buffer);
    if (failed)
        return 1;
    if (ferror(in)) {
        fprintf(stderr, "gvc_decode_raw: reading the input failed: %s\n", strerror(errno));
        return 1;
    }
    int status = gvc_decoder_flush(dec);
    if (status != GVC_OK)
        return fail_gvc("gvc_decoder_flush", status);
    if (drain(dec, done))
        return 1;
    if (fflush(stdout) != 0) {
        fprintf(stderr, "gvc_decode_raw: writing to stdout failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options opts = {0};
    if (!parse_options(argc, argv, &opts))
        return 2;
    FILE *in = strcmp(opts.input, "-") ? fopen(opts.input, "rb") : stdin;
    if (in == NULL) {
        fprintf(stderr, "gvc_decode_raw: cannot open %s: %s\n", opts.input, strerror(errno));
        return 1;
    }
    gvc_decoder *dec = NULL;
    progress done = {.frame_count = -1};
    timespec_get(&done.start, TIME_UTC);
    int status = gvc_decoder_open(opts.model, opts.device, &dec);
    int failed = status != GVC_OK ? fail_gvc("gvc_decoder_open", status) : decode(in, dec, opts.chunk, &done);
    gvc_decoder_close(dec);
    if (in != stdin)
        fclose(in);
    if (failed)
        return 1;
    fprintf(stderr, "gvc_decode_raw: %ld frames, %.1f s\n", done.frames, elapsed_seconds(&done));
    return 0;
}
