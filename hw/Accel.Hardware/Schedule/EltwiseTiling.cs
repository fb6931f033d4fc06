using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;

namespace Accel.Hardware.Schedule;

/// <summary>
/// Tiling of the element-wise operators onto the ELTWISE unit. ADD: both operands share one
/// channel layout (groups and holes), so each step loads the same rows of the same groups of a
/// and b into one input slot, a's words then b's, and writes the sums in that layout.
/// </summary>
internal static class EltwiseTiling
{
    /// <summary>Steps an element-wise layer is cut into at least, so a step's loads overlap the previous one's compute.</summary>
    public const int MinOverlappedSteps = 3;

    /// <summary>The output placement of an ADD: its operands' layout; refused when they differ.</summary>
    public static TensorPlacement AddPlacement(Node node, TensorPlacement a, TensorPlacement b, long baseWord, bool unsignedOutput, int lanes)
    {
        if (a.Shape != b.Shape)
            throw new ScheduleException($"layer '{node.Name}': add inputs '{a.Name}' {a.Shape} and '{b.Name}' {b.Shape} differ in shape");
        if (a.Im2Col is not null || b.Im2Col is not null)
            throw new ScheduleException($"layer '{node.Name}': an add input stored im2col-style is not supported");
        // Segment lists may differ and still store every channel in the same lane (64 + 64 channels from groups 0 and 8 at 8 lanes is 128 from group 0).
        if (!a.SameLanes(b, lanes))
            throw new ScheduleException($"layer '{node.Name}': add inputs '{a.Name}' ({Layout(a)}) and '{b.Name}' ({Layout(b)}) are stored in different channel layouts; the engine adds word by word");
        return new TensorPlacement(node.Name, node.Output, baseWord, a.Groups, unsignedOutput, a.Segments);
    }

    private static string Layout(TensorPlacement t) =>
        $"{t.Groups} groups, segments {string.Join(", ", t.Segments.Select(s => $"{s.Count} channels from group {s.FirstGroup}"))}";

    public static ScheduledOp Add(EngineConfig c, int layer, Node node, AddLayer add, TensorPlacement a, TensorPlacement b,
        TensorPlacement output, int paramBase, List<LayerStep> steps)
    {
        var (lo, hi) = Int8Arithmetic.OutputRange(add.Relu, output.Unsigned);
        return WordSteps(c, layer, node, EltwiseOp.Add, a, b, output, paramBase, steps, new Dictionary<string, long>
        {
            ["in_unsigned"] = a.Unsigned ? 1 : 0, ["in2_unsigned"] = b.Unsigned ? 1 : 0, ["lo"] = lo, ["hi"] = hi,
        });
    }

    /// <summary>SCALE: the map times its channel's gate word; the gate (Cx1x1) must store its channels in the map's lanes.</summary>
    public static ScheduledOp Scale(EngineConfig c, int layer, Node node, TensorPlacement map, TensorPlacement gate,
        TensorPlacement output, int paramBase, List<LayerStep> steps)
    {
        if (!map.SameLanes(gate, c.Lanes))
            throw new ScheduleException($"layer '{node.Name}': the gate '{gate.Name}' ({Layout(gate)}) does not store its channels in the lanes of the map '{map.Name}' ({Layout(map)})");
        if (map.Im2Col is not null)
            throw new ScheduleException($"layer '{node.Name}': a scale of an input stored im2col-style is not supported");
        var (lo, hi) = Int8Arithmetic.OutputRange(false, output.Unsigned);
        return WordSteps(c, layer, node, EltwiseOp.Scale, map, gate, output, paramBase, steps, new Dictionary<string, long>
        {
            ["in_unsigned"] = map.Unsigned ? 1 : 0, ["in2_unsigned"] = gate.Unsigned ? 1 : 0, ["lo"] = lo, ["hi"] = hi,
        });
    }

    /// <summary>An activation: a table lookup per byte (rule ACTIVATION_LOOKUP); the output keeps the input's layout.</summary>
    public static ScheduledOp Lookup(EngineConfig c, int layer, Node node, TensorPlacement input, TensorPlacement output, int paramBase, List<LayerStep> steps)
    {
        if (input.Im2Col is not null)
            throw new ScheduleException($"layer '{node.Name}': an activation of an input stored im2col-style is not supported");
        return WordSteps(c, layer, node, EltwiseOp.Lookup, input, null, output, paramBase, steps, new Dictionary<string, long>());
    }

    /// <summary>
    /// Steps over the words of one or two operands of the same layout: the most groups for which one
    /// row of every operand fits the input slot and one row of the result the output slot, then as
    /// many rows as fit, at least <see cref="MinOverlappedSteps"/> steps where the map allows.
    /// </summary>
    private static ScheduledOp WordSteps(EngineConfig c, int layer, Node node, EltwiseOp what, TensorPlacement a, TensorPlacement? b,
        TensorPlacement output, int paramBase, List<LayerStep> steps, Dictionary<string, long> extra)
    {
        // A SCALE's second operand is one gate word per group, not a map of words.
        bool gated = what == EltwiseOp.Scale;
        int operands = b is null || gated ? 1 : 2;
        int groups = a.Groups, h = a.Shape.Height, w = a.Shape.Width, plane = a.Plane, wb = c.DramWordBytes;
        int gc = groups, rmax = 0;
        for (; gc >= 1; gc--)
        {
            rmax = Math.Min(h, Math.Min((c.InputSlotWords - (gated ? gc : 0)) / (operands * gc * w), c.OutputSlotWords / (gc * w)));
            if (rmax >= 1) break;
        }
        if (gc < 1)
            throw new BufferCapacityException(node.Name, "input", 2L * operands * w, c.InputDepth, $"layer '{node.Name}': one row of one group of its {operands} operand(s) ({operands * w} words) " +
                $"does not fit an input-buffer slot of {c.InputSlotWords} words (or its result an output slot of {c.OutputSlotWords}); the input buffer needs a depth of at least {2 * operands * w}");
        int groupSteps = (groups + gc - 1) / gc;
        gc = (groups + groupSteps - 1) / groupSteps;
        int stripes = (h + rmax - 1) / rmax;
        if (groupSteps * stripes < MinOverlappedSteps) stripes = Math.Min(h, Math.Max(stripes, (MinOverlappedSteps + groupSteps - 1) / groupSteps));

        foreach (var (y0, rows) in LayerTiling.Balanced(h, stripes))
            for (int g0 = 0; g0 < groups; g0 += gc)
            {
                int gn = Math.Min(gc, groups - g0), words = gn * rows * w;
                Transfer Rows(TensorPlacement t) =>
                    new((t.Base + (long)g0 * plane + (long)y0 * w) * wb, (long)plane * wb, gn, rows * w, rows * w,
                        t.Root, $"{t.Root}/{t.Base}:groups {g0}+{gn} rows {y0}+{rows}");
                var fields = new Dictionary<string, long>(extra)
                {
                    ["opcode"] = (long)Opcode.Eltwise, ["elt_op"] = (long)what,
                    // in_plane counts the words of one operand; a second operand's follow in the slot.
                    ["in_base"] = 0, ["in_h"] = rows, ["in_w"] = w, ["in_plane"] = words, ["in_groups"] = gn,
                    ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = w, ["out_plane"] = words,
                    ["par_base"] = paramBase,
                };
                if (gated) fields["out_plane"] = rows * w;
                var second = b is null ? null : gated
                    ? new Transfer((b.Base + g0) * wb, 0, 1, gn, 0, b.Root, $"{b.Root}/{b.Base}:groups {g0}+{gn}")
                    : Rows(b);
                steps.Add(new LayerStep(layer, null, Rows(a), Opcode.Eltwise, fields, Rows(output)) { SecondInput = second });
            }
        return new ScheduledOp(node.Name, node.Group, Opcode.Eltwise, a, output, 0, 0, 0, 0, 0, stripes, 0, 0, paramBase, 0);
    }

    /// <summary>One source word read of a gathered output group: its group in the slot, which output lanes take a byte and from which lane.</summary>
    public sealed record GatherRead(int SourceGroup, bool[] Take, int[] SourceLane);

    /// <summary>
    /// The reads that assemble each output group of a shuffle or slice: for every output lane holding
    /// a channel, the physical place of its source channel, grouped by source group. Every output
    /// group gets the same number of reads (the most any needs; the others take nothing), so the
    /// unit finds group g's k-th read at parameter word g*reads + k.
    /// </summary>
    public static List<GatherRead>[] GatherReads(EngineConfig c, Node node, TensorPlacement input, TensorPlacement output)
    {
        int lanes = c.Lanes, channels = node.Output.Channels;
        Func<int, int> source = node.Op switch
        {
            ChannelShuffleLayer sh => o => CompactOperators.ShuffleSource(o, channels, sh.Groups),
            ChannelSliceLayer sl => o => sl.Start + o,
            _ => throw new ArgumentException($"layer '{node.Name}' is not a channel shuffle or slice"),
        };
        var inLogical = input.LogicalChannels(lanes);
        var physical = new Dictionary<int, int>();
        for (int q = 0; q < inLogical.Length; q++) if (inLogical[q] >= 0) physical[inLogical[q]] = q;
        var outLogical = output.LogicalChannels(lanes);
        var groups = new List<GatherRead>[output.Groups];
        for (int g = 0; g < output.Groups; g++)
        {
            var bySource = new SortedDictionary<int, GatherRead>();
            for (int l = 0; l < lanes; l++)
            {
                int oc = outLogical[g * lanes + l];
                if (oc < 0) continue;
                int q = physical[source(oc)];
                if (!bySource.TryGetValue(q / lanes, out var read))
                    bySource[q / lanes] = read = new GatherRead(q / lanes, new bool[lanes], new int[lanes]);
                read.Take[l] = true;
                read.SourceLane[l] = q % lanes;
            }
            groups[g] = [.. bySource.Values];
        }
        int reads = Math.Max(1, groups.Max(r => r.Count));
        foreach (var list in groups)
            while (list.Count < reads) list.Add(new GatherRead(0, new bool[lanes], new int[lanes]));
        return groups;
    }

    /// <summary>A channel shuffle or slice: every output word gathered from the same pixel's source words (all groups of a row stripe in the slot).</summary>
    public static ScheduledOp Gather(EngineConfig c, int layer, Node node, TensorPlacement input, TensorPlacement output, int paramBase,
        List<LayerStep> steps, out int paramWords)
    {
        if (input.Im2Col is not null)
            throw new ScheduleException($"layer '{node.Name}': a shuffle or slice of an input stored im2col-style is not supported");
        var reads = GatherReads(c, node, input, output);
        int k = reads[0].Count, gin = input.Groups, gout = output.Groups, h = input.Shape.Height, w = input.Shape.Width, wb = c.DramWordBytes;
        paramWords = gout * k;
        int rmax = Math.Min(h, Math.Min(c.InputSlotWords / (gin * w), c.OutputSlotWords / (gout * w)));
        if (rmax < 1)
            throw new BufferCapacityException(node.Name, "input", 2L * gin * w, c.InputDepth, $"layer '{node.Name}': one row of every source group ({gin} x {w} words) " +
                $"does not fit an input-buffer slot of {c.InputSlotWords} words (or {gout} x {w} output words an output slot of {c.OutputSlotWords}); the input buffer needs a depth of at least {2 * gin * w}");
        int stripes = Math.Min(h, Math.Max((h + rmax - 1) / rmax, MinOverlappedSteps));
        foreach (var (y0, rows) in LayerTiling.Balanced(h, stripes))
        {
            var load = new Transfer((input.Base + (long)y0 * w) * wb, (long)input.Plane * wb, gin, rows * w, rows * w,
                input.Root, $"{input.Root}/{input.Base}:rows {y0}+{rows}");
            var store = new Transfer((output.Base + (long)y0 * w) * wb, (long)output.Plane * wb, gout, rows * w, rows * w,
                output.Root, $"{output.Root}/{output.Base}:rows {y0}+{rows}");
            var fields = new Dictionary<string, long>
            {
                ["opcode"] = (long)Opcode.Eltwise, ["elt_op"] = (long)EltwiseOp.Gather,
                // in_plane: words of one group in the slot; oc_tiles: output groups; passes_per_band: reads per output word.
                ["in_base"] = 0, ["in_h"] = rows, ["in_w"] = w, ["in_plane"] = rows * w, ["in_groups"] = gin,
                ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = w, ["out_plane"] = rows * w,
                ["oc_tiles"] = gout, ["passes_per_band"] = k, ["par_base"] = paramBase,
            };
            steps.Add(new LayerStep(layer, null, load, Opcode.Eltwise, fields, store));
        }
        return new ScheduledOp(node.Name, node.Group, Opcode.Eltwise, input, output, 0, 0, 0, 0, 0, stripes, 0, 0, paramBase, 0);
    }

    /// <summary>GATHER: one source word per cycle, then the parameter, read and merge stages to the last write.</summary>
    public static long GatherBusy(long outGroups, long words, long reads) => outGroups * words * reads + GatherUnit.Latency + 1;

    /// <summary>
    /// A KxK average pool (rule AVGPOOL): row stripes with the window's halo, as many groups per step
    /// as fit; the output keeps the input's layout; K*K parameter words (the (M, S) of n = 1..K*K taps).
    /// </summary>
    public static ScheduledOp AvgPool(EngineConfig c, int layer, Node node, AvgPoolLayer pool, TensorPlacement input, TensorPlacement output,
        int paramBase, List<LayerStep> steps)
    {
        if (input.Im2Col is not null)
            throw new ScheduleException($"layer '{node.Name}': an average pool of an input stored im2col-style is not supported");
        var o = node.Output;
        int k = pool.KernelSize, st = pool.Stride, p = pool.Padding, hin = input.Shape.Height, win = input.Shape.Width, groups = input.Groups, wb = c.DramWordBytes;
        if (k > 15 || st > 15 || p > 15)
            throw new ScheduleException($"layer '{node.Name}': kernel, stride and padding must be at most 15");
        int InRows(int r) => Math.Min(hin, (r - 1) * st + k);
        int gc = groups;
        for (; gc >= 1; gc--)
            if ((long)gc * InRows(1) * win <= c.InputSlotWords && (long)gc * o.Width <= c.OutputSlotWords) break;
        if (gc < 1)
            throw new BufferCapacityException(node.Name, "input", 2L * InRows(1) * win, c.InputDepth, $"layer '{node.Name}': one output row of one group reads {InRows(1)} rows x {win} = {InRows(1) * win} input words, " +
                $"more than an input-buffer slot of {c.InputSlotWords} words; the input buffer needs a depth of at least {2 * InRows(1) * win}");
        int groupSteps = (groups + gc - 1) / gc;
        gc = (groups + groupSteps - 1) / groupSteps;
        int rmax = 1;
        while (rmax < o.Height && (long)gc * InRows(rmax + 1) * win <= c.InputSlotWords && (long)gc * (rmax + 1) * o.Width <= c.OutputSlotWords) rmax++;
        int stripes = (o.Height + rmax - 1) / rmax;
        var (lo, hi) = Int8Arithmetic.OutputRange(false, output.Unsigned);
        foreach (var (y0, rows) in LayerTiling.Balanced(o.Height, stripes))
            for (int g0 = 0; g0 < groups; g0 += gc)
            {
                int gn = Math.Min(gc, groups - g0);
                var (iy0, inRows, padTop, mapRows) = LayerTiling.RowSpan(y0, rows, st, k, p, hin);
                var load = new Transfer((input.Base + (long)g0 * input.Plane + (long)iy0 * win) * wb, (long)input.Plane * wb, gn, inRows * win, inRows * win,
                    input.Root, $"{input.Root}/{input.Base}:groups {g0}+{gn} rows {iy0}+{inRows}");
                var store = new Transfer((output.Base + (long)g0 * output.Plane + (long)y0 * o.Width) * wb, (long)output.Plane * wb, gn, rows * o.Width, rows * o.Width,
                    output.Root, $"{output.Root}/{output.Base}:groups {g0}+{gn} rows {y0}+{rows}");
                var fields = new Dictionary<string, long>
                {
                    ["opcode"] = (long)Opcode.Eltwise, ["elt_op"] = (long)EltwiseOp.AvgPool,
                    ["in_base"] = 0, ["in_h"] = mapRows, ["in_w"] = win, ["in_plane"] = inRows * win,
                    ["in_groups"] = gn, ["in_unsigned"] = input.Unsigned ? 1 : 0,
                    ["out_base"] = 0, ["out_h"] = rows, ["out_w"] = o.Width, ["out_plane"] = rows * o.Width,
                    ["kernel"] = k, ["stride"] = st, ["pad"] = p, ["pad_top"] = padTop,
                    ["par_base"] = paramBase, ["lo"] = lo, ["hi"] = hi,
                };
                steps.Add(new LayerStep(layer, null, load, Opcode.Eltwise, fields, store));
            }
        return new ScheduledOp(node.Name, node.Group, Opcode.Eltwise, input, output, k, st, p, 0, 0, stripes, 0, 0, paramBase, 0);
    }

    /// <summary>AVGPOOL: one window tap per cycle, then read, merge, parameter read and requantization.</summary>
    public static long AvgPoolBusy(long groups, long outH, long outW, long kernel) => groups * outH * outW * kernel * kernel + AvgPoolWindowUnit.Latency;

    /// <summary>Cycles the ELTWISE unit is busy with an instruction.</summary>
    public static long Busy(EngineConfig c, IReadOnlyDictionary<string, long> f)
    {
        long op = f["elt_op"], words = f["in_plane"], outGroups = f.GetValueOrDefault("oc_tiles"), reads = f.GetValueOrDefault("passes_per_band");
        return (EltwiseOp)op switch
    {
        EltwiseOp.Lookup => LookupBusy(c, words),
        EltwiseOp.Gather => GatherBusy(outGroups, words, reads),
        EltwiseOp.Scale => AddBusy(words),
        EltwiseOp.AvgPool => AvgPoolBusy(f["in_groups"], f["out_h"], f["out_w"], f["kernel"]),
        _ => AddBusy(words),
        };
    }

    /// <summary>LOOKUP: the table copied a word per cycle, one word per cycle, then the unit's pipeline to the last write.</summary>
    public static long LookupBusy(EngineConfig c, long words) => EltwiseUnit.TableWords(c) + words + EltwiseUnit.LookupLatency;

    /// <summary>ADD: the parameter read, two reads per output word, then the unit's pipeline to the last write.</summary>
    public static long AddBusy(long words) => 1 + 2 * words + EltwiseUnit.Latency - 1;
}
