using System.Numerics;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Link;
using Accel.Model.Arithmetic;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Board;

/// <summary>Bytes that go to board DRAM at a byte address.</summary>
public sealed record DramRegion(string Name, long Address, byte[] Bytes)
{
    public long End => Address + Bytes.Length;
}

/// <summary>
/// Everything a compiled model puts on a board, laid out exactly as the cosim harness gets it
/// (sim/Accel.Cosim/CosimRunner.cs): the weight region at the schedule's weight base, the program
/// at its 4 KiB-aligned base, one channel-parameter word per parameter index (Top.HostBits / 8
/// bytes, the width of the engine's host port), the program registers, where the input goes and
/// which tensors come back. Built once per model; the input changes per run (<see cref="InputRegion"/>).
/// </summary>
public sealed class BoardModel
{
    private BoardModel(EngineSchedule schedule, IReadOnlyList<DramRegion> regions, IReadOnlyList<byte[]> parameters,
        IReadOnlyList<TensorPlacement> readBack, string outputNode, int sparseLoads)
    {
        Schedule = schedule;
        Regions = regions;
        ParameterWords = parameters;
        ReadBack = readBack;
        OutputNode = outputNode;
        SparseLoads = sparseLoads;
    }

    /// <summary>The schedule the board runs (after decode-on-load rewriting and retiming, when they apply).</summary>
    public EngineSchedule Schedule { get; }

    public EngineConfig Config => Schedule.Config;
    public int Rows => Config.Rows;
    public int Cols => Config.Cols;
    public string ConfigHash => Config.Hash();
    public int Lanes => Config.Lanes;
    public int DramWordBytes => Config.DramWordBytes;

    /// <summary>DRAM the model needs: tensors, weights, then the program.</summary>
    public long DramBytes => Schedule.DramBytes;

    /// <summary>Cycles the cost model predicts for one run.</summary>
    public long PredictedCycles => Schedule.PredictedCycles;

    /// <summary>The model's fixed DRAM contents: the weights (when the network has any), then the program.</summary>
    public IReadOnlyList<DramRegion> Regions { get; }

    /// <summary>Channel-parameter words, index = position, each <see cref="ParameterWordBytes"/> little-endian bytes.</summary>
    public IReadOnlyList<byte[]> ParameterWords { get; }

    public int ParameterWordBytes => Top.HostBits(Config) / 8;

    /// <summary>Register writes, in order: the program's DRAM byte address and its length.</summary>
    public IReadOnlyList<(ushort Register, uint Value)> Registers =>
    [
        (Link.Registers.ProgramAddress, checked((uint)Schedule.ProgramDramBase)),
        (Link.Registers.ProgramBytes, checked((uint)Schedule.ProgramBytes)),
    ];

    public TensorPlacement InputPlacement => Schedule.Tensors[Schedule.InputTensor];
    public long InputAddress => InputPlacement.Base * DramWordBytes;
    public int InputBytes => InputPlacement.Words * DramWordBytes;

    /// <summary>The network's output node (the logits).</summary>
    public string OutputNode { get; }
    public TensorPlacement OutputPlacement => Schedule.Tensors[OutputNode];

    /// <summary>The tensors read back after a run: the output first, then any others asked for.</summary>
    public IReadOnlyList<TensorPlacement> ReadBack { get; }

    /// <summary>Bytes read back after a run.</summary>
    public long ReadBackBytes => ReadBack.Sum(t => (long)t.Words * DramWordBytes);

    /// <summary>Weight loads that read a sparse stream (decode on load).</summary>
    public int SparseLoads { get; }

    public long WeightBytes => Regions.Where(r => r.Name == "weights").Sum(r => (long)r.Bytes.Length);
    public long ProgramBytes => Schedule.ProgramBytes;

    /// <summary>Bytes the load writes over the link: the regions and the parameter words.</summary>
    public long LoadBytes => Regions.Sum(r => (long)r.Bytes.Length) + ParameterWords.Sum(w => (long)w.Length);

    /// <summary>The network input's logical shape (an im2col placement has the packed shape; the host hands over the logical tensor).</summary>
    public Shape InputShape => InputPlacement.Im2Col?.Source ?? InputPlacement.Shape;

    /// <summary>The quantized input (CHW) packed into activation words and laid out in DRAM, as the cosim harness gets it.</summary>
    public DramRegion InputRegion(sbyte[] input) =>
        new("input", InputAddress, EngineImage.ToDram(InputPlacement.Pack(input, Lanes), Lanes, DramWordBytes));

    /// <summary>A tensor's logical CHW values from the DRAM bytes read back at its place.</summary>
    public sbyte[] Unpack(TensorPlacement tensor, ReadOnlySpan<byte> dram) =>
        tensor.Unpack(EngineImage.FromDram(dram, Lanes, DramWordBytes), Lanes);

    /// <summary>
    /// The board image of <paramref name="model"/> under <paramref name="schedule"/> (planned for the
    /// board's engine). <paramref name="sparseWeights"/>: decode on load, as cosim does for .eie
    /// models. <paramref name="readBack"/> names tensors to read back besides the output.
    /// </summary>
    public static BoardModel Build(EngineSchedule schedule, QuantizedModel model, bool sparseWeights, IEnumerable<string>? readBack = null) =>
        Build(schedule, model.Convs, model.PoolRequant, model.Network.OutputNode, sparseWeights, readBack, model.Operators);

    /// <summary>
    /// The DRAM byte ranges the program's weight loads read, merged: a dense load's chunks, a sparse
    /// load's stream. A sparse stream sits at its load's dense address and is shorter than the dense
    /// words, so the rest of that range is never read and never crosses the link.
    /// </summary>
    public static IReadOnlyList<(long Start, long End)> WeightReads(EngineSchedule schedule)
    {
        var c = schedule.Config;
        var ranges = new List<(long Start, long End)>();
        foreach (var i in schedule.Instructions.Where(i => i.Opcode == Opcode.Load && i.Fields["dma_mem"] == InstructionFormat.DmaWeights))
        {
            var f = i.Fields;
            if (f.GetValueOrDefault("dma_sparse") == 1)
                ranges.Add((f["dma_dram"], f["dma_dram"] + f["dma_src_beats"] * c.DramBits / 8));
            else
                for (long chunk = 0; chunk < f["dma_chunks"]; chunk++)
                {
                    long start = f["dma_dram"] + chunk * f["dma_dram_stride"];
                    ranges.Add((start, start + f["dma_chunk_words"] * c.DramWordBytes));
                }
        }
        var merged = new List<(long Start, long End)>();
        foreach (var r in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && r.Start <= merged[^1].End) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, r.End));
            else merged.Add(r);
        }
        return merged;
    }

    public static BoardModel Build(EngineSchedule schedule, IReadOnlyDictionary<string, QuantizedConv> convs,
        IReadOnlyDictionary<string, Requant>? poolRequant, string outputNode, bool sparseWeights, IEnumerable<string>? readBack = null,
        OperatorParameters? operators = null)
    {
        var c = schedule.Config.RequireResolved();
        // The element-wise units read their parameters (add multipliers, tables, ...) from channel-parameter words.
        var image = EngineImage.Build(schedule, convs, poolRequant, operators);
        IReadOnlyList<BigInteger> program = image.Program;
        byte[] weightBytes = image.WeightBytes;
        int sparseLoads = 0;
        if (sparseWeights)
        {
            var sparse = SparseWeightLoads.Apply(schedule, image.WeightBytes);
            (schedule, program, weightBytes, sparseLoads) = (sparse.Schedule, sparse.Program, sparse.WeightBytes, sparse.SparseLoads);
        }
        // The engine skips all-zero passes and decodes sparse loads: the prediction (and so the run's time limit) must know.
        if (image.ZeroPasses.Count > 0 || sparseWeights) schedule = schedule.Retimed(image.ZeroPasses);

        var regions = new List<DramRegion>();
        long weightBase = schedule.WeightDramBase * c.DramWordBytes;
        foreach (var (start, end) in WeightReads(schedule))
            regions.Add(new DramRegion("weights", start, weightBytes.AsSpan((int)(start - weightBase), (int)(end - start)).ToArray()));
        regions.Add(new DramRegion("program", schedule.ProgramDramBase, EngineImage.ProgramDram(program, schedule.Format)));

        int wordBytes = Top.HostBits(c) / 8;
        var parameters = image.Parameters.Select(p =>
        {
            var bytes = new byte[wordBytes];
            EngineImage.ToBytes(p, bytes);
            return bytes;
        }).ToList();

        if (!schedule.Tensors.TryGetValue(outputNode, out var output))
            throw new ScheduleException($"the schedule places no tensor for the output node '{outputNode}'");
        var tensors = new List<TensorPlacement> { output };
        foreach (var name in readBack ?? [])
        {
            if (name == outputNode) continue;
            tensors.Add(schedule.Tensors.TryGetValue(name, out var t) ? t : throw new ScheduleException($"the schedule places no tensor '{name}'"));
        }

        var model = new BoardModel(schedule, regions, parameters, tensors, outputNode, sparseLoads);
        foreach (var r in regions.Append(model.InputRegion(new sbyte[model.InputShape.Elements])))
            if (r.End > model.DramBytes)
                throw new ScheduleException($"the {r.Name} region ends at byte {r.End}, past the schedule's {model.DramBytes} bytes of DRAM");
        return model;
    }

    /// <summary>For a network whose output is a global average pool, its input (rule TOP_K breaks logit ties with the pooled sums).</summary>
    public static string? PooledInput(Network network)
    {
        var output = network[network.OutputNode];
        return output.Op is GlobalAvgPoolLayer ? output.Inputs[0] : null;
    }
}
