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
        if (a.Groups != b.Groups || !a.LogicalChannels(lanes).SequenceEqual(b.LogicalChannels(lanes)))
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
        int operands = b is null ? 1 : 2;
        int groups = a.Groups, h = a.Shape.Height, w = a.Shape.Width, plane = a.Plane, wb = c.DramWordBytes;
        int gc = groups, rmax = 0;
        for (; gc >= 1; gc--)
        {
            rmax = Math.Min(h, Math.Min(c.InputSlotWords / (operands * gc * w), c.OutputSlotWords / (gc * w)));
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
                steps.Add(new LayerStep(layer, null, Rows(a), Opcode.Eltwise, fields, Rows(output)) { SecondInput = b is null ? null : Rows(b) });
            }
        return new ScheduledOp(node.Name, node.Group, Opcode.Eltwise, a, output, 0, 0, 0, 0, 0, stripes, 0, 0, paramBase, 0);
    }

    /// <summary>Cycles the ELTWISE unit is busy with an instruction.</summary>
    public static long Busy(EngineConfig c, long op, long words) => (EltwiseOp)op switch
    {
        EltwiseOp.Lookup => LookupBusy(c, words),
        _ => AddBusy(words),
    };

    /// <summary>LOOKUP: the table copied a word per cycle, one word per cycle, then the unit's pipeline to the last write.</summary>
    public static long LookupBusy(EngineConfig c, long words) => EltwiseUnit.TableWords(c) + words + EltwiseUnit.LookupLatency;

    /// <summary>ADD: the parameter read, two reads per output word, then the unit's pipeline to the last write.</summary>
    public static long AddBusy(long words) => 1 + 2 * words + EltwiseUnit.Latency - 1;
}
