using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>
/// A DMA transfer of <see cref="Chunks"/> runs of <see cref="ChunkWords"/> words between DRAM
/// (byte address and stride) and an on-chip slot (runs <see cref="ChipStride"/> words apart).
/// <see cref="Key"/> names the data, so a step that needs what a slot already holds skips the load.
/// </summary>
public sealed record Transfer(long DramByte, long DramStrideBytes, int Chunks, int ChunkWords, int ChipStride, string Root, string Key)
{
    public long Words => (long)Chunks * ChunkWords;

    /// <summary>True when the two transfers touch a common DRAM byte.</summary>
    public bool Overlaps(Transfer other, int wordBytes)
    {
        long len = (long)ChunkWords * wordBytes, otherLen = (long)other.ChunkWords * wordBytes;
        if (DramByte + (Chunks - 1) * DramStrideBytes + len <= other.DramByte) return false;
        if (other.DramByte + (other.Chunks - 1) * other.DramStrideBytes + otherLen <= DramByte) return false;
        for (int i = 0; i < Chunks; i++)
        {
            long a0 = DramByte + i * DramStrideBytes, a1 = a0 + len;
            for (int j = 0; j < other.Chunks; j++)
            {
                long b0 = other.DramByte + j * other.DramStrideBytes;
                if (b0 < a1 && b0 + otherLen > a0) return true;
            }
        }
        return false;
    }
}

/// <summary>
/// One step of a layer: the weights and input it needs in its slots, the compute instruction
/// (slot-relative addresses: the program builder adds the slot bases) and the store of its output.
/// </summary>
public sealed record LayerStep(int Layer, Transfer? Weights, Transfer Input, Opcode ComputeOp,
    IReadOnlyDictionary<string, long> Compute, Transfer Store)
{
    /// <summary>
    /// A second operand (an element-wise ADD's b), loaded into the same input slot right after
    /// <see cref="Input"/>'s words; the two load as one slot content.
    /// </summary>
    public Transfer? SecondInput { get; init; }

    /// <summary>What the input slot holds for this step.</summary>
    public string InputKey => SecondInput is null ? Input.Key : Input.Key + " + " + SecondInput.Key;

    /// <summary>The DRAM this step reads into its input slot.</summary>
    public IEnumerable<Transfer> InputReads => SecondInput is null ? [Input] : [Input, SecondInput];
}

/// <summary>
/// Tiles one layer onto the array and the on-chip slots: row stripes whose input rows (with the
/// kernel's halo) fit an input slot and whose output fits an output slot, chunks of output tiles
/// whose weights fit a weight slot, accumulator bands inside a stripe. A layer that cannot fit
/// even one output row is an error naming the layer, the buffer and the size it needs.
/// </summary>
internal static class LayerTiling
{
    /// <summary>Stripes a single-chunk 1x1 convolution is split into at least.</summary>
    public const int MinOverlappedStripes = 3;

    public static ScheduledOp Conv(EngineConfig c, int layer, Node node, ConvLayer conv, TensorPlacement input, TensorPlacement output,
        IReadOnlySet<string> unsignedTensors, long weightBase, int paramBase, List<LayerStep> steps)
    {
        var o = node.Output;
        // A packed input is already the im2col of the window: a 1x1 convolution over it.
        var (k, s, p) = input.Im2Col is null ? (conv.KernelSize, conv.Stride, conv.Padding) : (1, 1, 0);
        int hin = input.Shape.Height, win = input.Shape.Width, gin = input.Groups;
        if (o.Width > c.AccumulatorDepth)
            throw new ScheduleException($"layer '{node.Name}': an output row of {o.Width} pixels does not fit the accumulator ({c.AccumulatorDepth} pixels per bank)");
        // An output tile is one physical group of the output placement: dense, or another tensor's layout (holes included) when the schedule asks for it.
        int tiles = output.Groups;
        // A grouped convolution: each output tile reads only the input groups its conv groups need.
        var tileGroups = conv.Groups == 1 || input.Im2Col is not null ? null : TileInputGroups(c, node, conv, input, output);
        (int First, int Count) GroupsOf(int t) => tileGroups?[t] ?? (0, gin);
        if (tileGroups is not null) gin = tileGroups.Max(t => t.Count);
        int passes = gin * k * k, tileWords = passes * c.Rows;
        if (tileWords > c.WeightSlotWords)
            throw new BufferCapacityException(node.Name, "weight", 2L * tileWords, c.WeightDepth, $"layer '{node.Name}': the weights of one output tile ({passes} passes x {c.Rows} rows = {tileWords} words) " +
                $"do not fit a weight-buffer slot of {c.WeightSlotWords} words; the weight buffer needs a depth of at least {2 * tileWords} (configured {c.WeightDepth}, two slots)");
        if (o.Width > c.OutputSlotWords)
            throw new BufferCapacityException(node.Name, "output", 2L * o.Width, c.OutputDepth, $"layer '{node.Name}': one output row of one tile ({o.Width} words) does not fit an output-buffer slot of {c.OutputSlotWords} words; " +
                $"the output buffer needs a depth of at least {2 * o.Width} (configured {c.OutputDepth}, two slots)");
        int firstRows = Math.Min(hin, k) * win * gin;
        if (firstRows > c.InputSlotWords)
            throw new BufferCapacityException(node.Name, "input", 2L * firstRows, c.InputDepth, $"layer '{node.Name}': one output row reads {gin} groups x {Math.Min(hin, k)} rows x {win} = {firstRows} input words, " +
                $"more than an input-buffer slot of {c.InputSlotWords} words; the input buffer needs a depth of at least {2 * firstRows} (configured {c.InputDepth}, two slots)");

        // Chunks of output tiles whose weights fit a weight slot; a chunk's tiles read the same input groups.
        var chunkList = new List<(int T0, int Tn, int G0, int Gn)>();
        for (int t0 = 0; t0 < tiles;)
        {
            var range = GroupsOf(t0);
            int runEnd = t0 + 1;
            while (runEnd < tiles && GroupsOf(runEnd) == range) runEnd++;
            int runTiles = runEnd - t0, runTileWords = range.Count * k * k * c.Rows;
            int perChunk = Math.Min(runTiles, Math.Min(c.WeightSlotWords / runTileWords, c.OutputSlotWords / o.Width));
            int runChunks = Ceil(runTiles, perChunk);
            perChunk = Ceil(runTiles, runChunks);
            for (int t = t0; t < runEnd; t += perChunk) chunkList.Add((t, Math.Min(perChunk, runEnd - t), range.First, range.Count));
            t0 = runEnd;
        }
        int chunks = chunkList.Count;
        int chunkTiles = chunkList.Max(ch => ch.Tn);
        int rmax = MaxRows(o.Height, r => (long)gin * InRows(r, s, k, hin) * win <= c.InputSlotWords && (long)chunkTiles * r * o.Width <= c.OutputSlotWords);
        int stripes = Ceil(o.Height, rmax);
        // A 1x1 layer done in one step could not load while it computes; a few stripes let the
        // next stripe's input load under the current one's compute (no halo rows to read twice).
        if (k == 1 && chunks == 1) stripes = Math.Max(stripes, Math.Min(o.Height, MinOverlappedStripes));
        int stripeRows = Ceil(o.Height, stripes);
        int bandRows = Math.Min(stripeRows, c.AccumulatorDepth / o.Width);
        bandRows = Ceil(stripeRows, Ceil(stripeRows, bandRows));
        // A step ends with its last band's drain, which nothing overlaps: short steps (one pass
        // per band, as in a 1x1 expand) do better with smaller bands. The cost model chooses.
        int widest = bandRows, stripeTiles = Math.Min(chunkTiles, tiles);
        bandRows = Enumerable.Range(1, widest).Reverse()
            .MinBy(b => CostModel.ConvBusy(c, stripeRows, o.Width, stripeTiles, b, passes));

        var (lo, hi) = Int8Arithmetic.OutputRange(conv.Relu, unsignedTensors.Contains(node.Name));
        int wb = c.DramWordBytes;
        var stripeList = Balanced(o.Height, stripes);
        long rowsOnce = stripeList.Sum(st => (long)RowSpan(st.Y0, st.Rows, s, k, p, hin).Rows * win);
        long inputWordsOnce = gin * rowsOnce;
        long weightWordsOnce = chunkList.Sum(ch => (long)ch.Tn * ch.Gn * k * k * c.Rows);
        // Chunks reading different input groups load their own input either way.
        long inputStripeOuter = tileGroups is null ? inputWordsOnce : chunkList.Sum(ch => ch.Gn * rowsOnce);
        long inputChunkOuter = tileGroups is null ? chunks * inputWordsOnce : inputStripeOuter;
        bool chunkOuter = stripes > 1 && chunks > 1 && inputChunkOuter + weightWordsOnce < inputStripeOuter + stripes * weightWordsOnce;
        var order = chunkOuter
            ? from ch in Enumerable.Range(0, chunks) from st in Enumerable.Range(0, stripes) select (ch, st)
            : from st in Enumerable.Range(0, stripes) from ch in Enumerable.Range(0, chunks) select (ch, st);
        // Weight words before each tile in the layer's region (tiles of a grouped layer differ in passes).
        var tileWordBase = new long[tiles + 1];
        for (int t = 0; t < tiles; t++) tileWordBase[t + 1] = tileWordBase[t] + (long)GroupsOf(t).Count * k * k * c.Rows;

        foreach (var (ch, st) in order)
        {
            var (y0, rows) = stripeList[st];
            var (t0, tn, g0, gn) = chunkList[ch];
            int chunkPasses = gn * k * k;
            var (iy0, inRows, padTop, mapRows) = RowSpan(y0, rows, s, k, p, hin);
            int bands = Ceil(rows, bandRows);
            string inputKey = tileGroups is null ? $"{input.Root}/{input.Base}:rows {iy0}+{inRows}" : $"{input.Root}/{input.Base}:groups {g0}+{gn} rows {iy0}+{inRows}";
            var load = new Transfer((input.Base + (long)g0 * input.Plane + (long)iy0 * win) * wb, (long)input.Plane * wb, gn, inRows * win, inRows * win,
                input.Root, inputKey);
            long chunkWords = tileWordBase[t0 + tn] - tileWordBase[t0];
            var weights = new Transfer((weightBase + tileWordBase[t0]) * wb, 0, 1, (int)chunkWords, 0, "weights", $"weights/{node.Name}:tiles {t0}+{tn}");
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Conv,
                ["in_base"] = 0, ["in_h"] = mapRows, ["in_w"] = win, ["in_plane"] = inRows * win,
                ["in_groups"] = gn, ["in_unsigned"] = input.Unsigned ? 1 : 0,
                ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = o.Width, ["out_plane"] = rows * o.Width,
                ["kernel"] = k, ["stride"] = s, ["pad"] = p, ["pad_top"] = padTop,
                ["oc_tiles"] = tn, ["bands"] = bands, ["band_rows"] = bandRows, ["band_out_step"] = (long)bandRows * o.Width,
                ["wgt_base"] = 0, ["wgt_oct_stride"] = chunkPasses * c.Rows, ["passes_per_band"] = chunkPasses,
                ["par_base"] = paramBase + t0, ["lo"] = lo, ["hi"] = hi,
            };
            CheckDims(node.Name, fields);
            var store = new Transfer((output.Base + (long)t0 * output.Plane + (long)y0 * o.Width) * wb, (long)output.Plane * wb, tn, rows * o.Width, rows * o.Width,
                output.Root, $"{output.Root}/{output.Base}:tiles {t0}+{tn} rows {y0}+{rows}");
            steps.Add(new LayerStep(layer, weights, load, Opcode.Conv, fields, store));
        }
        return new ScheduledOp(node.Name, node.Group, Opcode.Conv, input, output, k, s, p, tiles, passes, stripes, chunks, weightBase, paramBase, node.Macs)
            { TileInputGroups = tileGroups, ConvGroups = conv.Groups };
    }

    /// <summary>
    /// For each output tile of a grouped convolution, the physical input groups holding the input
    /// channels of its output channels' conv groups (holes of either placement included; a tile of
    /// holes only reads the first group and gets zero weights).
    /// </summary>
    private static (int First, int Count)[] TileInputGroups(EngineConfig c, Node node, ConvLayer conv, TensorPlacement input, TensorPlacement output)
    {
        int cin = input.Shape.Channels, cout = conv.OutChannels, g = conv.Groups;
        if (cin % g != 0 || cout % g != 0)
            throw new ScheduleException($"layer '{node.Name}': {g} groups do not divide {cin} input and {cout} output channels");
        int cinPer = cin / g, coutPer = cout / g;
        var physical = new int[cin];
        var logical = input.LogicalChannels(c.Rows);
        for (int pc = 0; pc < logical.Length; pc++) if (logical[pc] >= 0) physical[logical[pc]] = pc;
        var outLogical = output.LogicalChannels(c.Cols);
        var result = new (int, int)[output.Groups];
        for (int t = 0; t < output.Groups; t++)
        {
            var tileChannels = outLogical.Skip(t * c.Cols).Take(c.Cols).Where(oc => oc >= 0).ToArray();
            if (tileChannels.Length == 0) { result[t] = (0, 1); continue; }
            int oc0 = tileChannels.Min(), oc1 = tileChannels.Max();
            int ic0 = oc0 / coutPer * cinPer, ic1 = (oc1 / coutPer + 1) * cinPer - 1;
            int first = int.MaxValue, last = -1;
            for (int ic = ic0; ic <= ic1; ic++)
            {
                first = Math.Min(first, physical[ic] / c.Rows);
                last = Math.Max(last, physical[ic] / c.Rows);
            }
            result[t] = (first, last - first + 1);
        }
        return result;
    }

    public static ScheduledOp MaxPool(EngineConfig c, MemoryModel memory, int layer, Node node, MaxPoolLayer pool, TensorPlacement input,
        TensorPlacement output, List<LayerStep> steps)
    {
        var o = node.Output;
        int k = pool.KernelSize, s = pool.Stride, p = pool.Padding, hin = input.Shape.Height, win = input.Shape.Width, groups = input.Groups;
        // Pooling is lane-wise, so a stripe may also take fewer groups.
        if (LaneWiseStripes(c, memory, o, k, s, p, hin, win, groups, weightWordsPerGroup: 0) is not { } choice)
            throw new BufferCapacityException(node.Name, "input", 2L * Math.Min(hin, k) * win, c.InputDepth, $"layer '{node.Name}': one output row of one group reads {Math.Min(hin, k)} rows x {win} = {Math.Min(hin, k) * win} input words; " +
                $"an input-buffer slot holds {c.InputSlotWords} and an output-buffer slot {c.OutputSlotWords} (depths {c.InputDepth} and {c.OutputDepth}, two slots each)");
        int gcChosen = Ceil(groups, Ceil(groups, choice.Groups)), stripeCount = choice.Stripes, wb = c.DramWordBytes;
        foreach (var (y0, rows) in Balanced(o.Height, stripeCount))
            for (int g0 = 0; g0 < groups; g0 += gcChosen)
            {
                int gn = Math.Min(gcChosen, groups - g0);
                var (iy0, inRows, padTop, mapRows) = RowSpan(y0, rows, s, k, p, hin);
                var load = new Transfer((input.Base + (long)g0 * input.Plane + (long)iy0 * win) * wb, (long)input.Plane * wb, gn, inRows * win, inRows * win,
                    input.Root, $"{input.Root}/{input.Base}:groups {g0}+{gn} rows {iy0}+{inRows}");
                var fields = new Dictionary<string, long>
                {
                    ["opcode"] = (long)Opcode.MaxPool,
                    ["in_base"] = 0, ["in_h"] = mapRows, ["in_w"] = win, ["in_plane"] = inRows * win,
                    ["in_groups"] = gn, ["in_unsigned"] = input.Unsigned ? 1 : 0,
                    ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = o.Width, ["out_plane"] = rows * o.Width,
                    ["kernel"] = k, ["stride"] = s, ["pad"] = p, ["pad_top"] = padTop,
                };
                CheckDims(node.Name, fields);
                var store = new Transfer((output.Base + (long)g0 * output.Plane + (long)y0 * o.Width) * wb, (long)output.Plane * wb, gn, rows * o.Width, rows * o.Width,
                    output.Root, $"{output.Root}/{output.Base}:groups {g0}+{gn} rows {y0}+{rows}");
                steps.Add(new LayerStep(layer, null, load, Opcode.MaxPool, fields, store));
            }
        return new ScheduledOp(node.Name, node.Group, Opcode.MaxPool, input, output, k, s, p, 0, 0, stripeCount, 0, 0, 0, 0);
    }

    /// <summary>
    /// A depthwise convolution on the depthwise unit: lane-wise like a max pool, so a step is a row
    /// stripe (with the kernel's halo) of some channel groups; each group brings its K x K weight
    /// words (through the weight cache, like a conv's chunks) and its channel-parameter word.
    /// The group count and stripe height are the ones that read the least, counting each step's latency.
    /// </summary>
    public static ScheduledOp Depthwise(EngineConfig c, MemoryModel memory, int layer, Node node, ConvLayer conv, TensorPlacement input,
        TensorPlacement output, IReadOnlySet<string> unsignedTensors, long weightBase, int paramBase, List<LayerStep> steps)
    {
        var o = node.Output;
        int k = conv.KernelSize, s = conv.Stride, p = conv.Padding, hin = input.Shape.Height, win = input.Shape.Width, groups = input.Groups;
        int taps = k * k;
        if (LaneWiseStripes(c, memory, o, k, s, p, hin, win, groups, weightWordsPerGroup: taps) is not { } choice)
            throw new BufferCapacityException(node.Name, "input", 2L * Math.Min(hin, k) * win, c.InputDepth, $"layer '{node.Name}': one output row of one channel group reads {Math.Min(hin, k)} rows x {win} = {Math.Min(hin, k) * win} input words; " +
                $"an input-buffer slot holds {c.InputSlotWords} and an output-buffer slot {c.OutputSlotWords} (depths {c.InputDepth} and {c.OutputDepth}, two slots each)");
        var (lo, hi) = Int8Arithmetic.OutputRange(conv.Relu, unsignedTensors.Contains(node.Name));
        int per0 = Ceil(groups, Ceil(groups, choice.Groups)), wb = c.DramWordBytes;
        foreach (var (y0, rows) in Balanced(o.Height, choice.Stripes))
            for (int g0 = 0; g0 < groups; g0 += per0)
            {
                int gn = Math.Min(per0, groups - g0);
                var (iy0, inRows, padTop, mapRows) = RowSpan(y0, rows, s, k, p, hin);
                var load = new Transfer((input.Base + (long)g0 * input.Plane + (long)iy0 * win) * wb, (long)input.Plane * wb, gn, inRows * win, inRows * win,
                    input.Root, $"{input.Root}/{input.Base}:groups {g0}+{gn} rows {iy0}+{inRows}");
                var weights = new Transfer((weightBase + (long)g0 * taps) * wb, 0, 1, gn * taps, 0, "weights", $"weights/{node.Name}:groups {g0}+{gn}");
                var fields = new Dictionary<string, long>
                {
                    ["opcode"] = (long)Opcode.DwConv,
                    ["in_base"] = 0, ["in_h"] = mapRows, ["in_w"] = win, ["in_plane"] = inRows * win,
                    ["in_groups"] = gn, ["in_unsigned"] = input.Unsigned ? 1 : 0,
                    ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = o.Width, ["out_plane"] = rows * o.Width,
                    ["kernel"] = k, ["stride"] = s, ["pad"] = p, ["pad_top"] = padTop,
                    ["wgt_base"] = 0, ["par_base"] = paramBase + g0, ["lo"] = lo, ["hi"] = hi,
                };
                CheckDims(node.Name, fields);
                var store = new Transfer((output.Base + (long)g0 * output.Plane + (long)y0 * o.Width) * wb, (long)output.Plane * wb, gn, rows * o.Width, rows * o.Width,
                    output.Root, $"{output.Root}/{output.Base}:groups {g0}+{gn} rows {y0}+{rows}");
                steps.Add(new LayerStep(layer, weights, load, Opcode.DwConv, fields, store));
            }
        return new ScheduledOp(node.Name, node.Group, Opcode.DwConv, input, output, k, s, p, 0, 0, choice.Stripes, Ceil(groups, per0), weightBase, paramBase, node.Macs)
            { ConvGroups = conv.Groups };
    }

    public static ScheduledOp AvgPool(EngineConfig c, int layer, Node node, TensorPlacement input, TensorPlacement output, int paramBase, List<LayerStep> steps)
    {
        int groups = input.Groups, plane = input.Plane, wb = c.DramWordBytes;
        int per = Math.Min(groups, Math.Min(c.InputSlotWords / plane, c.OutputSlotWords));
        if (per < 1)
            throw new BufferCapacityException(node.Name, "input", 2L * plane, c.InputDepth, $"layer '{node.Name}': a global average pool reads whole {input.Shape.Height}x{input.Shape.Width} planes ({plane} words), " +
                $"more than an input-buffer slot of {c.InputSlotWords} words; the input buffer needs a depth of at least {2 * plane} (configured {c.InputDepth}, two slots)");
        per = Ceil(groups, Ceil(groups, per));
        for (int g0 = 0; g0 < groups; g0 += per)
        {
            int gn = Math.Min(per, groups - g0);
            var load = new Transfer((input.Base + (long)g0 * plane) * wb, 0, 1, gn * plane, 0, input.Root, $"{input.Root}/{input.Base}:groups {g0}+{gn}");
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.AvgPool,
                ["in_base"] = 0, ["in_h"] = input.Shape.Height, ["in_w"] = input.Shape.Width, ["in_plane"] = plane,
                ["in_groups"] = gn, ["in_unsigned"] = input.Unsigned ? 1 : 0,
                ["out_base"] = 0, ["out_h"] = 1, ["out_w"] = 1, ["out_plane"] = 1,
                ["par_base"] = paramBase,
                // Rule GLOBAL_AVGPOOL requantizes to the signed int8 range.
                ["lo"] = Int8Arithmetic.ActivationMin, ["hi"] = Int8Arithmetic.ActivationMax,
            };
            CheckDims(node.Name, fields);
            var store = new Transfer((output.Base + g0) * wb, 0, 1, gn, 0, output.Root, $"{output.Root}/{output.Base}:groups {g0}+{gn}");
            steps.Add(new LayerStep(layer, null, load, Opcode.AvgPool, fields, store));
        }
        return new ScheduledOp(node.Name, node.Group, Opcode.AvgPool, input, output, 0, 0, 0, 0, 0, Ceil(groups, per), 0, 0, paramBase, 0);
    }

    /// <summary>Input rows an output stripe of <paramref name="rows"/> rows reads at most.</summary>
    private static int InRows(int rows, int stride, int kernel, int inH) => Math.Min(inH, (rows - 1) * stride + kernel);

    /// <summary>
    /// The input rows output rows [y0, y0+rows) read: first row, count, the padding rows above
    /// the first loaded row (the stripe's own top padding) and the rows the unit may read as the
    /// map. A stripe that reads only bottom padding (a padded 1x1 convolution's last rows) loads
    /// one row but gives the unit an empty map, so every tap is padding.
    /// </summary>
    public static (int First, int Rows, int PadTop, int MapRows) RowSpan(int y0, int rows, int stride, int kernel, int pad, int inH)
    {
        int top = y0 * stride - pad;
        int first = Math.Max(0, top);
        int end = Math.Min(inH, (y0 + rows - 1) * stride - pad + kernel);
        if (first >= inH) return (inH - 1, 1, 0, 0);
        return (first, Math.Max(1, end - first), first - top, Math.Max(1, end - first));
    }

    /// <summary>Rows split into <paramref name="stripes"/> stripes whose heights differ by at most one.</summary>
    public static List<(int Y0, int Rows)> Balanced(int height, int stripes)
    {
        var list = new List<(int, int)>(stripes);
        int y0 = 0;
        for (int j = 0; j < stripes; j++)
        {
            int rows = height / stripes + (j < height % stripes ? 1 : 0);
            list.Add((y0, rows));
            y0 += rows;
        }
        return list;
    }

    /// <summary>
    /// For a lane-wise window unit (max pool, depthwise unit): the channel groups per step and the
    /// stripe count that read the least (halo rows are read twice), counting each step's latency;
    /// null when one output row of one group does not fit the slots.
    /// </summary>
    private static (int Groups, int Stripes)? LaneWiseStripes(EngineConfig c, MemoryModel memory, Shape o, int k, int s, int p, int hin, int win, int groups, int weightWordsPerGroup)
    {
        (int Groups, int Stripes, double Cost)? best = null;
        for (int per = groups; per >= 1; per--)
        {
            int gc = per;
            if ((long)gc * Math.Min(hin, k) * win > c.InputSlotWords || (long)gc * o.Width > c.OutputSlotWords || (long)gc * weightWordsPerGroup > c.WeightSlotWords) continue;
            int rmax = MaxRows(o.Height, r => (long)gc * InRows(r, s, k, hin) * win <= c.InputSlotWords && (long)gc * r * o.Width <= c.OutputSlotWords);
            int stripes = Ceil(o.Height, rmax);
            int stepsCount = stripes * Ceil(groups, gc);
            long words = 0;
            foreach (var (y0, rows) in Balanced(o.Height, stripes)) words += (long)groups * RowSpan(y0, rows, s, k, p, hin).Rows * win;
            double cost = words * c.BeatsPerWord / memory.BeatsPerCycle + stepsCount * (memory.ReadLatency + 2.0 * CostModel.StepOverhead);
            if (best is null || cost < best.Value.Cost) best = (gc, stripes, cost);
        }
        return best is { } b ? (b.Groups, b.Stripes) : null;
    }

    private static int MaxRows(int height, Func<int, bool> fits)
    {
        int r = 1;
        while (r < height && fits(r + 1)) r++;
        return r;
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;

    private static void CheckDims(string node, Dictionary<string, long> fields)
    {
        foreach (var name in new[] { "in_h", "in_w", "out_h", "out_w", "in_groups", "oc_tiles", "bands", "band_rows" })
            if (fields.TryGetValue(name, out long v) && v >= 1 << EngineConfig.DimBits)
                throw new ScheduleException($"layer '{node}': {name} = {v} exceeds the engine's {EngineConfig.DimBits}-bit dimension fields");
        foreach (var name in new[] { "kernel", "stride", "pad", "pad_top" })
            if (fields.TryGetValue(name, out long v) && v > 15)
                throw new ScheduleException($"layer '{node}': {name} = {v} exceeds 15");
    }
}
