using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Accel.Board;
using Accel.Cosim;
using Accel.Cosim.Board;
using Accel.Hardware.Board;
using Accel.Golden;
using Accel.Hardware.Config;
using Accel.Hardware.Schedule;
using Accel.Images;
using Accel.Link;
using Accel.Link.Transports;
using Accel.Model.Data;
using Accel.Model.Networks;
using Accel.Model.Quantized;

namespace Accel.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary>
/// `accel run --board uart:PATH[@BAUD]|xdma:PREFIX|emu[@BAUD] --model MODEL [--image FILE]`: one
/// inference on a board over the board link: connect, check the model was compiled for the board,
/// load weights, program and parameters, write the input, start, poll, read the logits back,
/// print the top-5, the time and throughput of each stage and the board's counters. --check also
/// runs the golden model and compares the output tensor element by element (exit 3 if it differs).
/// </summary>
public static class RunCommand
{
    /// <summary>Exit code when --check finds the board's output differs from the golden model's.</summary>
    public const int MismatchExitCode = 3;

    public sealed record StageFigures(string Stage, long PayloadBytes, long BytesSent, long BytesReceived, double Seconds, double BytesPerSecond, double? LineEfficiency);

    public sealed record CheckFigures(bool Identical, int Elements, int Differing, int? FirstIndex, int[] GoldenTop5);

    public sealed record RunReport(string Board, string Link, int ProtocolVersion, int Rows, int Cols, long DramBytes, string BoardConfig,
        string Network, string Weights, bool SparseWeights, string ModelConfig, long PredictedCycles, ulong Cycles, double ClockMHz,
        int[] Top5, IReadOnlyList<StageFigures> Stages, IReadOnlyDictionary<string, ulong> Counters, int Recoveries,
        int Window, int MostInFlight, long Requests, long Retries, long FramesDroppedByHost, CheckFigures? Check, double WallSeconds);

    public static Command Create()
    {
        var boardOption = new Option<string>("--board")
        {
            Description = "the board: uart:PATH[@BAUD] (baud default 3000000), xdma:PREFIX (e.g. /dev/xdma0) or emu[@BAUD] (the emulated board; a baud paces it like a real UART)",
            Required = true,
        };
        var modelOption = new Option<string>("--model") { Description = "an ONNX, .q8 or .eie file (real weights), or a built-in name / JSON description (seeded weights)", Required = true };
        var engine = new EngineOptions(defaultSize: 16);
        var image = new Option<string?>("--image") { Description = "image file to classify (default: a generated picture)" };
        var seed = new Option<int>("--seed") { Description = "seed for generated weights and input", DefaultValueFactory = _ => 1 };
        var check = new Option<bool>("--check") { Description = "also run the golden model on the CPU and compare the output tensor element by element (exit 3 if it differs)" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda for the golden model of --check", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var sparseWeights = new Option<bool?>("--sparse-weights")
        {
            Description = "decode on load (default: on for an .eie model, as the board's cosim does)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var emuFaults = new Option<double>("--emu-faults") { Description = "emulated board only: byte error rate on the link, both ways, split evenly between drops, duplicates and corruptions (e.g. 0.01)" };
        var emuResets = new Option<string?>("--emu-reset-after") { Description = "emulated board only: reset the board after these many host bytes (comma-separated), e.g. in the middle of the weights" };
        var window = new Option<int?>("--window") { Description = "WRITE_MEM requests in flight at most (default: the board's window from HELLO; 1 waits for each answer)" };
        var emuSeed = new Option<int>("--emu-seed") { Description = "emulated board only: seed of the injected faults", DefaultValueFactory = _ => 1 };
        var calibration = new CalibrationOptions();
        var command = new Command("run", "Run one inference on a board (UART, XDMA or the emulator) and print the top-5 and the link's figures")
            { boardOption, modelOption, image, seed, check, device, json, sparseWeights, window, emuFaults, emuResets, emuSeed };
        engine.AddTo(command);
        calibration.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            try
            {
                var faults = new EmulatorFaults(r.GetValue(emuFaults), ParseResets(r.GetValue(emuResets)), r.GetValue(emuSeed));
                if (faults.Rate is < 0 or > 0.5) throw new UserError($"--emu-faults {faults.Rate}: expected a rate in 0..0.5");
                return Run(r, r.GetValue(boardOption)!, r.GetValue(modelOption)!, engine.Read(r), r.GetValue(image), r.GetValue(seed),
                    r.GetValue(check), r.GetValue(device)!, r.GetValue(json), r.GetValue(sparseWeights), calibration.Read(r), faults, r.GetValue(window));
            }
            // The link's failures are the environment's (a missing port, a silent or reset board, another engine): one line, not a trace.
            catch (Exception e) when (e is FormatException or IOException or TimeoutException or BoardMismatchException or UnauthorizedAccessException)
            {
                throw new UserError(e.Message);
            }
        }));
        return command;
    }

    private static int Run(ParseResult r, string boardText, string modelArgument, EngineConfig requested, string? imagePath, int seed,
        bool check, string deviceText, bool json, bool? sparseOption, CalibrationSettings calibration, EmulatorFaults faults, int? window)
    {
        var wall = Stopwatch.StartNew();
        var address = LinkAddress.Parse(boardText);
        var source = ModelSource.Open(modelArgument, seed, structureOnly: true);
        var network = source.Network;
        bool sparse = sparseOption ?? source.Argument.EndsWith(".eie", StringComparison.OrdinalIgnoreCase);
        // Planned before anything is opened: a network that does not fit fails first.
        var schedule = CosimBuildProfile.Plan(network, requested);
        var goldenDevice = check ? Cli.ParseDevice(deviceText) : GoldenDevice.Cpu;
        bool live = !json && !Console.IsErrorRedirected;

        if (address.Kind != LinkKind.Emulator && (faults.Rate > 0 || faults.ResetAfterBytes.Count > 0))
            throw new UserError("--emu-faults and --emu-reset-after apply to --board emu only");
        if (window is < 1) throw new UserError($"--window {window}: expected at least 1");
        var (stream, options, stop) = Open(address, schedule.Config, faults);
        options = options with { MaxWindow = window };
        try
        {
            using var board = new Board.Board(stream, address.ToString(), options);
            var info = board.ConnectAsync().GetAwaiter().GetResult();
            Output.Note($"board at {address}: protocol v{info.ProtocolVersion}, {info.Rows}x{info.Cols} engine (config {info.ConfigHash}), " +
                $"{info.DramBytes:N0} bytes of DRAM, frames up to {info.MaxPayload} bytes, window {info.Window}" +
                (board.Commands.WriteWindow != info.Window ? $" (weights sent {board.Commands.WriteWindow} ahead)" : ""));
            schedule = Match(network, requested, schedule, info, address);

            var (model, input, weights) = CosimCommand.ModelAndInput(source, imagePath, seed, calibration);
            var readBack = BoardModel.PooledInput(network) is { } pooled ? new[] { pooled } : [];
            var boardModel = BoardModel.Build(schedule, model, sparse, readBack);
            board.CheckModel(boardModel);
            board.Recovering = e => Output.Note($"{e.Message}: loading the model again");

            Output.Note($"loading {network.Name} ({Output.N(boardModel.WeightBytes)} weight bytes{(sparse ? $", {boardModel.SparseLoads} sparse loads" : "")}, " +
                $"{Output.N(boardModel.ProgramBytes)} program bytes, {boardModel.ParameterWords.Count} parameter words)");
            WithProgress(live, "weights", p => board.LoadModelAsync(boardModel, p).GetAwaiter().GetResult());
            BoardRunResult result = null!;
            WithProgress(live, "input", p => result = board.RunWithRecoveryAsync(input, p).GetAwaiter().GetResult());

            var tensors = new Dictionary<string, sbyte[]>(result.Tensors, StringComparer.Ordinal);
            var top5 = NetworkCosim.TopK(network, tensors, 5);
            CheckFigures? checkFigures = check ? Check(model, input, result.Output, network, goldenDevice) : null;

            var report = Report(board, address, info, network, weights, sparse, boardModel, result, top5, checkFigures, wall.Elapsed);
            if (json) Output.Json(report);
            else Print(report);
            return checkFigures is { Identical: false } ? MismatchExitCode : 0;
        }
        finally
        {
            stop?.Invoke();
        }
    }

    /// <summary>The transport for the address, the waits that suit it, and what to do at the end (stop the emulator).</summary>
    private static (Stream Stream, BoardOptions Options, Action? Stop) Open(LinkAddress address, EngineConfig config, EmulatorFaults faults)
    {
        switch (address.Kind)
        {
            case LinkKind.Uart:
                // A USB-UART bridge adds its latency timer (up to 16 ms) to every round trip.
                return (SerialTransport.Open(address.Path, address.Baud),
                    new BoardOptions { Policy = RetryPolicy.ForBaud((int)Math.Min(int.MaxValue, address.Baud), TimeSpan.FromMilliseconds(40)) }, null);
            case LinkKind.Xdma:
                return (XdmaTransport.Open(address.Path), new BoardOptions { Policy = new RetryPolicy(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), 8) }, null);
            default:
                return OpenEmulator(address, config, faults);
        }
    }

    /// <summary>What the emulated board injects (--emu-faults, --emu-reset-after, --emu-seed).</summary>
    public sealed record EmulatorFaults(double Rate, IReadOnlyList<long> ResetAfterBytes, int Seed)
    {
        public static EmulatorFaults None { get; } = new(0, [], 1);
    }

    /// <summary>
    /// The emulated board: the board RTL for the model's engine in Verilator, its UART behind a
    /// pseudo-terminal opened through the same SerialTransport as a real port. Plain `emu` runs the
    /// UART at 4 clocks per bit (fast); `emu@BAUD` generates the real divider for BAUD at 100 MHz and
    /// the emulator keeps board time (docs/board.md "Emulated board").
    /// </summary>
    private static (Stream, BoardOptions, Action?) OpenEmulator(LinkAddress address, EngineConfig config, EmulatorFaults faults)
    {
        var boardConfig = address.Timed ? new BoardConfig { Baud = address.Baud } : BoardConfig.Emulated;
        var options = new EmulatorOptions
        {
            Faults = new FaultRates(faults.Rate / 3, faults.Rate / 3, faults.Rate / 3),
            ResetAfterBytes = faults.ResetAfterBytes,
            Seed = faults.Seed,
            // Timed mode: the host's turnaround counts in board time even while the board works through the window.
            HostTime = address.Timed,
        };
        Output.Note($"starting the emulated board ({config.Rows}x{config.Cols} engine, UART at {boardConfig.ClocksPerBit} clocks per bit" +
            (faults.Rate > 0 ? $", {faults.Rate:P2} byte faults" : "") + (faults.ResetAfterBytes.Count > 0 ? $", board reset after {string.Join(", ", faults.ResetAfterBytes)} bytes" : "") +
            "); the first start builds it in Verilator (minutes), later ones reuse the build");
        var emulator = BoardEmulator.StartAsync(config, boardConfig, options).GetAwaiter().GetResult();
        Stream stream;
        try
        {
            stream = SerialTransport.Open(emulator.PortName, boardConfig.Baud);
        }
        catch
        {
            emulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        // Simulated time runs far slower than a board's: a 1 KiB frame is ~40k cycles at 4 clocks per bit,
        // ~350k at 3 Mbaud; the engine manages some 10^5..10^6 cycles per wall second.
        double frameCycles = 1100.0 * 10 * boardConfig.ClocksPerBit;
        double cyclesPerSecond = config.Rows * config.Cols <= 64 ? 400_000 : 150_000;
        // Only the oldest outstanding request is timed and it is first in line; its resend, queued behind
        // the window's later frames, gets the doubled wait.
        var first = TimeSpan.FromSeconds(Math.Max(0.15, 2 * frameCycles / cyclesPerSecond));
        // At 1 % byte faults a small request fails ~45 % of the time (docs/board.md "Faults"): many attempts, short waits.
        int attempts = faults.Rate > 0 || faults.ResetAfterBytes.Count > 0 ? 24 : 8;
        var boardOptions = new BoardOptions
        {
            Policy = new RetryPolicy(first, TimeSpan.FromSeconds(Math.Max(2, 4 * first.TotalSeconds)), attempts),
            CyclesPerSecond = 50_000,
            MinRunWait = TimeSpan.FromMinutes(2),
            MaxPollInterval = TimeSpan.FromMilliseconds(200),
        };
        void Stop()
        {
            stream.Dispose();
            var stats = emulator.StopAsync().GetAwaiter().GetResult();
            Output.Note($"emulator: {Output.N(stats.Cycles)} cycles simulated" +
                (stats.FaultsToBoard.Total + stats.FaultsToHost.Total > 0 ? $"; faults injected: to the board {stats.FaultsToBoard}, to the host {stats.FaultsToHost}" : "") +
                (stats.Resets > 0 ? $"; {stats.Resets} board reset(s)" : ""));
        }
        return (stream, boardOptions, Stop);
    }

    /// <summary>
    /// The schedule for the board's engine. The board reports its configuration hash, which covers
    /// the parameter depth: boards built by `accel gen` size it exactly, cosim and the emulator
    /// round it up to a power of two; the one that gives the board's hash is the board's.
    /// </summary>
    private static EngineSchedule Match(Network network, EngineConfig requested, EngineSchedule planned, BoardInfo info, LinkAddress address)
    {
        if (info.Rows != planned.Config.Rows || info.Cols != planned.Config.Cols) return planned; // the model check names the sizes
        if (string.Equals(info.ConfigHash, planned.Config.Hash(), StringComparison.OrdinalIgnoreCase)) return planned;
        int needed = ScheduleCompiler.Plan(network, requested with { ParamDepth = null }).Config.ParamDepth!.Value;
        var depths = new List<int> { needed };
        for (int d = 1; d <= 1 << 16; d *= 2)
            if (d >= needed) depths.Add(d);
        foreach (int depth in depths)
        {
            var candidate = requested with { ParamDepth = depth };
            if (string.Equals(candidate.Hash(), info.ConfigHash, StringComparison.OrdinalIgnoreCase))
            {
                Output.Note($"the board at {address} has {depth} parameter words; planning for that");
                return ScheduleCompiler.Plan(network, candidate);
            }
        }
        return planned;
    }

    private static IReadOnlyList<long> ParseResets(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var list = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) || n <= 0)
                throw new UserError($"--emu-reset-after '{text}': expected positive byte counts separated by commas, e.g. 200000");
            list.Add(n);
        }
        return list;
    }

    private static CheckFigures Check(QuantizedModel model, sbyte[] input, sbyte[] got, Network network, GoldenDevice device)
    {
        using var golden = Cli.CreateGolden(device);
        Output.Note($"--check: golden model on {golden.DeviceName}");
        var result = golden.Run(model, input);
        var want = result.Activations[network.OutputNode].Data;
        int differing = 0;
        int? first = null;
        for (int i = 0; i < Math.Min(want.Length, got.Length); i++)
            if (want[i] != got[i])
            {
                first ??= i;
                differing++;
            }
        if (want.Length != got.Length)
        {
            differing += Math.Abs(want.Length - got.Length);
            first ??= Math.Min(want.Length, got.Length);
        }
        return new CheckFigures(differing == 0, want.Length, differing, first, Classification.TopK(model, result, 5));
    }

    /// <summary>Runs <paramref name="action"/> with a progress bar per transfer stage on a live terminal, plainly otherwise.</summary>
    private static void WithProgress(bool live, string first, Action<IProgress<TransferProgress>?> action)
    {
        if (!live)
        {
            action(null);
            return;
        }
        Output.ProgressTerminal.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<BoardStage, ProgressTask>();
                action(new Reporter(p =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                            tasks[p.Stage] = task = ctx.AddTask(p.Stage.ToString().ToLowerInvariant(), maxValue: Math.Max(1, p.Total));
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    }
                }));
                foreach (var t in tasks.Values) t.StopTask();
            });
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class Reporter(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }

    private static RunReport Report(Board.Board board, LinkAddress address, BoardInfo info, Network network, string weights, bool sparse,
        BoardModel model, BoardRunResult result, int[] top5, CheckFigures? check, TimeSpan wall)
    {
        long baud = address.Kind == LinkKind.Uart || address.Timed ? address.Baud : 0;
        var stages = board.Statistics.Stages.Select(s => new StageFigures(s.Stage.ToString().ToLowerInvariant(), s.PayloadBytes, s.BytesSent,
            s.BytesReceived, Math.Round(s.Elapsed.TotalSeconds, 6), Math.Round(s.Throughput, 1),
            baud > 0 && s.PayloadBytes > 0 ? Math.Round(s.LineEfficiency(baud), 4) : null)).ToList();
        var counters = Enum.GetValues<CounterId>().ToDictionary(id => ToCamel(id.ToString()), id => result.Counters[id]);
        return new RunReport(address.ToString(), address.Kind.ToString().ToLowerInvariant(), info.ProtocolVersion, info.Rows, info.Cols, info.DramBytes,
            info.ConfigHash, network.Name, weights, sparse, model.ConfigHash, model.PredictedCycles, result.Cycles, model.Config.ClockMHz, top5, stages,
            counters, result.Recoveries, board.Commands.WriteWindow, board.Link.PeakInFlight, board.Link.Requests, board.Link.Retries, board.Link.Decoder.TotalDropped, check, Math.Round(wall.TotalSeconds, 3));
    }

    private static string ToCamel(string s) => char.ToLowerInvariant(s[0]) + s[1..];

    private static void Print(RunReport g)
    {
        Output.Terminal.WriteLine($"{g.Network} on the board at {g.Board}: {g.Rows}x{g.Cols} engine, configuration {g.BoardConfig}, " +
            $"protocol v{g.ProtocolVersion}, {Output.N(g.DramBytes)} bytes of DRAM ({g.Weights} weights{(g.SparseWeights ? ", decoded on load" : "")})");
        var names = ClassNames.Load(SharedData.SynsetWords);
        string agree = g.Check is null ? "" : g.Check.GoldenTop5.SequenceEqual(g.Top5) ? " (same as the golden model)" : " (golden model differs)";
        Output.Terminal.WriteLine($"top-5 from the board's logits{agree}:");
        for (int i = 0; i < g.Top5.Length; i++)
            Output.Terminal.WriteLine($"  {i + 1}. {g.Top5[i],4}  {names[g.Top5[i]]}");

        var t = Output.Table("stage", "payload bytes", "wire bytes out", "wire bytes in", "time", "throughput", g.Link == "uart" || g.Stages.Any(s => s.LineEfficiency is not null) ? "line efficiency" : "");
        foreach (var s in g.Stages)
            Output.Row(t, s.Stage, Output.N(s.PayloadBytes), Output.N(s.BytesSent), Output.N(s.BytesReceived), $"{s.Seconds * 1000:0.###} ms",
                s.PayloadBytes > 0 ? $"{s.BytesPerSecond / 1000:0.#} kB/s" : "-", s.LineEfficiency is { } e ? e.ToString("P1") : "-");
        Output.Terminal.Write(t);
        double ms = g.Cycles / (g.ClockMHz * 1e3);
        Output.Terminal.WriteLine($"engine: {Output.N((long)g.Cycles)} cycles ({ms:0.###} ms at {g.ClockMHz} MHz), predicted {Output.N(g.PredictedCycles)} " +
            $"({(g.PredictedCycles - (double)g.Cycles) * 100 / Math.Max(1, (double)g.Cycles):+0.0;-0.0}%)");
        Output.Terminal.WriteLine("counters over the run: " + string.Join(", ", g.Counters.Select(kv => $"{kv.Key} {Output.N((long)kv.Value)}")));
        Output.Terminal.WriteLine($"link: {Output.N(g.Requests)} requests (up to {g.MostInFlight} in flight, window {g.Window}), {Output.N(g.Retries)} resends, {Output.N(g.FramesDroppedByHost)} frames dropped by the host" +
            (g.Recoveries > 0 ? $"; the board was reset {g.Recoveries} time(s) and the model reloaded" : "") + $"; wall {g.WallSeconds:F1} s");
        if (g.Check is { } c)
            Output.Terminal.WriteLine(c.Identical
                ? $"check: the board's output is identical to the golden model's ({Output.N(c.Elements)} elements)"
                : $"check: MISMATCH, {Output.N(c.Differing)} of {Output.N(c.Elements)} output elements differ from the golden model, the first at index {c.FirstIndex}");
    }
}
