using Accel.Model.Arithmetic;
using ILGPU;

namespace Accel.Golden.Ilgpu;

/// <summary>Shape of one convolution as the kernels see it (input already zero-padded).</summary>
public struct ConvParams
{
    /// <summary>All input channels (of the padded copy), and per group (rule GROUPED_CONV) the input and output channel counts.</summary>
    public int Cin;
    public int CinG, CoutG;
    /// <summary>Padded input height and width (zero border of Pad, plus zero overhang for the tile).</summary>
    public int Hp, Wp;
    public int K, S;
    public int Hout, Wout;
    public int Cout;
    /// <summary>Cout rounded up to 4: the innermost dimension of the transposed weights.</summary>
    public int OCp;
    /// <summary>LOAD_ACTIVATION mask of the input (0xFF unsigned, -1 signed) and the output's ACTIVATION_RANGE.</summary>
    public int InMask;
    public int Lo, Hi;
}

/// <summary>
/// The golden model's ILGPU kernels. Every one implements the int8 contract exactly; conv weights
/// are transposed to [ic of the group][ky][kx][oc padded to 4] and read a zero-padded input copy, so
/// inner loops have no bounds checks. Index first, primitives and views only.
/// </summary>
public static class Kernels
{
    /// <summary>
    /// dst (C x Hp x Wp) = src (C x H x W) shifted by pad, zeros elsewhere. One thread per padded row
    /// (per-element threads cost a group barrier every few bytes on the CPU accelerator).
    /// </summary>
    public static void Pad(Index1D row, ArrayView<sbyte> src, ArrayView<sbyte> dst, int h, int w, int hp, int wp, int pad)
    {
        int y = row % hp;
        int c = row / hp;
        int iy = y - pad;
        int d = row * wp;
        if (iy < 0 || iy >= h)
        {
            for (int x = 0; x < wp; x++) dst[d + x] = 0;
            return;
        }
        int sRow = (c * h + iy) * w;
        for (int x = 0; x < wp; x++)
        {
            int ix = x - pad;
            dst[d + x] = ix >= 0 && ix < w ? src[sRow + ix] : (sbyte)0;
        }
    }

    /// <summary>
    /// CPU shape of an ungrouped conv: one thread per (4-output-channel block, output row); a 4 channel
    /// x 4 column register tile of int accumulators. Stores are guarded for ragged channel and width edges.
    /// </summary>
    public static void ConvTiled(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> wt, ArrayView<int> bias,
        ArrayView<int> mult, ArrayView<int> shift, ArrayView<sbyte> y, ConvParams p)
    {
        int oy = i % p.Hout;
        int oc0 = (i / p.Hout) * 4;
        int k = p.K, s = p.S, wp = p.Wp, ocp = p.OCp, mask = p.InMask;
        int hwOut = p.Hout * p.Wout;
        int b0 = bias[oc0], b1 = bias[oc0 + 1], b2 = bias[oc0 + 2], b3 = bias[oc0 + 3];
        for (int ox0 = 0; ox0 < p.Wout; ox0 += 4)
        {
            int a00 = b0, a01 = b0, a02 = b0, a03 = b0;
            int a10 = b1, a11 = b1, a12 = b1, a13 = b1;
            int a20 = b2, a21 = b2, a22 = b2, a23 = b2;
            int a30 = b3, a31 = b3, a32 = b3, a33 = b3;
            if (k == 1)
            {
                // 1x1: one tap per input channel, no kernel-window loops.
                int plane = p.Hp * wp;
                int xb = oy * s * wp + ox0 * s;
                int wb = oc0;
                for (int ic = 0; ic < p.Cin; ic++, xb += plane, wb += ocp)
                {
                    int x0 = x[xb] & mask, x1 = x[xb + s] & mask, x2 = x[xb + 2 * s] & mask, x3 = x[xb + 3 * s] & mask;
                    int w0 = wt[wb], w1 = wt[wb + 1], w2 = wt[wb + 2], w3 = wt[wb + 3];
                    a00 += w0 * x0; a01 += w0 * x1; a02 += w0 * x2; a03 += w0 * x3;
                    a10 += w1 * x0; a11 += w1 * x1; a12 += w1 * x2; a13 += w1 * x3;
                    a20 += w2 * x0; a21 += w2 * x1; a22 += w2 * x2; a23 += w2 * x3;
                    a30 += w3 * x0; a31 += w3 * x1; a32 += w3 * x2; a33 += w3 * x3;
                }
            }
            else for (int ic = 0; ic < p.Cin; ic++)
            {
                for (int ky = 0; ky < k; ky++)
                {
                    int rowBase = (ic * p.Hp + oy * s + ky) * wp + ox0 * s;
                    int wRow = (ic * k + ky) * k * ocp + oc0;
                    for (int kx = 0; kx < k; kx++)
                    {
                        int xb = rowBase + kx;
                        int x0 = x[xb] & mask, x1 = x[xb + s] & mask, x2 = x[xb + 2 * s] & mask, x3 = x[xb + 3 * s] & mask;
                        int wb = wRow + kx * ocp;
                        int w0 = wt[wb], w1 = wt[wb + 1], w2 = wt[wb + 2], w3 = wt[wb + 3];
                        a00 += w0 * x0; a01 += w0 * x1; a02 += w0 * x2; a03 += w0 * x3;
                        a10 += w1 * x0; a11 += w1 * x1; a12 += w1 * x2; a13 += w1 * x3;
                        a20 += w2 * x0; a21 += w2 * x1; a22 += w2 * x2; a23 += w2 * x3;
                        a30 += w3 * x0; a31 += w3 * x1; a32 += w3 * x2; a33 += w3 * x3;
                    }
                }
            }
            int n = p.Wout - ox0;
            if (n > 4) n = 4;
            int baseOut = oy * p.Wout + ox0;
            Store4(y, mult, shift, p, oc0, baseOut, hwOut, n, a00, a01, a02, a03);
            Store4(y, mult, shift, p, oc0 + 1, baseOut, hwOut, n, a10, a11, a12, a13);
            Store4(y, mult, shift, p, oc0 + 2, baseOut, hwOut, n, a20, a21, a22, a23);
            Store4(y, mult, shift, p, oc0 + 3, baseOut, hwOut, n, a30, a31, a32, a33);
        }
    }

    private static void Store4(ArrayView<sbyte> y, ArrayView<int> mult, ArrayView<int> shift, ConvParams p,
        int oc, int baseOut, int hwOut, int n, int a0, int a1, int a2, int a3)
    {
        if (oc >= p.Cout) return;
        int m = mult[oc], sh = shift[oc], lo = p.Lo, hi = p.Hi;
        int o = oc * hwOut + baseOut;
        y[o] = (sbyte)Int8Arithmetic.Requantize(a0, m, sh, lo, hi);
        if (n > 1) y[o + 1] = (sbyte)Int8Arithmetic.Requantize(a1, m, sh, lo, hi);
        if (n > 2) y[o + 2] = (sbyte)Int8Arithmetic.Requantize(a2, m, sh, lo, hi);
        if (n > 3) y[o + 3] = (sbyte)Int8Arithmetic.Requantize(a3, m, sh, lo, hi);
    }

    /// <summary>
    /// CPU shape of a grouped or depthwise conv (whose 4-channel blocks would straddle groups): one
    /// thread per (output channel, output row), 4 columns of accumulators at a time. The padded input
    /// is wide enough for the overhanging columns of the last tile, as for <see cref="ConvTiled"/>.
    /// </summary>
    public static void GroupedConvRows(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> wt, ArrayView<int> bias,
        ArrayView<int> mult, ArrayView<int> shift, ArrayView<sbyte> y, ConvParams p)
    {
        int oy = i % p.Hout;
        int oc = i / p.Hout;
        int k = p.K, s = p.S, wp = p.Wp, ocp = p.OCp, mask = p.InMask;
        int icBase = oc / p.CoutG * p.CinG;
        int b = bias[oc], m = mult[oc], sh = shift[oc];
        int outRow = (oc * p.Hout + oy) * p.Wout;
        for (int ox0 = 0; ox0 < p.Wout; ox0 += 4)
        {
            int a0 = b, a1 = b, a2 = b, a3 = b;
            for (int j = 0; j < p.CinG; j++)
                for (int ky = 0; ky < k; ky++)
                {
                    int rowBase = ((icBase + j) * p.Hp + oy * s + ky) * wp + ox0 * s;
                    int wRow = (j * k + ky) * k * ocp + oc;
                    for (int kx = 0; kx < k; kx++)
                    {
                        int xb = rowBase + kx;
                        int wv = wt[wRow + kx * ocp];
                        a0 += wv * (x[xb] & mask);
                        a1 += wv * (x[xb + s] & mask);
                        a2 += wv * (x[xb + 2 * s] & mask);
                        a3 += wv * (x[xb + 3 * s] & mask);
                    }
                }
            int n = p.Wout - ox0;
            int o = outRow + ox0;
            y[o] = (sbyte)Int8Arithmetic.Requantize(a0, m, sh, p.Lo, p.Hi);
            if (n > 1) y[o + 1] = (sbyte)Int8Arithmetic.Requantize(a1, m, sh, p.Lo, p.Hi);
            if (n > 2) y[o + 2] = (sbyte)Int8Arithmetic.Requantize(a2, m, sh, p.Lo, p.Hi);
            if (n > 3) y[o + 3] = (sbyte)Int8Arithmetic.Requantize(a3, m, sh, p.Lo, p.Hi);
        }
    }

    /// <summary>GPU shape: one thread per output element (oc, oy, ox), any group count, same layouts as <see cref="ConvTiled"/>.</summary>
    public static void ConvPerElement(Index1D i, ArrayView<sbyte> x, ArrayView<sbyte> wt, ArrayView<int> bias,
        ArrayView<int> mult, ArrayView<int> shift, ArrayView<sbyte> y, ConvParams p)
    {
        int ox = i % p.Wout;
        int rest = i / p.Wout;
        int oy = rest % p.Hout;
        int oc = rest / p.Hout;
        int k = p.K;
        int icBase = oc / p.CoutG * p.CinG;
        int acc = bias[oc];
        for (int j = 0; j < p.CinG; j++)
            for (int ky = 0; ky < k; ky++)
            {
                int rowBase = ((icBase + j) * p.Hp + oy * p.S + ky) * p.Wp + ox * p.S;
                int wRow = (j * k + ky) * k * p.OCp + oc;
                for (int kx = 0; kx < k; kx++)
                    acc += wt[wRow + kx * p.OCp] * (x[rowBase + kx] & p.InMask);
            }
        y[i] = (sbyte)Int8Arithmetic.Requantize(acc, mult[oc], shift[oc], p.Lo, p.Hi);
    }

    /// <summary>Max pool: one thread per output row (c, oy), max over in-bounds taps only.</summary>
    public static void MaxPool(Index1D row, ArrayView<sbyte> x, ArrayView<sbyte> y,
        int h, int w, int hout, int wout, int k, int s, int pad, int mask)
    {
        int oy = row % hout;
        int c = row / hout;
        for (int ox = 0; ox < wout; ox++)
        {
            int best = Int8Arithmetic.PoolPadValue;
            for (int ky = 0; ky < k; ky++)
            {
                int iy = oy * s + ky - pad;
                if (iy < 0 || iy >= h) continue;
                for (int kx = 0; kx < k; kx++)
                {
                    int ix = ox * s + kx - pad;
                    if (ix < 0 || ix >= w) continue;
                    int v = x[(c * h + iy) * w + ix] & mask;
                    if (v > best) best = v;
                }
            }
            y[row * wout + ox] = (sbyte)best;
        }
    }

    /// <summary>Global average pool: one thread per channel, int32 sum then requantize without ReLU.</summary>
    public static void GlobalAvgPool(Index1D c, ArrayView<sbyte> x, ArrayView<sbyte> y, int hw, int multiplier, int shift, int mask)
    {
        int sum = 0;
        int b = c * hw;
        for (int j = 0; j < hw; j++) sum += x[b + j] & mask;
        y[c] = (sbyte)Int8Arithmetic.Requantize(sum, multiplier, shift, Int8Arithmetic.ActivationMin, Int8Arithmetic.ActivationMax);
    }

    /// <summary>Rule ADD: one thread per row of <paramref name="width"/> elements; a and b as loaded (their masks).</summary>
    public static void AddRows(Index1D row, ArrayView<sbyte> a, ArrayView<sbyte> b, ArrayView<sbyte> y, int width,
        int maskA, int maskB, int multiplierA, int multiplierB, int shift, int lo, int hi)
    {
        var r = new AddRequant(multiplierA, multiplierB, shift);
        for (int i = row * width; i < (row + 1) * width; i++)
            y[i] = (sbyte)CompactOperators.Add(a[i] & maskA, b[i] & maskB, r, lo, hi);
    }

    /// <summary>Rule ACTIVATION_LOOKUP: one thread per row; the stored byte indexes the 256-entry table.</summary>
    public static void LookupRows(Index1D row, ArrayView<sbyte> x, ArrayView<int> table, ArrayView<sbyte> y, int width)
    {
        for (int i = row * width; i < (row + 1) * width; i++)
            y[i] = (sbyte)table[x[i] & 0xFF];
    }

    /// <summary>
    /// Rule AVGPOOL: one thread per output row (c, oy); each window's in-bounds sum and tap count n,
    /// then REQUANT with multiplier and shift entry n - 1.
    /// </summary>
    public static void AvgPoolRows(Index1D row, ArrayView<sbyte> x, ArrayView<sbyte> y, ArrayView<int> mult, ArrayView<int> shift,
        int h, int w, int hout, int wout, int k, int s, int pad, int mask, int lo, int hi)
    {
        int oy = row % hout;
        int c = row / hout;
        for (int ox = 0; ox < wout; ox++)
        {
            int sum = 0, n = 0;
            for (int ky = 0; ky < k; ky++)
            {
                int iy = oy * s + ky - pad;
                if (iy < 0 || iy >= h) continue;
                for (int kx = 0; kx < k; kx++)
                {
                    int ix = ox * s + kx - pad;
                    if (ix < 0 || ix >= w) continue;
                    sum += x[(c * h + iy) * w + ix] & mask;
                    n++;
                }
            }
            y[row * wout + ox] = (sbyte)Int8Arithmetic.Requantize(sum, mult[n - 1], shift[n - 1], lo, hi);
        }
    }

    /// <summary>CHANNEL_SHUFFLE and CHANNEL_SLICE: one thread per output channel, which copies plane <paramref name="source"/>[c].</summary>
    public static void GatherChannels(Index1D c, ArrayView<sbyte> x, ArrayView<int> source, ArrayView<sbyte> y, int plane)
    {
        int from = source[c] * plane;
        int to = c * plane;
        for (int i = 0; i < plane; i++) y[to + i] = x[from + i];
    }

    /// <summary>Rule SCALE: one thread per row (c, y) of the map; every element times the gate of channel c, then REQUANT.</summary>
    public static void ScaleRows(Index1D row, ArrayView<sbyte> x, ArrayView<sbyte> gate, ArrayView<sbyte> y, int height, int width,
        int mask, int gateMask, int multiplier, int shift, int lo, int hi)
    {
        int g = gate[row / height] & gateMask;
        for (int i = row * width; i < (row + 1) * width; i++)
            y[i] = (sbyte)Int8Arithmetic.Requantize((x[i] & mask) * g, multiplier, shift, lo, hi);
    }

    /// <summary>Elements per thread of <see cref="Copy"/>.</summary>
    public const int CopyChunk = 256;

    /// <summary>Plain copy (concat inputs that were not written in place), <see cref="CopyChunk"/> elements per thread.</summary>
    public static void Copy(Index1D chunk, ArrayView<sbyte> src, ArrayView<sbyte> dst, int length)
    {
        int start = chunk * CopyChunk;
        int end = start + CopyChunk < length ? start + CopyChunk : length;
        for (int i = start; i < end; i++) dst[i] = src[i];
    }
}
