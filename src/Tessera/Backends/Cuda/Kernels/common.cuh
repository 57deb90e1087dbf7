// Shared definitions of Tessera's CUDA kernels: weight layouts on the device, half and E8M0 conversions, warp reductions.
// Every kernel is extern "C" with a tsr_ prefix so the host finds it by name in the PTX (CudaModule.Function).
//
// Weight layouts on the device (the CUDA backend repacks ggml blocks on upload with tsr_repack_*):
//   F32   : float  [rows × K]
//   F16   : __half [rows × K]
//   Q8_0  : qs int8 [rows × K]          (value j of row r at qs[r·K + j])
//           d  half [rows × K/32]       (scale of block b of row r at d[r·K/32 + b])
//   MXFP4 : qs uint8 [rows × K/2]       (block b of row r at qs[r·K/2 + 16b .. +15], ggml order: byte j holds value j in its
//                                        low nibble and value j+16 in its high nibble)
//           e  uint8 [rows × K/32]      (E8M0 exponent of block b of row r)
// "rows" counts every row of every slice (expert) of the tensor: expert x's row r is row x·R + r.
#pragma once
#include <cuda_fp16.h>
#include <stdint.h>

#define TSR_WARP 32

// Programmatic dependent launch (Hopper and newer; the .pdl.ptx build of a module, compiled with TSR_PDL for compute_90):
// the host launches every kernel of such a module with programmatic stream serialisation, so a kernel may start while the
// one before it in the stream is still running. TSR_PDL_WAIT() blocks until that kernel has finished and its writes are
// visible: every kernel of these modules calls it before it reads anything an earlier kernel wrote (weights may be read
// before). TSR_PDL_TRIGGER() lets the next kernel start early. In the plain build both are nothing.
#ifdef TSR_PDL
#define TSR_PDL_WAIT() asm volatile("griddepcontrol.wait;" ::: "memory")
#define TSR_PDL_TRIGGER() asm volatile("griddepcontrol.launch_dependents;" :::)
#else
#define TSR_PDL_WAIT() ((void)0)
#define TSR_PDL_TRIGGER() ((void)0)
#endif
// Both, at the top of a kernel that reads earlier kernels' results from its start.
#define TSR_PDL_ENTRY() \
    do                  \
    {                   \
        TSR_PDL_WAIT(); \
        TSR_PDL_TRIGGER(); \
    } while (0)

// ggml's E2M1 table, doubled (facts §3.4); values are this times 2^(e−128).
__device__ __constant__ static const float tsr_mxfp4_values[16] = {0.f, 1.f, 2.f, 3.f, 4.f, 6.f, 8.f, 12.f,
                                                                   0.f, -1.f, -2.f, -3.f, -4.f, -6.f, -8.f, -12.f};

// 2^(e−128) as a float, exact for every e (e ≤ 1 gives denormals, as ggml's GGML_E8M0_TO_FP32_HALF).
__device__ __forceinline__ float tsr_e8m0_half(uint8_t e)
{
    uint32_t bits = e < 2 ? (0x00200000u << e) : ((uint32_t)(e - 1) << 23);
    return __uint_as_float(bits);
}

__device__ __forceinline__ float tsr_warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// d += A·B for one 16 × 8 tile, K 16, f16 inputs, f32 sums (mma.sync m16n8k16: A row-major 16 × 16, B column-major
// 16 × 8, fragments as in the PTX manual).
__device__ __forceinline__ void tsr_mma_f16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Word i (0..3) of 16 loaded bytes.
__device__ __forceinline__ uint32_t tsr_word(const uint4& v, int i)
{
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

__device__ __forceinline__ float tsr_warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Weight type codes, the ggml type ids.
#define TSR_F32 0
#define TSR_F16 1
#define TSR_Q8_0 8
#define TSR_MXFP4 39
// The matrix-vector kernels' integer path (matvec.cu): the same weights, x quantised to 8 bits, dp4a.
#define TSR_Q8_0_I8 108
#define TSR_MXFP4_I8 139

// MXFP4 nibbles to int8 with byte permutes (matvec.cu's integer decode products, gemm.cu's integer GEMMs): the signed
// bytes 0, 1, 2, 3, 4, 6, 8, 12 (ggml's doubled E2M1 magnitudes) as the two words of a permute table. With prmt's default
// mode a selector nibble with bit 3 set replicates the selected byte's sign, which is 0 for every byte of the table: one
// permute of z gives the magnitudes of the non-negative nibbles, one of z ^ 0x8888.. those of the negative ones.
#define TSR_FP4_T0 0x03020100u
#define TSR_FP4_T1 0x0C080604u

// TSR_FP4_T0 as a value per thread (threadIdx.x < 1024): given the constant, ptxas keeps it in a uniform register and
// copies it into a fresh one before every permute (one instruction more per permute).
__device__ __forceinline__ uint32_t tsr_fp4_table() { return TSR_FP4_T0 + (threadIdx.x >> 10); }

// The 4 bytes the low 4 nibbles of s select from the table (t0: tsr_fp4_table()).
__device__ __forceinline__ uint32_t tsr_fp4_prmt(uint32_t t0, uint32_t s)
{
    uint32_t d;   // prmt.b32, not __byte_perm, which ignores bit 3
    asm("prmt.b32 %0, %1, %2, %3;" : "=r"(d) : "r"(t0), "r"(TSR_FP4_T1), "r"(s));
    return d;
}
