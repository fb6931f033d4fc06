using Accel.Model.Arithmetic;
using System.Runtime.CompilerServices;
using Accel.Golden.Ilgpu;
using Accel.Model.Networks;
using Accel.Model.Quantized;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Accel.Golden;

/// <summary>Which convolution kernel shape the golden model uses.</summary>
public enum ConvKernelShape
{
    /// <summary>Tiled on the CPU accelerator, per element on GPUs.</summary>
    Auto,
    /// <summary>One thread per (4 output channels, output row), 4x4 register tile: fast on the CPU.</summary>
    Tiled,
    /// <summary>One thread per output element: the GPU shape.</summary>
    PerElement,
}

/// <summary>
/// The int8 golden model on ILGPU (CUDA or the CPU accelerator). One context, accelerator and set of
/// loaded kernels per instance; each <see cref="QuantizedModel"/>'s weights and activation buffers are
/// uploaded once and cached for the model's lifetime. Runs are serialised (one stream).
/// </summary>
public sealed class IlgpuGoldenModel : IInt8Executor, IDisposable
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly object _gate = new();
    private readonly ConditionalWeakTable<QuantizedModel, Plan> _plans = new();
    private readonly bool _tiled;
    private bool _disposed;

    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int> _pad;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<sbyte>, ConvParams> _conv;
    /// <summary>Grouped and depthwise convs: <see cref="Kernels.GroupedConvRows"/> on the tiled CPU shape, else the per-element kernel.</summary>
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<sbyte>, ConvParams> _groupedConv;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int> _maxPool;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int> _gap;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int> _copy;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int> _add;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<int>, ArrayView<sbyte>, int> _lookup;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, int, int, int, int, int, int, int, int, int, int> _avgPool;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<int>, ArrayView<sbyte>, int> _gather;
    private readonly Action<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int> _scale;

    private IlgpuGoldenModel(Context context, Accelerator accelerator, bool tiled)
    {
        _context = context;
        _accelerator = accelerator;
        _tiled = tiled;
        _pad = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int>(Kernels.Pad);
        _conv = tiled
            ? accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<sbyte>, ConvParams>(Kernels.ConvTiled)
            : accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<sbyte>, ConvParams>(Kernels.ConvPerElement);
        _groupedConv = tiled
            ? accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<sbyte>, ConvParams>(Kernels.GroupedConvRows)
            : _conv;
        _maxPool = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int>(Kernels.MaxPool);
        _gap = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int>(Kernels.GlobalAvgPool);
        _copy = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, int>(Kernels.Copy);
        _add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int>(Kernels.AddRows);
        _lookup = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<int>, ArrayView<sbyte>, int>(Kernels.LookupRows);
        _avgPool = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, int, int, int, int, int, int, int, int, int, int>(Kernels.AvgPoolRows);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<int>, ArrayView<sbyte>, int>(Kernels.GatherChannels);
        _scale = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<sbyte>, ArrayView<sbyte>, ArrayView<sbyte>, int, int, int, int, int, int, int, int>(Kernels.ScaleRows);
    }

    /// <summary>True when a CUDA device is visible to ILGPU.</summary>
    public static bool CudaAvailable
    {
        get
        {
            try
            {
                using var ctx = Context.Create(b => b.Cuda());
                return ctx.GetCudaDevices().Count > 0;
            }
            catch (Exception)
            {
                return false;
            }
        }
    }

    public static IlgpuGoldenModel Create(GoldenDevice device = GoldenDevice.Auto) => Create(device, ConvKernelShape.Auto);

    public static IlgpuGoldenModel Create(GoldenDevice device, ConvKernelShape convShape)
    {
        // CPU accelerator: one multiprocessor with one thread per core (warp of the core count).
        int cores = Math.Max(1, Environment.ProcessorCount);
        var cpu = new CPUDevice(cores, 1, 1);
        var context = Context.Create(b =>
        {
            b.CPU(cpu);
            if (device != GoldenDevice.Cpu) b.Cuda();
        });
        try
        {
            Accelerator accelerator;
            var cudaDevices = new List<CudaDevice>();
            if (device != GoldenDevice.Cpu)
                foreach (var d in context.GetCudaDevices()) cudaDevices.Add(d);
            if (device == GoldenDevice.Cuda && cudaDevices.Count == 0)
                throw new InvalidOperationException("no CUDA device is available to ILGPU");
            if (cudaDevices.Count > 0)
                accelerator = cudaDevices[0].CreateAccelerator(context);
            else
                accelerator = context.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel);
            bool isCpu = accelerator.AcceleratorType == AcceleratorType.CPU;
            bool tiled = convShape switch { ConvKernelShape.Tiled => true, ConvKernelShape.PerElement => false, _ => isCpu };
            try
            {
                return new IlgpuGoldenModel(context, accelerator, tiled);
            }
            catch
            {
                accelerator.Dispose();
                throw;
            }
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    public string Name => $"ilgpu-{(IsCuda ? "cuda" : "cpu")}{(_tiled ? "" : "-perelement")}";
    public string DeviceName => _accelerator.Name;
    public bool IsCuda => _accelerator.AcceleratorType == AcceleratorType.Cuda;
    public ConvKernelShape ConvShape => _tiled ? ConvKernelShape.Tiled : ConvKernelShape.PerElement;

    public GoldenResult Run(QuantizedModel model, sbyte[] input)
    {
        var network = ExecutorInput.Check(model, input);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_plans.TryGetValue(model, out var plan))
            {
                plan = new Plan(_accelerator, model, _tiled);
                _plans.Add(model, plan);
            }
            plan.Roots[plan.Storage[Network.InputName].Root].View.CopyFromCPU(input);

            Execute(plan, model);
            _accelerator.Synchronize();
            var host = plan.Roots.Select(r => r.GetAsArray1D()).ToArray();

            var acts = new Dictionary<string, Int8Tensor>();
            void Add(string name, Shape shape)
            {
                var st = plan.Storage[name];
                var data = new sbyte[shape.Elements];
                Array.Copy(host[st.Root], st.Offset, data, 0, data.Length);
                acts[name] = new Int8Tensor(shape, data, model.TensorScales[name], model.IsUnsigned(name));
            }
            Add(Network.InputName, network.InputShape);
            foreach (var node in network.Nodes) Add(node.Name, node.Output);
            return new GoldenResult(acts, acts[network.OutputNode]);
        }
    }

    private void Execute(Plan plan, QuantizedModel model)
    {
        foreach (var node in model.Network.Nodes)
        {
            var y = plan.View(node.Name, node.Output.Elements);
            switch (node.Op)
            {
                case ConvLayer c:
                {
                    var w = plan.Convs[node.Name];
                    var inShape = node.Input;
                    var x = plan.View(node.Inputs[0], inShape.Elements);
                    var padded = plan.Scratch.View.SubView(0, w.Params.Cin * w.Params.Hp * w.Params.Wp);
                    _pad(w.Params.Cin * w.Params.Hp, x, padded, inShape.Height, inShape.Width, w.Params.Hp, w.Params.Wp, c.Padding);
                    if (c.Groups > 1)
                    {
                        int threads = _tiled ? c.OutChannels * w.Params.Hout : (int)node.Output.Elements;
                        _groupedConv(threads, padded, w.Weights.View, w.Bias.View, w.Mult.View, w.Shift.View, y, w.Params);
                    }
                    else
                    {
                        int threads = _tiled ? w.Params.OCp / 4 * w.Params.Hout : (int)node.Output.Elements;
                        _conv(threads, padded, w.Weights.View, w.Bias.View, w.Mult.View, w.Shift.View, y, w.Params);
                    }
                    break;
                }
                case MaxPoolLayer p:
                {
                    var inShape = node.Input;
                    var x = plan.View(node.Inputs[0], inShape.Elements);
                    _maxPool(node.Output.Channels * node.Output.Height, x, y, inShape.Height, inShape.Width,
                        node.Output.Height, node.Output.Width, p.KernelSize, p.Stride, p.Padding,
                        Int8Arithmetic.LoadMask(model.IsUnsigned(node.Inputs[0])));
                    break;
                }
                case GlobalAvgPoolLayer:
                {
                    var inShape = node.Input;
                    var x = plan.View(node.Inputs[0], inShape.Elements);
                    var rq = model.PoolRequant[node.Name];
                    _gap(inShape.Channels, x, y, inShape.Height * inShape.Width, rq.Multiplier, rq.Shift,
                        Int8Arithmetic.LoadMask(model.IsUnsigned(node.Inputs[0])));
                    break;
                }
                case ConcatLayer:
                {
                    long offset = 0;
                    var dst = plan.Storage[node.Name];
                    for (int k = 0; k < node.Inputs.Count; k++)
                    {
                        var name = node.Inputs[k];
                        long len = node.InputShapes[k].Elements;
                        var src = plan.Storage[name];
                        bool inPlace = src.Root == dst.Root && src.Offset == dst.Offset + offset;
                        if (!inPlace && len > 0)
                            _copy((int)((len + Kernels.CopyChunk - 1) / Kernels.CopyChunk), plan.View(name, len),
                                plan.Roots[dst.Root].View.SubView(dst.Offset + offset, len), (int)len);
                        offset += len;
                    }
                    break;
                }
                case AddLayer:
                {
                    var (lo, hi) = model.OutputRange(node);
                    var r = model.Operators.Adds[node.Name];
                    var o = node.Output;
                    _add(o.Channels * o.Height, plan.View(node.Inputs[0], o.Elements), plan.View(node.Inputs[1], o.Elements), y, o.Width,
                        Mask(model, node.Inputs[0]), Mask(model, node.Inputs[1]), r.MultiplierA, r.MultiplierB, r.Shift, lo, hi);
                    break;
                }
                case ActivationLayer:
                {
                    var o = node.Output;
                    _lookup(o.Channels * o.Height, plan.View(node.Inputs[0], o.Elements), plan.Params[node.Name][0].View, y, o.Width);
                    break;
                }
                case AvgPoolLayer a:
                {
                    var (lo, hi) = model.OutputRange(node);
                    var inShape = node.Input;
                    var rq = plan.Params[node.Name];
                    _avgPool(node.Output.Channels * node.Output.Height, plan.View(node.Inputs[0], inShape.Elements), y, rq[0].View, rq[1].View,
                        inShape.Height, inShape.Width, node.Output.Height, node.Output.Width, a.KernelSize, a.Stride, a.Padding,
                        Mask(model, node.Inputs[0]), lo, hi);
                    break;
                }
                case ChannelShuffleLayer or ChannelSliceLayer:
                    _gather(node.Output.Channels, plan.View(node.Inputs[0], node.Input.Elements), plan.Params[node.Name][0].View, y,
                        node.Output.Height * node.Output.Width);
                    break;
                case ScaleLayer:
                {
                    var (lo, hi) = model.OutputRange(node);
                    var r = model.Operators.Scales[node.Name];
                    var o = node.Output;
                    _scale(o.Channels * o.Height, plan.View(node.Inputs[0], o.Elements), plan.View(node.Inputs[1], o.Channels), y, o.Height, o.Width,
                        Mask(model, node.Inputs[0]), Mask(model, node.Inputs[1]), r.Multiplier, r.Shift, lo, hi);
                    break;
                }
                default:
                    throw new NotSupportedException($"node '{node.Name}': unsupported op {node.Op.GetType().Name}");
            }
        }
    }

    private static int Mask(QuantizedModel model, string tensor) => Int8Arithmetic.LoadMask(model.IsUnsigned(tensor));

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var (_, p) in _plans) p.Dispose();
            _plans.Clear();
            _accelerator.Dispose();
            _context.Dispose();
        }
    }

    private readonly record struct Slot(int Root, long Offset);

    private sealed class ConvBuffers(ConvParams p, MemoryBuffer1D<sbyte, Stride1D.Dense> weights,
        MemoryBuffer1D<int, Stride1D.Dense> bias, MemoryBuffer1D<int, Stride1D.Dense> mult, MemoryBuffer1D<int, Stride1D.Dense> shift)
    {
        public ConvParams Params { get; } = p;
        public MemoryBuffer1D<sbyte, Stride1D.Dense> Weights { get; } = weights;
        public MemoryBuffer1D<int, Stride1D.Dense> Bias { get; } = bias;
        public MemoryBuffer1D<int, Stride1D.Dense> Mult { get; } = mult;
        public MemoryBuffer1D<int, Stride1D.Dense> Shift { get; } = shift;
    }

    /// <summary>Device-resident state for one model: weights, activation buffers, the padding scratch.</summary>
    private sealed class Plan : IDisposable
    {
        public readonly List<MemoryBuffer1D<sbyte, Stride1D.Dense>> Roots = [];
        public readonly Dictionary<string, Slot> Storage = [];
        public readonly Dictionary<string, ConvBuffers> Convs = [];
        /// <summary>Integer parameters of the other operators: an activation's table; an average pool's multipliers and shifts; a gather's source channels.</summary>
        public readonly Dictionary<string, MemoryBuffer1D<int, Stride1D.Dense>[]> Params = [];
        public readonly MemoryBuffer1D<sbyte, Stride1D.Dense> Scratch;

        public Plan(Accelerator acc, QuantizedModel model, bool tiled)
        {
            var network = model.Network;
            // Conv, pool and avg-pool outputs feeding a concat are written straight into its buffer
            // (first concat wins); everything else gets its own buffer.
            var alias = new Dictionary<string, (string Concat, long Offset)>();
            foreach (var node in network.Nodes.Where(n => n.Op is ConcatLayer))
            {
                long offset = 0;
                for (int k = 0; k < node.Inputs.Count; k++)
                {
                    var name = node.Inputs[k];
                    if (name != Network.InputName && network[name].Op is not ConcatLayer && !alias.ContainsKey(name))
                        alias[name] = (node.Name, offset);
                    offset += node.InputShapes[k].Elements;
                }
            }
            void Own(string name, long elements)
            {
                Storage[name] = new Slot(Roots.Count, 0);
                Roots.Add(acc.Allocate1D<sbyte>(Math.Max(1, elements)));
            }
            Own(Network.InputName, network.InputShape.Elements);
            foreach (var node in network.Nodes)
                if (!alias.ContainsKey(node.Name)) Own(node.Name, node.Output.Elements);
            foreach (var (name, (concat, offset)) in alias)
                Storage[name] = Storage[concat] with { Offset = Storage[concat].Offset + offset };

            long scratch = 1;
            foreach (var node in network.Nodes)
            {
                if (node.Op is not ConvLayer c) continue;
                var q = model.Convs[node.Name];
                var inShape = node.Input;
                var (lo, hi) = model.OutputRange(node);
                int k = c.KernelSize, s = c.Stride, pad = c.Padding, cin = inShape.Channels, cout = c.OutChannels;
                int cinG = cin / c.Groups;
                int hout = node.Output.Height, wout = node.Output.Width;
                int ocp = (cout + 3) / 4 * 4;
                // Tiled kernel reads up to 4 columns per tile even past Wout: keep those reads inside zeros.
                int tileW = tiled ? (wout + 3) / 4 * 4 : wout;
                int hp = Math.Max(inShape.Height + pad, (hout - 1) * s + k);
                int wp = Math.Max(inShape.Width + pad, (tileW - 1) * s + k);
                hp = Math.Max(hp, 1); wp = Math.Max(wp, 1);
                scratch = Math.Max(scratch, (long)cin * hp * wp);

                var wt = new sbyte[(long)cinG * k * k * ocp];
                for (int oc = 0; oc < cout; oc++)
                    for (int j = 0; j < cinG; j++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                wt[((j * k + ky) * k + kx) * ocp + oc] = q.Weights[((oc * cinG + j) * k + ky) * k + kx];
                var bias = new int[ocp];
                var mult = new int[ocp];
                var shift = new int[ocp];
                for (int oc = 0; oc < ocp; oc++)
                {
                    bias[oc] = oc < cout ? q.Bias[oc] : 0;
                    mult[oc] = oc < cout ? q.Requant[oc].Multiplier : 0;
                    shift[oc] = oc < cout ? q.Requant[oc].Shift : 1;
                }
                var p = new ConvParams
                {
                    Cin = cin, CinG = cinG, CoutG = cout / c.Groups, Hp = hp, Wp = wp, K = k, S = s, Hout = hout, Wout = wout, Cout = cout, OCp = ocp,
                    InMask = Int8Arithmetic.LoadMask(model.IsUnsigned(node.Inputs[0])),
                    Lo = lo,
                    Hi = hi,
                };
                Convs[node.Name] = new ConvBuffers(p, acc.Allocate1D(wt.Length == 0 ? new sbyte[1] : wt),
                    acc.Allocate1D(bias), acc.Allocate1D(mult), acc.Allocate1D(shift));
            }
            Scratch = acc.Allocate1D<sbyte>(scratch);

            var ops = model.Operators;
            foreach (var node in network.Nodes)
            {
                int[][]? p = node.Op switch
                {
                    ActivationLayer => [ops.ActivationTables[node.Name]],
                    AvgPoolLayer => [ops.AvgPools[node.Name].Select(r => (int)r.Multiplier).ToArray(), ops.AvgPools[node.Name].Select(r => (int)r.Shift).ToArray()],
                    ChannelShuffleLayer sh => [Enumerable.Range(0, node.Input.Channels).Select(o => CompactOperators.ShuffleSource(o, node.Input.Channels, sh.Groups)).ToArray()],
                    ChannelSliceLayer sl => [Enumerable.Range(sl.Start, sl.Count).ToArray()],
                    _ => null,
                };
                if (p is not null) Params[node.Name] = p.Select(a => acc.Allocate1D(a)).ToArray();
            }

        }

        public ArrayView<sbyte> View(string name, long elements)
        {
            var st = Storage[name];
            return Roots[st.Root].View.SubView(st.Offset, elements);
        }

        public void Dispose()
        {
            foreach (var r in Roots) r.Dispose();
            foreach (var c in Convs.Values)
            {
                c.Weights.Dispose(); c.Bias.Dispose(); c.Mult.Dispose(); c.Shift.Dispose();
            }
            foreach (var buffers in Params.Values)
                foreach (var b in buffers) b.Dispose();
            Scratch.Dispose();
        }
    }
}
