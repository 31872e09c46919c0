/* Fused generate-and-dot of gvcodec's generator-1 atoms (see gvcodec/codebook.py for the format).
 *
 * Block j of atom k is Philox-4x32-10 of the counter (j, k, position, 0) under the key (seed, gop);
 * output word w gives coordinates 8j + 2w (low 16 bits) and 8j + 2w + 1 (high 16 bits), each read
 * through the 65536-entry float32 table T. Atoms are never stored: each block is dotted with the
 * residual as soon as it exists, accumulating in float64 (the float32 x float32 products are exact there,
 * so a score is the exact inner product up to float64 sums, then rounded once to float32).
 *
 * Two kernels compute the same atoms: a portable one (plain C, any CPU) and an AVX2 + FMA one that
 * runs eight blocks of one atom in the eight 32-bit lanes of a vector, several atoms interleaved. The
 * AVX2 kernel is compiled with a target attribute and chosen at run time, so the build needs no -march
 * flag. Both return 0, or -1 when memory for the per-call tables cannot be allocated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GVC_X86_DISPATCH 1
#include <immintrin.h>
#else
#define GVC_X86_DISPATCH 0
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10
#define BLOCK 8  /* coordinates per Philox call */
#define LANES 8  /* blocks per AVX2 group */
#define GROUP (BLOCK * LANES)

static void philox_block(uint32_t block, uint32_t atom, uint32_t position, uint32_t seed, uint32_t gop,
                         uint32_t out[4]) {
    uint32_t c0 = block, c1 = atom, c2 = position, c3 = 0, k0 = seed, k1 = gop;
    for (int round = 0; round < PHILOX_ROUNDS; ++round) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        c1 = (uint32_t)p1;
        c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c3 = (uint32_t)p0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Coordinates [8 block, 8 block + 8) of atom `atom`, written to out[0 .. 8). */
static void atom_block(uint32_t block, uint32_t atom, uint32_t position, uint32_t seed, uint32_t gop,
                       const float *table, float out[BLOCK]) {
    uint32_t words[4];
    philox_block(block, atom, position, seed, gop, words);
    for (int w = 0; w < 4; ++w) {
        out[2 * w] = table[words[w] & 0xFFFFu];
        out[2 * w + 1] = table[words[w] >> 16];
    }
}

static void generate_portable(uint32_t seed, uint32_t gop, uint32_t position, const uint32_t *atoms,
                              size_t count, size_t dim, const float *table, float *out) {
    float values[BLOCK];
    for (size_t i = 0; i < count; ++i) {
        float *row = out + i * dim;
        for (size_t start = 0; start < dim; start += BLOCK) {
            size_t take = dim - start < BLOCK ? dim - start : BLOCK;
            atom_block((uint32_t)(start / BLOCK), atoms[i], position, seed, gop, table, values);
            memcpy(row + start, values, take * sizeof(float));
        }
    }
}

static void scores_portable(uint32_t seed, uint32_t gop, uint32_t position, const float *residual,
                            size_t dim, uint64_t first, uint64_t end, const float *table, float *scores) {
    float values[BLOCK];
    for (uint64_t atom = first; atom < end; ++atom) {
        double total = 0.0;
        for (size_t start = 0; start < dim; start += BLOCK) {
            size_t take = dim - start < BLOCK ? dim - start : BLOCK;
            atom_block((uint32_t)(start / BLOCK), (uint32_t)atom, position, seed, gop, table, values);
            for (size_t d = 0; d < take; ++d) total += (double)values[d] * (double)residual[start + d];
        }
        scores[atom - first] = (float)total;
    }
}

#if GVC_X86_DISPATCH
#define AVX2 __attribute__((target("avx2,fma")))

/* (hi, lo) of the eight 32 x 32 -> 64-bit products m * x, lane by lane. */
static inline AVX2 void mulhilo8(__m256i m, __m256i x, __m256i *hi, __m256i *lo) {
    __m256i even = _mm256_mul_epu32(x, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/* The first two Philox rounds split into a part that depends only on the block and a part that depends
 * only on the atom, because the counter's last two words (position, 0) are fixed within one search:
 *   round 0: (c0, c1, c2, c3) = (hi(M1 p) ^ k ^ s,  lo(M1 p),  hi(M0 j) ^ g,  lo(M0 j))
 *   round 1: (c0, c1, c2, c3) = (hi(M1 c2) ^ lo(M1 p) ^ s',  lo(M1 c2),  hi(M0 c0) ^ lo(M0 j) ^ g',  lo(M0 c0))
 * for block j, atom k, position p, key (s, g) and the bumped key (s', g'). So after two rounds the state is
 * (B0[j], B1[j], B2[j] ^ A2[k], A3[k]); the B words are computed once per search, the A words once per atom. */
typedef struct {
    uint32_t seed, gop, position;
} Stream;

static void block_words(Stream stream, uint32_t block, uint32_t words[3]) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * block;
    uint64_t p1 = (uint64_t)PHILOX_M1 * stream.position;
    uint32_t c2 = (uint32_t)(p0 >> 32) ^ stream.gop;
    uint64_t q1 = (uint64_t)PHILOX_M1 * c2;
    words[0] = (uint32_t)(q1 >> 32) ^ (uint32_t)p1 ^ (stream.seed + PHILOX_W0);
    words[1] = (uint32_t)q1;
    words[2] = (uint32_t)p0 ^ (stream.gop + PHILOX_W1);
}

static void atom_words(Stream stream, uint32_t atom, uint32_t words[2]) {
    uint64_t p1 = (uint64_t)PHILOX_M1 * stream.position;
    uint32_t c0 = (uint32_t)(p1 >> 32) ^ atom ^ stream.seed;
    uint64_t q0 = (uint64_t)PHILOX_M0 * c0;
    words[0] = (uint32_t)(q0 >> 32);
    words[1] = (uint32_t)q0;
}

/* Block words of every block in groups of eight, lane-major: B_i of block 8 g + l at [(3 g + i) 8 + l]. */
static uint32_t *block_table(Stream stream, size_t groups) {
    uint32_t *table = malloc(groups * 3 * LANES * sizeof(uint32_t));
    if (table == NULL) return NULL;
    for (size_t g = 0; g < groups; ++g)
        for (int l = 0; l < LANES; ++l) {
            uint32_t words[3];
            block_words(stream, (uint32_t)(g * LANES + (size_t)l), words);
            for (int i = 0; i < 3; ++i) table[(g * 3 + (size_t)i) * LANES + (size_t)l] = words[i];
        }
    return table;
}

#define STREAMS 2  /* atoms in flight at once: independent Philox chains hide the multiply latency */

/* Rounds 2..9 of Philox for STREAMS atoms on the eight blocks of one group. */
static inline AVX2 void philox8_tail(Stream stream, const uint32_t *blocks, const uint32_t atom[STREAMS][2],
                                     __m256i out[STREAMS][4]) {
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0);
    const __m256i m1 = _mm256_set1_epi64x(PHILOX_M1);
    __m256i b2 = _mm256_loadu_si256((const __m256i *)(blocks + 2 * LANES));
    __m256i c[STREAMS][4];
    for (int s = 0; s < STREAMS; ++s) {
        c[s][0] = _mm256_loadu_si256((const __m256i *)blocks);
        c[s][1] = _mm256_loadu_si256((const __m256i *)(blocks + LANES));
        c[s][2] = _mm256_xor_si256(b2, _mm256_set1_epi32((int)atom[s][0]));
        c[s][3] = _mm256_set1_epi32((int)atom[s][1]);
    }
    for (uint32_t round = 2; round < PHILOX_ROUNDS; ++round) {
        __m256i k0 = _mm256_set1_epi32((int)(stream.seed + round * PHILOX_W0));
        __m256i k1 = _mm256_set1_epi32((int)(stream.gop + round * PHILOX_W1));
        for (int s = 0; s < STREAMS; ++s) {
            __m256i hi0, lo0, hi1, lo1;
            mulhilo8(m0, c[s][0], &hi0, &lo0);
            mulhilo8(m1, c[s][2], &hi1, &lo1);
            c[s][0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[s][1]), k0);
            c[s][1] = lo1;
            c[s][2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[s][3]), k1);
            c[s][3] = lo0;
        }
    }
    for (int s = 0; s < STREAMS; ++s)
        for (int w = 0; w < 4; ++w) out[s][w] = c[s][w];
}

/* The residual in float64, regrouped to the lane layout: vector 2w + h of group g holds, in lane l,
 * coordinate 64 g + 8 l + 2 w + h (zero past the end), i.e. what half h of word w of block 8 g + l multiplies. */
static double *lane_layout(const float *residual, size_t dim, size_t groups) {
    double *laid = malloc(groups * GROUP * sizeof(double));
    if (laid == NULL) return NULL;
    for (size_t g = 0; g < groups; ++g)
        for (int slot = 0; slot < BLOCK; ++slot)
            for (int lane = 0; lane < LANES; ++lane) {
                size_t d = g * GROUP + (size_t)lane * BLOCK + (size_t)slot;
                laid[(g * BLOCK + (size_t)slot) * LANES + (size_t)lane] = d < dim ? (double)residual[d] : 0.0;
            }
    return laid;
}

/* acc += z r for the eight float32 atom values z and their float64 residual coordinates r, in float64:
 * products of float32 values are exact in float64, so only the sums round. */
static inline AVX2 void dot8(__m256 z, const double *r, __m256d acc[2]) {
    acc[0] = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(z)), _mm256_loadu_pd(r), acc[0]);
    acc[1] = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(z, 1)), _mm256_loadu_pd(r + 4), acc[1]);
}

/* Scores of the atoms atom[0 .. STREAMS) (repeats allowed: a short final batch repeats its last atom). */
static AVX2 void scores_avx2_batch(Stream stream, const uint32_t *blocks, const double *laid, size_t groups,
                                   const uint32_t atom[STREAMS], const float *table, float score[STREAMS]) {
    const __m256i low16 = _mm256_set1_epi32(0xFFFF);
    uint32_t atom_part[STREAMS][2];
    __m256d acc[STREAMS][2][2];
    for (int s = 0; s < STREAMS; ++s) {
        atom_words(stream, atom[s], atom_part[s]);
        acc[s][0][0] = acc[s][0][1] = acc[s][1][0] = acc[s][1][1] = _mm256_setzero_pd();
    }
    for (size_t g = 0; g < groups; ++g) {
        __m256i words[STREAMS][4];
        const double *r = laid + g * GROUP;
        philox8_tail(stream, blocks + g * 3 * LANES, atom_part, words);
        for (int s = 0; s < STREAMS; ++s)
            for (int w = 0; w < 4; ++w) {
                dot8(_mm256_i32gather_ps(table, _mm256_and_si256(words[s][w], low16), 4), r + (2 * w) * LANES,
                     acc[s][0]);
                dot8(_mm256_i32gather_ps(table, _mm256_srli_epi32(words[s][w], 16), 4), r + (2 * w + 1) * LANES,
                     acc[s][1]);
            }
    }
    for (int s = 0; s < STREAMS; ++s) {
        double lanes[4];
        _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_add_pd(acc[s][0][0], acc[s][0][1]),
                                              _mm256_add_pd(acc[s][1][0], acc[s][1][1])));
        score[s] = (float)((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]));
    }
}

static AVX2 void scores_avx2(Stream stream, const uint32_t *blocks, const double *laid, size_t groups,
                             uint64_t first, uint64_t end, const float *table, float *scores) {
    for (uint64_t start = first; start < end; start += STREAMS) {
        uint32_t atom[STREAMS];
        float score[STREAMS];
        size_t take = end - start < STREAMS ? (size_t)(end - start) : STREAMS;
        for (size_t s = 0; s < STREAMS; ++s) atom[s] = (uint32_t)(start + (s < take ? s : take - 1));
        scores_avx2_batch(stream, blocks, laid, groups, atom, table, score);
        memcpy(scores + (start - first), score, take * sizeof(float));
    }
}

static AVX2 void generate_avx2(Stream stream, const uint32_t *blocks, size_t groups, const uint32_t *atoms,
                               size_t count, size_t dim, const float *table, float *out) {
    for (size_t start = 0; start < count; start += STREAMS) {
        size_t take = count - start < STREAMS ? count - start : STREAMS;
        uint32_t atom_part[STREAMS][2];
        for (size_t s = 0; s < STREAMS; ++s) atom_words(stream, atoms[start + (s < take ? s : take - 1)], atom_part[s]);
        for (size_t g = 0; g < groups; ++g) {
            __m256i words[STREAMS][4];
            philox8_tail(stream, blocks + g * 3 * LANES, atom_part, words);
            for (size_t s = 0; s < take; ++s) {
                uint32_t values[4][LANES];
                float *row = out + (start + s) * dim;
                for (int w = 0; w < 4; ++w) _mm256_storeu_si256((__m256i *)values[w], words[s][w]);
                for (int l = 0; l < LANES; ++l)
                    for (int w = 0; w < 4; ++w) {
                        size_t d = g * GROUP + (size_t)l * BLOCK + (size_t)(2 * w);
                        if (d < dim) row[d] = table[values[w][l] & 0xFFFFu];
                        if (d + 1 < dim) row[d + 1] = table[values[w][l] >> 16];
                    }
            }
        }
    }
}

static int avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int avx2_available(void) { return 0; }
#endif

int gvc_simd_available(void) { return avx2_available(); }

int gvc_atom_scores(uint32_t seed, uint32_t gop, uint32_t position, const float *residual, size_t dim,
                    uint64_t first, uint64_t end, const float *table, int use_simd, float *scores) {
    if (end <= first) return 0;
    if (dim == 0) {
        memset(scores, 0, (size_t)(end - first) * sizeof(float));
        return 0;
    }
#if GVC_X86_DISPATCH
    if (use_simd && avx2_available()) {
        Stream stream = {seed, gop, position};
        size_t groups = (dim + GROUP - 1) / GROUP;
        double *laid = lane_layout(residual, dim, groups);
        uint32_t *blocks = block_table(stream, groups);
        int allocated = laid != NULL && blocks != NULL;
        if (allocated) scores_avx2(stream, blocks, laid, groups, first, end, table, scores);
        free(laid);
        free(blocks);
        return allocated ? 0 : -1;
    }
#endif
    scores_portable(seed, gop, position, residual, dim, first, end, table, scores);
    return 0;
}

int gvc_generate_atoms(uint32_t seed, uint32_t gop, uint32_t position, const uint32_t *atoms, size_t count,
                       size_t dim, const float *table, int use_simd, float *out) {
#if GVC_X86_DISPATCH
    if (use_simd && avx2_available() && dim > 0) {
        Stream stream = {seed, gop, position};
        size_t groups = (dim + GROUP - 1) / GROUP;
        uint32_t *blocks = block_table(stream, groups);
        if (blocks == NULL) return -1;
        generate_avx2(stream, blocks, groups, atoms, count, dim, table, out);
        free(blocks);
        return 0;
    }
#endif
    generate_portable(seed, gop, position, atoms, count, dim, table, out);
    return 0;
}
