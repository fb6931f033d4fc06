using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Accel.Cosim.Verilator;
using Accel.Hardware;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Program;
using Accel.Hardware.Schedule;
using Accel.Model.Arithmetic;
using Accel.Model.Quantized;

namespace Accel.Cosim;

/// <summary>How a cosim run is carried out.</summary>
public sealed record CosimOptions
{
    /// <summary>Write a VCD of the whole run to this path (builds the traced harness variant).</summary>
    public string? TracePath { get; init; }
    /// <summary>Where generated RTL, stimulus and results go; a fresh temporary folder when null (deleted after a clean run).</summary>
    public string? WorkDirectory { get; init; }
    /// <summary>Verilator --threads for the model (null: single-threaded).</summary>
    public int? Threads { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(20);
    public string? CacheRoot { get; init; }
    /// <summary>Called as compute instructions complete: (instructions done, cycle).</summary>
    public Action<long, long>? ComputeProgress { get; init; }
    /// <summary>Decode on load: weight loads whose sparse stream is smaller than their dense words read the stream (<see cref="SparseWeightLoads"/>).</summary>
    public bool SparseWeights { get; init; }
}

/// <summary>The first element where the RTL and the golden model differ, and how many differ in that tensor.</summary>
public sealed record Mismatch(string Node, int Channel, int Y, int X, int Expected, int Got, int Count)
{
    public override string ToString() =>
        $"layer '{Node}' channel {Channel} y {Y} x {X}: expected {Expected}, got {Got} ({Count} element(s) differ)";
}

/// <summary>Measured and predicted figures of one engine instruction.</summary>
public sealed record LayerResult(string Node, string Layer, string Op, long Cycles, long ActiveCycles, long IdealCycles,
    long PredictedCycles, bool BitExact, Mismatch? FirstMismatch)
{
    public double Utilization => Cycles == 0 ? 0 : (double)IdealCycles / Cycles;
    /// <summary>DRAM beats the layer's weight loads read (a sparse load's stream, a dense load's words).</summary>
    public long WeightLoadBeats { get; init; }
    /// <summary>Cycles the load unit was busy with the layer's sparse loads (measured).</summary>
    public long DecodeCycles { get; init; }
    /// <summary>How many of the layer's weight loads were sparse.</summary>
    public int SparseLoads { get; init; }
}

public sealed record CosimResult(
    EngineSchedule Schedule,
    IReadOnlyList<LayerResult> Layers,
    long TotalCycles,
    bool BitExact,
    Mismatch? FirstMismatch,
    string? DumpDirectory,
    BuildResult Build,
    TimeSpan SimulationTime,
    string? TracePath,
    DramCounters? Dram = null)
{
    /// <summary>Every tensor the RTL wrote, read back from the simulated DRAM (logical CHW order).</summary>
    public IReadOnlyDictionary<string, sbyte[]> Outputs { get; init; } = new Dictionary<string, sbyte[]>();
    public long IdealCycles => Layers.Sum(l => l.IdealCycles);
    public double Utilization => TotalCycles == 0 ? 0 : (double)IdealCycles / TotalCycles;
}

/// <summary>
/// Runs a schedule on its generated RTL in Verilator, with the input and the weights in the
/// harness's simulated DRAM, and compares every node's output there with the golden model,
/// element by element. The RTL is built once per distinct configuration (content-hash cache);
/// program and parameter depths are rounded up (see <see cref="CosimBuildProfile"/>) so that
/// different layers share builds.
/// </summary>
public static class CosimRunner
{
    /// <param name="poolRequant">The (M, S) of each global average pool in the schedule (QuantizedModel.PoolRequant).</param>
    /// <param name="operators">The parameters of the element-wise operators in the schedule (QuantizedModel.Operators).</param>
    public static CosimResult Run(EngineSchedule schedule, IReadOnlyDictionary<string, QuantizedConv> convs, sbyte[] input,
        IReadOnlyDictionary<string, sbyte[]> expected, CosimOptions? options = null, IReadOnlyDictionary<string, Requant>? poolRequant = null,
        OperatorParameters? operators = null)
    {
        options ??= new CosimOptions();
        var c = schedule.Config.RequireResolved();
        bool temporary = options.WorkDirectory is null;
        var work = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "accel-cosim-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        var rtlDir = Path.Combine(work, "rtl");
        var sources = EngineGenerator.WriteRtl(c, rtlDir);

        var built = new VerilatorBuild(sources, rtlDir, trace: options.TracePath is not null, threads: options.Threads)
        {
            CacheRoot = options.CacheRoot ?? VerilatorBuild.DefaultCacheRoot(),
        }.Build();

        var image = EngineImage.Build(schedule, convs, poolRequant, operators);
        IReadOnlyList<BigInteger> program = image.Program;
        byte[] weightBytes = image.WeightBytes;
        if (options.SparseWeights)
        {
            var sparse = SparseWeightLoads.Apply(schedule, image.WeightBytes);
            (schedule, program, weightBytes) = (sparse.Schedule, sparse.Program, sparse.WeightBytes);
        }
        // The engine skips passes whose weights are all zero and decodes sparse loads; the prediction must know which.
        if (image.ZeroPasses.Count > 0 || options.SparseWeights) schedule = schedule.Retimed(image.ZeroPasses);
        var format = schedule.Format;
        int hostBytes = Top.HostBits(c) / 8, lanes = c.Lanes, wordBytes = c.DramWordBytes;
        var inputPlacement = schedule.Tensors[schedule.InputTensor];
        var outputs = OutputTensors(schedule);

        var stimulusPath = Path.Combine(work, "stimulus.bin");
        using (var w = StimulusWriter.Create(stimulusPath, hostBytes))
        {
            w.DramSize((ulong)schedule.DramBytes);
            w.DramWrite((ulong)(inputPlacement.Base * wordBytes), EngineImage.ToDram(inputPlacement.Pack(input, lanes), lanes, wordBytes));
            if (weightBytes.Length > 0) w.DramWrite((ulong)(schedule.WeightDramBase * wordBytes), weightBytes);
            w.DramWrite((ulong)schedule.ProgramDramBase, EngineImage.ProgramDram(program, format));
            w.Write(HostMemory.Registers, Top.RegProgramAddress, Words([schedule.ProgramDramBase, schedule.ProgramBytes], hostBytes));
            if (image.Parameters.Count > 0) w.Write(HostMemory.ChannelParams, 0, Words(image.Parameters, hostBytes));
            w.Run((ulong)Math.Max(1_000_000, schedule.PredictedCycles * 4));
            foreach (var t in outputs) w.DramRead((ulong)(t.Base * wordBytes), (uint)(t.Words * wordBytes));
            w.End();
        }

        var sw = Stopwatch.StartNew();
        HarnessResult result;
        try
        {
            result = HarnessProcess.Run(built.Executable, stimulusPath, Path.Combine(work, "output.bin"), Path.Combine(work, "report.json"),
                options.TracePath, options.Timeout, memory: schedule.Memory, computeProgress: options.ComputeProgress);
        }
        catch (CosimTimeoutException e)
        {
            throw new CosimException($"the engine did not finish within {e.Report?.Runs.FirstOrDefault()?.Cycles ?? 0} cycles " +
                $"(predicted {schedule.PredictedCycles}); work files kept in {work}" + (options.TracePath is null ? "; rerun with --trace for a VCD" : ""), e);
        }
        sw.Stop();

        var run = result.Report.Runs[0];
        var got = new Dictionary<string, sbyte[]>(StringComparer.Ordinal);
        for (int i = 0; i < outputs.Count; i++)
            got[outputs[i].Name] = outputs[i].Unpack(EngineImage.FromDram(result.Output.Reads[i], lanes, wordBytes), lanes);

        // Cycles are attributed to compute instructions: each gets the cycles since the previous one
        // completed (the stores after the last one go to the last layer), then summed per layer.
        var computes = schedule.Instructions.Where(i => i.Unit == Unit.Compute).ToList();
        var events = run.Events.Where(e => e.Unit == (int)Unit.Compute).ToList();
        if (events.Count != computes.Count)
            throw new CosimException($"the engine completed {events.Count} compute instructions, the program has {computes.Count}");
        var cycles = new long[schedule.Ops.Count];
        var active = new long[schedule.Ops.Count];
        long previousCycle = 0, previousActive = 0;
        for (int i = 0; i < computes.Count; i++)
        {
            int layer = computes[i].Layer;
            cycles[layer] += (long)events[i].Cycle - previousCycle;
            active[layer] += (long)events[i].ActiveCycles - previousActive;
            previousCycle = (long)events[i].Cycle;
            previousActive = (long)events[i].ActiveCycles;
        }
        if (schedule.Ops.Count > 0) cycles[^1] += (long)run.Cycles - previousCycle;

        // Weight loads: the beats they read, and the load unit's busy time on the sparse ones (from its busy count at each load's completion).
        var loads = schedule.Instructions.Where(i => i.Unit == Unit.Load).ToList();
        var loadEvents = run.Events.Where(e => e.Unit == (int)Unit.Load).ToList();
        if (loadEvents.Count != loads.Count)
            throw new CosimException($"the engine completed {loadEvents.Count} loads, the program has {loads.Count}");
        var weightBeats = new long[schedule.Ops.Count];
        var decode = new long[schedule.Ops.Count];
        var sparseLoads = new int[schedule.Ops.Count];
        ulong previousLoadBusy = 0;
        for (int i = 0; i < loads.Count; i++)
        {
            var f = loads[i].Fields;
            long busy = (long)(loadEvents[i].LoadBusyCycles - previousLoadBusy);
            previousLoadBusy = loadEvents[i].LoadBusyCycles;
            if (f["dma_mem"] != InstructionFormat.DmaWeights) continue;
            bool sparse = f.GetValueOrDefault("dma_sparse") == 1;
            weightBeats[loads[i].Layer] += sparse ? f["dma_src_beats"] : f["dma_chunks"] * f["dma_chunk_words"] * c.BeatsPerWord;
            if (!sparse) continue;
            decode[loads[i].Layer] += busy;
            sparseLoads[loads[i].Layer]++;
        }

        Mismatch? first = null;
        var layerResults = new List<LayerResult>();
        for (int i = 0; i < schedule.Ops.Count; i++)
        {
            var op = schedule.Ops[i];
            var mismatch = Compare(op.Node, op.Output, expected, got);
            first ??= mismatch;
            layerResults.Add(new LayerResult(op.Node, op.Layer, op.Opcode.ToString(), cycles[i], active[i], op.Cost.IdealCycles, op.Cost.Cycles,
                mismatch is null, mismatch) { WeightLoadBeats = weightBeats[i], DecodeCycles = decode[i], SparseLoads = sparseLoads[i] });
        }
        // Concats have no instruction: check them as tensors too.
        foreach (var t in outputs.Where(t => schedule.Ops.All(o => o.Node != t.Name)))
            first ??= Compare(t.Name, t, expected, got);

        string? dumpDir = null;
        if (first is not null)
        {
            dumpDir = Path.Combine(work, "mismatch");
            Dump(dumpDir, outputs, expected, got, first);
        }
        else if (temporary)
        {
            TryDelete(work);
        }
        return new CosimResult(schedule, layerResults, (long)run.Cycles, first is null, first, dumpDir, built, sw.Elapsed, options.TracePath,
            result.Report.Dram) { Outputs = got };
    }

    /// <summary>Every tensor the program writes: op outputs, and concats as a whole.</summary>
    private static List<TensorPlacement> OutputTensors(EngineSchedule schedule)
    {
        var list = new List<TensorPlacement>();
        foreach (var node in schedule.Nodes)
            if (node.Name != schedule.InputTensor && schedule.Tensors.TryGetValue(node.Name, out var t) && node.Op is not Model.Networks.DropoutLayer)
                list.Add(t);
        return list;
    }

    private static Mismatch? Compare(string node, TensorPlacement t, IReadOnlyDictionary<string, sbyte[]> expected, IReadOnlyDictionary<string, sbyte[]> got)
    {
        if (!expected.TryGetValue(node, out var want)) throw new CosimException($"no golden output for layer '{node}'");
        var have = got[node];
        if (want.Length != have.Length) throw new CosimException($"layer '{node}': golden has {want.Length} values, the RTL {have.Length}");
        int count = 0, firstIndex = -1;
        for (int i = 0; i < want.Length; i++)
            if (want[i] != have[i])
            {
                if (firstIndex < 0) firstIndex = i;
                count++;
            }
        if (count == 0) return null;
        int plane = t.Shape.Height * t.Shape.Width;
        int ch = firstIndex / plane, y = firstIndex % plane / t.Shape.Width, x = firstIndex % t.Shape.Width;
        return new Mismatch(node, ch, y, x, Int8Arithmetic.Load(want[firstIndex], t.Unsigned), Int8Arithmetic.Load(have[firstIndex], t.Unsigned), count);
    }

    private static void Dump(string dir, IEnumerable<TensorPlacement> tensors, IReadOnlyDictionary<string, sbyte[]> expected,
        IReadOnlyDictionary<string, sbyte[]> got, Mismatch first)
    {
        Directory.CreateDirectory(dir);
        var index = new List<object>();
        foreach (var t in tensors)
        {
            string safe = t.Name.Replace('/', '_');
            File.WriteAllBytes(Path.Combine(dir, safe + ".expected.i8"), (byte[])(Array)expected[t.Name]);
            File.WriteAllBytes(Path.Combine(dir, safe + ".got.i8"), (byte[])(Array)got[t.Name]);
            index.Add(new { name = t.Name, shape = new[] { t.Shape.Channels, t.Shape.Height, t.Shape.Width }, dtype = t.Unsigned ? "uint8" : "int8",
                expected = safe + ".expected.i8", got = safe + ".got.i8" });
        }
        File.WriteAllText(Path.Combine(dir, "index.json"), JsonSerializer.Serialize(new { firstMismatch = first.ToString(), tensors = index },
            new JsonSerializerOptions { WriteIndented = true }));
    }

    private static byte[] Words(IReadOnlyList<BigInteger> words, int hostBytes)
    {
        var bytes = new byte[words.Count * hostBytes];
        for (int i = 0; i < words.Count; i++) EngineImage.ToBytes(words[i], bytes.AsSpan(i * hostBytes, hostBytes));
        return bytes;
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// The parameter depth for cosim builds: what the schedule needs, rounded up to a
/// power of two with generous minimums, so one Verilator build serves many layers of an array
/// size (the slot buffers' depths are configuration fields and stay as given).
/// </summary>
public static class CosimBuildProfile
{
    public const int MinParamDepth = 256;

    public static EngineSchedule Plan(Model.Networks.Network network, EngineConfig requested, IReadOnlyList<Model.Networks.Node>? nodes = null,
        string inputTensor = Model.Networks.Network.InputName, MemoryModel? memory = null)
    {
        var needs = ScheduleCompiler.Plan(network, requested with { ParamDepth = null }, nodes, inputTensor, memory);
        var sized = requested with
        {
            ParamDepth = requested.ParamDepth ?? RoundUp(needs.ParamWords, MinParamDepth),
        };
        return ScheduleCompiler.Plan(network, sized, nodes, inputTensor, memory);
    }

    private static int RoundUp(int needed, int minimum)
    {
        int depth = minimum;
        while (depth < needed) depth *= 2;
        return depth;
    }
}
