/*
 * Argon2id (RFC 9106, version 0x13) with its compression function in AVX2,
 * for the password hash of every registration and login.
 *
 * Debian's libargon2 is the portable build of the reference: each of the
 * 19,456 blocks of a hash, two passes, goes through a compression of 64-bit
 * scalar code, about 23 ms of a core per hash on our machines.  The same
 * compression four words at a time takes about half of that.  Everything
 * around it (H0, the first blocks, the reference indices, the tag) follows
 * RFC 9106 section 3 directly.
 *
 * libargon2 stays the reference: crypto.c uses this file only after a
 * known-answer check against libargon2 in the same process, and only where
 * the CPU has AVX2; the unit tests compare the two over random inputs and
 * parameters, and RFC 9106's own vector.
 *
 * Memory is the caller's (crypto.c keeps one arena per worker), so a hash
 * faults in no page; it is wiped before returning.  Built for x86-64 only;
 * elsewhere hall_argon2id_cpu_ok is 0 and libargon2 does every hash.
 */
#include <stdint.h>
#include <string.h>

#include "base/base.h"

#if defined(__x86_64__)

#include <immintrin.h>

/* ---- BLAKE2b (RFC 7693), unkeyed, any digest length 1..64 ---- */

static const uint64_t b2_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* the message schedule of rounds 0-9; rounds 10 and 11 repeat 0 and 1 */
static const uint8_t b2_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

struct b2 {
    uint64_t h[8];
    uint64_t t; /* bytes compressed so far (inputs here stay far below 2^64) */
    uint8_t buf[128];
    size_t n;      /* bytes waiting in buf */
    size_t outlen; /* the digest's length */
};

static uint64_t
le64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8); /* x86-64 only (AVX2): little-endian */
    return v;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint64_t
rotr64(uint64_t x, int n)
{
    return x >> n | x << (64 - n);
}

#define B2_G(a, b, c, d, x, y)                                                                     \
    do {                                                                                           \
        a = a + b + (x);                                                                           \
        d = rotr64(d ^ a, 32);                                                                     \
        c = c + d;                                                                                 \
        b = rotr64(b ^ c, 24);                                                                     \
        a = a + b + (y);                                                                           \
        d = rotr64(d ^ a, 16);                                                                     \
        c = c + d;                                                                                 \
        b = rotr64(b ^ c, 63);                                                                     \
    } while (0)

static void
b2_compress(struct b2 *s, const uint8_t *block, int last)
{
    uint64_t m[16], v[16];
    int i, r;

    for (i = 0; i < 16; i++)
        m[i] = le64(block + 8 * i);
    for (i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = b2_iv[i];
    }
    v[12] ^= s->t;
    if (last)
        v[14] = ~v[14];
    for (r = 0; r < 12; r++) {
        const uint8_t *z = b2_sigma[r % 10];

        B2_G(v[0], v[4], v[8], v[12], m[z[0]], m[z[1]]);
        B2_G(v[1], v[5], v[9], v[13], m[z[2]], m[z[3]]);
        B2_G(v[2], v[6], v[10], v[14], m[z[4]], m[z[5]]);
        B2_G(v[3], v[7], v[11], v[15], m[z[6]], m[z[7]]);
        B2_G(v[0], v[5], v[10], v[15], m[z[8]], m[z[9]]);
        B2_G(v[1], v[6], v[11], v[12], m[z[10]], m[z[11]]);
        B2_G(v[2], v[7], v[8], v[13], m[z[12]], m[z[13]]);
        B2_G(v[3], v[4], v[9], v[14], m[z[14]], m[z[15]]);
    }
    for (i = 0; i < 8; i++)
        s->h[i] ^= v[i] ^ v[i + 8];
}

static void
b2_init(struct b2 *s, size_t outlen)
{
    memcpy(s->h, b2_iv, sizeof(s->h));
    s->h[0] ^= 0x01010000ULL ^ outlen; /* no key, fanout 1, depth 1 */
    s->t = 0;
    s->n = 0;
    s->outlen = outlen;
}

static void
b2_update(struct b2 *s, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        size_t k;

        /* a full buffer is compressed only once more input follows: the
         * last block is compressed by b2_final, flagged as the last */
        if (s->n == sizeof(s->buf)) {
            s->t += sizeof(s->buf);
            b2_compress(s, s->buf, 0);
            s->n = 0;
        }
        k = sizeof(s->buf) - s->n;
        if (k > len)
            k = len;
        memcpy(s->buf + s->n, p, k);
        s->n += k;
        p += k;
        len -= k;
    }
}

static void
b2_final(struct b2 *s, uint8_t *out)
{
    uint8_t full[64];
    int i;

    s->t += s->n;
    memset(s->buf + s->n, 0, sizeof(s->buf) - s->n);
    b2_compress(s, s->buf, 1);
    for (i = 0; i < 8; i++)
        memcpy(full + 8 * i, &s->h[i], 8);
    memcpy(out, full, s->outlen);
    explicit_bzero(full, sizeof(full));
    explicit_bzero(s, sizeof(*s));
}

/* H'^T (RFC 9106 section 3.3): the variable-length hash of
 * LE32(outlen) || in1 || in2 */
static void
h_prime(uint8_t *out, size_t outlen, const void *in1, size_t len1, const void *in2, size_t len2)
{
    struct b2 s;
    uint8_t t[4], v[64];

    put_le32(t, (uint32_t)outlen);
    b2_init(&s, outlen <= 64 ? outlen : 64);
    b2_update(&s, t, 4);
    b2_update(&s, in1, len1);
    b2_update(&s, in2, len2);
    if (outlen <= 64) {
        b2_final(&s, out);
        return;
    }
    b2_final(&s, v);
    memcpy(out, v, 32);
    out += 32;
    outlen -= 32;
    while (outlen > 64) {
        b2_init(&s, 64);
        b2_update(&s, v, 64);
        b2_final(&s, v);
        memcpy(out, v, 32);
        out += 32;
        outlen -= 32;
    }
    b2_init(&s, outlen);
    b2_update(&s, v, 64);
    b2_final(&s, out);
    explicit_bzero(v, sizeof(v));
}

/* ---- the compression function G (RFC 9106 section 3.5-3.6) in AVX2 ---- */

#define WORDS 128 /* a block: 1,024 bytes */

typedef struct {
    uint64_t v[WORDS];
} block;

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i
blamka(__m256i x, __m256i y)
{
    __m256i p = _mm256_mul_epu32(x, y); /* lo32(x) * lo32(y), per word */

    return _mm256_add_epi64(_mm256_add_epi64(x, y), _mm256_add_epi64(p, p));
}

AVX2 static inline __m256i
rotr(__m256i x, int n)
{
    return _mm256_or_si256(_mm256_srli_epi64(x, n), _mm256_slli_epi64(x, 64 - n));
}

/* GB on four columns at once: lane k of a, b, c, d is one (a, b, c, d) */
AVX2 static inline void
gb(__m256i *a, __m256i *b, __m256i *c, __m256i *d)
{
    /* >>> 24 and >>> 16 move whole bytes: one byte shuffle each */
    const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3,
                                           4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2,
                                           3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);

    *a = blamka(*a, *b);
    *d = _mm256_shuffle_epi32(_mm256_xor_si256(*d, *a), _MM_SHUFFLE(2, 3, 0, 1)); /* >>> 32 */
    *c = blamka(*c, *d);
    *b = _mm256_shuffle_epi8(_mm256_xor_si256(*b, *c), rot24);
    *a = blamka(*a, *b);
    *d = _mm256_shuffle_epi8(_mm256_xor_si256(*d, *a), rot16);
    *c = blamka(*c, *d);
    *b = rotr(_mm256_xor_si256(*b, *c), 63);
}

/* the permutation P of sixteen words v0..v15, held as a = v0..v3,
 * b = v4..v7, c = v8..v11, d = v12..v15: GB over the columns, then over
 * the diagonals (v0 v5 v10 v15, v1 v6 v11 v12, ...) */
AVX2 static inline void
perm(__m256i *a, __m256i *b, __m256i *c, __m256i *d)
{
    gb(a, b, c, d);
    *b = _mm256_permute4x64_epi64(*b, _MM_SHUFFLE(0, 3, 2, 1));
    *c = _mm256_permute4x64_epi64(*c, _MM_SHUFFLE(1, 0, 3, 2));
    *d = _mm256_permute4x64_epi64(*d, _MM_SHUFFLE(2, 1, 0, 3));
    gb(a, b, c, d);
    *b = _mm256_permute4x64_epi64(*b, _MM_SHUFFLE(2, 1, 0, 3));
    *c = _mm256_permute4x64_epi64(*c, _MM_SHUFFLE(1, 0, 3, 2));
    *d = _mm256_permute4x64_epi64(*d, _MM_SHUFFLE(0, 3, 2, 1));
}

AVX2 static inline __m256i
load2(const uint64_t *lo, const uint64_t *hi)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)lo)),
        _mm_loadu_si128((const __m128i *)(const void *)hi), 1);
}

AVX2 static inline void
store2(uint64_t *lo, uint64_t *hi, __m256i x)
{
    _mm_storeu_si128((__m128i *)(void *)lo, _mm256_castsi256_si128(x));
    _mm_storeu_si128((__m128i *)(void *)hi, _mm256_extracti128_si256(x, 1));
}

/*
 * out = G(x, y), or out ^= G(x, y) with xor (passes after the first):
 * R = x ^ y; P over each row of R's 8 x 8 matrix of 16-byte registers
 * (row i: words 16i..16i+15), then over each column (column i: the words
 * 16j + 2i and 16j + 2i + 1 for j = 0..7); the result ^ R.
 */
AVX2 static void
fill_block(const block *x, const block *y, block *out, int xor)
{
    __m256i r[WORDS / 4], q[WORDS / 4];
    uint64_t *w = (uint64_t *)(void *)q;
    int i;

    for (i = 0; i < WORDS / 4; i++) {
        r[i] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x->v + 4 * i)),
                                _mm256_loadu_si256((const __m256i *)(const void *)(y->v + 4 * i)));
        q[i] = r[i];
    }
    for (i = 0; i < 8; i++)
        perm(&q[4 * i], &q[4 * i + 1], &q[4 * i + 2], &q[4 * i + 3]);
    for (i = 0; i < 8; i++) {
        uint64_t *c = w + 2 * i;
        __m256i a = load2(c, c + 16), b = load2(c + 32, c + 48), d0 = load2(c + 64, c + 80),
                d1 = load2(c + 96, c + 112);

        perm(&a, &b, &d0, &d1);
        store2(c, c + 16, a);
        store2(c + 32, c + 48, b);
        store2(c + 64, c + 80, d0);
        store2(c + 96, c + 112, d1);
    }
    for (i = 0; i < WORDS / 4; i++) {
        __m256i z = _mm256_xor_si256(q[i], r[i]);

        if (xor)
            z = _mm256_xor_si256(
                z, _mm256_loadu_si256((const __m256i *)(const void *)(out->v + 4 * i)));
        _mm256_storeu_si256((__m256i *)(void *)(out->v + 4 * i), z);
    }
}

/* ---- Argon2id (RFC 9106 section 3.2-3.4) ---- */

#define A2_SYNC_POINTS 4
#define A2_ARGON2ID    2
#define A2_VERSION     0x13

struct inst {
    block *mem;
    uint32_t passes, lanes, lane_len, seg_len;
};

/* the block a new block of lane `lane`, pass `pass`, slice `slice`, index
 * `index` in its segment refers to, from J1 (RFC 9106 section 3.4.2) */
static uint32_t
ref_index(const struct inst *in, uint32_t pass, uint32_t slice, uint32_t index, uint32_t j1,
          int same_lane)
{
    uint32_t area, start = 0;
    uint64_t x;

    if (pass == 0) {
        if (slice == 0)
            area = index - 1;
        else if (same_lane)
            area = slice * in->seg_len + index - 1;
        else
            area = slice * in->seg_len - (index == 0 ? 1 : 0);
    } else {
        if (same_lane)
            area = in->lane_len - in->seg_len + index - 1;
        else
            area = in->lane_len - in->seg_len - (index == 0 ? 1 : 0);
        if (slice != A2_SYNC_POINTS - 1)
            start = (slice + 1) * in->seg_len;
    }
    x = (uint64_t)j1 * j1 >> 32;
    x = area - 1 - ((uint64_t)area * x >> 32);
    return (uint32_t)((start + x) % in->lane_len);
}

/* the next 128 pseudo-random values of data-independent addressing:
 * G(0, G(0, input)) after the input's counter is incremented */
AVX2 static void
next_addresses(block *addr, block *input, const block *zero)
{
    block tmp;

    input->v[6]++;
    fill_block(zero, input, &tmp, 0);
    fill_block(zero, &tmp, addr, 0);
}

AVX2 static void
fill_segment(const struct inst *in, uint32_t pass, uint32_t slice, uint32_t lane)
{
    /* the first half of the first pass is Argon2i: addresses independent of
     * the password */
    int indep = pass == 0 && slice < A2_SYNC_POINTS / 2;
    block addr, input, zero;
    uint32_t i = 0, cur, prev;

    if (indep) {
        memset(&zero, 0, sizeof(zero));
        memset(&input, 0, sizeof(input));
        input.v[0] = pass;
        input.v[1] = lane;
        input.v[2] = slice;
        input.v[3] = (uint64_t)in->lane_len * in->lanes;
        input.v[4] = in->passes;
        input.v[5] = A2_ARGON2ID;
    }
    if (pass == 0 && slice == 0) {
        i = 2; /* the first two blocks of a lane come from H0 */
        if (indep)
            next_addresses(&addr, &input, &zero);
    }
    cur = lane * in->lane_len + slice * in->seg_len + i;
    prev = cur % in->lane_len == 0 ? cur + in->lane_len - 1 : cur - 1;
    for (; i < in->seg_len; i++, cur++, prev++) {
        uint64_t rand;
        uint32_t ref_lane;

        if (cur % in->lane_len == 1)
            prev = cur - 1;
        if (indep) {
            if (i % WORDS == 0)
                next_addresses(&addr, &input, &zero);
            rand = addr.v[i % WORDS];
        } else {
            rand = in->mem[prev].v[0];
        }
        ref_lane = pass == 0 && slice == 0 ? lane : (uint32_t)((rand >> 32) % in->lanes);
        fill_block(&in->mem[prev],
                   &in->mem[(size_t)ref_lane * in->lane_len +
                            ref_index(in, pass, slice, i, (uint32_t)rand, ref_lane == lane)],
                   &in->mem[cur], pass != 0);
    }
    explicit_bzero(&addr, sizeof(addr));
    explicit_bzero(&input, sizeof(input));
}

int
hall_argon2id_cpu_ok(void)
{
    return __builtin_cpu_supports("avx2");
}

size_t
hall_argon2id_bytes(uint32_t m, uint32_t p)
{
    if (p == 0)
        return 0;
    if (m < 8 * p)
        m = 8 * p;
    return (size_t)(m / (A2_SYNC_POINTS * p)) * A2_SYNC_POINTS * p * sizeof(block);
}

int
hall_argon2id(const void *pwd, size_t pwdlen, const void *salt, size_t saltlen, uint32_t t,
              uint32_t m, uint32_t p, uint8_t *out, size_t outlen, void *memory, size_t memlen)
{
    struct inst in;
    struct b2 s;
    uint8_t h0[72], word[4], bytes[sizeof(block)];
    block last;
    uint32_t pass, slice, lane, k;
    size_t need = hall_argon2id_bytes(m, p);

    if (!hall_argon2id_cpu_ok() || p < 1 || p > 0xffffff || t < 1 || outlen < 4 ||
        outlen > 0xffffffffu || saltlen < 8 || saltlen > 0xffffffffu || pwdlen > 0xffffffffu ||
        need == 0 || memlen < need)
        return HALL_ERR;
    in.mem = memory;
    in.passes = t;
    in.lanes = p;
    in.lane_len = (uint32_t)(need / sizeof(block) / p);
    in.seg_len = in.lane_len / A2_SYNC_POINTS;

    /* H0 = H^64(p, T, m, t, v, y, P, S, K (empty), X (empty)) */
    b2_init(&s, 64);
    put_le32(word, p);
    b2_update(&s, word, 4);
    put_le32(word, (uint32_t)outlen);
    b2_update(&s, word, 4);
    put_le32(word, m);
    b2_update(&s, word, 4);
    put_le32(word, t);
    b2_update(&s, word, 4);
    put_le32(word, A2_VERSION);
    b2_update(&s, word, 4);
    put_le32(word, A2_ARGON2ID);
    b2_update(&s, word, 4);
    put_le32(word, (uint32_t)pwdlen);
    b2_update(&s, word, 4);
    b2_update(&s, pwd, pwdlen);
    put_le32(word, (uint32_t)saltlen);
    b2_update(&s, word, 4);
    b2_update(&s, salt, saltlen);
    put_le32(word, 0);
    b2_update(&s, word, 4);
    b2_update(&s, word, 4);
    b2_final(&s, h0);

    /* B[i][0] = H'^1024(H0 || LE32(0) || LE32(i)), B[i][1] likewise with 1 */
    for (lane = 0; lane < p; lane++) {
        for (k = 0; k < 2; k++) {
            put_le32(h0 + 64, k);
            put_le32(h0 + 68, lane);
            h_prime(bytes, sizeof(bytes), h0, sizeof(h0), NULL, 0);
            memcpy(&in.mem[(size_t)lane * in.lane_len + k], bytes, sizeof(bytes));
        }
    }
    explicit_bzero(h0, sizeof(h0));

    for (pass = 0; pass < t; pass++)
        for (slice = 0; slice < A2_SYNC_POINTS; slice++)
            for (lane = 0; lane < p; lane++)
                fill_segment(&in, pass, slice, lane);

    /* the tag: H'^T of the XOR of every lane's last block */
    last = in.mem[in.lane_len - 1];
    for (lane = 1; lane < p; lane++)
        for (k = 0; k < WORDS; k++)
            last.v[k] ^= in.mem[(size_t)lane * in.lane_len + in.lane_len - 1].v[k];
    memcpy(bytes, &last, sizeof(bytes));
    h_prime(out, outlen, bytes, sizeof(bytes), NULL, 0);
    explicit_bzero(&last, sizeof(last));
    explicit_bzero(bytes, sizeof(bytes));
    explicit_bzero(memory, need);
    return HALL_OK;
}

#else /* not x86-64: libargon2 computes every hash (crypto.c) */

int
hall_argon2id_cpu_ok(void)
{
    return 0;
}

size_t
hall_argon2id_bytes(uint32_t m, uint32_t p)
{
    (void)m;
    (void)p;
    return 0;
}

int
hall_argon2id(const void *pwd, size_t pwdlen, const void *salt, size_t saltlen, uint32_t t,
              uint32_t m, uint32_t p, uint8_t *out, size_t outlen, void *memory, size_t memlen)
{
    return HALL_ERR;
}

#endif
